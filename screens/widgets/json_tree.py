"""A collapsible tree of one Convex value, with Convex types marked and changes highlighted.

Shared by the Functions pane (results, watches) and the Data pane (documents). Values are the
Python Convex values of `tui.convex.values` (``Int64``, ``bytes``, ``float``…). Text from the
deployment is rendered as plain `Text` (sanitized), never markup. Selecting a document id posts
`JsonTree.IdSelected` so the pane can open it (in the Data pane).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.convex.ids import is_id
from tui.convex.values import Int64
from tui.safety.text import clean

JsonPath = tuple[str | int, ...]
MAX_CHILDREN = 500  # per container: a "… N more" leaf beyond
MAX_STRING = 300
EXPAND_ALL_BELOW = 60  # nodes: small values open fully, larger ones two levels deep


_STYLE_NAMES = ("key", "string", "number", "special", "id", "muted", "changed")


@dataclass(frozen=True)
class JsonNode:
    path: JsonPath
    value: Any


def kind_of(value: Any) -> str:
    """The Convex type shown beside a value: string, id, float64, int64, bytes, …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, str):
        return "id" if is_id(value) else "string"
    if isinstance(value, list):
        return "array"
    return "object"


def scalar_text(value: Any) -> str:
    kind = kind_of(value)
    if kind == "null":
        return "null"
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "int64":
        return f"{int(value)}n"
    if kind == "float64":
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(value)
    if kind == "bytes":
        b64 = base64.b64encode(value).decode("ascii")
        return f"{len(value)} bytes {b64[:40]}{'…' if len(b64) > 40 else ''}"
    text = clean(json.dumps(value, ensure_ascii=False))
    return text if len(text) <= MAX_STRING else text[:MAX_STRING] + "…"


def _count(value: Any, limit: int) -> int:
    if isinstance(value, dict):
        items: Collection[Any] = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return 1
    total = 1
    for item in items:
        total += _count(item, limit - total)
        if total > limit:
            break
    return total


class JsonTree(Tree[JsonNode]):
    """``tree.show(value, changed=paths)``; enter on an id posts `IdSelected`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "json-tree--key",
        "json-tree--string",
        "json-tree--number",
        "json-tree--special",
        "json-tree--id",
        "json-tree--muted",
        "json-tree--changed",
    }
    DEFAULT_CSS = """
    JsonTree { background: $surface; }
    JsonTree > .json-tree--key { color: $text-primary; }
    JsonTree > .json-tree--string { color: $text-success; }
    JsonTree > .json-tree--number { color: $text-accent; }
    JsonTree > .json-tree--special { color: $text-warning; text-style: bold; }
    JsonTree > .json-tree--id { color: $text-secondary; text-style: underline; }
    JsonTree > .json-tree--muted { color: $text-muted; }
    JsonTree > .json-tree--changed { background: $warning 30%; }
    """

    @dataclass
    class IdSelected(Message):
        tree: JsonTree
        doc_id: str

    def __init__(self, label: str = "result", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self.value: Any = None
        self.changed: frozenset[JsonPath] = frozenset()
        self._styles: dict[str, Style] = {}
        self._first_change: TreeNode[JsonNode] | None = None

    def on_mount(self) -> None:
        # Labels carry resolved colours: rebuild them when the theme changes.
        # (after the refresh: the new theme's CSS is applied by then).
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self, _theme: str) -> None:
        self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        if self._styles:
            self.show(self.value, self.changed)

    def _style(self, name: str) -> Style:
        try:
            return self.get_component_rich_style(f"json-tree--{name}", partial=True)
        except Exception:  # noqa: BLE001 - styles not ready (unmounted): plain text
            return Style()

    def show(self, value: Any, changed: Collection[JsonPath] = ()) -> None:
        # Resolved once per value: a component style lookup costs more than building a label.
        self._styles = {name: self._style(name) for name in _STYLE_NAMES}
        self.value = value
        self.changed = frozenset(changed)
        self.clear()
        self._first_change = None
        self.root.data = JsonNode((), value)
        expand_all = _count(value, EXPAND_ALL_BELOW) <= EXPAND_ALL_BELOW
        if isinstance(value, dict | list):
            self._fill(self.root, value, (), expand_all)
        else:
            self.root.add_leaf(self._label(None, value, ()), JsonNode((), value))
        self.root.expand()
        if self._first_change is not None:  # bring what changed into view
            self.call_after_refresh(self._reveal, self._first_change)

    def _reveal(self, node: TreeNode[JsonNode]) -> None:
        if node.tree is self and node.line >= 0:
            self.scroll_to_node(node, animate=False)

    def _fill(self, node: TreeNode[JsonNode], value: Any, path: JsonPath, expand_all: bool) -> None:
        items: list[tuple[str | int, Any]] = (
            list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        )
        for key, item in items[:MAX_CHILDREN]:
            child_path = (*path, key)
            label = self._label(key, item, child_path)
            if isinstance(item, dict | list) and item:
                child = node.add(label, JsonNode(child_path, item))
                self._fill(child, item, child_path, expand_all)
                if expand_all or len(child_path) < 2 or self._has_change(child_path):
                    child.expand()
            else:
                child = node.add_leaf(label, JsonNode(child_path, item))
            if self._first_change is None and child_path in self.changed:
                self._first_change = child
        if len(items) > MAX_CHILDREN:
            more = Text(f"… {len(items) - MAX_CHILDREN} more", self._styles["muted"])
            node.add_leaf(more, JsonNode((*path, "…"), None))

    def _has_change(self, path: JsonPath) -> bool:
        n = len(path)
        return any(c[:n] == path for c in self.changed)

    def _label(self, key: str | int | None, value: Any, path: JsonPath) -> Text:
        text = Text()
        if key is not None:
            shown = f"[{key}]" if isinstance(key, int) else clean(str(key))
            text.append(shown, self._styles["key"])
            text.append(": ")
        kind = kind_of(value)
        if kind == "object":
            text.append(f"{{…}} {len(value)} field{'s' * (len(value) != 1)}", self._styles["muted"])
        elif kind == "array":
            text.append(f"[…] {len(value)} item{'s' * (len(value) != 1)}", self._styles["muted"])
        else:
            style = {
                "string": "string",
                "id": "id",
                "float64": "number",
                "int64": "special",
                "bytes": "special",
            }.get(kind, "muted")
            text.append(scalar_text(value), self._styles[style])
            if kind in ("id", "int64", "bytes"):
                text.append(f"  {kind}", self._styles["muted"])
        if path in self.changed:
            text.stylize(self._styles["changed"])
        return text

    def on_tree_node_selected(self, event: Tree.NodeSelected[JsonNode]) -> None:
        data = event.node.data
        if data is not None and isinstance(data.value, str) and is_id(data.value):
            event.stop()
            self.post_message(self.IdSelected(self, data.value))
