"""Why a user JWT is refused: the sandbox has no auth providers (no ``auth.config.ts``).

Shared by the HTTP API (``http_auth``) and the sync socket (``sync_protocol``)."""

from __future__ import annotations

import base64
import binascii
import json

NO_PROVIDERS = (
    "No auth provider found matching the given token (no providers configured). "
    "Check convex/auth.config.ts."
)
BAD_JWT = (
    "Could not parse JWT payload. Check that the token is a valid JWT format with three "
    "base64-encoded parts separated by dots."
)
NO_ISSUER = (
    "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim "
    "that matches one of your configured auth providers."
)


def jwt_error(token: str) -> str:
    """The sandbox has no auth providers, so every JWT fails; say why as the backend does."""
    parts = token.split(".")
    if len(parts) != 3:
        return BAD_JWT
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return BAD_JWT
    if not isinstance(claims, dict):
        return BAD_JWT
    return NO_PROVIDERS if isinstance(claims.get("iss"), str) else NO_ISSUER
