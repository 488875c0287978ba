"""A small mirror of Convex's `v.*` validators: JSON form for apiSpec and argument checking.

``to_json`` produces the ``ValidatorJSON`` shapes of reference §6; ``check`` raises
:class:`ArgValidationError` with messages in the style of the real ArgumentValidationError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id


class ArgValidationError(Exception):
    """The arguments do not match the function's validator.

    ``path`` names the offending field (``title``, ``items[2].id``; empty for the top level) so
    the console can point at it; the message keeps the backend's wording."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _show(value: Any) -> str:
    try:
        return json.dumps(values.encode(value), sort_keys=True)
    except values.ValueError_:
        return repr(value)


@dataclass(frozen=True)
class V:
    """A validator. ``kind`` is the ValidatorJSON ``type``; optional only applies to fields."""

    kind: str
    optional: bool = False
    inner: Any = None  # value / element / table name / fields / members depending on kind

    def to_json(self) -> dict[str, Any]:
        k = self.kind
        if k == "literal":
            return {"type": "literal", "value": values.encode(self.inner)}
        if k == "id":
            return {"type": "id", "tableName": self.inner}
        if k == "array":
            return {"type": "array", "value": self.inner.to_json()}
        if k == "union":
            return {"type": "union", "value": [m.to_json() for m in self.inner]}
        if k == "record":
            keys, vals = self.inner
            return {
                "type": "record",
                "keys": keys.to_json(),
                "values": {"fieldType": vals.to_json(), "optional": False},
            }
        if k == "object":
            return {
                "type": "object",
                "value": {
                    name: {"fieldType": fv.to_json(), "optional": fv.optional}
                    for name, fv in self.inner.items()
                },
            }
        return {"type": k}

    def describe(self) -> str:
        k = self.kind
        if k == "literal":
            return f"v.literal({_show(self.inner)})"
        if k == "id":
            return f'v.id("{self.inner}")'
        if k == "array":
            return f"v.array({self.inner.describe()})"
        if k == "union":
            return "v.union(" + ", ".join(m.describe() for m in self.inner) + ")"
        if k == "object":
            parts = []
            for name, fv in sorted(self.inner.items()):
                d = fv.describe()
                parts.append(f"{name}: v.optional({d})" if fv.optional else f"{name}: {d}")
            return "v.object({" + ", ".join(parts) + "})"
        return {"number": "v.float64()", "bigint": "v.int64()"}.get(k, f"v.{k}()")

    def matches(self, value: Any) -> bool:
        try:
            self._check(value, "")
        except ArgValidationError:
            return False
        return True

    def check(self, value: Any) -> None:
        self._check(value, "")

    def _fail(self, value: Any, path: str) -> ArgValidationError:
        where = f"Path: .{path}\n" if path else ""
        return ArgValidationError(
            f"Value does not match validator.\n{where}"
            f"Value: {_show(value)}\nValidator: {self.describe()}",
            path,
        )

    def _check(self, value: Any, path: str) -> None:  # noqa: C901 - one branch per kind
        k = self.kind
        ok = True
        if k == "any":
            return
        if k == "null":
            ok = value is None
        elif k == "string":
            ok = isinstance(value, str)
        elif k == "boolean":
            ok = isinstance(value, bool)
        elif k == "number":
            ok = isinstance(value, float) or (
                isinstance(value, int) and not isinstance(value, bool | values.Int64)
            )
        elif k == "bigint":
            ok = isinstance(value, values.Int64)
        elif k == "bytes":
            ok = isinstance(value, bytes)
        elif k == "literal":
            ok = type(value) is type(self.inner) and value == self.inner
        elif k == "id":
            ok = isinstance(value, str) and _is_table_id(value)
        elif k == "array":
            if not isinstance(value, list):
                raise self._fail(value, path)
            for i, item in enumerate(value):
                self.inner._check(item, f"{path}[{i}]")
            return
        elif k == "union":
            ok = any(m.matches(value) for m in self.inner)
        elif k == "record":
            ok = isinstance(value, dict) and all(self.inner[1].matches(v) for v in value.values())
        elif k == "object":
            self._check_object(value, path)
            return
        if not ok:
            raise self._fail(value, path)

    def _check_object(self, value: Any, path: str) -> None:
        fields: Mapping[str, V] = self.inner
        if not isinstance(value, dict):
            raise self._fail(value, path)
        for name, fv in fields.items():
            if name not in value:
                if fv.optional:
                    continue
                raise ArgValidationError(
                    f"Object is missing the required field `{name}`. Consider wrapping the field "
                    "validator in `v.optional(...)` if this is expected.\n\n"
                    f"Object: {_show(value)}\nValidator: {self.describe()}",
                    f"{path}.{name}" if path else name,
                )
            fv._check(value[name], f"{path}.{name}" if path else name)
        for name in value:
            if name not in fields:
                raise ArgValidationError(
                    f"Object contains extra field `{name}` that is not in the validator.\n\n"
                    f"Object: {_show(value)}\nValidator: {self.describe()}",
                    f"{path}.{name}" if path else name,
                )


