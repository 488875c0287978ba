"""Domain messages posted by the status pane's workers (facts, handled by one screen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.message import Message

from tui.config.secret import Secret
from tui.docker.models import ContainerStats
from tui.docker.watcher import WatchUpdate
from tui.status.probes import ServiceProbes


@dataclass
class ProbesFinished(Message):
    probes: ServiceProbes


@dataclass
class DockerUpdated(Message):
    update: WatchUpdate


@dataclass
class StatsReceived(Message):
    stats: ContainerStats

    def can_replace(self, message: Message) -> bool:
        # A newer sample for the same container supersedes a queued older one.
        return isinstance(message, StatsReceived) and (
            message.stats.container_id == self.stats.container_id
        )


@dataclass
class ContainerActionFinished(Message):
    action: str
    container: str
    error: str | None


@dataclass
class AdminKeyGenerated(Message):
    container: str
    key: Secret


@dataclass
class DocumentTotal(Message):
    """A new live total of documents (sync-socket subscription); None when unavailable."""

    bubble: ClassVar[bool] = False  # the status pane's own business
    total: int | None
