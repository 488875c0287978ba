"""`convex-tui doctor`: run the checks and print them for a person or as JSON."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TextIO

from tui.config.model import Settings
from tui.doctor.checks import Check, DockerLister, Status, run_checks
from tui.safety.text import safe_stream, show_url

SYMBOL = {"ok": "✔", "warn": "!", "fail": "✘"}


def default_docker_lister(settings: Settings) -> tuple[Status, str, list[str]]:
    from tui.doctor.docker_check import list_compose_containers

    return list_compose_containers(settings)


def render_text(checks: list[Check], out: TextIO) -> None:
    for check in checks:
        out.write(f"{SYMBOL[check.status]} {check.title}: {check.message}\n")
        if check.fix and check.status != "ok":
            out.write(f"    fix: {check.fix}\n")
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    out.write(
        f"\n{len(checks)} checks: {fails} failed, {warns} warning{'' if warns == 1 else 's'}\n"
    )


def report_json(settings: Settings, checks: list[Check]) -> dict[str, object]:
    return {
        "ok": not any(c.status == "fail" for c in checks),
        "profile": settings.profile,
        "url": show_url(settings.url, settings.admin_key),
        "admin_key": settings.key_fingerprint,
        "project_dir": str(settings.project_dir),
        "checks": [asdict(c) for c in checks],
    }


def main(
    settings: Settings,
    *,
    as_json: bool,
    docker_lister: DockerLister | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    checks = run_checks(settings, docker_lister or default_docker_lister)
    if as_json:
        json.dump(report_json(settings, checks), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:  # values from env files and a backend's /version may hold escapes
        render_text(checks, safe_stream(out, settings.admin_key))
    return 1 if any(c.status == "fail" for c in checks) else 0
