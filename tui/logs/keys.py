"""Keys of the Logs pane (ids are stable: users remap them in the settings file)."""

from __future__ import annotations

from tui.keys_model import KeySpec


def _k(id_: str, keys: str, action: str, desc: str, help_: str, show: bool = True) -> KeySpec:
    return KeySpec(id_, keys, action, desc, help_, "logs", show=show)


LOGS_KEYS: tuple[KeySpec, ...] = (
    _k("logs.filter", "slash", "filter", "Filter", "Filter rows: text or regex; ! inverts."),
    _k("logs.next", "n", "match(1)", "Next", "Go to the next match (with the count)."),
    _k("logs.prev", "N", "match(-1)", "Prev", "Go to the previous match.", show=False),
    _k("logs.follow", "G,end", "follow", "Follow", "Follow the tail again (G or End)."),
    _k("logs.pause", "space", "toggle_follow", "Pause", "Pause or resume following.", False),
    _k("logs.detail", "enter", "detail", "Detail", "Open the execution: lines, usage, call tree."),
    _k(
        "logs.facets",
        "f",
        "facets",
        "Facets",
        "Facets: success/failure, level, function, source, request id.",
    ),
    _k("logs.request", "r", "same_request", "Request", "Show only the selected row's request."),
    _k(
        "logs.containers",
        "o",
        "containers",
        "Containers",
        "Choose the containers to follow (default: all of them).",
    ),
    _k("logs.export", "e", "export", "Export", "Export the view (or everything) to .log/.jsonl."),
    _k("logs.time", "t", "toggle_time", "Time", "Show or hide time stamps.", show=False),
    _k("logs.wrap", "w", "toggle_wrap", "Wrap", "Wrap long lines.", show=False),
    _k("logs.clear", "ctrl+l", "clear", "Clear", "Clear the view (counters stay).", show=False),
    _k(
        "logs.highlight",
        "h",
        "toggle_narrow",
        "Highlight only",
        "Keep every row and only highlight matches (n/N step through them).",
        show=False,
    ),
)
