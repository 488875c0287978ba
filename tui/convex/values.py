"""Convex values and their "convex encoded JSON" wire form (reference §3).

Python mapping: ``None``, ``bool``, ``str``, ``float`` (Convex float64), :class:`Int64`
(Convex int64), ``bytes``, ``list``, ``dict[str, Value]``. A plain Python ``int`` is sent as a
float64, exactly as a JavaScript number would be; wrap it in :class:`Int64` to send an int64.
Every JSON number decodes as ``float``.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from typing import Any, TypeAlias

Json: TypeAlias = Any
Value: TypeAlias = Any

MAX_NESTING = 16


class Int64(int):
    """An int marked as a Convex int64 (JS bigint)."""

    def __repr__(self) -> str:
        return f"Int64({int(self)})"


class ValueError_(ValueError):
    """A value that cannot be represented in Convex."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str = "$bytes") -> bytes:
    if not isinstance(text, str):
        raise ValueError_(f"{what} must hold a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError_(f"invalid base64 in {what}: {text[:40]!r}") from exc


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_str(s: str) -> str:
    # Convex strings are UTF-8 (serde rejects a lone "\ud800"): say so instead of crashing
    # later in an encoder (found by the injection corpus: `run` printed a traceback).
    if not s.isascii() and _SURROGATE.search(s):
        raise ValueError_("strings must be valid Unicode (a lone surrogate was found)")
    return s


def _is_special_float(x: float) -> bool:
    return math.isnan(x) or math.isinf(x) or (x == 0.0 and math.copysign(1.0, x) < 0)


def encode(value: Value, _depth: int = 0) -> Json:
    """Python value → convex encoded JSON."""
    if _depth > MAX_NESTING * 4:
        raise ValueError_("value nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _check_str(value)
    if isinstance(value, Int64):
        if not -(2**63) <= value < 2**63:
            raise ValueError_(f"int64 out of range: {int(value)}")
        return {"$integer": _b64(struct.pack("<q", int(value)))}
    if isinstance(value, int):
        value = float(value)
    if isinstance(value, float):
        if _is_special_float(value):
            return {"$float": _b64(struct.pack("<d", value))}
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": _b64(bytes(value))}
    if isinstance(value, list | tuple):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        out: dict[str, Json] = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise ValueError_(f"object keys must be strings, got {key!r}")
            if key.startswith("$"):
                raise ValueError_(f"field name {key!r} must not start with '$'")
            out[_check_str(key)] = encode(v, _depth + 1)
        return out
    raise ValueError_(f"{type(value).__name__} is not a Convex value")


def decode(data: Json, _depth: int = 0) -> Value:
    """Convex encoded JSON → Python value. Malformed input (whoever sent it) is a `ValueError_`
    with a clear message, never a crash: wrong wrapper types, bad base64, deep nesting."""
    if _depth > MAX_NESTING * 4:
        raise ValueError_(f"value nested too deeply (more than {MAX_NESTING * 4} levels)")
    if data is None or isinstance(data, bool):
        return data
    if isinstance(data, str):
        return _check_str(data)
    if isinstance(data, int | float):
        try:
            return float(data)
        except OverflowError:
            raise ValueError_(f"number out of float64 range: {str(data)[:40]}…") from None
    if isinstance(data, list):
        return [decode(v, _depth + 1) for v in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((key, inner),) = data.items()
            if key == "$integer":
                raw = _unb64(inner, key)
                if len(raw) != 8:
                    raise ValueError_("$integer must be 8 bytes")
                return Int64(struct.unpack("<q", raw)[0])
            if key == "$float":
                raw = _unb64(inner, key)
                if len(raw) != 8:
                    raise ValueError_("$float must be 8 bytes")
                f = struct.unpack("<d", raw)[0]
                if not _is_special_float(f):
                    raise ValueError_("$float used for an ordinary number")
                return f
            if key == "$bytes":
                return _unb64(inner, key)
            if key in ("$set", "$map"):
                raise ValueError_(f"{key} is an unsupported legacy type")
        out: dict[str, Value] = {}
        for key, v in data.items():
            if not isinstance(key, str):
                raise ValueError_(f"object keys must be strings, got {type(key).__name__}")
            if key.startswith("$"):
                raise ValueError_(f"invalid field name {key[:40]!r}")
            out[_check_str(key)] = decode(v, _depth + 1)
        return out
    raise ValueError_(f"not a Convex value: {type(data).__name__}")


def to_clean_json(value: Value) -> Json:
    """The "json" export format: int64 → decimal string, bytes → base64, special floats → names."""
    if isinstance(value, Int64):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, bytes):
        return _b64(value)
    if isinstance(value, list):
        return [to_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_clean_json(v) for k, v in value.items()}
    return value


def to_export_json(value: Value) -> Json:
    """The "export_json" format: int64 → JSON number, bytes and special floats keep their wrappers."""
    if isinstance(value, Int64):
        return int(value)
    if isinstance(value, float) and _is_special_float(value):
        return encode(value)
    if isinstance(value, bytes):
        return encode(value)
    if isinstance(value, list):
        return [to_export_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_export_json(v) for k, v in value.items()}
    if isinstance(value, float):
        return encode(value)
    return value


def export(value: Value, fmt: str) -> Json:
    """Serialise a value in one of the backend's output formats (reference §2.1)."""
    if fmt in ("convex_encoded_json", "convex_json"):
        return encode(value)
    if fmt in ("json", "convex_clean_json"):
        return to_clean_json(value)
    if fmt == "export_json":
        return to_export_json(value)
    raise ValueError_(f"unknown format {fmt!r}")


OUTPUT_FORMATS = frozenset(
    {"convex_encoded_json", "convex_json", "json", "convex_clean_json", "export_json"}
)
