"""Property-based round trips of the Convex encoded-JSON codec (reference §3)."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.convex import values
from tui.convex.values import Int64

field_names = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=12
).filter(lambda s: not s.startswith("$"))

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(Int64),
    st.binary(max_size=24),
)
convex_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(field_names, inner, max_size=4)
    ),
    max_leaves=20,
)


def same(a: object, b: object) -> bool:
    """Equality that also tells NaN, -0.0 and Int64 vs float apart."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a):
            return math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(convex_values)
def test_round_trip_through_json_text(value: object) -> None:
    wire = json.dumps(values.encode(value))
    assert same(values.decode(json.loads(wire)), value)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int64_is_eight_bytes_little_endian(n: int) -> None:
    enc = values.encode(Int64(n))
    assert set(enc) == {"$integer"}
    import base64

    assert base64.b64decode(enc["$integer"]) == struct.pack("<q", n)


def test_known_encodings() -> None:
    assert values.encode(Int64(1)) == {"$integer": "AQAAAAAAAAA="}
    assert values.encode(5) == 5  # a plain int is a float64, sent as a JSON number
    assert values.decode(5) == 5.0 and isinstance(values.decode(5), float)
    assert values.encode(b"\x00\xff") == {"$bytes": "AP8="}
    assert set(values.encode(float("nan"))) == {"$float"}
    assert set(values.encode(-0.0)) == {"$float"}


@pytest.mark.parametrize(
    "bad",
    [
        {"$integer": "AQ=="},  # not 8 bytes
        {"$float": "AAAAAAAA8D8="},  # 1.0 must not use $float
        {"$set": []},
        {"$weird": 1},
        {"$bytes": "not base64!"},
    ],
)
def test_decode_rejects_invalid(bad: object) -> None:
    with pytest.raises(values.ValueError_):
        values.decode(bad)


def test_encode_rejects_non_values() -> None:
    with pytest.raises(values.ValueError_):
        values.encode({"$x": 1})
    with pytest.raises(values.ValueError_):
        values.encode(Int64(2**63))
    with pytest.raises(values.ValueError_):
        values.encode(object())
