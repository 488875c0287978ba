"""Docker layer of the console: typed models, the engine API (standard library), a blocking
client (actions through the SDK), streams and a watcher.

No Textual here. Everything that touches the engine blocks: call it from thread workers.
Names are imported from their modules on first use (PEP 562): `convex-tui status` reads the
engine through tui.docker.engine and must not pay for the watcher, the SDK client or the admin
key file writer (tempfile, shutil) that `from tui.docker import …` would load (issue 19).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.docker.admin_key import ADMIN_KEY_VAR, EnvWriteResult, write_admin_key_to_env_file
    from tui.docker.client import DEFAULT_BASE_URL, DockerService, resolve_base_url
    from tui.docker.errors import (
        ContainerNotFound,
        DockerError,
        DockerOperationFailed,
        DockerPermissionDenied,
        DockerUnavailable,
    )
    from tui.docker.models import (
        ContainerEvent,
        ContainerInfo,
        ContainerStats,
        EngineInfo,
        LogLine,
        PortBinding,
        Selector,
    )
    from tui.docker.streams import DockerStream
    from tui.docker.watcher import (
        ContainerChanged,
        Disconnected,
        ProjectWatcher,
        Snapshot,
        WatchUpdate,
    )

_WHERE = {
    "ADMIN_KEY_VAR": "admin_key",
    "EnvWriteResult": "admin_key",
    "write_admin_key_to_env_file": "admin_key",
    "DEFAULT_BASE_URL": "engine",
    "resolve_base_url": "engine",
    "DockerService": "client",
    "ContainerNotFound": "errors",
    "DockerError": "errors",
    "DockerOperationFailed": "errors",
    "DockerPermissionDenied": "errors",
    "DockerUnavailable": "errors",
    "ContainerEvent": "models",
    "ContainerInfo": "models",
    "ContainerStats": "models",
    "EngineInfo": "models",
    "LogLine": "models",
    "PortBinding": "models",
    "Selector": "models",
    "DockerStream": "streams",
    "ContainerChanged": "watcher",
    "Disconnected": "watcher",
    "ProjectWatcher": "watcher",
    "Snapshot": "watcher",
    "WatchUpdate": "watcher",
}
__all__ = [
    "ADMIN_KEY_VAR",
    "ContainerChanged",
    "ContainerEvent",
    "ContainerInfo",
    "ContainerNotFound",
    "ContainerStats",
    "DEFAULT_BASE_URL",
    "Disconnected",
    "DockerError",
    "DockerOperationFailed",
    "DockerPermissionDenied",
    "DockerService",
    "DockerStream",
    "DockerUnavailable",
    "EngineInfo",
    "EnvWriteResult",
    "LogLine",
    "PortBinding",
    "ProjectWatcher",
    "Selector",
    "Snapshot",
    "WatchUpdate",
    "resolve_base_url",
    "write_admin_key_to_env_file",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tui.docker' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tui.docker.{module}"), name)
