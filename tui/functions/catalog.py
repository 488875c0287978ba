"""The function list: apiSpec entries as a tree of folders and modules, and its filter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.convex.models import FunctionSpec

TYPE_LETTER = {"Query": "Q", "Mutation": "M", "Action": "A", "HttpAction": "H"}
TYPE_WORD = {"Query": "query", "Mutation": "mutation", "Action": "action", "HttpAction": "HTTP"}


@dataclass
class ModuleNode:
    """A folder (``dir``) or module (``dir/file``); modules hold functions, folders children."""

    name: str
    path: str
    children: dict[str, ModuleNode] = field(default_factory=dict)
    functions: list[FunctionSpec] = field(default_factory=list)

    def count(self) -> int:
        return len(self.functions) + sum(c.count() for c in self.children.values())

    def sorted_children(self) -> list[ModuleNode]:
        return [self.children[k] for k in sorted(self.children)]


def letter(spec: FunctionSpec) -> str:
    return TYPE_LETTER.get(spec.function_type, "?")


def matches(spec: FunctionSpec, text: str) -> bool:
    """Every word of ``text`` appears in the path, type or visibility (case-insensitive)."""
    hay = f"{spec.path} {TYPE_WORD.get(spec.function_type, '')} {spec.visibility or ''}".lower()
    return all(word in hay for word in text.lower().split())


def build_tree(specs: Iterable[FunctionSpec], text: str = "") -> ModuleNode:
    root = ModuleNode("", "")
    for spec in specs:
        if text and not matches(spec, text):
            continue
        node = root
        parts = spec.module.split("/")
        for i, part in enumerate(parts):
            path = "/".join(parts[: i + 1])
            node = node.children.setdefault(part, ModuleNode(part, path))
        node.functions.append(spec)
    _sort(root)
    return root


def _sort(node: ModuleNode) -> None:
    node.functions.sort(key=lambda s: s.name)
    for child in node.children.values():
        _sort(child)


def find(specs: Iterable[FunctionSpec], path: str) -> FunctionSpec | None:
    """By callable path (``tasks:list``), accepting ``tasks.js:list`` and ``api.tasks.list``."""
    from tui.convex.commands import parse_function_name

    wanted = path if " /" in path or path.count(" ") == 1 else parse_function_name(path)
    for spec in specs:
        if spec.path == wanted or spec.identifier == path:
            return spec
    return None
