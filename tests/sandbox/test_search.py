"""Text search (tui/sandbox/search.py): the backend's tokenizer rules, and which documents a
query matches — checked against a brute-force model of the documented behaviour."""

from __future__ import annotations

import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.sandbox import search
from tui.sandbox.search import SearchDef

INDEX = SearchDef(1, "docs", "search_text", "text", ("topic",))
WORDS = ["apple", "apples", "app", "banana", "band", "cherry", "Cherry!", "x_y", "é-té"]


def test_terms_split_lowercase_and_drop_long_ones() -> None:
    long = "a" * 32
    assert search.terms(f"Hello, WORLD! foo_bar x {long} {long[:31]}") == [
        "hello",
        "world",
        "foo",
        "bar",
        "x",
        long[:31],
    ]
    assert search.match_expression("  !! ") is None
    assert search.match_expression("one two") == '"one" OR "two"*'
    many = " ".join(f"w{i}" for i in range(20))
    assert search.match_expression(many) == " OR ".join(
        [*(f'"w{i}"' for i in range(15)), '"w15"*']
    )  # 16 terms kept


def model(docs: list[dict[str, Any]], text: str, topic: str | None) -> set[str]:
    words = search.terms(text)[: search.MAX_QUERY_TERMS]
    if not words:
        return set()
    out = set()
    for doc in docs:
        tokens = search.terms(doc["text"])
        exact = any(w in tokens for w in words)
        prefix = any(t.startswith(words[-1]) for t in tokens)
        if (exact or prefix) and (topic is None or doc["topic"] == topic):
            out.add(doc["_id"])
    return out


@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(
        st.tuples(st.lists(st.sampled_from(WORDS), max_size=5), st.sampled_from(["a", "b"])),
        max_size=12,
    ),
    query=st.lists(st.sampled_from([*WORDS, "ch", "ban", "zzz"]), min_size=1, max_size=3),
    topic=st.one_of(st.none(), st.sampled_from(["a", "b"])),
)
def test_matches_follow_the_documented_rules(
    texts: list[tuple[list[str], str]], query: list[str], topic: str | None
) -> None:
    conn = sqlite3.connect(":memory:")
    search.create(conn, INDEX)
    docs = [
        {"_id": f"d{i}", "_creationTime": float(i), "text": " ".join(words), "topic": t}
        for i, (words, t) in enumerate(texts)
    ]
    search.backfill(conn, INDEX, docs)
    text = " ".join(query)
    eqs = [] if topic is None else [(0, topic)]
    got = search.run(conn, INDEX, text, eqs)
    assert set(got) == model(docs, text, topic) and len(got) == len(set(got))


def test_updates_and_deletes_leave_the_index_exact() -> None:
    conn = sqlite3.connect(":memory:")
    search.create(conn, INDEX)
    doc = {"_id": "d1", "_creationTime": 1.0, "text": "old words", "topic": "a"}
    search.on_write(conn, INDEX, None, doc)
    new = {**doc, "text": "new words"}
    search.on_write(conn, INDEX, doc, new)
    assert search.run(conn, INDEX, "old", []) == []
    assert search.run(conn, INDEX, "new", []) == ["d1"]
    search.on_write(conn, INDEX, new, {**new, "text": 5})  # not a string: not indexed
    assert search.run(conn, INDEX, "new", []) == [] and search.count(conn, INDEX) == 0
    twins = [
        {"_id": f"t{i}", "_creationTime": float(i), "text": "same", "topic": "a"} for i in range(3)
    ]
    search.backfill(conn, INDEX, twins)
    assert search.run(conn, INDEX, "same", []) == ["t2", "t1", "t0"]  # ties: newest first
