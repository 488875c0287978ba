"""`convex env set/get/list/remove` and `convex logs --history` (convex@1.48.0) against the sandbox."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.peers.conftest import ConvexCli, LineReader, call

pytestmark = [pytest.mark.peers, pytest.mark.timeout(120)]

LOG_LINE = re.compile(r"^.+ \[CONVEX (?P<kind>[QMAH])\((?P<path>[^)]+)\)\] (?P<rest>.*)$")


def env_names(convex_cli: ConvexCli) -> list[str]:
    result = convex_cli.run("run", "debug:checkEnv")
    assert result.code == 0, result.describe()
    names = json.loads(result.stdout)["set"]
    assert isinstance(names, list), result.describe()
    return names


def test_env_set_get_list_remove(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    name = "PEER_TEST_FOO"
    assert name not in env_names(convex_cli)

    set_ = convex_cli.run("env", "set", name, "bar baz")
    assert set_.code == 0, set_.describe()
    assert f"✔ Successfully set {name}" in set_.stderr, set_.describe()

    got = convex_cli.run("env", "get", name)
    assert got.code == 0 and got.stdout == "bar baz\n", got.describe()

    listed = convex_cli.run("env", "list", "--include-values")
    assert listed.code == 0, listed.describe()
    lines = listed.stdout.splitlines()
    assert f"{name}=bar baz" in lines, listed.describe()
    assert lines == sorted(lines), "env list is sorted by name"

    # Functions see the change, and so does the HTTP listing the dashboard uses.
    assert name in env_names(convex_cli)
    http_list = admin_http.get("/api/list_environment_variables")
    assert http_list.status_code == 200, http_list.text
    assert http_list.json()["environmentVariables"][name] == "bar baz"

    removed = convex_cli.run("env", "remove", name)
    assert removed.code == 0, removed.describe()
    assert f"✔ Successfully unset {name}" in removed.stderr, removed.describe()

    gone = convex_cli.run("env", "get", name)
    assert gone.stdout == "", gone.describe()
    assert f'Environment variable "{name}" not found' in gone.stderr, gone.describe()
    assert name not in env_names(convex_cli)

    invalid = convex_cli.run("env", "set", "1BAD-NAME", "x")
    assert invalid.code == 1, invalid.describe()
    # crates/common/src/types/environment_variables.rs, surfaced by the CLI's deploymentFetch.
    assert (
        "400 Bad Request: EnvironmentVariableNameInvalid: The environment variable name 1BAD-NAME "
        "is invalid. Environment variable names must begin with a letter and may only include "
        "characters a-z, A-Z, 0-9, and underscores."
    ) in invalid.stderr, invalid.describe()


def test_logs_history_then_live(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    # Something for --history to show, then start tailing.
    call(admin_http, "query", "tasks:list", {"status": "completed"})
    proc = convex_cli.popen("logs", "--history", "5")
    assert proc.stdout is not None
    reader = LineReader(proc.stdout)
    try:
        history = reader.wait_for(lambda line: "[CONVEX Q(tasks:list)]" in line, 20)
        assert history is not None, "history lines missing:\n" + "\n".join(reader.lines)
        match = LOG_LINE.match(history)
        # Convex quotes string arguments of console.log: `[LOG] 'Listing tasks ...'`.
        assert match and match["rest"].startswith("[LOG] "), history
        assert "Listing tasks (status=completed)" in match["rest"], history

        call(admin_http, "mutation", "messages:send", {"body": "hello logs", "author": "peer"})
        sent = reader.wait_for(lambda line: "[CONVEX M(messages:send)]" in line, 20)
        assert sent is not None, "live mutation log missing:\n" + "\n".join(reader.lines)
        # object-inspect formats each console.log argument (udf-runtime/src/02_console.ts).
        assert sent.endswith("[LOG] 'Message from' 'peer'"), sent

        failed = admin_http.post("/api/query", json={"path": "debug:fail", "args": {}})
        assert failed.status_code == 200 and failed.json()["status"] == "error", failed.text
        error_line = reader.wait_for(
            lambda line: (
                "[CONVEX Q(debug:fail)]" in line
                and "[ERROR]" not in line
                and "Server Error" not in line
            ),
            20,
        )
        assert error_line is not None, "function error missing:\n" + "\n".join(reader.lines)
        # A Completion's `error` is the JS error and stack, without the request-id prefix.
        assert error_line.endswith(
            "[CONVEX Q(debug:fail)] Uncaught Error: Something went wrong (debug:fail throws on purpose)"
        ), error_line
        logged = [line for line in reader.lines if "[CONVEX Q(debug:fail)] [ERROR]" in line]
        assert logged and logged[0].endswith("[ERROR] 'About to throw on purpose'"), reader.lines

        call(admin_http, "function", "rag:generateQueryEmbedding", {"query": "logs"})
        progress = reader.wait_for(
            lambda line: "[CONVEX A(rag:generateQueryEmbedding)]" in line, 20
        )
        assert progress is not None, "action log missing:\n" + "\n".join(reader.lines)
        assert progress.endswith("[LOG] 'Generating embedding for query:' 'logs'"), progress
        ready = reader.wait_for(
            lambda line: "[CONVEX A(rag:generateQueryEmbedding)] [INFO]" in line, 10
        )
        assert ready is not None and ready.endswith("'Embedding ready (8 dimensions)'"), (
            reader.lines
        )
    finally:
        proc.kill()
        proc.wait(timeout=10)
    unparsed = [line for line in reader.lines if "Could not parse console.log" in line]
    assert not unparsed, unparsed


def test_cli_rejects_a_wrong_admin_key(convex_cli: ConvexCli) -> None:
    wrong = "convex-self-hosted|01" + "ab" * 48
    result = convex_cli.run("run", "tasks:list", timeout=20, CONVEX_SELF_HOSTED_ADMIN_KEY=wrong)
    assert result.code == 1, result.describe()
    assert result.stdout == ""
    # ConvexHttpClient shows the raw body, so its exact bytes are user-visible.
    body = '{"code":"BadAdminKey","message":"The provided admin key was invalid for this instance"}'
    assert f'Failed to run function "tasks:list":\nError: {body}' in result.stderr, (
        result.describe()
    )


COMPLETION_FIELDS = {
    "kind", "udfType", "componentPath", "identifier", "logLines", "timestamp", "cachedResult",
    "caller", "parentExecutionId", "executionTime", "userExecutionTime", "success", "error",
    "requestId", "executionId", "usageStats", "returnBytes", "occInfo", "willRetry",
    "executionTimestamp", "identityType", "environment",
}  # fmt: skip


def test_logs_jsonl_raw_entries(convex_cli: ConvexCli, admin_http: httpx.Client) -> None:
    call(admin_http, "mutation", "messages:send", {"body": "jsonl", "author": "peer"})
    proc = convex_cli.popen("logs", "--history", "1", "--jsonl")
    assert proc.stdout is not None
    reader = LineReader(proc.stdout)
    try:
        line = reader.wait_for(lambda text: text.startswith("{"), 20)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert line is not None, "no JSON entry:\n" + "\n".join(reader.lines)
    entry = json.loads(line)
    assert entry["kind"] == "Completion" and entry["identifier"] == "messages:send", entry
    assert set(entry) == COMPLETION_FIELDS, set(entry) ^ COMPLETION_FIELDS
    assert entry["udfType"] == "Mutation" and entry["caller"] == "HttpApi"
    # Times are seconds (f64), structured log lines go to npm-cli clients.
    assert 1.6e9 < entry["timestamp"] < 1e10 and 0 <= entry["executionTime"] < 60
    [log_line] = entry["logLines"]
    assert log_line["level"] == "LOG" and log_line["messages"] == ["'Message from'", "'peer'"]
    assert log_line["isTruncated"] is False and 1.6e12 < log_line["timestamp"] < 1e13
