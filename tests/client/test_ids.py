"""Document-id codec: round trips and the backend's stability vector (crates/value/src/id_v6.rs)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.convex.ids import InvalidId, decode_id, encode_id, is_id, new_id


def test_backend_stability_vector() -> None:
    internal = bytearray(16)
    internal[0] = 251
    for i in range(1, 16):
        internal[i] = (internal[i - 1] * 251) % 256
    encoded = encode_id(1017, bytes(internal))
    assert encoded == "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"
    decoded = decode_id(encoded)
    assert decoded.table_number == 1017 and decoded.internal_id == bytes(internal)


@given(st.integers(min_value=1, max_value=2**32 - 1), st.binary(min_size=16, max_size=16))
def test_round_trip(table: int, internal: bytes) -> None:
    text = encode_id(table, internal)
    assert 31 <= len(text) <= 37
    assert decode_id(text).table_number == table
    assert decode_id(text).internal_id == internal
    assert is_id(text)


@given(
    st.integers(min_value=1, max_value=2**32 - 1), st.binary(min_size=16, max_size=16), st.data()
)
def test_any_single_character_change_is_rejected(
    table: int, internal: bytes, data: st.DataObject
) -> None:
    text = encode_id(table, internal)
    pos = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    repl = data.draw(
        st.sampled_from("0123456789abcdefghjkmnpqrstvwxyz").filter(lambda c: c != text[pos])
    )
    mutated = text[:pos] + repl + text[pos + 1 :]
    assert not is_id(mutated)


def test_new_id_and_invalid() -> None:
    assert decode_id(new_id(10001)).table_number == 10001
    for bad in ("", "abc", "z43zp6c3e75gkmz1kfwj6mbbx5sw281i", "Z43ZP6C3E75GKMZ1KFWJ6MBBX5SW281H"):
        with pytest.raises(InvalidId):
            decode_id(bad)
