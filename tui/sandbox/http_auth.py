"""Authorization header parsing and the HTTP error contract (reference §1)."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tui.sandbox.engine import NONE, Deployment, Identity
from tui.sandbox.jwt import BAD_JWT, jwt_error

BAD_ADMIN_KEY = "The provided admin key was invalid for this instance"
BAD_DEPLOY_KEY = (
    "The provided deploy key was invalid for this deployment. Double check that the environment "
    "this key was generated for matches the desired deployment."
)
_CLIENT_RE = re.compile(r"^(?P<name>.+?)-(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")


_compact = functools.partial(json.dumps, separators=(",", ":"))


def json_response(data: Any, status: int = 200) -> web.Response:
    """Compact JSON like axum/serde: clients show these bytes to people verbatim."""
    return web.json_response(data, status=status, dumps=_compact)


class HttpFailure(Exception):
    """An HTTP-level error: ``{code, message}`` with a status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        return json_response({"code": self.code, "message": self.message}, status=self.status)


@dataclass(frozen=True)
class ClientVersion:
    name: str
    version: tuple[int, int, int] | None

    def default_format(self) -> str:
        """Encoded JSON only for old npm and python clients (§2.1)."""
        if self.version is not None:
            if self.name == "npm" and self.version < (1, 4, 1):
                return "convex_encoded_json"
            if self.name in ("python", "python-convex") and self.version < (0, 5, 0):
                return "convex_encoded_json"
        return "json"

    @property
    def structured_logs(self) -> bool:
        return self.name in ("npm-cli", "dashboard")


def client_version(request: web.Request) -> ClientVersion:
    header = request.headers.get("Convex-Client")
    if header is None:
        return ClientVersion("unknown", None)
    match = _CLIENT_RE.match(header)
    if not match:
        raise HttpFailure(400, "InvalidClientVersion", f"Invalid client version: {header!r}")
    parts = re.match(r"(\d+)\.(\d+)\.(\d+)", match["version"])
    assert parts is not None
    ver = (int(parts[1]), int(parts[2]), int(parts[3]))
    name = match["name"]
    if (name == "npm" and ver <= (0, 19, 1)) or (name == "python" and ver <= (0, 0, 2)):
        raise HttpFailure(
            400,
            "ClientVersionUnsupported",
            f"Convex client {name} {match['version']} is no longer supported.",
        )
    return ClientVersion(name, ver)


def _decode_acting_as(encoded: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise HttpFailure(400, "InvalidActingAsUser", "Could not parse acting-as user") from exc
    if not isinstance(data, dict):
        raise HttpFailure(400, "InvalidActingAsUser", "Acting-as user must be an object")
    if "tokenIdentifier" not in data and "issuer" in data and "subject" in data:
        data["tokenIdentifier"] = f"{data['issuer']}|{data['subject']}"
    return data


def _reject_jwt(token: str) -> HttpFailure:
    """The sandbox has no auth providers (no auth.config.ts push), so every user JWT fails,
    over HTTP exactly as over the sync socket."""
    message = jwt_error(token)
    code = "InvalidAuthHeader" if message == BAD_JWT else "NoAuthProvider"
    return HttpFailure(401, code, message)


def identity_for_key(deployment: Deployment, key: str) -> Identity:
    """``<key>`` or ``<key>:<base64 identity JSON>`` → admin identity, or 401."""
    user = None
    head, sep, tail = key.rpartition(":")
    if sep and "|" not in tail and "|" in head:
        key, user = head, _decode_acting_as(tail)
    name, bar, _rest = key.partition("|")
    if bar and ":" in name:  # "prod:convex-self-hosted|..." → strip the type prefix
        key = key.split(":", 1)[1]
    if not deployment.check_admin_key(key):
        raise HttpFailure(401, "BadAdminKey", BAD_ADMIN_KEY)
    return Identity("admin", user)


def parse_identity(deployment: Deployment, request: web.Request) -> Identity:
    header = request.headers.get("Authorization")
    if header is not None:
        if len(header) < 7:
            raise HttpFailure(400, "InvalidHeaderFailure", "Invalid Authorization header")
        if header[:7].lower() == "convex ":
            return identity_for_key(deployment, header[7:].strip())
        if header[:7].lower() == "bearer ":
            raise _reject_jwt(header[7:].strip())
        raise HttpFailure(400, "InvalidAdminKey", "Invalid admin key")
    key = request.query.get("adminKey")
    if key:
        return identity_for_key(deployment, key)
    return NONE


def require_admin(identity: Identity) -> None:
    if identity.kind not in ("admin", "system"):
        raise HttpFailure(403, "BadDeployKey", BAD_DEPLOY_KEY)
