"""What changed between two values of a watched query: the paths to highlight."""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]


def changed_paths(old: Any, new: Any, base: Path = ()) -> set[Path]:
    """Paths (into ``new``) whose value differs from ``old``; containers recurse to the leaves.

    An added key or element is itself a changed path; removals mark their parent."""
    if type(old) is not type(new):
        return {base}
    if isinstance(new, dict):
        out: set[Path] = set()
        for key, value in new.items():
            if key not in old:
                out.add((*base, key))
            else:
                out |= changed_paths(old[key], value, (*base, key))
        if any(key not in new for key in old):
            out.add(base)
        return out
    if isinstance(new, list):
        out = set()
        for i, value in enumerate(new):
            if i >= len(old):
                out.add((*base, i))
            else:
                out |= changed_paths(old[i], value, (*base, i))
        if len(old) > len(new):
            out.add(base)
        return out
    return set() if old == new else {base}
