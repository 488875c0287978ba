"""The sandbox's function registry: demo app plus the system functions."""

from __future__ import annotations

from tui.sandbox.registry import Registry


def build_registry() -> Registry:
    from tui.sandbox import audit, scheduler, system_cli, system_frontend
    from tui.sandbox.functions import demo_misc, demo_schema, demo_tasks

    reg = Registry()
    demo_schema.register(reg)
    demo_tasks.register(reg)
    demo_misc.register(reg)
    system_cli.register(reg)
    system_frontend.register(reg)
    scheduler.register(reg)
    audit.register(reg)
    return reg
