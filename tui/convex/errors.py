"""Errors raised by the Convex client.

Two families that callers handle differently:

* :class:`FunctionError` — the deployment ran (or refused to run) a function and reported an
  error *about the function*: a thrown exception, a ``ConvexError`` with data, invalid arguments,
  an unknown function. The connection is fine.
* :class:`ConvexTransportError` — we could not get a usable answer: unreachable host, TLS or URL
  mistakes, bad/insufficient admin key, timeouts, server failures, malformed responses.

Every error has a human ``message``. Messages never contain the admin key: the client scrubs
them with :func:`scrub` before raising.
"""

from __future__ import annotations

import re
from typing import Any

from tui.convex.results import LogLine
from tui.safety.text import scrub_secret

_REQUEST_ID = re.compile(r"\[Request ID: ([0-9A-Za-z_-]+)\]")


class ConvexClientError(Exception):
    """Root of every error this package raises."""

    title = "Convex error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------- function errors


class FunctionError(ConvexClientError):
    """A function call completed with ``status: "error"`` (reference §2.2)."""

    title = "Function error"

    def __init__(
        self,
        message: str,
        *,
        data: Any = None,
        has_data: bool = False,
        request_id: str | None = None,
        log_lines: tuple[LogLine, ...] = (),
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.data = data
        self.has_data = has_data
        self.request_id = request_id or request_id_of(message)
        self.log_lines = log_lines
        self.path = path

    @property
    def summary(self) -> str:
        """The message without the ``[Request ID: …] Server Error`` preamble and stack frames."""
        text = _REQUEST_ID.sub("", self.message).strip()
        if text.startswith("Server Error"):
            text = text[len("Server Error") :].strip() or "Server Error"
        lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("at ")]
        return "\n".join(lines).strip() or self.message


class FunctionNotFound(FunctionError):
    """No public (or, for admins, internal) function at that path, or the wrong function type."""

    title = "Unknown function"


class InvalidArguments(FunctionError):
    """The arguments did not match the function's validator."""

    title = "Invalid arguments"


def function_error(
    message: str,
    *,
    data: Any = None,
    has_data: bool = False,
    request_id: str | None = None,
    log_lines: tuple[LogLine, ...] = (),
    path: str | None = None,
) -> FunctionError:
    """Build the most specific :class:`FunctionError` subclass for a server error message."""
    cls: type[FunctionError] = FunctionError
    if (
        "Could not find public function" in message
        or "Could not find function" in message
        or "Trying to execute" in message
        and "but it is defined as" in message
    ):
        cls = FunctionNotFound
    elif "ArgumentValidationError" in message or "does not match validator" in message:
        cls = InvalidArguments
    return cls(
        message,
        data=data,
        has_data=has_data,
        request_id=request_id_of(message) or request_id,
        log_lines=log_lines,
        path=path,
    )


def request_id_of(message: str) -> str | None:
    match = _REQUEST_ID.search(message)
    return match.group(1) if match else None


# ---------------------------------------------------------------- transport errors


class ConvexTransportError(ConvexClientError):
    """We could not get a usable answer from the deployment."""

    title = "Connection problem"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Unreachable(ConvexTransportError):
    title = "Deployment unreachable"


class TlsError(ConvexTransportError):
    title = "TLS error"


class BadUrl(ConvexTransportError):
    title = "Invalid deployment URL"


class Timeout(ConvexTransportError):
    title = "Timed out"


class BadAdminKey(ConvexTransportError):
    """HTTP 401: the key does not belong to this deployment."""

    title = "Invalid admin key"


class PermissionDenied(ConvexTransportError):
    """HTTP 403: no key, a non-admin identity, or a key lacking the operation."""

    title = "Permission denied"


class NotFound(ConvexTransportError):
    """HTTP 404: the route does not exist (often: the URL is not a Convex deployment)."""

    title = "Not found"


class BadRequest(ConvexTransportError):
    """HTTP 400 with a ``{code, message}`` body, e.g. an invalid environment variable name."""

    title = "Rejected request"


class ServerError(ConvexTransportError):
    """HTTP 5xx or 429: the deployment failed or is overloaded; retrying may help."""

    title = "Server error"


class MalformedResponse(ConvexTransportError):
    """The server answered, but not with what the Convex protocol says it should."""

    title = "Unexpected response"


class ConnectionLost(ConvexTransportError):
    """The WebSocket closed while a request was in flight and it cannot be retried."""

    title = "Connection lost"


# The one implementation lives with the sanitizer.
scrub = scrub_secret
