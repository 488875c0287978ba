"""Headless twins of the console: ``convex-tui run`` and ``convex-tui logs``.

Both take an argparse-like namespace and any settings object with ``.url`` and ``.admin_key``.
The value goes to stdout; errors and function log lines go to stderr.
Exit codes: 0 ok, 1 function error, 2 usage/config/connection problem, 4 write refused
(``--read-only``, or a protected profile without ``--unlock PROFILE``), 130 interrupted.

Blocking, on the standard library (``ConvexHttpClient``): a twin sends a request or two, and
importing httpx and asyncio would cost more than that (issue 19; tests/test_import_hygiene.py
holds `run` to it).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from tui.convex import values
from tui.convex.errors import (
    ConvexClientError,
    ConvexTransportError,
    FunctionError,
    FunctionNotFound,
    Timeout,
)
from tui.safety.guard import EXIT_REFUSED, WriteGuard, WriteRefused, guard_for
from tui.safety.text import safe_stream

if TYPE_CHECKING:
    from tui.config.secret import Secret
    from tui.convex.client import ConvexClient
    from tui.convex.http_client import ConvexHttpClient
    from tui.convex.models import LogEntry
    from tui.convex.results import FunctionResult

EXIT_OK, EXIT_FUNCTION, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Settings(Protocol):
    @property
    def url(self) -> str | None: ...

    @property
    def admin_key(self) -> Secret | None: ...

    @property
    def profile(self) -> str: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def protected(self) -> bool: ...


def parse_function_name(name: str) -> str:
    """Accept what ``npx convex run`` accepts (``parseFunctionName``)."""
    name = name.strip()
    for prefix in ("api.", "internal."):
        if name.startswith(prefix) and ":" not in name and "/" not in name:
            parts = name[len(prefix) :].split(".")
            return "/".join(parts[:-1]) + ":" + parts[-1] if len(parts) > 1 else parts[0]
    if name.startswith("convex/"):
        name = name[len("convex/") :]
    module, sep, export = name.rpartition(":")
    if not sep:
        module, export = name, "default"
    for ext in (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs"):
        if module.endswith(ext):
            module = module[: -len(ext)]
            break
    return f"{module}:{export}"


def loads_json5(text: str) -> Any:
    """JSON5, like `npx convex run`. Plain JSON (most arguments) is read by ``json`` without
    importing json5: JSON5 is a superset and reads it the same way."""
    try:
        return json.loads(text)
    except ValueError:
        import json5

        return json5.loads(text)


def parse_args_json(text: str | None) -> dict[str, Any]:
    """JSON5 (unquoted keys, single quotes, trailing commas) → a Convex args object."""
    if text is None or not text.strip():
        return {}
    try:
        raw = loads_json5(text)
    except RecursionError:
        raise UsageError("Arguments are nested too deeply.") from None
    except ValueError as exc:
        raise UsageError(f"Arguments are not valid JSON5: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError("Arguments must be an object, e.g. '{id: \"abc\"}'.")
    try:
        decoded = values.decode(raw)
    except values.ValueError_ as exc:
        raise UsageError(f"Arguments are not Convex values: {exc}") from None
    if not isinstance(decoded, dict):  # e.g. {"$bytes": ""}: a value, but not an object
        raise UsageError("Arguments must be an object, e.g. '{id: \"abc\"}'.")
    return decoded


class UsageError(Exception):
    pass


def _guard(args: Any, settings: Settings) -> WriteGuard:
    """The target's one write guard; ``--read-only`` wins over ``--unlock``."""
    unlock = None if getattr(args, "read_only", False) else getattr(args, "unlock", None)
    return guard_for(settings, unlock)


def _url(settings: Settings) -> str:
    if not settings.url:
        raise UsageError(
            "No deployment URL. Set CONVEX_SELF_HOSTED_URL or pass --url (see `convex-tui --help`)."
        )
    return settings.url


def _http_client(settings: Settings, guard: WriteGuard | None = None) -> ConvexHttpClient:
    """The twins' blocking client (standard library only)."""
    from tui.convex.http_client import ConvexHttpClient

    return ConvexHttpClient(_url(settings), settings.admin_key, guard=guard)


def _client(settings: Settings, guard: WriteGuard | None = None) -> ConvexClient:
    """The async client (httpx, WebSocket), for twins that follow several sources at once."""
    from tui.convex.client import ConvexClient

    return ConvexClient(_url(settings), settings.admin_key, guard=guard)


