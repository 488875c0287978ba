"""The npm `ConvexHttpClient` and `ConvexClient` (WebSocket, `onUpdate`) against the sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.peers.conftest import CONVEX_BIN, PEERS_DIR, Sandbox, unavailable
from tui.convex.ids import is_id

pytestmark = [pytest.mark.peers, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def node_report(peer_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not CONVEX_BIN.exists():
        unavailable("node or tests/peers/node_modules is missing: run `(cd tests/peers && npm ci)`")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path_factory.mktemp("node-home")),
        "CONVEX_URL": peer_sandbox.url,
        "CONVEX_ADMIN_KEY": peer_sandbox.admin_key,
    }
    try:
        proc = subprocess.run(
            [str(node), str(PEERS_DIR / "clients.mjs")],
            cwd=PEERS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=70,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"clients.mjs hung: {exc.stdout!r} {exc.stderr!r}\n{peer_sandbox.log_tail()}")
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no report (exit {proc.returncode}):\n{proc.stderr}"
    report: dict[str, Any] = json.loads(lines[-1])
    assert report.get("ok") is True, (
        f"clients.mjs failed after steps {report.get('steps')}:\n{report.get('error')}\n"
        f"stderr:\n{proc.stderr}\nsandbox log:\n{peer_sandbox.log_tail()}"
    )
    return report


def test_http_client_query_and_mutation(node_report: dict[str, Any]) -> None:
    http = node_report["http"]
    assert is_id(http["createdId"])
    assert http == {**http, "title": "node http task", "priority": 2, "status": "pending"}


def test_http_client_values_and_errors(node_report: dict[str, Any]) -> None:
    assert node_report["echo"] == {
        "n": str(2**62 + 5),
        "nIsBigint": True,
        "neg": "-3",
        "bytes": [0, 1, 254, 255],
        "f": 0.5,
    }
    assert node_report["httpConvexError"] == {
        "isConvexError": True,
        "data": {"code": "EMPTY_TITLE", "message": "Task title must not be empty"},
    }
    # crates/udf/src/validation.rs `missing_or_internal_error`: same text for internal and missing.
    assert node_report["internalAsPublic"].endswith(
        "Server Error\nCould not find public function for 'rag:searchDocuments'. Did you forget "
        "to run `npx convex dev` or `npx convex deploy`?\n"
    ), node_report["internalAsPublic"]
    assert node_report["embeddingLength"] == 8


def test_http_client_acting_as_user(node_report: dict[str, Any]) -> None:
    acting = node_report["actingAs"]
    assert is_id(acting["userId"])
    assert acting["taskUserId"] == acting["userId"], (
        "tasks:create must see the impersonated identity"
    )
    assert node_report["anonymousUserTasks"] == []


def test_ws_subscription_receives_update_from_another_client(node_report: dict[str, Any]) -> None:
    sub = node_report["subscription"]
    assert sub["updatedLength"] == sub["firstLength"] + 1
    assert sub["lastBody"].startswith("node-ws-")
    assert sub["resultsSeen"] >= 2


def test_ws_mutation_action_and_errors(node_report: dict[str, Any]) -> None:
    assert node_report["wsMutation"]["title"] == "node ws task"
    assert node_report["wsConvexError"] == {
        "isConvexError": True,
        "data": {"code": "EMPTY_TITLE", "message": "Task title must not be empty"},
    }
    action = node_report["wsAction"]
    assert action["length"] == 3 and all(isinstance(title, str) for title in action["titles"])
    failed = node_report["wsQueryFailed"]
    assert "Server Error" in failed and "Something went wrong" in failed


def test_ws_admin_auth_with_impersonation(node_report: dict[str, Any]) -> None:
    # The task created over HTTP while acting as the user is among their tasks over the socket.
    assert node_report["actingAs"]["taskId"] in node_report["wsUserTaskIds"]
    assert {"tasks", "messages", "users"} <= set(node_report["wsTables"])
