"""Docker layer of the console: typed models, a blocking client, streams and a watcher.

No Textual here. Everything that touches the engine blocks: call it from thread workers.
"""

from __future__ import annotations

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
from tui.docker.watcher import ContainerChanged, Disconnected, ProjectWatcher, Snapshot, WatchUpdate

__all__ = [
    "ADMIN_KEY_VAR",
    "DEFAULT_BASE_URL",
    "ContainerChanged",
    "ContainerEvent",
    "ContainerInfo",
    "ContainerNotFound",
    "ContainerStats",
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
