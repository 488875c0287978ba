"""Sandbox fixtures, star-imported by tests/conftest.py.

- ``sandbox``: a fresh in-memory demo sandbox per test, on the test's event loop.
- ``sandbox_session``: one in-memory demo sandbox for the whole session, on its own thread, so
  sync and async tests alike can use it (do not rely on its exact data: others write to it).
Log long polls return after ``LOG_POLL_SECONDS`` instead of the backend's 60 s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tui.sandbox.server import SandboxServer, SandboxThread

LOG_POLL_SECONDS = 5.0

__all__ = ["LOG_POLL_SECONDS", "sandbox", "sandbox_session"]


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(memory=True, seed="demo", log_poll_seconds=LOG_POLL_SECONDS) as s:
        yield s


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SandboxThread]:
    with SandboxThread(memory=True, seed="demo", log_poll_seconds=LOG_POLL_SECONDS) as s:
        yield s
