"""The CLI front door stays light. (The layering itself — tui never imports screens or
Textual, no cycles — is import-linter's job: `lint-imports`, contracts in pyproject.toml.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
