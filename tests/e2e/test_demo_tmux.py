"""`convex-tui demo` end to end in tmux: real terminal, real keys, read back with capture-pane."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.tmux import Tmux, session

pytestmark = pytest.mark.tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from session(120, 40)


def demo_command() -> list[str]:
    override = os.environ.get("CONVEX_TUI_E2E_DEMO")  # e.g. before the CLI is wired
    return shlex.split(override) if override else [sys.executable, "-m", "screens", "demo"]


def test_demo_shows_header_and_services_and_answers_keys(tmux: Tmux) -> None:
    tmux.start(demo_command())
    screen = tmux.wait_until(
        "http up",
        re.compile(r"^ .*demo.*127\.0\.0\.1"),  # the header: profile and target
        re.compile(r"│ API\s+up\s+\d+ ms\s+valid …[0-9a-f]{4}\s.*127\.0\.0\.1:\d+"),
        re.compile(r"│ Site\s+up\s+\d+ ms.*serving, no route at /\s+127\.0\.0\.1:\d+"),
        # The key as a fingerprint only; its instance is in the detail column beside it.
        re.compile(r"valid …[0-9a-f]{4}\s+1\.27\.0-sandbox · convex-self-hosted"),
        what="header, API and site rows up",
    )
    assert not re.search(r"\|01[0-9a-f]{20}", screen), "the admin key itself never shows"
    tmux.keys("2")
    tmux.wait_for(lambda s: "following ·" in s and "rows" in s, what="logs pane")
    tmux.keys("1")
    tmux.wait_for(lambda s: "Services" in s and "Containers" in s, what="status pane again")
    tmux.keys("?")
    tmux.wait_for(lambda s: "Show every key" in s, what="help")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "Show every key" not in s, what="help closed")
    tmux.keys("d")  # the doctor's full report, in a modal
    tmux.wait_for(lambda s: "Doctor — profile demo" in s and " checks: " in s, what="doctor")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "Doctor — profile" not in s, what="doctor closed")
    tmux.keys("q")
    tmux.wait_for(lambda s: "EXITED:0" in s, what="clean exit", timeout=15)
