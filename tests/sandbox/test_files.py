"""File storage internals the HTTP tests cannot reach: upload tokens (signed, expiring, per
deployment) and bytes that follow their transaction (rolled back: removed; deleted: removed only
once the delete commits). End to end: test_backend_features.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tui.sandbox import files
from tui.sandbox.files import FileError, FileStore
from tui.sandbox.server import SandboxServer
from tui.sandbox.storage import Storage


def store(path: Path) -> FileStore:
    fs = FileStore(Storage(path / "db.sqlite3", durable=False))
    fs.setup()
    return fs


def test_upload_tokens_are_signed_per_deployment_and_expire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours, theirs = store(tmp_path / "a"), store(tmp_path / "b")
    token = ours.upload_url("http://127.0.0.1:1").split("token=", 1)[1]
    ours.check_token(token)
    with pytest.raises(FileError) as other:
        theirs.check_token(token)
    assert (other.value.status, other.value.code) == (401, "StorageTokenInvalid")
    with pytest.raises(FileError, match="Couldn't decode"):
        ours.check_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    later = time.time() + files.TOKEN_SECONDS + 1
    monkeypatch.setattr(files, "now", lambda: later)
    with pytest.raises(FileError) as expired:
        ours.check_token(token)
    assert expired.value.code == "StorageTokenExpired"


def test_content_types_must_be_media_types() -> None:
    assert files.clean_content_type("text/plain; charset=utf-8") == "text/plain; charset=utf-8"
    assert files.clean_content_type("") is None
    for bad in ("text", "text/html\r\nX-Evil: 1", "a/b c", "x" * 300 + "/y"):
        with pytest.raises(FileError):
            files.clean_content_type(bad)


async def test_bytes_follow_their_transaction(tmp_path: Path) -> None:
    async with SandboxServer(data_dir=tmp_path, seed="empty") as server:
        dep = server.deployment
        lost = dep.files.stage(b"rolled back", "text/plain")

        def record_then_fail(w: object) -> None:
            dep.files.record(w, lost)  # type: ignore[arg-type]
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await dep.transact(record_then_fail)
        assert not lost.path.exists()
        kept = dep.files.stage(b"kept", None)
        storage_id = await dep.transact(lambda w: dep.files.record(w, kept))

        def delete_then_fail(w: object) -> None:
            dep.files.delete(w, storage_id)  # type: ignore[arg-type]
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await dep.transact(delete_then_fail)
        assert kept.path.read_bytes() == b"kept"  # the delete rolled back: bytes stay
        await dep.transact(lambda w: dep.files.delete(w, storage_id))
        assert not kept.path.exists()
        assert await dep.read(lambda conn: dep.files.by_uuid(conn, kept.uuid)) is None
