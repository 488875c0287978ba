"""Streams (``1.0/queryStream`` + ``queryStreamNext``) and pages (``1.0/queryPage``) over a
:class:`~tui.sandbox.query_eval.Plan`, with the backend's cursor semantics.

A cursor is the index key of the last document a page *read* (filtered out or not), so the
next page starts strictly after it: documents inserted before that point never shift a page,
and nothing is skipped or repeated. A page with no end cursor stops as soon as it holds
``numItems`` documents; it says ``isDone`` only when it reached the end of the range (like
``read_page_from_query``: a page that ends exactly on the last document is not done, the next
one is empty and done). With an end cursor (a re-run of a known page) it reads up to and
including that key and returns the end cursor unchanged. Cursors are opaque base64 strings tied
to the query's source and order; another query's cursor is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from tui.convex import values
from tui.sandbox.db import Doc, Reader
from tui.sandbox.query_eval import Plan, QueryError, Row, evaluate

VERSION = 1
POSITION = 1
END = 2
MAX_PAGE_SIZE = 16384  # TRANSACTION_MAX_READ_SIZE_ROWS
MAX_FETCH = 1000


def _tag(plan: Plan) -> bytes:
    return hashlib.sha256(plan.fingerprint).digest()[:4]


def encode_cursor(plan: Plan, key: bytes | None) -> str:
    """A position after ``key``, or the end of the range (``None``)."""
    body = bytes([VERSION, END if key is None else POSITION]) + _tag(plan) + (key or b"")
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def decode_cursor(plan: Plan, text: str) -> bytes | None:
    """The key a cursor continues after; ``None`` for the end cursor."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise QueryError(f"Failed to parse cursor: {text[:40]!r}") from exc
    if len(raw) < 6 or raw[0] != VERSION or raw[1] not in (POSITION, END):
        raise QueryError(f"Failed to parse cursor: {text[:40]!r}")
    if raw[2:6] != _tag(plan):
        raise QueryError(
            "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this "
            "cursor is from a different query."
        )
    return None if raw[1] == END else raw[6:]


class Pipeline:
    """A query's operators in order: filters drop documents, a limit ends the stream."""

    def __init__(self, operators: list[dict[str, Any]]) -> None:
        self.ops = operators
        self.counts = [0] * len(operators)
        self.filters = any("filter" in op for op in operators)

    @property
    def full(self) -> bool:
        return any(
            "limit" in op and self.counts[i] >= int(op["limit"]) for i, op in enumerate(self.ops)
        )

    def remaining(self) -> int | None:
        left = [int(op["limit"]) - self.counts[i] for i, op in enumerate(self.ops) if "limit" in op]
        return min(left) if left else None

    def admit(self, doc: Doc) -> bool:
        for i, op in enumerate(self.ops):
            if "filter" in op:
                if evaluate(op["filter"], doc) is not True:
                    return False
            elif "limit" in op:
                if self.counts[i] >= int(op["limit"]):
                    return False
                self.counts[i] += 1
        return True


class Rows:
    """The plan's rows in order, fetched in batches, from ``after`` up to ``until`` (incl.)."""

    def __init__(
        self, plan: Plan, reader: Reader, after: bytes | None, until: bytes | None = None
    ) -> None:
        self.plan = plan
        self.reader = reader
        self.after = after
        self.until = until
        self.buffer: list[Row] = []
        self.exhausted = False
        self.read = 0

    def _past_end(self, key: bytes) -> bool:
        if self.until is None:
            return False
        return key > self.until if self.plan.order == "asc" else key < self.until

    def next(self, hint: int) -> Row | None:
        if not self.buffer and not self.exhausted:
            want = max(1, min(hint, MAX_FETCH))
            rows = self.plan.fetch(self.reader, self.after, want)
            if len(rows) < want:
                self.exhausted = True
            cut = next((i for i, (k, _d) in enumerate(rows) if self._past_end(k)), None)
            if cut is not None:
                rows, self.exhausted = rows[:cut], True
            self.buffer = rows[::-1]
        if not self.buffer:
            return None
        row = self.buffer.pop()
        self.after = row[0]
        self.read += 1
        return row


class Stream:
    """One ``queryStream``: documents handed out in batches as the host asks."""

    def __init__(self, plan: Plan, reader: Reader) -> None:
        self.rows = Rows(plan, reader, None)
        self.pipe = Pipeline(plan.operators)

    def batch(self, count: int) -> tuple[list[Any], bool]:
        """Up to ``count`` encoded documents, and whether the stream has ended."""
        out: list[Any] = []
        while len(out) < count and not self.pipe.full:
            hint = count - len(out)
            cap = self.pipe.remaining()
            if cap is not None:
                hint = min(hint, cap)
            if self.pipe.filters:
                hint = max(hint * 2, 64)
            row = self.rows.next(hint)
            if row is None:
                return out, True
            if self.pipe.admit(row[1]):
                out.append(values.encode(row[1]))
        done = self.pipe.full or (self.rows.exhausted and not self.rows.buffer)
        return out, done


def page(
    plan: Plan,
    reader: Reader,
    cursor: str | None,
    end_cursor: str | None,
    size: int,
    max_rows: int | None = None,
) -> dict[str, Any]:
    """``1.0/queryPage``."""
    if size <= 0:
        raise QueryError("Must request at least 1 document while paginating")
    if size > MAX_PAGE_SIZE:
        raise QueryError(f"Requested too many items: {size}")
    if max_rows is not None and max_rows <= 0:
        raise QueryError("maximumRowsRead and maximumBytesRead must be greater than 0")
    start = decode_cursor(plan, cursor) if cursor else None
    if cursor and start is None:  # continuing after the end: nothing more
        return _result(plan, [], end_cursor or encode_cursor(plan, None), None, None, plan)
    end = decode_cursor(plan, end_cursor) if end_cursor else None
    rows = Rows(plan, reader, start, end)
    pipe = Pipeline(plan.operators)
    docs: list[Doc] = []
    keys: list[bytes] = []
    status = None
    exhausted = False
    while end_cursor is not None or len(docs) < size:
        if end_cursor is None and max_rows is not None and rows.read >= max_rows:
            status = "SplitRequired"
            break
        hint = size - len(docs) if end_cursor is None else size
        row = rows.next(max(hint * 2, 64) if pipe.filters else hint)
        if row is None or pipe.full:
            exhausted = True
            break
        keys.append(row[0])
        if pipe.admit(row[1]):
            docs.append(row[1])
    if end_cursor is not None:
        continue_cursor = end_cursor
    elif exhausted:
        continue_cursor = encode_cursor(plan, None)
    else:
        continue_cursor = encode_cursor(plan, keys[-1] if keys else start)
    split = None
    if status == "SplitRequired" and len(keys) >= 2:
        split = encode_cursor(plan, keys[(len(keys) - 1) // 2])
    return _result(plan, docs, continue_cursor, split, status, plan)


def _result(
    plan: Plan, docs: list[Doc], cursor: str, split: str | None, status: str | None, _p: Plan
) -> dict[str, Any]:
    return {
        "page": [values.encode(d) for d in docs],
        "isDone": decode_cursor(plan, cursor) is None,
        "continueCursor": cursor,
        "splitCursor": split,
        "pageStatus": status,
    }