def _is_table_id(text: str) -> bool:
    try:
        decode_id(text)
    except InvalidId:
        return False
    return True


@dataclass(frozen=True)
class _Builders:
    """``v.string()`` style constructors, mirroring `convex/values`."""

    _unused: int = field(default=0)

    @staticmethod
    def string() -> V:
        return V("string")

    @staticmethod
    def number() -> V:
        return V("number")

    @staticmethod
    def int64() -> V:
        return V("bigint")

    @staticmethod
    def boolean() -> V:
        return V("boolean")

    @staticmethod
    def null() -> V:
        return V("null")

    @staticmethod
    def bytes() -> V:
        return V("bytes")

    @staticmethod
    def any() -> V:
        return V("any")

    @staticmethod
    def literal(value: Any) -> V:
        return V("literal", inner=value)

    @staticmethod
    def id(table: str) -> V:
        return V("id", inner=table)

    @staticmethod
    def array(item: V) -> V:
        return V("array", inner=item)

    @staticmethod
    def union(*members: V) -> V:
        return V("union", inner=tuple(members))

    @staticmethod
    def record(keys: V, vals: V) -> V:
        return V("record", inner=(keys, vals))

    @staticmethod
    def object(**fields: V) -> V:
        return V("object", inner=dict(fields))

    @staticmethod
    def optional(inner: V) -> V:
        return V(inner.kind, optional=True, inner=inner.inner)


v = _Builders()


def from_json(data: Any, *, optional: bool = False) -> V:
    """The inverse of `V.to_json`: a ValidatorJSON (reference §6) as a `V`.

    Used by the console to check arguments before sending (the same rules as the sandbox) and
    by the sandbox to read the validators of pushed functions. Unknown shapes raise ValueError."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError(f"not a validator: {data!r}")
    k = data["type"]
    if k == "literal":
        return V("literal", optional, values.decode(data.get("value")))
    if k == "id":
        return V("id", optional, str(data.get("tableName", "")))
    if k == "array":
        return V("array", optional, from_json(data.get("value")))
    if k == "union":
        members = data.get("value")
        if not isinstance(members, list):
            raise ValueError("union without members")
        return V("union", optional, tuple(from_json(m) for m in members))
    if k == "record":
        vals = data.get("values") or {}
        return V(
            "record", optional, (from_json(data.get("keys")), from_json(vals.get("fieldType")))
        )
    if k == "object":
        fields = data.get("value")
        if not isinstance(fields, dict):
            raise ValueError("object without fields")
        return V(
            "object",
            optional,
            {
                str(name): from_json(f.get("fieldType"), optional=bool(f.get("optional")))
                for name, f in fields.items()
                if isinstance(f, dict)
            },
        )
    if k in ("string", "number", "bigint", "boolean", "null", "bytes", "any", "float64", "int64"):
        return V({"float64": "number", "int64": "bigint"}.get(str(k), str(k)), optional)
    raise ValueError(f"unknown validator type {k!r}")
