"""Function arguments: a template from the validator, parsing (JSON5 + Convex types), checking.

The editor holds JSON5 so the template can carry comments: required fields first, optional
ones commented out, ids/unions/literals explained. Checking uses the one validator
implementation (`tui.convex.validators`, shared with the sandbox), before anything is sent.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import json5

from tui.convex import values
from tui.convex.validators import ArgValidationError, V, from_json

_JSON5_POS = re.compile(r"<string>:(\d+) (.*) at column (\d+)", re.DOTALL)


@dataclass
class ArgsProblem(Exception):
    """Why the arguments cannot be sent; ``line`` (1-based) points into the editor text."""

    message: str
    line: int | None = None
    column: int | None = None
    field: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return where + self.message


# ---------------------------------------------------------------- template


def _default(val: V) -> Any:  # noqa: C901 - one branch per validator kind
    k = val.kind
    if k == "string" or k == "id":
        return ""
    if k == "number":
        return 0
    if k == "bigint":
        return {"$int64": "0"}
    if k == "boolean":
        return False
    if k == "bytes":
        return {"$bytes": ""}
    if k == "literal":
        return values.encode(val.inner)
    if k == "union":
        return _default(val.inner[0]) if val.inner else None
    if k == "array":
        return []
    if k == "record":
        return {}
    if k == "object":
        return {name: _default(f) for name, f in val.inner.items() if not f.optional}
    return None  # null, any


def _hint(val: V) -> str:
    if val.kind == "union" and all(m.kind == "literal" for m in val.inner):
        return "one of: " + " | ".join(json.dumps(values.encode(m.inner)) for m in val.inner)
    if val.kind == "union":
        return "one of: " + " | ".join(m.describe() for m in val.inner)
    if val.kind == "bigint":
        return 'v.int64(): {"$int64": "123"} or {"$integer": base64}'
    if val.kind == "bytes":
        return 'v.bytes(): {"$bytes": base64}'
    return val.describe()


def template(args_json: Mapping[str, Any] | None) -> str:
    """Editor text for a function's arguments validator (ValidatorJSON, reference §6)."""
    try:
        val = from_json(dict(args_json)) if args_json else V("any")
    except ValueError:
        val = V("any")
    if val.kind != "object":
        note = "" if val.kind == "any" else f"  // {val.describe()}"
        return "{}" + note + "\n"
    if not val.inner:
        return "{}  // no arguments\n"
    required = [(n, f) for n, f in val.inner.items() if not f.optional]
    optional = [(n, f) for n, f in val.inner.items() if f.optional]
    lines = ["{"]
    for name, f in required:
        lines.append(f"  {json.dumps(name)}: {json.dumps(_default(f))},  // {_hint(f)}")
    if optional:
        lines.append("  // optional (uncomment to send):")
        for name, f in optional:
            lines.append(f"  // {json.dumps(name)}: {json.dumps(_default(f))},  // {_hint(f)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- parsing and checking


def _pairs(text: str) -> str:
    """json5 leaves ``\\ud83d\\ude00`` escapes as two lone surrogates: join them (as JSON does)."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _sugar(raw: Any) -> Any:
    """``{"$int64": "123"}`` (console input only) → the wire's ``{"$integer": base64}``."""
    if isinstance(raw, str):
        return _pairs(raw)
    if isinstance(raw, list):
        return [_sugar(x) for x in raw]
    if isinstance(raw, dict):
        if len(raw) == 1 and "$int64" in raw:
            try:
                n = int(str(raw["$int64"]).strip())
                packed = struct.pack("<q", n)
            except (ValueError, struct.error):
                raise ArgsProblem(f"$int64 needs a 64-bit integer, got {raw['$int64']!r}") from None
            return {"$integer": base64.b64encode(packed).decode("ascii")}
        return {_pairs(k): _sugar(v) for k, v in raw.items()}
    return raw


def parse_args(text: str) -> dict[str, Any]:
    """Editor text (JSON5, Convex encoded JSON) → the args object as Python Convex values."""
    if not text.strip():
        return {}
    try:
        raw = json5.loads(text)
    except ValueError as exc:
        match = _JSON5_POS.search(str(exc))
        if match:
            line, col = int(match.group(1)), int(match.group(3))
            what = match.group(2).replace("\n", "\\n")
            raise ArgsProblem(f"Invalid JSON: {what}", line, col) from None
        raise ArgsProblem(f"Invalid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ArgsProblem("Arguments must be a JSON object, e.g. {}", 1)
    try:
        decoded = values.decode(_sugar(raw))
    except values.ValueError_ as exc:
        raise ArgsProblem(f"Not a Convex value: {exc}") from None
    assert isinstance(decoded, dict)
    return decoded


def field_line(text: str, path: str) -> int | None:
    """The editor line (1-based) of the top-level key ``path`` starts with, outside comments."""
    name = re.split(r"[.\[]", path, maxsplit=1)[0]
    if not name:
        return None
    key = re.compile(
        r"(?:^|[{,\s])(?:\""
        + re.escape(name)
        + r"\"|'"
        + re.escape(name)
        + r"'|"
        + re.escape(name)
        + r")\s*:"
    )
    for n, line in enumerate(text.splitlines(), start=1):
        if key.search(line.split("//", 1)[0]):
            return n
    return None


def check_args(args_json: Mapping[str, Any] | None, args: dict[str, Any], text: str = "") -> None:
    """Raise `ArgsProblem` (pointing at the field) when ``args`` break the validator."""
    if not args_json:
        return
    try:
        val = from_json(dict(args_json))
    except ValueError:
        return  # a validator we cannot read: let the backend decide
    try:
        val.check(args)
    except ArgValidationError as exc:
        line = field_line(text, exc.path) if exc.path else None
        raise ArgsProblem(str(exc), line, None, exc.path) from None


def prepare(args_json: Mapping[str, Any] | None, text: str) -> dict[str, Any]:
    """Parse and check: what the Run key calls before sending anything."""
    args = parse_args(text)
    check_args(args_json, args, text)
    return args


def editor_text(args: Mapping[str, Any]) -> str:
    """Args back into editor text (history re-run): Convex encoded JSON, indented."""
    return json.dumps(values.encode(dict(args)), indent=2, ensure_ascii=False) + "\n"
