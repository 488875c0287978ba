"""The standing property suite (issue 9): hostile input through every parser, counted.

Encoded values, function arguments, env files, URLs, the sanitizer, and server responses to the
client (HTTP function results, log pages, sync messages) and to the sandbox (sync messages). Each
property says what may happen — a value or the module's own clear error — and anything else is an
unhandled exception, i.e. a failure. The module checks at the end that at least
``MIN_CASES`` cases were generated in this run.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.config.envfiles import read_env_file
from tui.config.model import looks_like_url
from tui.config.secret import Secret
from tui.convex import values
from tui.convex.commands import UsageError, format_entry, parse_args_json
from tui.convex.errors import ConvexClientError
from tui.convex.http import HttpTransport
from tui.convex.logstream import _parse as parse_log_page
from tui.convex.sync_client import SyncClient
from tui.convex.sync_types import Reconnect
from tui.safety.text import clean, clean_line, scrub_url, show_url
from tui.sandbox import sync_protocol as proto

MIN_CASES = 10_000
CASES: Counter[str] = Counter()
KEY = "convex-self-hosted|" + "0123456789abcdef" * 4
FAST = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # CI: the same budget each run, no example replay skewing the count
)

# ---------------------------------------------------------------- strategies

HOSTILE_CHARS = st.sampled_from(
    ["\x1b", "\x1b[", "\x1b]", "\x07", "\x9b", "\x9d", "\u202e", "\u2066", "\x00", "\r", "\n",
     "[", "]", "$", "|", "%", "@", "?", "#", ":", "/", "\ud800", "\t", "\x7f", "\u200b"]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(HOSTILE_CHARS, st.text(max_size=4)), max_size=12).map("".join),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), TEXT,
)  # fmt: skip
WRAPPER_KEYS = st.sampled_from(["$integer", "$float", "$bytes", "$set", "$map", "$x", "ok"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(TEXT, WRAPPER_KEYS), inner, max_size=4),
        st.builds(lambda k, v: {k: v}, WRAPPER_KEYS, st.one_of(inner, st.binary(max_size=9).map(
            lambda b: __import__("base64").b64encode(b).decode()))),
    ),
    max_leaves=20,
)  # fmt: skip
CONVEX_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.text(max_size=20), st.binary(max_size=16),
        st.floats(allow_nan=False), st.integers(-(2**63), 2**63 - 1).map(values.Int64),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8).filter(lambda k: not k.startswith("$")), inner,
                        max_size=4),
    ),
    max_leaves=15,
)  # fmt: skip


def cases(n: int) -> settings:
    return settings(FAST, max_examples=n)


def _count(name: str) -> None:
    CASES[name] += 1


@pytest.fixture(scope="module", autouse=True)
def enough_cases() -> Iterator[None]:
    yield
    total = sum(CASES.values())
    print(f"\nproperty cases generated: {total} ({dict(CASES)})")
    if len(CASES) == len(PROPERTIES):  # the whole module ran (not a -k subset)
        assert total >= MIN_CASES, f"only {total} generated cases"


def inert(text: str) -> bool:
    """Nothing a terminal would act on: no ESC, no C0 but newline/tab, no C1, no format chars."""
    return all(
        c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in text
    ) and not any(c in text for c in "\u2028\u2029")


# ---------------------------------------------------------------- values and arguments


@cases(2500)
@given(JSON)
def test_decode_gives_a_value_or_a_clear_error(data: Any) -> None:
    _count("decode")
    try:
        values.decode(data)
    except values.ValueError_:
        pass


@cases(1200)
@given(CONVEX_VALUES)
def test_encode_decode_round_trip(value: Any) -> None:
    _count("round_trip")
    encoded = values.encode(value)
    assert values.encode(values.decode(json.loads(json.dumps(encoded)))) == encoded


@cases(1500)
@given(st.one_of(TEXT, JSON.map(json.dumps), st.just("[" * 3000)))
def test_function_arguments_parse_or_say_why(text: str) -> None:
    _count("args")
    try:
        out = parse_args_json(text)
    except UsageError:
        return
    assert isinstance(out, dict)


# ---------------------------------------------------------------- env files and URLs

_ENV_DIR = Path(tempfile.mkdtemp(prefix="i9-env-"))


@cases(800)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.lists(st.tuples(st.from_regex(r"[A-Z_]{1,12}", fullmatch=True), TEXT), max_size=6).map(
            lambda kv: "\n".join(f"{k}={v}" for k, v in kv).encode("utf-8", "replace")
        ),
    )
)
def test_env_files_read_or_report_problems(raw: bytes) -> None:
    _count("env")
    path = _ENV_DIR / ".env.convex.local"
    path.write_bytes(raw)
    env = read_env_file(path)
    for value in env.values.values():
        looks_like_url(value)  # every value may be a URL someone shows
        assert inert(show_url(value))


@cases(2000)
@given(
    st.one_of(
        TEXT,
        st.builds(
            lambda scheme, host, port, rest: f"{scheme}://{host}{port}{rest}",
            st.sampled_from(["http", "https", "ws", ""]),
            st.one_of(TEXT, st.sampled_from(["[x]", "[::1]", "user:pw@h", "h", "[", "]"])),
            st.sampled_from(["", ":3210", ":99999", ":x", ":"]),
            st.one_of(TEXT, st.just(f"/?adminKey={KEY}"), st.just(f"/{KEY}")),
        ),
    )
)
def test_urls_are_shown_inert_and_key_free(url: str) -> None:
    _count("urls")
    shown = show_url(url, Secret(KEY))
    looks_like_url(url)
    scrub_url(url)
    assert inert(shown)
    assert KEY not in shown and KEY.split("|")[1] not in shown
    half = len(KEY) // 2
    assert KEY[:half] not in shown and KEY[half:] not in shown


@cases(2000)
@given(st.one_of(TEXT, st.binary(max_size=60)), st.booleans())
def test_clean_leaves_nothing_a_terminal_acts_on(raw: str | bytes, keep_sgr: bool) -> None:
    _count("clean")
    out = clean(raw, keep_sgr=keep_sgr)
    if keep_sgr:
        out = __import__("re").sub(r"\x1b\[[0-9;:]*m", "", out)
    assert inert(out)
    assert inert(clean_line(raw, 20)) and "\n" not in clean_line(raw)
    assert clean(clean(raw)) == clean(raw)


# ---------------------------------------------------------------- server responses


_HTTP = HttpTransport("http://127.0.0.1:9", None, timeout=1.0, client_name="py-test")


@cases(1500)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"status": st.sampled_from(["success", "error", 1])},
            optional={"value": JSON, "errorMessage": JSON, "errorData": JSON, "logLines": JSON},
        ),
    )
)
def test_function_results_from_a_server_are_values_or_client_errors(data: Any) -> None:
    _count("udf_result")
    try:
        _HTTP.udf_result(data, "m:f", 1.0, None)
    except ConvexClientError:
        pass


@cases(1000)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"entries": st.lists(st.dictionaries(st.sampled_from(
                ["kind", "identifier", "timestamp", "logLines", "error", "udfType",
                 "executionTime", "requestId"]), JSON, max_size=8), max_size=4)},
            optional={"newCursor": JSON},
        ),
    )
)  # fmt: skip
def test_log_pages_from_a_server_parse_or_are_malformed(data: Any) -> None:
    _count("log_page")
    try:
        entries, _cursor = parse_log_page(data)
    except ConvexClientError:
        return
    for entry in entries:
        for line in format_entry(entry):
            assert isinstance(line, str)


_LOOP = asyncio.new_event_loop()


@cases(1000)
@given(
    st.one_of(
        TEXT,
        JSON.map(json.dumps),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["Transition", "MutationResponse", "AuthError", "FatalError",
                                      "ActionResponse", "Ping", 5])},
            optional={"startVersion": JSON, "endVersion": JSON, "modifications": JSON,
                      "requestId": JSON, "success": JSON, "result": JSON, "ts": JSON},
        ).map(json.dumps),
    )
)  # fmt: skip
def test_sync_messages_from_a_server_are_handled_or_reconnect(raw: str) -> None:
    _count("sync_client")
    client = SyncClient("http://127.0.0.1:9", None, "py-test")
    try:
        _LOOP.run_until_complete(client._handle(raw))
    except Reconnect:
        pass


@cases(1000)
@given(
    st.one_of(
        TEXT,
        JSON.map(json.dumps),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["Connect", "ModifyQuerySet", "Mutation", "Action",
                                      "Authenticate", "Event", 5])},
            optional={"sessionId": JSON, "baseVersion": JSON, "newVersion": JSON,
                      "modifications": JSON, "requestId": JSON, "udfPath": JSON, "args": JSON,
                      "tokenType": JSON, "value": JSON},
        ).map(json.dumps),
    )
)  # fmt: skip
def test_sync_messages_to_the_sandbox_parse_or_are_protocol_errors(raw: str) -> None:
    _count("sync_sandbox")
    try:
        message = proto.parse_client_message(raw)
    except proto.ProtocolError:
        return
    args = getattr(message, "args", None)
    if args is not None:
        proto.decode_args(args)  # returns the args or an error text, never raises


PROPERTIES = [name for name in dir() if name.startswith("test_")]
