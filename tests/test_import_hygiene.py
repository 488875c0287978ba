"""Layering guards: the core never loads Textual, and the CLI front door stays light."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import tui

ROOT = Path(__file__).resolve().parents[1]


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(tui.__path__, "tui."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


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


def test_core_never_imports_textual_or_screens() -> None:
    modules = core_modules()
    assert "tui.config.model" in modules and "tui.doctor.checks" in modules
    loaded = loaded_after_import(modules)
    assert not {m for m in loaded if m == "textual" or m.startswith(("textual.", "screens"))}


def test_cli_entry_imports_nothing_heavy() -> None:
    loaded = loaded_after_import(["tui.cli", "screens.main"])
    heavy = {"textual", "httpx", "aiohttp", "docker", "websockets", "rich"}
    assert not heavy & loaded
