"""The sandbox's function registry: demo app plus the system functions."""

from __future__ import annotations

from tui.sandbox.registry import Registry


def build_registry(demo: bool = True) -> Registry:
    """The system functions, plus the demo app unless a pushed app replaces it."""
    from tui.sandbox import audit, scheduler, system_cli, system_frontend, system_modules
    from tui.sandbox.functions import demo_misc, demo_schema, demo_tasks

    reg = Registry()
    if demo:
        demo_schema.register(reg)
        demo_tasks.register(reg)
        demo_misc.register(reg)
    system_cli.register(reg)
    system_frontend.register(reg)
    system_modules.register(reg)
    scheduler.register(reg)
    audit.register(reg)
    return reg
