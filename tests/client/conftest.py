from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.client.scripted import Scripted


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    server = Scripted()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
