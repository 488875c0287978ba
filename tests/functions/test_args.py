"""Argument templates, parsing (JSON5 + Convex types) and checking with the shared validator."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.convex.ids import new_id
from tui.convex.validators import V, from_json, v
from tui.convex.values import Int64
from tui.functions.args import (
    ArgsProblem,
    check_args,
    editor_text,
    field_line,
    parse_args,
    prepare,
    template,
)
from tui.sandbox.functions import build_registry

# ---------------------------------------------------------------- validators without ids

names = st.text(st.sampled_from("abcdefgxyz_"), min_size=1, max_size=6)
scalars = st.sampled_from(
    [v.string(), v.number(), v.int64(), v.boolean(), v.null(), v.bytes(), v.any()]
)
literals = st.one_of(
    st.text(max_size=5), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
).map(v.literal)


def _validators() -> st.SearchStrategy[V]:
    return st.recursive(
        st.one_of(scalars, literals),
        lambda inner: st.one_of(
            inner.map(v.array),
            st.lists(inner, min_size=1, max_size=3).map(lambda ms: v.union(*ms)),
            st.dictionaries(names, st.tuples(inner, st.booleans()), max_size=4).map(
                lambda d: v.object(**{k: v.optional(x) if o else x for k, (x, o) in d.items()})
            ),
        ),
        max_leaves=8,
    )


objects = st.dictionaries(names, st.tuples(_validators(), st.booleans()), max_size=5).map(
    lambda d: v.object(**{k: v.optional(x) if o else x for k, (x, o) in d.items()})
)


@settings(max_examples=200, deadline=None)
@given(objects)
def test_template_of_any_validator_parses_and_passes(val: V) -> None:
    text = template(val.to_json())
    args = prepare(val.to_json(), text)
    assert set(args) == {k for k, f in val.inner.items() if not f.optional}


def test_template_puts_required_first_and_marks_optional() -> None:
    spec = v.object(
        note=v.optional(v.string()),
        id=v.id("tasks"),
        status=v.union(v.literal("todo"), v.literal("done")),
        count=v.int64(),
    ).to_json()
    text = template(spec)
    lines = text.splitlines()
    assert lines[1].startswith('  "id": "",') and 'v.id("tasks")' in lines[1]
    assert 'one of: "todo" | "done"' in text and '"status": "todo"' in text
    assert '"count": {"$int64": "0"}' in text
    optional_at = next(i for i, ln in enumerate(lines) if "optional" in ln)
    assert optional_at > 3 and lines[optional_at + 1].lstrip().startswith('// "note"')


def test_demo_functions_have_templates_that_parse() -> None:
    for fn in build_registry().functions.values():
        spec = fn.args.to_json() if fn.args is not None else None
        parse_args(template(spec))  # never an invalid template


# ---------------------------------------------------------------- values in and out

values_ = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=8),
        st.floats(allow_nan=False),
        st.integers(-(2**63), 2**63 - 1).map(Int64),
        st.binary(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(names, inner, max_size=3),
    ),
    max_leaves=10,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(names, values_, max_size=4))
def test_editor_text_round_trips_convex_values(args: dict[str, Any]) -> None:
    assert _same(parse_args(editor_text(args)), args)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text: str) -> None:
    try:
        parse_args(text)
    except ArgsProblem:
        pass


def test_convex_types_are_expressible() -> None:
    tid = new_id(10001)
    args = parse_args(
        f'{{n: {{"$int64": "-5"}}, big: {{"$integer": "AQAAAAAAAAA="}}, b: {{$bytes: "aGk="}},'
        f' id: "{tid}", f: 5, // comment\n}}'
    )
    assert args == {"n": Int64(-5), "big": Int64(1), "b": b"hi", "id": tid, "f": 5.0}
    assert type(args["f"]) is float
    check_args(
        v.object(id=v.id("tasks"), n=v.int64(), big=v.int64(), b=v.bytes(), f=v.number()).to_json(),
        args,
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("{\n  a: 1,,\n}", "Invalid JSON", 2),
        ("[1, 2]", "must be a JSON object", 1),
        ('{x: {"$int64": "1.5"}}', "$int64 needs", None),
        ('{x: {"$weird": 1}}', "Not a Convex value", None),
    ],
)
def test_parse_problems_point_at_the_line(text: str, message: str, line: int | None) -> None:
    with pytest.raises(ArgsProblem) as info:
        parse_args(text)
    assert message in info.value.message and info.value.line == line


def test_violations_name_the_field_and_its_line() -> None:
    spec = v.object(title=v.string(), items=v.array(v.object(id=v.id("tasks")))).to_json()
    text = '{\n  title: "t",\n  items: [{id: "nope"}],\n}'
    with pytest.raises(ArgsProblem) as info:
        prepare(spec, text)
    assert info.value.field == "items[0].id" and info.value.line == 3
    assert "Path: .items[0].id" in info.value.message
    with pytest.raises(ArgsProblem) as info:
        prepare(spec, "{items: []}")
    assert (
        info.value.field == "title" and "missing the required field `title`" in info.value.message
    )


def test_validator_error_paths_are_kept_by_the_shared_module() -> None:
    val = from_json(v.object(a=v.object(b=v.number())).to_json())
    with pytest.raises(Exception) as info:
        val.check({"a": {"b": "x"}})
    assert getattr(info.value, "path", None) == "a.b"


def test_field_line_skips_comments() -> None:
    text = '{\n  // "title": "",\n  "title": "x",\n}'
    assert field_line(text, "title") == 3
    assert field_line(text, "missing") is None
