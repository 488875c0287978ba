"""History and identity files, copy-as command lines, watch diffs and the function tree."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.convex.models import FunctionSpec
from tui.functions.catalog import build_tree, find, letter
from tui.functions.diff import changed_paths
from tui.functions.store import (
    History,
    HistoryEntry,
    IdentityStore,
    build_identity,
    deployment_slug,
)


def entry(**kw: Any) -> HistoryEntry:
    base: dict[str, Any] = {
        "function": "tasks:create",
        "args": {"title": 'it\'s "quoted"'},
        "identity": None,
        "outcome": "ok",
        "duration_ms": 12.5,
        "at": 1_700_000_000.0,
    }
    return HistoryEntry(**{**base, **kw})


def test_history_is_per_deployment_and_survives(tmp_path: Path) -> None:
    a, b = History("http://127.0.0.1:3210", tmp_path), History("http://127.0.0.1:3299", tmp_path)
    a.append(entry())
    a.append(entry(outcome="error", summary="boom"))
    assert [e.outcome for e in History("http://127.0.0.1:3210", tmp_path).load()] == ["ok", "error"]
    assert b.load() == []
    a.path.write_text(a.path.read_text() + "not json\n{}\n")
    assert len(a.load()) == 2, "damaged lines are skipped"


def test_copy_lines_are_shell_exact() -> None:
    e = entry(identity={"subject": "u1", "issuer": "https://x"})
    npx = shlex.split(e.npx_line())
    assert npx[:4] == ["npx", "convex", "run", "tasks:create"]
    assert json.loads(npx[4]) == e.args
    assert npx[5] == "--identity" and json.loads(npx[6]) == e.identity
    tui = shlex.split(e.tui_line("prod"))
    assert tui[:5] == ["convex-tui", "--profile", "prod", "run", "tasks:create"]
    assert json.loads(tui[5]) == e.args


def test_identity_form_and_raw_json(tmp_path: Path) -> None:
    ident = build_identity({"subject": "user1", "name": "Ada", "email": ""}, "", "http://site")
    assert ident == {
        "subject": "user1",
        "name": "Ada",
        "issuer": "http://site",
        "tokenIdentifier": "http://site|user1",
    }
    assert build_identity({}, "{tokenIdentifier: 'x|y', admin: true}") == {
        "tokenIdentifier": "x|y",
        "admin": True,
    }
    assert build_identity({"subject": " "}) is None
    store = IdentityStore("http://127.0.0.1:3210", tmp_path)
    store.save(ident)
    assert IdentityStore("http://127.0.0.1:3210", tmp_path).load() == ident
    store.save(None)
    assert store.load() is None


def test_slugs_differ_per_url() -> None:
    assert deployment_slug("http://a:1") != deployment_slug("http://a:2")
    assert "/" not in deployment_slug("https://x.example.com/path?q=1")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(json_values, json_values)
def test_changed_paths(old: Any, new: Any) -> None:
    assert changed_paths(new, new) == set()
    if old != new or type(old) is not type(new):
        assert changed_paths(old, new), "a difference is always highlighted somewhere"


def test_changed_paths_point_at_the_change() -> None:
    old = [{"_id": "a", "n": 1}, {"_id": "b", "n": 2}]
    new = [{"_id": "a", "n": 1}, {"_id": "b", "n": 3}, {"_id": "c", "n": 0}]
    assert changed_paths(old, new) == {(1, "n"), (2,)}


def spec(identifier: str, ftype: str = "Query", vis: str = "public") -> FunctionSpec:
    return FunctionSpec.from_json(
        {"identifier": identifier, "functionType": ftype, "visibility": {"kind": vis}}
    )


def test_tree_nests_folders_and_filters() -> None:
    specs = [
        spec("tasks.js:list"),
        spec("tasks.js:create", "Mutation"),
        spec("admin/users/roles.js:grant", "Action", "internal"),
        FunctionSpec.from_json({"functionType": "HttpAction", "method": "GET", "path": "/health"}),
    ]
    root = build_tree(specs)
    assert sorted(root.children) == ["admin", "http", "tasks"]
    roles = root.children["admin"].children["users"].children["roles"]
    assert [f.name for f in roles.functions] == ["grant"] and letter(roles.functions[0]) == "A"
    assert build_tree(specs, "internal").count() == 1
    assert build_tree(specs, "tasks mutation").count() == 1
    assert find(specs, "api.tasks.list") is specs[0]
    assert find(specs, "tasks.js:create") is specs[1]
    assert find(specs, "GET /health") is specs[3]
