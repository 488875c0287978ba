"""The Data pane's writes: add, edit (TextArea or $EDITOR, diff first), patch, delete, clear, and
export (a read, but long: same progress bar).

Every write: refused up front in read-only (`host.guard_write`, nothing sent), confirmed with
the exact change shown, then sent through `ConvexClient` (whose guard checks again), and the
view re-read from the server afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message
from textual.widgets import ProgressBar

from screens.confirm import ConfirmScreen
from screens.external_editor import edit_externally
from screens.pane import PaneScreen
from screens.widgets.data_dialogs import PromptDialog, TextDialog
from tui.convex.errors import ConvexClientError
from tui.convex.models import ClearProgress
from tui.data import source
from tui.data.cells import columns
from tui.data.edits import (
    ClearCancelled,
    EditError,
    clear_table,
    diff,
    edit_text,
    parse_document,
    parse_documents,
    parse_patch,
    validate,
)
from tui.data.export import ExportProgress, Format, default_path, write_export
from tui.data.window import iter_pages
from tui.safety.guard import WriteRefused
from tui.safety.text import clean_line

if TYPE_CHECKING:
    from tui.data.filters import FilterExpr
    from tui.data.source import TableMeta
    from tui.data.window import PageWindow

EXPORT_PAGE = 1000


@dataclass
class Progress(Message):
    done: int
    total: int | None
    finished: bool = False


@dataclass
class WriteDone(Message):
    note: str


class DataEdits(PaneScreen):
    if TYPE_CHECKING:
        table: str | None
        meta: TableMeta | None
        count: int | None
        expr: FilterExpr
        window: PageWindow | None
        selected: set[str]

        @property
        def client(self) -> Any: ...

        def cursor_doc(self) -> dict[str, Any] | None: ...

        def refresh_tables(self) -> None: ...

    _cancel_clear = False
    _clearing = False

    # ------------------------------------------------------------ helpers

    def _user_table(self, what: str) -> str | None:
        table = self.table
        if table is None or self.client is None:
            return None
        if source.is_system(table):
            self.notify(f"System tables are read-only here: {what} refused.", markup=False)
            return None
        return table if self.host.guard_write(what) else None

    def _confirm(
        self, title: str, detail: str, then: Callable[[], None], *, typed: str | None = None
    ) -> None:
        guard = self.host.context.guard
        if typed is None and guard.needs_typed_confirmation:
            typed = self.host.context.settings.profile

        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmScreen(title, detail, typed=typed, danger=True), answered)

    def _send(self, what: str, write: Callable[[], Awaitable[Any]]) -> None:
        self._run_write(what, write)

    @work(group="edit", exit_on_error=False, description="write")
    async def _run_write(self, what: str, write: Callable[[], Awaitable[Any]]) -> None:
        try:
            await write()
        except WriteRefused as exc:
            self.notify(f"Refused: {exc.reason}", severity="warning", markup=False)
            return
        except (ConvexClientError, EditError) as exc:
            message = getattr(exc, "message", str(exc))
            self.notify(f"{what} failed: {clean_line(message)}", severity="error", markup=False)
        await self._after_write()
        self.post_message(WriteDone(what))

    async def _after_write(self) -> None:
        """The view reflects the server: re-read the window's pages and the counts."""
        if self.window is not None:
            await self.window.reload()
        if self.table is not None:
            self.count = await source.count(self.client, self.table)

    @on(WriteDone)
    def _write_done(self, message: WriteDone) -> None:
        self.notify(f"Done: {message.note}", markup=False)
        self._after_write_render()

    def _after_write_render(self) -> None:
        """Redraw from the re-read window (the pane overrides this)."""

    def _targets(self) -> list[str]:
        if self.selected:
            return sorted(self.selected)
        doc = self.cursor_doc()
        return [str(doc["_id"])] if doc else []

    # ------------------------------------------------------------ add

    def action_add(self) -> None:
        table = self._user_table("add documents")
        if table is None:
            return
        meta = self.meta
        fields = [f for f in (meta.declared if meta else ()) if not f.startswith("_")]
        template = (
            "{\n" + ",\n".join(f'  "{f}": null' for f in fields) + "\n}\n" if fields else "{}\n"
        )
        doc_type = meta.document_type if meta else None

        check = schema_check(parse_documents, doc_type)

        def typed(text: str | None) -> None:
            if text is None:
                return
            docs = parse_documents(text)
            self._confirm(
                f"Add {len(docs)} document(s) to {table}?",
                "\n".join(clean_line(edit_text(d).replace("\n", " "), 100) for d in docs[:5]),
                lambda: self._send(
                    f"add {len(docs)} to {table}", lambda: self.client.add_documents(table, docs)
                ),
            )

        hint = "JSON object or array of objects · checked against the schema · ctrl+s save · esc cancel"
        self.app.push_screen(TextDialog(f"Add documents to {table}", template, check, hint), typed)

    # ------------------------------------------------------------ edit

    def action_edit(self) -> None:
        doc = self.cursor_doc()
        if doc is not None:
            self.edit_document(doc)

    def edit_document(self, doc: dict[str, Any], *, external: bool = False) -> None:
        table = self._user_table("edit a document")
        if table is None:
            return
        doc_type = self.meta.document_type if self.meta else None

        check = schema_check(lambda text: [parse_document(text)], doc_type)

        def edited(text: str | None) -> None:
            if text is None:
                return
            problem = check(text)
            if problem:
                self.notify(problem, severity="error", markup=False)
                return
            new = parse_document(text)
            changes = diff(doc, new)
            if not changes:
                self.notify("No change.", markup=False)
                return
            doc_id = str(doc["_id"])
            self._confirm(
                f"Save {len(changes)} change(s) to {doc_id}?",
                "\n".join(clean_line(c.text()) for c in changes),
                lambda: self._send(
                    f"edit {doc_id}", lambda: self.client.replace_document(doc_id, new)
                ),
            )

        if external:
            edited(self._external_editor(edit_text(doc)))
        else:
            self.app.push_screen(TextDialog(f"Edit {doc['_id']}", edit_text(doc), check), edited)

    def action_edit_external(self) -> None:
        doc = self.cursor_doc()
        if doc is not None:
            self.edit_document(doc, external=True)

    def _external_editor(self, text: str) -> str | None:
        return edit_externally(self.app, text, suffix=".json", here="e edits here")

    # ------------------------------------------------------------ patch / delete

    def action_patch(self) -> None:
        table = self._user_table("patch documents")
        if table is None:
            return
        ids = self._targets()
        if not ids:
            return

        def check(text: str) -> str | None:
            try:
                parse_patch(text)
            except EditError as exc:
                return str(exc)
            return None

        def typed(text: str | None) -> None:
            if not text:
                return
            field, value = parse_patch(text)
            self._confirm(
                f"Set a field on {len(ids)} document(s) of {table}?",
                clean_line(text.strip()),
                lambda: self._send(
                    f"patch {len(ids)} in {table}",
                    lambda: self.client.patch_fields(table, ids, {field: value}),
                ),
            )

        self.app.push_screen(
            PromptDialog(
                f"Patch {len(ids)} document(s)",
                placeholder="field = value   (JSON5; unset removes the field)",
                check=check,
            ),
            typed,
        )

    def action_delete(self) -> None:
        self.delete_documents(self._targets())

    def delete_documents(self, ids: list[str]) -> None:
        table = self._user_table("delete documents")
        if table is None or not ids:
            return

        async def delete() -> None:
            await self.client.delete_documents(ids)
            self.selected.difference_update(ids)

        shown = "\n".join(ids[:8]) + (f"\n… and {len(ids) - 8} more" if len(ids) > 8 else "")
        self._confirm(
            f"Delete {len(ids)} document(s) from {table}?",
            shown,
            lambda: self._send(f"delete {len(ids)}", delete),
        )

    # ------------------------------------------------------------ clear

    def action_clear_table(self) -> None:
        if self._clearing:
            self._cancel_clear = True
            return
        table = self._user_table("clear the table")
        if table is None:
            return
        detail = (
            f"Deletes all {self.count or 0:,} documents, 4000 at a time. esc cancels between pages."
        )
        self._confirm(f"Clear table {table}?", detail, lambda: self._clear(table), typed=table)

    def _clear(self, table: str) -> None:
        self._clearing, self._cancel_clear = True, False
        self._progress(0, self.count)

        async def run() -> None:
            def progress(p: ClearProgress) -> None:
                self.post_message(Progress(p.deleted, self.count, not p.has_more))

            try:
                await clear_table(self.client, table, progress, lambda: self._cancel_clear)
            except ClearCancelled as exc:
                self.notify(
                    f"Clear cancelled after {exc.deleted:,} documents.",
                    severity="warning",
                    markup=False,
                )
            finally:
                self._clearing = False
                self.post_message(Progress(0, None, True))

        self._send(f"clear {table}", run)

    def cancel_clear(self) -> bool:
        if self._clearing:
            self._cancel_clear = True
            return True
        return False

    # ------------------------------------------------------------ export

    def action_export(self) -> None:
        table = self.table
        if table is None or self.client is None:
            return
        suggestion = str(default_path(table, "jsonl"))

        def chosen(text: str | None) -> None:
            if text:
                self._export(table, Path(text.strip()).expanduser())

        self.app.push_screen(
            PromptDialog(
                "Export to (.jsonl or .csv)" + (" — the filtered set" if self.expr.active else ""),
                suggestion,
                hint="JSONL keeps exact Convex values; CSV: strings as text, other values as JSON",
            ),
            chosen,
        )

    @work(group="export", exclusive=True, exit_on_error=False, description="export")
    async def _export(self, table: str, path: Path) -> None:
        fmt: Format = "csv" if path.suffix.lower() == ".csv" else "jsonl"
        expr, meta, client = self.expr, self.meta, self.client
        total = self.count if not expr.active else None
        self._progress(0, total)

        async def fetch(cursor: str | None) -> Any:
            return await source.fetch_page(client, table, cursor, expr, EXPORT_PAGE)

        def cols(docs: Any) -> list[str]:
            return columns(meta.declared if meta else (), meta.inferred if meta else (), docs)

        def progress(p: ExportProgress) -> None:
            self.post_message(Progress(p.written, p.total, p.done))

        with path.open("w", encoding="utf-8", newline="") as out:
            written = await write_export(
                iter_pages(fetch), out, fmt, cols, total=total, on_progress=progress
            )
        self.notify(f"Exported {written:,} documents to {path}", markup=False)

    def _progress(self, done: int, total: int | None) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=total, progress=done)

    @on(Progress)
    def _progressed(self, message: Progress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        if message.finished:
            bar.add_class("-hidden")
            return
        bar.update(total=message.total, progress=message.done)


def schema_check(
    parse: Callable[[str], list[dict[str, Any]]], document_type: Any
) -> Callable[[str], str | None]:
    """The editor's check: the text parses and every document matches the table's schema."""

    def check(text: str) -> str | None:
        try:
            validate(parse(text), document_type)
        except EditError as exc:
            return str(exc)
        return None

    return check
