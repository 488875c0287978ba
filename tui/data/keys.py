"""Keys of the Data pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec


def _k(
    id_: str,
    keys: str,
    action: str,
    label: str,
    help_: str,
    *,
    show: bool = True,
    write: bool = False,
) -> KeySpec:
    return KeySpec(f"data.{id_}", keys, action, label, help_, "data", show=show, write=write)


DATA_KEYS: tuple[KeySpec, ...] = (
    _k(
        "filter",
        "slash",
        "filter",
        "Filter",
        "Filter the table list, or the documents (filter bar).",
    ),
    _k(
        "open",
        "enter",
        "open",
        "Open",
        "Open the table, or the document under the cursor.",
        show=False,
    ),
    _k("order", "o", "toggle_order", "Order", "Newest first / oldest first."),
    _k("start", "g", "jump_start", "Start", "Jump to the first document.", show=False),
    _k("end", "G", "jump_end", "End", "Jump to the last document (one request)."),
    _k("goto", "i", "goto_id", "Go to id", "Open a document by its id (any table)."),
    _k("system", "S", "toggle_system", "System", "Show or hide the system tables.", show=False),
    _k(
        "schema", "v", "schema", "Schema", "Indexes and schema of the table (declared vs inferred)."
    ),
    _k("select", "space", "select", "Select", "Select or unselect the document.", show=False),
    _k("add", "a", "add", "Add", "Add documents (JSON, checked against the schema).", write=True),
    _k("edit", "e", "edit", "Edit", "Edit the document; the diff shows before saving.", write=True),
    _k(
        "edit_external",
        "E",
        "edit_external",
        "$EDITOR",
        "Edit the document in $EDITOR; the diff shows before saving.",
        show=False,
        write=True,
    ),
    _k(
        "patch",
        "f",
        "patch",
        "Patch",
        "Set or unset a field on the selected documents.",
        write=True,
    ),
    _k(
        "delete",
        "d,delete",
        "delete",
        "Delete",
        "Delete the selected documents (asks first).",
        write=True,
    ),
    _k(
        "clear",
        "X",
        "clear_table",
        "Clear table",
        "Delete every document of the table (type its name; cancellable).",
        show=False,
        write=True,
    ),
    _k("export", "x", "export", "Export", "Export the table or the filtered set to JSONL or CSV."),
    _k(
        "live",
        "l",
        "toggle_live",
        "Live",
        "Follow changes on the visible page (on by default).",
        show=False,
    ),
    _k("refresh", "r,f5", "refresh", "Refresh", "Reload tables, schema and the page.", show=False),
    _k("copy", "c", "copy", "Copy", "Copy the document id (OSC 52).", show=False),
)
