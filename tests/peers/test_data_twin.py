"""`convex-tui data` beside `npx convex data` (convex@1.48.0) on the same sandbox."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from tests.peers.conftest import ConvexCli, Sandbox, call
from tui.cli import build_parser, settings_from_args
from tui.data.command import data_main

pytestmark = [pytest.mark.peers, pytest.mark.timeout(180)]


def twin(sandbox: Sandbox, table: str | None = None, **flags: Any) -> tuple[int, str, str]:
    """`convex-tui data …` through the real parser and settings (as the CLI runs it)."""
    argv = ["--url", sandbox.url, "--admin-key", sandbox.admin_key, "data"]
    argv += [table] if table else []
    argv += ["--limit", str(flags.get("limit", 100)), "--order", flags.get("order", "desc")]
    for expr in flags.get("filter", []):
        argv += ["--filter", expr]
    argv += ["--format", flags.get("format", "pretty")]
    argv += ["--system"] if flags.get("system") else []
    args = build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = data_main(args, settings_from_args(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def npx_docs(cli: ConvexCli, *args: str) -> list[dict[str, Any]]:
    result = cli.run("data", *args, "--format", "jsonl")
    assert result.code == 0, result.describe()
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def twin_docs(sandbox: Sandbox, table: str, **flags: Any) -> list[dict[str, Any]]:
    code, out, err = twin(sandbox, table, format="jsonl", **flags)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_tables_and_counts_equal_what_npx_prints(convex_cli: ConvexCli) -> None:
    listed = convex_cli.run("data")
    assert listed.code == 0, listed.describe()
    code, out, err = twin(convex_cli.sandbox)
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == listed.stdout.split()
    for name, count in rows:
        docs = npx_docs(convex_cli, name, "--limit", "100000")
        assert int(count) == len(docs), name


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("limit", [1, 7, 25, 100])
def test_pages_equal_what_npx_prints(convex_cli: ConvexCli, order: str, limit: int) -> None:
    want = npx_docs(convex_cli, "tasks", "--limit", str(limit), "--order", order)
    got = twin_docs(convex_cli.sandbox, "tasks", limit=limit, order=order)
    assert got == want


def test_filtered_set_is_the_matching_subset_of_npxs_documents(
    convex_cli: ConvexCli, admin_http: httpx.Client
) -> None:
    call(admin_http, "mutation", "tasks:create", {"title": "peer: filtered"})
    everything = npx_docs(convex_cli, "tasks", "--limit", "100000")
    got = twin_docs(convex_cli.sandbox, "tasks", limit=100000, filter=["status = pending"])
    assert got == [d for d in everything if d["status"] == "pending"]
    code, out, err = twin(convex_cli.sandbox, "tasks", filter=["status ="])
    assert code == 2 and "a value is missing" in err and out == ""


def test_missing_table_and_pretty_output(convex_cli: ConvexCli) -> None:
    code, out, err = twin(convex_cli.sandbox, "nosuch")
    assert code == 1 and "no table 'nosuch'" in err
    code, out, err = twin(convex_cli.sandbox, "messages", limit=3)
    assert code == 0
    header, rule, *rows = out.splitlines()
    assert [c.strip() for c in header.split(" | ")][:2] == ["_id", "_creationTime"]
    assert len(rows) == 3 and set(rule) <= {"-", "+"}
    assert "Showing the 3 most recently created documents" in err
