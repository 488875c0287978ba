"""The CLI front door stays light. (The layering itself — tui never imports screens or
Textual, no cycles — is import-linter's job: `lint-imports`, contracts in pyproject.toml.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(out.stdout.split())


def test_cli_entry_imports_nothing_heavy() -> None:
    loaded = loaded_after_import(["tui.cli", "screens.main"])
    heavy = {"textual", "httpx", "aiohttp", "docker", "websockets", "rich"}
    assert not heavy & loaded


def test_the_first_frame_imports_no_other_pane() -> None:
    """What the console imports before its first frame (the App and the Status pane) leaves
    the other panes, the script runner and the Convex client to their first use (issue 19)."""
    loaded = loaded_after_import(["screens.app"])
    later = {
        "screens.logs", "screens.functions", "screens.data", "screens.env", "screens.scripts",
        "tui.scripts.runner", "tui.scripts.board", "tui.scripts.workspace", "tui.convex.client",
        "httpx", "websockets", "docker",
    }  # fmt: skip
    assert not later & loaded, sorted(later & loaded)


def test_no_pane_imports_the_convex_client() -> None:
    """A pane visited before the client has connected (within a second of launch) imports its
    module on the event loop: the client's stack (httpx, websockets: ~100 ms) stays with the
    connection, which imports it on a thread (issue 19: the Data pane's first visit took 190 ms
    when tui.data.edits imported the client for one marker)."""
    panes = ["screens.logs", "screens.functions", "screens.data", "screens.env", "screens.scripts"]
    loaded = loaded_after_import(["screens.app", *panes])
    client = {"tui.convex.client", "tui.convex.http", "httpx", "websockets"}
    assert not client & loaded, sorted(client & loaded)


# ---------------------------------------------------------------- the twins (issue 19)

# Nothing a twin needs: the console's stack, the async client, the Docker SDK, JSON5 for plain
# JSON arguments, the panes' logic. (`python -X importtime` names every module a process loads.)
NEVER_IN_A_TWIN = (
    "textual", "rich", "httpx", "httpcore", "anyio", "h11", "asyncio", "concurrent.futures",
    "websockets", "aiohttp", "docker", "requests", "urllib3", "json5", "platformdirs", "tomllib",
    "dotenv", "tui.convex.client", "tui.convex.http", "tui.convex.sync_client", "tui.sandbox",
)  # fmt: skip


def twin_imports(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[set[str], str]:
    """The modules a real `convex-tui …` process loads, and its stdout."""
    script = Path(sys.executable).parent / "convex-tui"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return names, proc.stdout


def _loaded(names: set[str], module: str) -> bool:
    return any(n == module or n.startswith(module + ".") for n in names)


def _twin_env(sandbox: Any, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX")}
    env.update(CONVEX_SELF_HOSTED_URL=sandbox.url, CONVEX_SELF_HOSTED_ADMIN_KEY=sandbox.admin_key,
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
    return env


def test_run_imports_only_what_it_uses(sandbox_session: Any, tmp_path: Path) -> None:
    """`convex-tui run tasks:list` against the sandbox: the standard library's http.client,
    the CLI, settings, the blocking client, the guard and the sanitizer, and nothing else of
    ours (`tui.data`, `tui.logs`, `tui.env`, `tui.scripts` only for their flags)."""
    env = _twin_env(sandbox_session, tmp_path)
    names, out = twin_imports(["run", "tasks:list"], env, tmp_path)
    assert '"title"' in out, "the function's value was printed"
    assert "http.client" in names
    loaded = sorted(m for m in NEVER_IN_A_TWIN if _loaded(names, m))
    assert loaded == [], f"`run` loaded {loaded}"
    ours = {n for n in names if n.split(".")[0] in ("tui", "screens")}
    flags_only = {"tui.data", "tui.data.twin_flags", "tui.logs", "tui.logs.twin_flags",
                  "tui.env", "tui.env.cli", "tui.scripts", "tui.scripts.cli"}  # fmt: skip
    assert ours - flags_only == {
        "screens", "screens.main", "tui", "tui.cli", "tui.config", "tui.config.envfiles",
        "tui.config.model", "tui.config.secret", "tui.config.settings_file", "tui.convex",
        "tui.convex.commands", "tui.convex.errors", "tui.convex.http_client",
        "tui.convex.protocol", "tui.convex.results", "tui.convex.values", "tui.convex.wire",
        "tui.net", "tui.net.http", "tui.safety", "tui.safety.guard", "tui.safety.text",
    }  # fmt: skip
    # JSON5 only when the arguments need it (unquoted keys): plain JSON never loads it.
    names, _ = twin_imports(["run", "tasks:list", '{"status": "done"}'], env, tmp_path)
    assert not _loaded(names, "json5")
    names, _ = twin_imports(["run", "tasks:list", "{status: 'done'}"], env, tmp_path)
    assert _loaded(names, "json5")


@pytest.mark.parametrize(
    ("argv", "printed"),
    [(["data"], "tasks"), (["data", "tasks", "--limit", "2"], "title"), (["logs"], ""),
     (["env"], ""), (["status"], "SERVICES")],
)  # fmt: skip
def test_every_twin_stays_off_the_heavy_stacks(
    argv: list[str], printed: str, sandbox_session: Any, tmp_path: Path
) -> None:
    names, out = twin_imports(argv, _twin_env(sandbox_session, tmp_path), tmp_path)
    assert printed in out
    loaded = sorted(m for m in NEVER_IN_A_TWIN if _loaded(names, m))
    assert loaded == [], f"`{' '.join(argv)}` loaded {loaded}"
