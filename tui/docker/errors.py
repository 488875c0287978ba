"""Typed Docker errors. Callers never see docker SDK, requests or urllib3 exception types.

Every message says what is wrong and, where there is one, the fix, so the status pane can show it
as is.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator


class DockerError(Exception):
    """Base of every error raised by :mod:`tui.docker`."""


class DockerUnavailable(DockerError):
    """No engine answers: no socket, connection refused, or the engine stopped mid-stream."""

    def __init__(self, base_url: str, detail: str = "") -> None:
        self.base_url = base_url
        self.detail = detail
        msg = (
            f"Docker engine not reachable at {base_url}: start it "
            "(sudo systemctl start docker, or sudo dockerd)"
        )
        super().__init__(f"{msg} [{detail}]" if detail else msg)


class DockerPermissionDenied(DockerError):
    """The socket exists but this user may not open it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        super().__init__(
            f"Permission denied on the Docker socket {base_url}: add your user to the docker "
            "group (sudo usermod -aG docker $USER, then log in again)"
        )


class ContainerNotFound(DockerError):
    def __init__(self, container: str) -> None:
        self.container = container
        super().__init__(f"No such container: {container} (was it removed or recreated?)")


class DockerOperationFailed(DockerError):
    """The engine answered but refused or failed the operation."""

    def __init__(self, operation: str, detail: str) -> None:
        self.operation = operation
        self.detail = detail
        super().__init__(f"{operation} failed: {detail}")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts, and exceptions tucked into ``args``.

    requests/urllib3 hide the OSError in ``args`` (``ProtocolError('Connection aborted.',
    PermissionError(13, ...))``) rather than in ``__cause__``, so both are walked.
    """
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        stack.extend(a for a in cur.args if isinstance(a, BaseException))
        for nxt in (cur.__cause__, cur.__context__, getattr(cur, "reason", None)):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


def classify_connection_error(exc: BaseException, base_url: str) -> DockerError | None:
    """Map a failure to reach the engine to a typed error, or ``None`` if it is not one."""
    for cause in _causes(exc):
        if isinstance(cause, PermissionError) or (
            isinstance(cause, OSError) and cause.errno in (errno.EACCES, errno.EPERM)
        ):
            return DockerPermissionDenied(base_url)
    text = " ".join(str(c) for c in _causes(exc))
    if "Permission denied" in text:
        return DockerPermissionDenied(base_url)
    for cause in _causes(exc):
        if isinstance(cause, FileNotFoundError):
            return DockerUnavailable(base_url, "no socket")
        if isinstance(cause, ConnectionRefusedError):
            return DockerUnavailable(base_url, "connection refused")
        if isinstance(cause, (ConnectionError, TimeoutError)):
            return DockerUnavailable(base_url, type(cause).__name__)
    connection_words = (
        "Connection aborted",
        "Connection refused",
        "No such file or directory",
        "Max retries exceeded",
        "Read timed out",
        "Error while fetching server API version",
        "RemoteDisconnected",
    )
    if any(w in text for w in connection_words):
        return DockerUnavailable(base_url, _short(text))
    return None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translate(
    exc: BaseException, base_url: str, operation: str, container: str = ""
) -> DockerError:
    """Turn any exception from the docker SDK (or below it) into a :class:`DockerError`."""
    if isinstance(exc, DockerError):
        return exc
    # Imported here: keeps `import tui.docker.errors` cheap for code that only catches errors.
    import docker.errors

    if isinstance(exc, docker.errors.NotFound) and container:
        return ContainerNotFound(container)
    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        return DockerOperationFailed(operation, _short(str(explanation or exc), 300))
    classified = classify_connection_error(exc, base_url)
    if classified is not None:
        return classified
    return DockerOperationFailed(operation, _short(f"{type(exc).__name__}: {exc}", 300))
