"""The Node host process on its own: syscall round trips, logs, thrown errors, and bounds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.sandbox.deploy_fixtures import require_node
from tui.sandbox.node_host import HostError, HostFailure, HostPool, NodeHost, SyscallFailed

pytestmark = [pytest.mark.peers, pytest.mark.timeout(60)]

MODULE = """
export const get = { isQuery: true, isPublic: true, invokeQuery: async (argsJson) => {
  const [args] = JSON.parse(argsJson);
  const doc = JSON.parse(await Convex.asyncSyscall("1.0/get", JSON.stringify({ id: args.id })));
  console.info("got", doc.n, { deep: [1, 2] });
  return JSON.stringify({ n: doc.n + 1, now: Date.now(), same: Date.now() === new Date().getTime() });
} };
export const fails = { isMutation: true, isPublic: true, invokeMutation: async () => {
  try {
    await Convex.asyncSyscall("1.0/insert", "{}");
  } catch (e) {
    throw new Error("caught: " + e.message);
  }
} };
export const spin = { isQuery: true, isPublic: true, invokeQuery: async () => { for (;;) {} } };
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    require_node()
    (tmp_path / "m.js").write_text(MODULE)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    return tmp_path


def invoke(name: str, kind: str, args: dict[str, object]) -> dict[str, object]:
    return {
        "t": "invoke",
        "module": "m.js",
        "name": name,
        "kind": kind,
        "args": json.dumps([args]),
        "env": {},
        "seed": 7,
        "now": 1_700_000_000_000,
    }


def test_syscalls_logs_and_frozen_time(root: Path) -> None:
    host = NodeHost(root, require_node())
    seen: list[tuple[str, str]] = []
    logs: list[tuple[str, list[str]]] = []

    def syscall(op: str, args: str) -> str:
        seen.append((op, args))
        return json.dumps({"n": 41})

    try:
        out = host.call(
            invoke("get", "query", {"id": "abc"}),
            syscall,
            on_log=lambda lv, m: logs.append((lv, m)),
        )
    finally:
        host.close()
    assert json.loads(out) == {"n": 42, "now": 1_700_000_000_000, "same": True}
    assert seen == [("1.0/get", '{"id":"abc"}')]
    assert logs == [("INFO", ["'got'", "41", "{ deep: [ 1, 2 ] }"])]


def test_syscall_errors_reach_the_js_and_its_throw_comes_back(root: Path) -> None:
    host = NodeHost(root, require_node())

    def refuse(op: str, args: str) -> str:
        raise SyscallFailed(f"no {op}")

    try:
        with pytest.raises(HostFailure) as err:
            host.call(invoke("fails", "mutation", {}), refuse)
        assert err.value.error["message"] == "caught: no 1.0/insert"
        assert host.alive  # the host serves the next call
    finally:
        host.close()


def test_a_function_that_never_returns_times_out_and_the_pool_recovers(root: Path) -> None:
    pool = HostPool(root, require_node())
    started = time.monotonic()
    with pytest.raises(HostError, match="timed out"), pool.host() as host:
        host.call(invoke("spin", "query", {}), lambda op, a: "null", timeout=1.0)
    assert time.monotonic() - started < 10
    with pool.host() as fresh:
        assert fresh.alive and fresh is not host
    pool.kill()
