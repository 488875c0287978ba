"""The process runner against real child processes: order, exit status, colours, cancellation
of the whole group (checked by pid), the environment passed, and the history file."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.scripts.workspaces import make_workspace
from tui.config.secret import Secret
from tui.scripts import history
from tui.scripts.runner import ProcessRun, RunState, child_env, make_run
from tui.scripts.workspace import read_workspace

KEY = "convex-self-hosted|01" + "cd" * 30
URL = "http://127.0.0.1:3999"


def sh(tmp_path: Path, script: str, grace: float = 1.0, name: str = "t"):  # type: ignore[no-untyped-def]
    return make_run(name, ("sh", "-c", script), str(tmp_path), URL, Secret(KEY), grace=grace)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie nobody reaped is not running
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def started(run: ProcessRun) -> None:
    for _ in range(500):
        if run.pid is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the child did not start")


def group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


async def group_gone(pgid: int, bound: float = 3.0) -> bool:
    """A SIGKILLed member may take a moment to become a zombie: poll, bounded."""
    deadline = asyncio.get_running_loop().time() + bound
    while group_alive(pgid):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_streams_in_order_and_exit_status(tmp_path: Path) -> None:
    run = sh(tmp_path, "for i in 1 2 3; do echo line$i; echo err$i >&2; done; exit 0")
    seen: list[str] = []
    run.on_output(lambda _run, new: seen.extend(new))
    assert await run.run() is RunState.DONE
    assert seen == ["line1", "err1", "line2", "err2", "line3", "err3"]
    assert run.exit_status == 0 and run.elapsed > 0

    failed = sh(tmp_path, "echo before; exit 3")
    assert await failed.run() is RunState.FAILED
    assert failed.exit_status == 3 and failed.lines == ["before"]


async def test_colours_kept_other_controls_dropped_key_scrubbed(tmp_path: Path) -> None:
    run = sh(
        tmp_path,
        "printf '\\033[31mred\\033[0m\\n\\033]52;c;QUFB\\007clip\\n\\033[2Jclear\\n'; "
        "echo \"key=$CONVEX_SELF_HOSTED_ADMIN_KEY\"; printf 'a\\rprogress\\n'",
    )
    await run.run()
    assert run.lines[0] == "\x1b[31mred\x1b[0m"
    assert run.lines[1:3] == ["clip", "clear"]
    assert run.lines[3] == "key=<admin key>"
    assert run.lines[4] == "progress"
    assert not any(KEY in line for line in run.lines)


async def test_environment_carries_the_deployment(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    run = sh(tmp_path, f'echo "$CONVEX_SELF_HOSTED_URL"; printf %s "$CONVEX_SELF_HOSTED_ADMIN_KEY"'
             f' > {keyfile}; echo "dep=${{CONVEX_DEPLOYMENT:-unset}}"')  # fmt: skip
    run.env["CONVEX_DEPLOYMENT"] = "dev:cloud-thing"  # would conflict: child_env drops it
    run.env = child_env(URL, Secret(KEY), run.env)
    await run.run()
    assert run.lines == [URL, "dep=unset"]
    assert keyfile.read_text() == KEY
    assert KEY not in " ".join(run.argv)


async def test_cancel_reaches_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # The child ignores SIGINT and SIGTERM: only the KILL step can end it.
    run = sh(
        tmp_path,
        f"sh -c 'trap \"\" INT TERM; echo $$ > {pidfile}; while true; do sleep 0.1; done' & "
        "echo started; wait",
        grace=0.5,
    )
    task = asyncio.ensure_future(run.run())
    for _ in range(200):
        if pidfile.exists() and pidfile.read_text().strip() and run.lines:
            break
        await asyncio.sleep(0.02)
    child = int(pidfile.read_text())
    assert run.pid is not None and alive(run.pid) and alive(child)
    await run.cancel()
    assert await task is RunState.CANCELLED
    for _ in range(100):
        if not alive(child):
            break
        await asyncio.sleep(0.02)
    assert not alive(child), "the grandchild survived the cancel"
    assert not alive(run.pid)


async def test_sigint_is_enough_for_a_polite_script(tmp_path: Path) -> None:
    run = sh(tmp_path, "trap 'echo interrupted; exit 130' INT; echo ready; "
             "while true; do sleep 0.05; done", grace=5.0)  # fmt: skip
    task = asyncio.ensure_future(run.run())
    await started(run)
    async with asyncio.timeout(10):  # its trap is set (a loaded machine took longer than 0.2 s)
        while "ready" not in run.lines:  # noqa: ASYNC110 - output arrives on the loop
            await asyncio.sleep(0.01)
    await run.cancel()
    assert await task is RunState.CANCELLED
    assert run.elapsed < 4, "SIGINT alone should have ended it"
    assert "interrupted" in run.lines


async def test_kill_now_on_quit(tmp_path: Path) -> None:
    run = sh(tmp_path, "trap '' INT TERM; while true; do sleep 0.1; done")
    task = asyncio.ensure_future(run.run())
    await started(run)
    pid = run.pid
    run.kill_now()
    assert await asyncio.wait_for(task, 5) is RunState.CANCELLED
    assert await group_gone(pid)


async def test_missing_program_fails_cleanly(tmp_path: Path) -> None:
    run = make_run("x", ("no-such-program-xyz",), str(tmp_path), URL, None)
    assert await run.run() is RunState.FAILED
    assert run.error and "no-such-program-xyz" in run.error


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
async def test_npm_run_a_workspace_script(tmp_path: Path) -> None:
    ws = read_workspace(make_workspace(tmp_path / "ws", "npm"))
    script = ws.get("typecheck")
    assert script is not None
    run = make_run(script.name, script.argv, str(ws.root), URL, Secret(KEY))
    assert await run.run() is RunState.FAILED
    assert run.exit_status == 3
    deploy = make_run("d", ws.deploy.argv, str(ws.root), URL, Secret(KEY))
    assert await deploy.run() is RunState.DONE
    assert any("[+] tasks.by_owner" in line for line in deploy.lines)


async def test_history_roundtrip(tmp_path: Path) -> None:
    run = sh(tmp_path, "echo one; echo two; exit 3", name="typecheck")
    await run.run()
    base = tmp_path / "data"
    path = history.append(tmp_path, history.entry_of(run), base)
    assert path.stat().st_mode & 0o777 == 0o600
    (entry,) = history.load(tmp_path, base)
    assert entry.script == "typecheck" and entry.exit_status == 3 and entry.state == "failed"
    assert entry.last_lines == ("one", "two")
    assert entry.command == run.command_line
    path.write_text(path.read_text() + "garbage\n")
    assert len(history.load(tmp_path, base)) == 1


SPAWN = "sh -c 'trap \"\" INT; echo $$ > child.pid; while true; do sleep 0.1; done' & echo spawned; wait"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm runs the scripts")
@pytest.mark.parametrize("manager", ["npm", "pnpm", "yarn", "bun"])
async def test_every_lockfile_kind_runs_streams_and_cancels(
    tmp_path: Path, manager: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line the pane shows is what runs. pnpm, yarn and bun are not installed on
    the test machine: a stand-in on PATH hands `<pm> run X` to npm, which runs X the same way."""
    from tests.scripts.workspaces import SCRIPTS

    if shutil.which(manager) is None:
        shims = tmp_path / "bin"
        shims.mkdir()
        shim = shims / manager
        shim.write_text('#!/bin/sh\n[ "$1" = run ] || exit 64\nexec npm "$@"\n')
        shim.chmod(0o755)
        monkeypatch.setenv("PATH", f"{shims}:{os.environ['PATH']}")
    scripts = dict(SCRIPTS, spawn=SPAWN, env='echo "url=$CONVEX_SELF_HOSTED_URL"')
    ws = read_workspace(make_workspace(tmp_path / "ws", manager, scripts))
    assert ws.package_manager == manager

    def run_of(name: str, grace: float = 1.0) -> ProcessRun:
        script = ws.get(name)
        assert script is not None and script.argv == (manager, "run", name)
        return make_run(name, script.argv, str(ws.root), URL, Secret(KEY), grace=grace)

    colours = run_of("colours")
    assert await colours.run() is RunState.DONE
    assert colours.lines[-2:] == ["\x1b[31mred\x1b[0m", "plain"]
    failing = run_of("typecheck")
    assert await failing.run() is RunState.FAILED and failing.exit_status == 3
    env = run_of("env")
    await env.run()
    assert f"url={URL}" in env.lines

    spawner = run_of("spawn", grace=0.5)
    task = asyncio.ensure_future(spawner.run())
    pidfile = ws.root / "child.pid"
    for _ in range(500):
        if pidfile.exists() and pidfile.read_text().strip() and "spawned" in spawner.lines:
            break
        await asyncio.sleep(0.02)
    child = int(pidfile.read_text())
    assert alive(child)
    await spawner.cancel()
    assert await task is RunState.CANCELLED
    assert spawner.pid is not None and await group_gone(spawner.pid)
    assert not alive(child)


async def test_sigint_reaches_a_script_when_the_console_itself_ignores_it(
    tmp_path: Path,
) -> None:
    """Started as a background job (or under nohup), the console ignores SIGINT; its children
    must not inherit that, or a shell's INT trap never runs and cancel waits for TERM."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = sh(tmp_path, "trap 'echo interrupted; exit 130' INT; echo ready; "
                 "while true; do sleep 0.05; done", grace=5.0)  # fmt: skip
        task = asyncio.ensure_future(run.run())
        await started(run)
        async with asyncio.timeout(10):
            while "ready" not in run.lines:  # noqa: ASYNC110 - output arrives on the loop
                await asyncio.sleep(0.01)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # the console still ignores it
        await run.cancel()
        assert await task is RunState.CANCELLED
        assert "interrupted" in run.lines and run.elapsed < 4
    finally:
        signal.signal(signal.SIGINT, previous)
