"""The filter model: the dashboard's wire form, the text syntax, and their round trips."""

from __future__ import annotations

import base64
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.convex import values
from tui.convex.values import Int64
from tui.data.filters import (
    Clause,
    FilterExpr,
    FilterSyntaxError,
    IndexFilter,
    decode_expression,
    format_value,
    parse_clause,
    parse_filter,
    parse_value,
)

INDEXES = {"by_status": ("status",), "by_user_status": ("userId", "status", "priority")}


def test_default_sends_no_filter_and_order_alone_is_sent() -> None:
    assert FilterExpr().encode() is None
    assert decode_expression(FilterExpr(order="asc").encode() or "") == {
        "clauses": [],
        "order": "asc",
    }


def test_wire_form_is_js_base64_encode_uri_of_the_filter_expression() -> None:
    expr = parse_filter("title = 'ß?>>' and priority >= 3n", "desc")
    encoded = expr.encode()
    assert encoded is not None
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded  # URL-safe, unpadded
    padded = encoded + "=" * (-len(encoded) % 4)
    body = json.loads(base64.urlsafe_b64decode(padded))
    assert body == {
        "clauses": [
            {"op": "eq", "field": "title", "value": "ß?>>", "enabled": True, "id": "0"},
            {
                "op": "gte",
                "field": "priority",
                "value": {"$integer": base64.b64encode((3).to_bytes(8, "little")).decode()},
                "enabled": True,
                "id": "1",
            },
        ],
        "order": "desc",
    }


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("status = pending", Clause("status", "eq", "pending")),
        ("status == 'in progress'", Clause("status", "eq", "in progress")),
        ("status != done", Clause("status", "neq", "done")),
        ("priority > 2", Clause("priority", "gt", 2.0)),
        ("priority >= 2", Clause("priority", "gte", 2.0)),
        ("priority < 2", Clause("priority", "lt", 2.0)),
        ("priority <= 2", Clause("priority", "lte", 2.0)),
        ("status in [pending, done]", Clause("status", "anyOf", ["pending", "done"])),
        ("status not in ['a', 1]", Clause("status", "noneOf", ["a", 1.0])),
        ("userId is id", Clause("userId", "type", "id")),
        ("description is not unset", Clause("description", "notype", "unset")),
        ("n = 12n", Clause("n", "eq", Int64(12))),
        ("a.b = null", Clause("a.b", "eq", None)),
        ("flag = true", Clause("flag", "eq", True)),
        ('blob = {"$bytes": "AAE="}', Clause("blob", "eq", b"\x00\x01")),
    ],
)
def test_clause_syntax(text: str, clause: Clause) -> None:
    assert parse_clause(text) == clause


@pytest.mark.parametrize(
    "bad", ["status", "= 3", "status =", "status is colour", "status in pending", "1x = 2"]
)
def test_clause_errors_say_what_was_expected(bad: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_clause(bad)


def test_index_filter_takes_an_equality_prefix_then_a_range() -> None:
    expr = parse_filter(
        "@by_user_status userId = u1 and status = done and priority > 1 and priority <= 4 "
        "and title = x",
        indexes=INDEXES,
    )
    assert expr.index == IndexFilter(
        "by_user_status",
        ("userId", "status", "priority"),
        ("u1", "done"),
        ("gt", 1.0),
        ("lte", 4.0),
    )
    assert expr.clauses == (Clause("title", "eq", "x"),)
    wire = expr.to_json()["index"]
    assert wire["name"] == "by_user_status"
    assert [c["type"] for c in wire["clauses"]] == ["indexEq", "indexEq", "indexRange"]
    assert wire["clauses"][2] == {
        "type": "indexRange",
        "enabled": True,
        "lowerOp": "gt",
        "lowerValue": 1,
        "upperOp": "lte",
        "upperValue": 4,
    }
    # A gap in the prefix ends it: status cannot be served without userId.
    gap = parse_filter("@by_user_status status = done", indexes=INDEXES)
    assert (
        gap.index is not None
        and gap.index.eq == ()
        and gap.clauses == (Clause("status", "eq", "done"),)
    )
    with pytest.raises(FilterSyntaxError, match="no index 'nope'"):
        parse_filter("@nope a = 1", indexes=INDEXES)


convex_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False).filter(lambda x: not (x == 0 and math.copysign(1, x) < 0))
    | st.integers(-(2**63), 2**63 - 1).map(Int64)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@given(convex_values)
def test_value_text_round_trips(value: object) -> None:
    back = parse_value(format_value(value))
    assert values.encode(back) == values.encode(value)


@given(
    st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]),
    st.from_regex(r"[a-z_][a-z0-9_]{0,8}(\.[a-z]{1,4})?", fullmatch=True),
    convex_values,
)
def test_clause_text_round_trips(op: str, field: str, value: object) -> None:
    clause = Clause(field, op, value)  # type: ignore[arg-type]
    back = parse_clause(clause.text())
    assert (back.field, back.op) == (field, op)
    assert values.encode(back.value) == values.encode(value)


@given(st.text(max_size=40))
def test_parser_never_crashes(text: str) -> None:
    try:
        expr = parse_filter(text, indexes=INDEXES)
    except FilterSyntaxError:
        return
    decode_expression(expr.encode() or FilterExpr(order="asc").encode() or "")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["eq", "neq", "gt", "lte"]),
            st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
            convex_values,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_joined_clauses_split_outside_quotes(items: list[tuple[str, str, object]]) -> None:
    clauses = [Clause(f, op, v) for op, f, v in items]  # type: ignore[arg-type]
    expr = parse_filter(" and ".join(c.text() for c in clauses))
    assert [(c.field, c.op) for c in expr.clauses] == [(c.field, c.op) for c in clauses]
    assert [values.encode(c.value) for c in expr.clauses] == [
        values.encode(c.value) for c in clauses
    ]


def test_and_inside_a_quoted_value_is_not_a_separator() -> None:
    expr = parse_filter('title = "salt and pepper; more" and n in [1, 2] ; ok = true')
    assert expr.clauses == (
        Clause("title", "eq", "salt and pepper; more"),
        Clause("n", "anyOf", [1.0, 2.0]),
        Clause("ok", "eq", True),
    )