def _dump(value: Any, *, pretty: bool) -> str:
    encoded = values.encode(value)
    if pretty:
        return json.dumps(encoded, indent=2, ensure_ascii=False)
    return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- run


# A twin's body; an async one (the logs twin's --follow with containers) runs under asyncio.
Command = Callable[[Any, "Settings", TextIO, TextIO], "int | Awaitable[int]"]


def _entry(
    command: Command, args: Any, settings: Settings, out: TextIO | None, err: TextIO | None,
    *, on_interrupt: int,
) -> int:  # fmt: skip
    """Run one headless command: usage errors exit 2 with a message, Ctrl-C is not a crash.

    Human-readable output (stderr always, stdout unless --json/--jsonl) goes through the
    sanitizer: log lines and errors come from the deployment and may hold escapes or the key."""
    key = settings.admin_key
    safe_err = safe_stream(err or sys.stderr, key)
    as_json = bool(getattr(args, "json", False) or getattr(args, "jsonl", False))
    safe_out = (out or sys.stdout) if as_json else safe_stream(out or sys.stdout, key)
    err = safe_err
    try:
        result = command(args, settings, safe_out, safe_err)
        if not isinstance(result, int):
            import asyncio

            return asyncio.run(_awaited(result))
        return result
    except UsageError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    except ConvexClientError as exc:  # e.g. a malformed URL, refused before any request
        print(f"error: {exc.message}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return on_interrupt
    except (values.ValueError_, RecursionError) as exc:  # a malformed value from the server
        print(f"error: the deployment sent a malformed value: {exc}", file=safe_err)
        return EXIT_USAGE
    except BrokenPipeError:  # `convex-tui logs | head`: the reader left; not an error of ours
        _quiet_stdout()
        return EXIT_OK


async def _awaited(result: Awaitable[int]) -> int:
    return await result


def _quiet_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run_main(
    args: Any, settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    return _entry(_run, args, settings, out, err, on_interrupt=EXIT_INTERRUPTED)


def _run(args: Any, settings: Settings, out: TextIO, err: TextIO) -> int:
    path = parse_function_name(str(args.function))
    fn_args = parse_args_json(getattr(args, "args_json", None))
    identity: dict[str, Any] | None = None
    if getattr(args, "identity", None):
        try:
            identity = loads_json5(args.identity)
        except ValueError as exc:
            raise UsageError(f"--identity is not valid JSON: {exc}") from None
        if not isinstance(identity, dict):
            raise UsageError("--identity must be a JSON object, e.g. '{subject: \"user1\"}'.")
    as_json = bool(getattr(args, "json", False))
    with _http_client(settings, _guard(args, settings)) as client:
        try:
            result = client.run_function(path, fn_args, identity=identity)
        except WriteRefused as exc:
            if as_json:
                refused = {"status": "refused", "errorMessage": str(exc), "reason": exc.reason}
                print(json.dumps(refused, ensure_ascii=False), file=out)
            print(f"error: {exc}", file=err)
            print("nothing was written: the backend ran no mutation or action", file=err)
            return EXIT_REFUSED
        except FunctionError as exc:
            if not as_json:  # the JSON body carries them; printing both shows each twice
                for line in exc.log_lines:
                    print(str(line), file=err)
            if as_json:
                body: dict[str, Any] = {
                    "status": "error",
                    "errorMessage": exc.message,
                    "requestId": exc.request_id,
                }
                if exc.has_data:
                    body["errorData"] = values.encode(exc.data)
                if exc.log_lines:
                    body["logLines"] = [str(x) for x in exc.log_lines]
                print(json.dumps(body, ensure_ascii=False), file=out)
            print(exc.message.rstrip(), file=err)
            if isinstance(exc, FunctionNotFound):
                _list_available(client, err)
            return EXIT_FUNCTION
        except ConvexTransportError as exc:
            print(f"error: {exc.message}", file=err)
            return EXIT_USAGE
    _print_result(result, as_json, out, err)
    return EXIT_OK


def _list_available(client: ConvexHttpClient, err: TextIO) -> None:
    """Like `npx convex run`: after "Could not find function", say what there is."""
    try:
        specs = client.list_functions()
    except (FunctionError, ConvexTransportError):
        return
    names = sorted(f"{s.path} ({s.function_type.lower()})" for s in specs if not s.is_http)
    if names:
        print("Available functions:", file=err)
        for name in names:
            print(f"  {name}", file=err)


def _print_result(result: FunctionResult, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        body = {
            "status": "success",
            "value": values.encode(result.value),
            "logLines": [str(x) for x in result.log_lines],
            "requestId": result.request_id,
            "durationMs": round(result.duration_ms, 3),
        }
        print(json.dumps(body, ensure_ascii=False), file=out)
        return  # the log lines are in the body: not on stderr too
    for line in result.log_lines:
        print(str(line), file=err)
    if result.value is not None:  # like `npx convex run`, null prints nothing
        print(_dump(result.value, pretty=True), file=out)


# ---------------------------------------------------------------- logs


def format_entry(entry: LogEntry) -> list[str]:
    """``<time> [CONVEX Q(path)] [LEVEL] message`` lines, like ``npx convex logs``."""
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.timestamp))
    ms = int((entry.timestamp % 1) * 1000)
    prefix = f"{stamp}.{ms:03d} [CONVEX {entry.type_letter}({entry.identifier})]"
    lines = [f"{prefix} [{ln.level}] {ln.message}" for ln in entry.log_lines]
    if entry.error:
        lines.append(f"{prefix} [ERROR] {entry.error.rstrip()}")
    elif entry.kind == "Completion" and not entry.log_lines and entry.execution_time is not None:
        lines.append(f"{prefix} Function executed in {entry.execution_time * 1000:.0f} ms")
    return lines


def logs_main(
    args: Any, settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    # Ctrl-C is how `logs --follow` ends: a normal exit.
    return _entry(_logs, args, settings, out, err, on_interrupt=EXIT_OK)


def _logs(args: Any, settings: Settings, out: TextIO, err: TextIO) -> int:
    history = getattr(args, "history", None)
    jsonl = bool(getattr(args, "jsonl", False))
    follow = bool(getattr(args, "follow", False))

    def emit(entry: LogEntry) -> None:
        if jsonl:
            print(json.dumps(dict(entry.raw), ensure_ascii=False), file=out)
        else:
            for line in format_entry(entry):
                print(line, file=out)
        out.flush()

    with _http_client(settings) as client:
        try:
            # A stalled backend holds requests just like an empty log does: ask /version first,
            # with a bound, so "no entries" is never silence from a dead server.
            try:
                client.version(timeout=REACH_WAIT_S)
            except Timeout:
                raise GaveUp(f"the deployment did not answer within {REACH_WAIT_S:.0f} s") from None
            except ConvexClientError:
                pass  # refused, 404…: the log request below says what is wrong
            if not follow:
                # One answer: the backlog (all of it, or the last N with --history N).
                once = client.stream_logs(history=int(history) if history is not None else True)
                entries = once.snapshot()
                for entry in entries:
                    emit(entry)
                if not entries:
                    print("(no log entries yet)", file=err)
                return EXIT_OK
            stream = client.stream_logs(
                history=int(history) if history is not None else False,
                on_error=_FollowStatus(err).report,
            )
            from tui.convex.logcursor import BACKEND_RING

            overflows = 0
            while True:
                entries = stream.fetch()
                if stream.overflows != overflows:  # said before the entries after the gap
                    overflows = stream.overflows
                    print(
                        f"logs: lines lost: {stream.overflow_size:,} executions arrived between "
                        f"two polls; the backend keeps the last {BACKEND_RING:,}",
                        file=err,
                        flush=True,
                    )
                for entry in entries:
                    emit(entry)
        except ConvexClientError as exc:
            print(f"error: {exc.message}", file=err)
            return EXIT_USAGE
    return EXIT_OK


REACH_WAIT_S = 10.0  # how long `logs` waits for /version before saying the backend is stalled
FOLLOW_GIVE_UP_S = 120.0  # `logs --follow` gives up after failing this long in a row


class GaveUp(ConvexClientError):
    """A bounded wait ran out; the command says so and exits non-zero."""


class _FollowStatus:
    """`logs --follow`'s status line on stderr: what is wrong, that it retries, and when it
    gives up (every wait has a bound)."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._since: float | None = None
        self._last = ""

    def report(self, exc: ConvexTransportError | None) -> None:
        if exc is None:
            if self._since is not None:
                print("logs: connected again", file=self._err, flush=True)
            self._since, self._last = None, ""
            return
        now = time.monotonic()
        if self._since is None:
            self._since = now
        if exc.message != self._last:
            self._last = exc.message
            print(f"logs: {exc.message} — retrying", file=self._err, flush=True)
        if now - self._since > FOLLOW_GIVE_UP_S:
            raise GaveUp(f"gave up after {FOLLOW_GIVE_UP_S:.0f} s: {exc.message}")
