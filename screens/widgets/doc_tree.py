"""A Convex document as a JSON tree; id values are links (enter posts `DocTree.IdSelected`).

Small on purpose (the Functions pane's json_tree may replace it): plain `Text` labels, never
markup, every string through the sanitizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.data.cells import CellKind, cell_text, kind_of

# Theme variables per Convex type (Rich styles cannot read TCSS variables themselves).
KIND_VARIABLE: dict[CellKind, str] = {
    "id": "text-accent",
    "number": "text-primary",
    "bigint": "text-primary",
    "boolean": "text-secondary",
    "null": "foreground-darken-3",
    "unset": "foreground-darken-3",
    "bytes": "text-secondary",
    "time": "foreground-darken-3",
}
EXPAND_LIMIT = 50  # children shown per container before "… N more"


def kind_styles(variables: Mapping[str, str]) -> dict[CellKind, Style]:
    out: dict[CellKind, Style] = {}
    for kind, name in KIND_VARIABLE.items():
        value = variables.get(name, "")
        color = value[:7] if value.startswith("#") else None
        out[kind] = Style(color=color, underline=kind == "id")
    return out


def value_text(value: Any, field: str, styles: Mapping[CellKind, Style], limit: int) -> Text:
    text, kind = cell_text(value, field, limit)
    return Text(text, style=styles.get(kind, Style()), no_wrap=True, overflow="ellipsis")


class DocTree(Tree[Any]):
    """Leaves carry their value as node data; an id leaf selected posts `IdSelected`."""

    @dataclass
    class IdSelected(Message):
        doc_id: str

    def __init__(self, doc: Mapping[str, Any], title: str = "document", **kwargs: Any) -> None:
        super().__init__(Text(title), **kwargs)
        self.doc = dict(doc)
        self.guide_depth = 3

    def on_mount(self) -> None:
        self.show_root = True
        styles = kind_styles(self.app.get_css_variables())
        self._fill(self.root, self.doc, styles, "")
        self.root.expand_all()
        self.move_cursor_to_line(1)

    def _fill(
        self, node: TreeNode[Any], value: Any, styles: Mapping[CellKind, Style], top: str
    ) -> None:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, child in items[:EXPAND_LIMIT]:
            field = str(key) if not top and isinstance(value, dict) else ""
            label = Text(str(key), style="bold") + Text(": ")
            if isinstance(child, dict | list) and child:
                branch = node.add(
                    label + Text("{…}" if isinstance(child, dict) else f"[{len(child)}]")
                )
                self._fill(branch, child, styles, field or str(key))
            else:
                node.add_leaf(label + value_text(child, field, styles, 200), data=child)
        if len(items) > EXPAND_LIMIT:
            node.add_leaf(Text(f"… {len(items) - EXPAND_LIMIT} more", style="italic"))

    def on_tree_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        data = event.node.data
        if isinstance(data, str) and kind_of(data) == "id":
            event.stop()
            self.post_message(self.IdSelected(data))

    def selected_value(self) -> Any:
        node = self.cursor_node
        return node.data if node is not None else None
