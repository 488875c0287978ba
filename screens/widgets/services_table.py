"""The Status pane's services table: verdicts first, then the URLs elided to the width left.

At 120 columns every verdict (state, latency, admin key, detail) is visible without scrolling;
the URLs take what is left, cut in the middle (both ends of a URL say the most), and the
external (e.g. Coder) URL shows only where it differs from the local one.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from screens.widgets.cells import cell, tone_colors
from tui.config import Settings
from tui.status.probes import ServiceProbes
from tui.status.status_view import Cell, ServiceRow, elide_middle, service_rows

COLUMNS = ("service", "state", "latency", "admin key", "detail", "url", "external url")
WHOLE = 4  # service, state, latency, admin key: never cut
CHROME = 2 + 2 * len(COLUMNS)  # the border, and the padding of each cell (and one spare)


def _text(value: Cell | str) -> str:
    return value if isinstance(value, str) else value[0]


def _shown_url(url: str) -> str:
    """Without the scheme (the header shows URLs so too); `c` copies the whole URL."""
    return url.removeprefix("http://").removeprefix("https://")


def _cut(value: Cell, width: int) -> Cell:
    text, tone = value
    return (text if len(text) <= width else text[: max(width - 1, 0)] + "…", tone)


class ServicesTable(DataTable[Text]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._last: tuple[Settings, ServiceProbes | None, Callable[..., bool] | None] | None = None

    def show(
        self,
        settings: Settings,
        probes: ServiceProbes | None,
        matches: Callable[..., bool] | None = None,
    ) -> None:
        """Redraw the three rows; ``matches(name, url, external)`` filters them."""
        self._last = (settings, probes, matches)
        colors = tone_colors(self.app.get_css_variables())
        keep = self.cursor_row
        self.clear(columns=True)  # the columns' widths follow the new cells (and a resize)
        rows = service_rows(settings, probes)
        detail_width, local_width, external_width = self.widths(rows)
        labels = COLUMNS if external_width else COLUMNS[:-1]
        shown: list[tuple[str, list[Text]]] = []
        for row in rows:
            url, other = _shown_url(row.local_url), _shown_url(row.external_url or "")
            if matches is not None and not matches(row.name, row.local_url, other):
                continue
            cells = [
                cell(row.name, colors),
                cell(row.state, colors),
                cell(row.latency, colors),
                cell(row.admin_key, colors),
                cell(_cut(row.detail, detail_width), colors),
                cell(elide_middle(url, local_width), colors),
            ]
            if external_width:
                cells.append(cell(elide_middle(other, external_width), colors))
            shown.append((row.key, cells))
        # Each column as wide as its widest cell, given here rather than measured by the
        # DataTable on its next idle: a frame drawn before that idle (the first probe's answer
        # can arrive with the first frame) would keep the label-wide columns in its caches.
        for i, label in enumerate(labels):
            width = max([cell_len(label), *(c[i].cell_len for _, c in shown)])
            self.add_column(Text(label), key=label, width=width)  # a Text: no markup parse
        for key, cells in shown:
            self.add_row(*cells, key=key)
        if self.row_count:
            self.move_cursor(row=min(keep, self.row_count - 1), animate=False)

    def widths(self, rows: list[ServiceRow]) -> tuple[int, int, int]:
        """Widths for detail, URL and external URL (0: no room, or nothing differs) from what
        the always-whole verdicts leave."""
        cells = [(r.name, r.state, r.latency, r.admin_key) for r in rows]
        whole = sum(max(len(COLUMNS[i]), *(len(_text(c[i])) for c in cells)) for i in range(WHOLE))
        width = self.size.width or self.app.size.width
        avail = width - CHROME - whole
        local_need = max(len(_shown_url(r.local_url)) for r in rows)
        external_need = max(len(_shown_url(r.external_url or "")) for r in rows)
        detail_need = max(len(_text(r.detail)) for r in rows)
        # The detail is a verdict too: whole when the local URL keeps 16 columns.
        detail = min(detail_need, max(avail - min(local_need, 16), 12))
        left = max(avail - detail, 12)
        local = min(local_need, left)
        external = min(external_need, left - local - 2)  # 2: the extra column's padding
        return detail, local, external if external >= 16 else 0

    def on_resize(self, event: events.Resize) -> None:
        if self._last is not None:
            self.show(*self._last)
