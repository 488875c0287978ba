"""The status pane's actions on the selected container: start/stop/restart, logs, copy, and
"generate admin key". Each write asks first and refuses in read-only mode."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.widgets import DataTable

from screens.confirm import ConfirmScreen
from screens.messages import AdminKeyGenerated, ContainerActionFinished
from screens.pane import PaneScreen
from tui.config.secret import Secret
from tui.docker.models import ContainerInfo
from tui.safety.guard import WriteKind, WriteRefused
from tui.status.status_view import service_rows

if TYPE_CHECKING:
    from tui.status.probes import ServiceProbes

ENV_FILE = ".env.convex.local"
ACTION_SLOW_SECONDS = 5.0


class ContainerActions(PaneScreen):
    """Base of StatusScreen: the actions, apart from the live view (keeps each file small)."""

    _containers: dict[str, ContainerInfo]
    _probes: ServiceProbes | None

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id)
        self._ops_running: set[str] = set()  # container ids with an action under way

    def _selected_container(self) -> ContainerInfo | None:
        raise NotImplementedError

    def _need_container(self) -> ContainerInfo | None:
        info = self._selected_container()
        if info is None:
            self.notify("Select a container first.", severity="warning", markup=False)
        return info

    def action_container(self, op: str) -> None:
        info = self._need_container()
        if info is None or self.host.context.docker is None:
            return
        name = info.name
        if not self.host.guard_write(f"{op} container {name}"):
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._container_op(op, info.id, name)

        self.app.push_screen(
            ConfirmScreen(
                f"{op.capitalize()} container {name}?",
                f"Same as: docker {op} {name}",
                danger=op != "start",
            ),
            confirmed,
        )

    def _container_op(self, op: str, cid: str, name: str) -> None:
        """On a fresh thread (never asyncio's default executor, which streams could fill): the
        action starts at once. If Docker is slow to answer, the user is told it is waiting."""
        from tui.docker.streams import run_action

        backend = self.host.context.docker
        assert backend is not None
        busy = self._ops_running
        if cid in busy:
            self.notify(f"{name}: an action is still running; wait for it.", severity="warning")
            return
        busy.add(cid)
        self.notify(f"{op} {name}…", timeout=3)
        slow = self.set_timer(
            ACTION_SLOW_SECONDS,
            lambda: self.notify(f"{op} {name}: still waiting for Docker…", severity="warning"),
        )

        def done(exc: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the app may have quit meanwhile
                self.app.call_from_thread(finished, exc)

        def finished(exc: BaseException | None) -> None:
            slow.stop()
            busy.discard(cid)
            if isinstance(exc, WriteRefused):  # the guard may lock between ask and send
                self.notify(str(exc), title="read-only", severity="warning", markup=False)
                return
            self.post_message(ContainerActionFinished(op, name, None if exc is None else str(exc)))

        run_action(f"{op} {name}", lambda: getattr(backend, op)(cid), done)

    @on(ContainerActionFinished)
    def _action_finished(self, message: ContainerActionFinished) -> None:
        if message.error:
            self.notify(
                message.error, title=f"{message.action} failed", severity="error", markup=False
            )
        else:
            self.notify(f"{message.action}: {message.container} done", markup=False)

    def action_container_logs(self) -> None:
        info = self._need_container()
        if info is not None:
            self.host.show_logs(info.name)

    def action_copy(self) -> None:
        focused = self.focused
        if focused is not None and focused.id == "services":
            table = self.query_one("#services", DataTable)
            if not table.row_count:
                return
            key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
            row = next(
                r for r in service_rows(self.host.context.settings, self._probes) if r.key == key
            )
            text = row.external_url or row.local_url
        else:
            info = self._need_container()
            if info is None:
                return
            text = info.id
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {text[:64]}", timeout=3, markup=False)

    def action_generate_admin_key(self) -> None:
        if not self.host.guard_write("generate admin key"):
            return
        if self.host.context.docker is None:
            self.notify("Docker is not available.", severity="error", markup=False)
            return
        info = self._selected_container()
        if info is None or info.service != "backend":
            info = next(
                (c for c in self._containers.values() if c.service == "backend" and c.running),
                None,
            )
        if info is None:
            self.notify(
                "No running backend container to generate a key in.",
                severity="warning",
                markup=False,
            )
            return
        target = info

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._generate_key(target.id, target.name)

        self.app.push_screen(
            ConfirmScreen(
                f"Generate a new admin key in {target.name}?",
                f"Runs generate_admin_key.sh inside the container "
                f"(docker exec {target.name} ./generate_admin_key.sh).",
            ),
            confirmed,
        )

    @work(
        thread=True,
        group="admin-key",
        exclusive=True,
        exit_on_error=False,
        description="generate admin key",
    )
    def _generate_key(self, cid: str, name: str) -> None:
        backend = self.host.context.docker
        assert backend is not None
        key = backend.exec_generate_admin_key(cid)  # DockerError → StateChanged handler
        self.post_message(AdminKeyGenerated(name, key))

    @work(
        thread=True,
        group="admin-key-save",
        exclusive=True,
        exit_on_error=False,
        description="save admin key",
    )
    def _save_key(self, path: Path, key: Secret) -> None:
        # File I/O (with fsync) off the UI thread; notify is thread-safe.
        from tui.docker.admin_key import write_admin_key_to_env_file

        try:
            result = write_admin_key_to_env_file(path, key)
        except (OSError, ValueError) as exc:
            self.app.call_from_thread(
                self.notify, f"Could not write {path}: {exc}", severity="error", markup=False
            )
            return
        backup = f"; backup {result.backup.name}" if result.backup else ""
        self.app.call_from_thread(
            self.notify,
            f"Saved key {key.fingerprint} to {path} (mode 600{backup}); now in use",
            markup=False,
        )
        self.app.call_from_thread(self.host.use_admin_key, key, path)

    @on(AdminKeyGenerated)
    def _key_generated(self, message: AdminKeyGenerated) -> None:
        key = message.key
        path = Path(self.host.context.settings.project_dir) / ENV_FILE

        def confirmed(ok: bool | None) -> None:
            if not ok:
                self.notify(f"Key {key.fingerprint} not saved.", markup=False)
                return
            if self.host.guard_write("write admin key", WriteKind.ENV_CHANGE):
                self._save_key(path, key)

        self.app.push_screen(
            ConfirmScreen(
                f"New admin key {key.fingerprint} generated in {message.container}.",
                f"Write it to {path} as CONVEX_SELF_HOSTED_ADMIN_KEY? "
                "The old file is kept as a .bak-<time> copy; the file gets mode 600.",
            ),
            confirmed,
        )
