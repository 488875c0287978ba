"""Wire shapes of the WebSocket sync protocol (reference §10).

Client messages are parsed as strictly as the backend's serde structs
(`sync_types/src/types/json.rs`): a missing or mistyped field is a protocol error that the
server reports as ``FatalError`` ``Received Invalid JSON on websocket: ...``. Server messages
are built field for field as the backend serializes them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from tui.convex import values
from tui.sandbox.http_auth import HttpFailure, client_version

# The JWT checks live in tui/sandbox/jwt.py (http_auth uses them too); re-exported by name.
from tui.sandbox.jwt import BAD_JWT as BAD_JWT
from tui.sandbox.jwt import NO_ISSUER as NO_ISSUER
from tui.sandbox.jwt import NO_PROVIDERS as NO_PROVIDERS
from tui.sandbox.jwt import jwt_error as jwt_error
from tui.sandbox.registry import BadPath, parse_udf_path

U32_MAX = 2**32 - 1
# Transitions bigger than this go out as TransitionChunks to npm clients >= 1.28.0.
MAX_MESSAGE_SIZE = 5_000_000
MIN_NPM_VERSION_FOR_CHUNKS = (1, 28, 0)
_SEMVER_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$")


class ProtocolError(Exception):
    """The client sent something the backend could not parse."""


def encode_u64(value: int) -> str:
    """Timestamps travel as 8 little-endian bytes in base64 (``json.rs`` ``u64_to_string``)."""
    return base64.b64encode(struct.pack("<Q", value)).decode("ascii")


def decode_u64(text: str) -> int:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise ProtocolError(f"invalid base64 u64 {text!r}") from exc
    if len(raw) != 8:
        raise ProtocolError("u64 must be 8 bytes")
    return int(struct.unpack("<Q", raw)[0])


# --- client messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Connect:
    session_id: str
    connection_count: int
    last_close_reason: str | None
    max_observed_timestamp: int | None
    client_ts: int | None


@dataclass(frozen=True)
class AddQuery:
    query_id: int
    udf_path: str
    args: Any  # raw JSON, normally ``[{...}]``
    journal: str | None
    component_path: str | None


@dataclass(frozen=True)
class RemoveQuery:
    query_id: int


@dataclass(frozen=True)
class ModifyQuerySet:
    base_version: int
    new_version: int
    modifications: tuple[AddQuery | RemoveQuery, ...]


@dataclass(frozen=True)
class Request:
    """``Mutation`` or ``Action``."""

    kind: Literal["mutation", "action"]
    request_id: int
    udf_path: str
    args: Any
    component_path: str | None


@dataclass(frozen=True)
class Authenticate:
    base_version: int
    token_type: Literal["Admin", "User", "None"]
    value: str | None
    acting_as: dict[str, Any] | None


@dataclass(frozen=True)
class Event:
    event_type: str
    event: Any


ClientMessage = Connect | ModifyQuerySet | Request | Authenticate | Event


def _field(obj: dict[str, Any], name: str) -> Any:
    if name not in obj:
        raise ProtocolError(f"missing field `{name}`")
    return obj[name]


def _u32(obj: dict[str, Any], name: str) -> int:
    value = _field(obj, name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
        raise ProtocolError(f"invalid value for `{name}`: expected u32")
    return value


def _str(obj: dict[str, Any], name: str) -> str:
    value = _field(obj, name)
    if not isinstance(value, str):
        raise ProtocolError(f"invalid type for `{name}`: expected a string")
    return value


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"invalid type for `{name}`: expected a string")
    return value


def _udf_path(obj: dict[str, Any]) -> str:
    path = _str(obj, "udfPath")
    try:
        parse_udf_path(path)
    except BadPath as exc:
        raise ProtocolError(f"Invalid function path {path!r}") from exc
    return path


def user_attributes(raw: Any) -> dict[str, Any]:
    """``UserIdentityAttributes`` as functions see them, with ``tokenIdentifier`` filled in."""
    if not isinstance(raw, dict):
        raise ProtocolError("acting_as must be an object")
    user = dict(raw)
    if not isinstance(user.get("tokenIdentifier"), str):
        issuer, subject = user.get("issuer"), user.get("subject")
        if not (isinstance(issuer, str) and isinstance(subject, str)):
            raise ProtocolError('Either "tokenIdentifier" or "issuer" and "subject" must be set')
        user["tokenIdentifier"] = f"{issuer}|{subject}"
    return user


def _modification(raw: Any) -> AddQuery | RemoveQuery:
    if not isinstance(raw, dict):
        raise ProtocolError("query set modification must be an object")
    kind = raw.get("type")
    if kind == "Remove":
        return RemoveQuery(_u32(raw, "queryId"))
    if kind == "Add":
        # QueryJson is #[serde(default)]: queryId defaults to 0, args to null.
        query_id = _u32(raw, "queryId") if "queryId" in raw else 0
        journal = raw.get("journal")
        if journal is not None and not isinstance(journal, str):
            raise ProtocolError("invalid type for `journal`")
        return AddQuery(
            query_id, _udf_path(raw), raw.get("args"), journal, _opt_str(raw, "componentPath")
        )
    raise ProtocolError(f"unknown variant `{kind}`, expected `Add` or `Remove`")


def parse_client_message(text: str) -> ClientMessage:  # noqa: C901 - one branch per message
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from exc
    except RecursionError:
        raise ProtocolError("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise ProtocolError("expected an object")
    kind = obj.get("type")
    if kind == "Connect":
        session_id = _str(obj, "sessionId")
        try:
            uuid.UUID(session_id)
        except ValueError as exc:
            raise ProtocolError(f"invalid sessionId {session_id!r}") from exc
        max_ts = _opt_str(obj, "maxObservedTimestamp")
        client_ts = obj.get("clientTs")
        if client_ts is not None and (
            isinstance(client_ts, bool) or not isinstance(client_ts, int | float)
        ):
            raise ProtocolError("invalid type for `clientTs`")
        return Connect(
            session_id,
            _u32(obj, "connectionCount"),
            _opt_str(obj, "lastCloseReason"),
            None if max_ts is None else decode_u64(max_ts),
            None if client_ts is None else int(client_ts),
        )
    if kind == "ModifyQuerySet":
        mods = _field(obj, "modifications")
        if not isinstance(mods, list):
            raise ProtocolError("`modifications` must be a list")
        return ModifyQuerySet(
            _u32(obj, "baseVersion"), _u32(obj, "newVersion"), tuple(_modification(m) for m in mods)
        )
    if kind in ("Mutation", "Action"):
        return Request(
            "mutation" if kind == "Mutation" else "action",
            _u32(obj, "requestId"),
            _udf_path(obj),
            _field(obj, "args"),
            _opt_str(obj, "componentPath"),
        )
    if kind == "Authenticate":
        base = _u32(obj, "baseVersion")
        token = obj.get("tokenType")
        if token == "None":
            return Authenticate(base, "None", None, None)
        if token == "User":
            return Authenticate(base, "User", _str(obj, "value"), None)
        if token == "Admin":
            # The backend reads `acting_as`, with `impersonating` as an alias.
            raw = obj.get("acting_as", obj.get("impersonating"))
            acting = None if raw is None else user_attributes(raw)
            return Authenticate(base, "Admin", _str(obj, "value"), acting)
        raise ProtocolError(f"unknown variant `{token}`, expected one of `Admin`, `User`, `None`")
    if kind == "Event":
        return Event(_str(obj, "eventType"), _field(obj, "event"))
    raise ProtocolError(f"unknown variant `{kind}`")


# --- auth and args -----------------------------------------------------------------------


def decode_args(raw: Any) -> dict[str, Any] | str:
    """``[{...}]`` in encoded JSON → the args object, or an error text."""
    if not (isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict)):
        return "Invalid arguments: expected an array containing a single object"
    try:
        args = values.decode(raw[0])
    except values.ValueError_ as exc:
        return f"Invalid arguments: {exc}"
    assert isinstance(args, dict)
    return args


# --- server messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class StateVersion:
    query_set: int
    identity: int
    ts: int

    def to_json(self) -> dict[str, Any]:
        return {"querySet": self.query_set, "identity": self.identity, "ts": encode_u64(self.ts)}


def query_updated(
    query_id: int, value: Any, log_lines: list[str], journal: str | None = None
) -> dict[str, Any]:
    return {
        "type": "QueryUpdated",
        "queryId": query_id,
        "value": value,
        "logLines": log_lines,
        "journal": journal,
    }


def query_failed(
    query_id: int, message: str, log_lines: list[str], error_data: Any, has_error_data: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "QueryFailed",
        "queryId": query_id,
        "errorMessage": message,
        "logLines": log_lines,
        "journal": None,
    }
    if has_error_data:
        out["errorData"] = error_data
    return out


def query_removed(query_id: int) -> dict[str, Any]:
    return {"type": "QueryRemoved", "queryId": query_id}


def transition(
    start: StateVersion,
    end: StateVersion,
    modifications: list[dict[str, Any]],
    client_clock_skew: int | None,
) -> dict[str, Any]:
    # serverTs is stamped by the sender just before the frame goes out.
    return {
        "type": "Transition",
        "startVersion": start.to_json(),
        "endVersion": end.to_json(),
        "modifications": modifications,
        "clientClockSkew": client_clock_skew,
        "serverTs": None,
    }


def request_response(
    kind: Literal["mutation", "action"],
    request_id: int,
    success: bool,
    result: Any,
    ts: int | None,
    log_lines: list[str],
    error_data: Any,
    has_error_data: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "MutationResponse" if kind == "mutation" else "ActionResponse",
        "requestId": request_id,
        "success": success,
        "result": result,
    }
    if kind == "mutation":
        out["ts"] = encode_u64(ts) if success and ts is not None else None
    out["logLines"] = log_lines
    if not success and has_error_data:
        out["errorData"] = error_data
    return out


def auth_error(message: str, base_version: int | None, attempted: bool) -> dict[str, Any]:
    return {
        "type": "AuthError",
        "error": message,
        "baseVersion": base_version,
        "authUpdateAttempted": attempted,
    }


def fatal_error(message: str) -> dict[str, Any]:
    return {"type": "FatalError", "error": message}


PING: dict[str, Any] = {"type": "Ping"}


def dumps(message: dict[str, Any]) -> str:
    """Compact, non-ASCII kept as is, like ``serde_json::to_string``."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def split_transition(text: str) -> list[dict[str, Any]]:
    """Split a serialized Transition into TransitionChunks of at most 5 MB (UTF-8 safe)."""
    data = text.encode("utf-8")
    chunks: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + MAX_MESSAGE_SIZE, len(data))
        # Back off to a character boundary: UTF-8 continuation bytes are 0b10xxxxxx.
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        chunks.append(data[start:end].decode("utf-8"))
        start = end
    transition_id = str(len(data))
    return [
        {
            "type": "TransitionChunk",
            "chunk": chunk,
            "partNumber": i,
            "totalParts": len(chunks),
            "transitionId": transition_id,
        }
        for i, chunk in enumerate(chunks)
    ]


def supports_chunks(request: web.Request) -> bool:
    """npm clients >= 1.28.0 reassemble TransitionChunks; nobody else gets them."""
    header = request.headers.get("Convex-Client")
    if header is not None:
        version = client_version(request)
        return (
            version.name == "npm"
            and version.version is not None
            and version.version >= MIN_NPM_VERSION_FOR_CHUNKS
        )
    param = request.match_info.get("client_version")
    if param is None:
        return False
    match = _SEMVER_RE.match(param)
    if match is None:
        raise HttpFailure(
            400,
            "InvalidClientVersion",
            f"Failed to parse client version: {param!r} is not a semver version",
        )
    parsed = (int(match[1]), int(match[2]), int(match[3]))
    return parsed >= MIN_NPM_VERSION_FOR_CHUNKS
