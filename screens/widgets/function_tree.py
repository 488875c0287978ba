"""The deployment's functions as a tree by module: type letter, name, internal marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.convex.models import FunctionSpec
from tui.functions.catalog import ModuleNode, build_tree, letter
from tui.safety.text import clean

Node = TreeNode[FunctionSpec | None]


class FunctionTree(Tree[FunctionSpec | None]):
    """Folders and modules are branches (data None); functions are leaves (their spec)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("functions", **kwargs)
        self.show_root = False
        self.guide_depth = 2

    def show(self, specs: Sequence[FunctionSpec], text: str = "") -> int:
        """Rebuild for ``specs`` filtered by ``text``; returns how many functions are shown.
        With a filter, the cursor goes to the first match."""
        root = build_tree(specs, text)
        self.clear()
        self._add_modules(self.root, root)
        self.root.expand_all()
        shown = root.count()
        self.border_subtitle = f"{shown}/{len(specs)}" if text else f"{len(specs)}"
        first = self.first_function()
        if text and first is not None:
            self.cursor_to(first)
        return shown

    def _add_modules(self, node: Node, module: ModuleNode) -> None:
        for child in module.sorted_children():
            branch = node.add(Text(clean(child.name), style="bold"), None)
            self._add_modules(branch, child)
        for spec in module.functions:
            label = Text()
            label.append(letter(spec), style="bold reverse")
            label.append(" " + clean(spec.name))
            if spec.visibility == "internal":
                label.append(" internal", style="dim italic")
            node.add_leaf(label, spec)

    def nodes(self) -> list[Node]:
        """Every node in pre-order (the order of the lines: everything is expanded)."""
        out: list[Node] = []

        def walk(node: Node) -> None:
            for child in node.children:
                out.append(child)
                walk(child)

        walk(self.root)
        return out

    def first_function(self) -> Node | None:
        return next((n for n in self.nodes() if n.data is not None), None)

    def cursor_to(self, node: Node) -> None:
        # A node's line is its pre-order index (root hidden, all expanded); node.line itself is
        # only known after the next render.
        line = self.nodes().index(node)
        self.call_after_refresh(setattr, self, "cursor_line", line)

    def select_spec(self, spec: FunctionSpec) -> None:
        for node in self.nodes():
            if node.data is spec:
                self.cursor_to(node)
                return

    @property
    def highlighted(self) -> FunctionSpec | None:
        node = self.cursor_node
        return node.data if node is not None else None
