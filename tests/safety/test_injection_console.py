"""The injection corpus through the real console in tmux (`capture-pane -e`).

A hostile backend (/version, /instance_name are the corpus), hostile env-file URLs (the services
table's external URL), containers whose Compose service labels are the corpus (the containers
table) and a backend container whose generate_admin_key.sh writes the corpus to stderr (the error
notification). Afterwards: the pane holds nothing but SGR colour sequences, the title was not
changed, no clipboard buffer was written, the screen was not cleared, markup shows as text.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker_fixtures import IDLE, TEST_IMAGE, ComposeProject
from tests.e2e.tmux import Tmux, session
from tests.safety.corpus import PAYLOADS, SGR, offending
from tests.safety.test_injection_headless import hostile_backend  # noqa: F401 - fixture
from tui.docker.client import DockerService

pytestmark = [pytest.mark.tmux, pytest.mark.docker]

STDERR_PAYLOAD = (
    PAYLOADS["osc0_title"] + PAYLOADS["osc52_clipboard"] + PAYLOADS["csi_clear"]
    + "STDERR-MARK" + PAYLOADS["bidi"] + PAYLOADS["c1_csi"]
)  # fmt: skip


def _hostile_script() -> list[str]:
    # The exact bytes go through base64, so no shell quoting can soften the payload.
    raw = ("#!/bin/sh\ncat >&2 <<'EOF'\n" + STDERR_PAYLOAD + "\nEOF\nexit 1\n").encode(
        "utf-8", "surrogatepass"
    )
    b64 = base64.b64encode(raw).decode()
    return [
        "sh",
        "-c",
        "mkdir -p /convex && echo " + b64 + " | base64 -d > /convex/generate_admin_key.sh && "
        "chmod +x /convex/generate_admin_key.sh && trap 'exit 0' TERM; sleep 600 & wait",
    ]


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from session(120, 40)


def raw_pane(t: Tmux) -> str:
    return t._run("capture-pane", "-e", "-p", "-t", t.session)


def test_console_renders_the_corpus_inert(
    tmux: Tmux,
    hostile_backend: str,  # noqa: F811 - the fixture
    docker_service: DockerService,
    sdk: Any,
    tmp_path: Path,
) -> None:
    project = ComposeProject(sdk, name=f"i9-inj-{uuid.uuid4().hex[:6]}")
    try:
        project.run("backend", command=_hostile_script())
        # Container names are restricted; Compose labels are not: the service column shows one.
        hostile = sdk.containers.create(
            TEST_IMAGE,
            IDLE,
            name=f"{project.name}-web",
            network_mode="none",
            labels={
                "com.docker.compose.project": project.name,
                "com.docker.compose.service": "[bold red]MARKUP[/]"
                + PAYLOADS["osc0_title"]
                + PAYLOADS["bidi"],
            },
        )
        project.ids.append(hostile.id)
        hostile.start()
        env = tmp_path / ".env.convex.local"
        env.write_text(
            f"CONVEX_SELF_HOSTED_URL={hostile_backend}\n"
            f"COMPOSE_PROJECT_NAME={project.name}\n"
            f"CONVEX_CLOUD_ORIGIN={json.dumps('http://x' + PAYLOADS['osc8_link'] + 'y')}\n"
            f"CONVEX_SITE_ORIGIN={json.dumps('http://s/' + PAYLOADS['csi_moves'])}\n"
            "CONVEX_SELF_HOSTED_ADMIN_KEY=convex-self-hosted|" + "ab" * 32 + "\n"
        )
        env.chmod(0o600)
        tmux._run("set-option", "-g", "set-clipboard", "on")
        tmux.start(
            [sys.executable, "-m", "screens", "console", "--project-dir", str(tmp_path)],
            env={"PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        )
        tmux._run("set-option", "-g", "set-clipboard", "on")
        tmux.wait_for(lambda s: "MARKUP" in s and "backend" in s, what="containers", timeout=30)
        tmux.wait_for(lambda s: "http" in s.splitlines()[0], what="header")
        title_before = tmux._run("display-message", "-p", "-t", tmux.session, "#{pane_title}")
        # Select the backend row and run `g`: the script's stderr comes back in a notification.
        tmux.keys("g")
        tmux.wait_for(lambda s: "Generate a new admin key" in s, what="confirm")
        tmux.keys("y")
        screen = tmux.wait_until("STDERR-MARK", "[bold red]MARKUP[/]", what="stderr toast",
                                 timeout=30)  # fmt: skip
        raw = raw_pane(tmux)
        text = SGR.sub("", raw)
        assert not offending(text), offending(text)
        assert "PWNED" not in tmux._run(
            "display-message", "-p", "-t", tmux.session, "#{pane_title}"
        )
        assert tmux._run("display-message", "-p", "#{pane_title}") == title_before
        assert tmux._run("list-buffers") == "", "OSC 52 reached the clipboard"
        assert "[bold red]MARKUP[/]" in screen, "markup must show as text"
        assert "convex-tui" in screen or "http" in screen.splitlines()[0], "screen was cleared"
    finally:
        project.remove_all()
