"""Convex index keys: values as byte strings whose ``memcmp`` order is Convex's value order.

A port of the backend's ``crates/value/src/sorting.rs`` (FoundationDB tuple-layer style):
every value starts with a tag chosen so that undefined < null < int64 < float64 < boolean <
string < bytes < array < object; strings and bytes end with ``0x00`` (a ``0x00`` inside is
escaped as ``0x00 0xFF``), integers take 1/2/4/8 bytes, floats are IEEE-754 total order, arrays
and objects are their elements then ``0x00``. SQLite compares BLOBs with ``memcmp``, so an index
on these keys sorts exactly like the backend's indexes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from tui.convex import values
from tui.convex.values import Int64

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()  # `undefined`

UNDEFINED = 0x01
NULL = 0x03
ZERO_INT = 0x08
FLOAT = 0x0D
FALSE = 0x0E
TRUE = 0x0F
STRING = 0x10
BYTES = 0x11
ARRAY = 0x12
OBJECT = 0x15
TERMINATOR = 0x00
ESCAPE = 0xFF
# One byte above any tag: ``prefix + AFTER`` sorts after every key that starts with ``prefix``.
AFTER = bytes([ESCAPE])
_SIGN = 1 << 63
_MASK = (1 << 64) - 1


class KeyError_(ValueError):
    """Bytes that are not a valid index key (a forged or foreign cursor)."""


def path_value(doc: Any, path: str) -> Any:
    """A document's value at ``a.b.c`` (``MISSING`` when absent)."""
    cur = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def decode_literal(raw: Any) -> Any:
    """A value from a query's JSON (``{"$undefined": null}`` is ``MISSING``)."""
    if isinstance(raw, dict) and list(raw) == ["$undefined"]:
        return MISSING
    return values.decode(raw)


def _escaped(data: bytes) -> bytes:
    return data.replace(b"\x00", b"\x00\xff") + b"\x00"


def _int(n: int, out: bytearray) -> None:
    if n == 0:
        out.append(ZERO_INT)
        return
    if -128 <= n <= 127:
        size = 1
    elif -32768 <= n <= 32767:
        size = 2
    elif -(2**31) <= n < 2**31:
        size = 3
    else:
        size = 4
    out.append(ZERO_INT - size if n < 0 else ZERO_INT + size)
    width = 1 << (size - 1)
    out += n.to_bytes(width, "big", signed=True)


def _float(f: float, out: bytearray) -> None:
    bits = struct.unpack(">Q", struct.pack(">d", f))[0]
    bits = (~bits & _MASK) if bits & _SIGN else bits | _SIGN
    out.append(FLOAT)
    out += struct.pack(">Q", bits)


def write(value: Any, out: bytearray) -> None:
    """Append one value's sort key (``MISSING`` is ``undefined``)."""
    if value is MISSING:
        out.append(UNDEFINED)
    elif value is None:
        out.append(NULL)
    elif isinstance(value, bool):
        out.append(TRUE if value else FALSE)
    elif isinstance(value, Int64):
        _int(int(value), out)
    elif isinstance(value, int | float):
        _float(float(value), out)
    elif isinstance(value, str):
        out.append(STRING)
        out += _escaped(value.encode())
    elif isinstance(value, bytes):
        out.append(BYTES)
        out += _escaped(value)
    elif isinstance(value, list):
        out.append(ARRAY)
        for item in value:
            write(item, out)
        out.append(TERMINATOR)
    elif isinstance(value, dict):
        out.append(OBJECT)
        for name in sorted(value):  # a ConvexObject is a BTreeMap: fields in byte order
            out += _escaped(name.encode())
            if not name:
                out.append(ESCAPE)
            write(value[name], out)
        out.append(TERMINATOR)
    else:
        raise TypeError(f"not a Convex value: {type(value).__name__}")


def encode(*values: Any) -> bytes:
    """The key of a tuple of values (an index's fields, then ``_creationTime``, ``_id``)."""
    out = bytearray()
    for value in values:
        write(value, out)
    return bytes(out)


def encode_values(values: Sequence[Any]) -> bytes:
    return encode(*values)


# --- decoding (cursors carry keys; the tests round-trip every value) ------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise KeyError_("unexpected end of key")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise KeyError_("unexpected end of key")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def escaped(self) -> bytes:
        out = bytearray()
        while True:
            end = self.data.find(b"\x00", self.pos)
            if end < 0:
                raise KeyError_("unterminated string in key")
            out += self.data[self.pos : end]
            self.pos = end + 1
            if self.pos < len(self.data) and self.data[self.pos] == ESCAPE:
                out.append(0)
                self.pos += 1
            else:
                return bytes(out)

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None


def _read(r: _Reader) -> Any:  # noqa: C901 - one branch per tag
    tag = r.byte()
    if tag == UNDEFINED:
        return MISSING
    if tag == NULL:
        return None
    if tag == ZERO_INT:
        return Int64(0)
    if 0x04 <= tag <= 0x0C:
        size = abs(tag - ZERO_INT)
        return Int64(int.from_bytes(r.take(1 << (size - 1)), "big", signed=True))
    if tag == FLOAT:
        bits = struct.unpack(">Q", r.take(8))[0]
        bits = bits & ~_SIGN & _MASK if bits & _SIGN else ~bits & _MASK
        return float(struct.unpack(">d", struct.pack(">Q", bits))[0])
    if tag in (FALSE, TRUE):
        return tag == TRUE
    if tag == STRING:
        try:
            return r.escaped().decode()
        except UnicodeDecodeError as exc:
            raise KeyError_("invalid UTF-8 in key") from exc
    if tag == BYTES:
        return r.escaped()
    if tag == ARRAY:
        items = []
        while r.peek() != TERMINATOR:
            items.append(_read(r))
        r.byte()
        return items
    if tag == OBJECT:
        obj: dict[str, Any] = {}
        while True:
            if r.peek() == TERMINATOR:
                r.byte()
                if r.peek() != ESCAPE:
                    return obj
                r.byte()
                name = ""
            else:
                try:
                    name = r.escaped().decode()
                except UnicodeDecodeError as exc:
                    raise KeyError_("invalid UTF-8 in key") from exc
            obj[name] = _read(r)
    raise KeyError_(f"unknown tag {tag:#x} in key")


def decode(data: bytes) -> list[Any]:
    """Every value of a key, in order (``MISSING`` for undefined)."""
    r = _Reader(data)
    out = []
    while r.peek() is not None:
        out.append(_read(r))
    return out
