"""File storage (``ctx.storage``, the ``_storage`` table): bytes on disk beside the database.

Each file's bytes live in ``<data dir>/files/<uuid[:2]>/<uuid>`` (0600 files in 0700
directories, like the database); its public metadata is a ``_storage`` document
``{_id, _creationTime, sha256 (base64), size, contentType}`` (the backend's virtual table,
``crates/model/src/file_storage/virtual_table.rs``), and ``file_blobs`` maps the document id to
the UUID that download URLs name (``GET /api/storage/<uuid>``). Bytes are written before the
metadata commits and removed if it rolls back; a delete removes them after its commit.
Uploads (``POST /api/storage/upload?token=…``) carry an HMAC-signed token that expires after
an hour, like the backend's ``StoreFileAuthorization``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import struct
import time
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.convex import values
from tui.convex.ids import InvalidId, decode_id, new_id
from tui.sandbox.db import Reader, Tracker, Writer
from tui.sandbox.errors import SystemError_
from tui.sandbox.storage import INSERT_SQL, Storage, index_keys

TABLE = "_storage"
TABLE_NUMBER = 528  # DefaultTableNumber::FileStorage (512 + 16); `_storage` shares it
BLOBS_DDL = (
    "CREATE TABLE IF NOT EXISTS file_blobs(storage_id TEXT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE)"
)
TOKEN_SECONDS = 3600  # STORE_FILE_AUTHORIZATION_VALIDITY
SECRET_KEY = "storage_token_secret"
_MIME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[ -~]*)?$")


def now() -> float:
    """The clock tokens are issued and checked against (tests move it)."""
    return time.time()


class FileError(Exception):
    """An upload or download the backend refuses: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Staged:
    """Bytes written to their final place, not yet recorded in ``_storage``."""

    uuid: str
    path: Path
    sha256: bytes
    size: int
    content_type: str | None


def clean_content_type(raw: str | None) -> str | None:
    """A well-formed media type, or None (never a header an attacker can bend)."""
    if not raw:
        return None
    raw = raw.strip()
    if len(raw) > 256 or not _MIME.match(raw):
        raise FileError(400, "BadHeader", f"Bad header for Content-Type: {raw[:64]!r}")
    return raw


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(BLOBS_DDL)
    conn.execute("INSERT OR IGNORE INTO tables(number, name) VALUES(?, ?)", (TABLE_NUMBER, TABLE))


class FileStore:
    """One deployment's file bytes and upload tokens."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.root = storage.path.parent / "files"
        self._secret: bytes | None = None

    def setup(self) -> None:
        """Create the table and directory (at start, off the event loop)."""
        conn = self.storage.connect()
        try:
            ensure_table(conn)
        finally:
            conn.close()
        self.storage.publish_tables({TABLE: TABLE_NUMBER})
        self.root.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)
        self._key()  # now, not inside a mutation's write transaction

    # --- upload tokens -------------------------------------------------------------------

    def _key(self) -> bytes:
        if self._secret is None:
            stored = self.storage.get_meta(SECRET_KEY)
            if stored is None:
                stored = secrets.token_hex(32)
                self.storage.set_meta(SECRET_KEY, stored)
            self._secret = bytes.fromhex(stored)
        return self._secret

    def upload_url(self, origin: str) -> str:
        issued = struct.pack(">Q", int(now())) + secrets.token_bytes(8)
        mac = hmac.new(self._key(), b"store-file:" + issued, hashlib.sha256).digest()[:16]
        token = base64.urlsafe_b64encode(issued + mac).decode().rstrip("=")
        return f"{origin}/api/storage/upload?token={token}"

    def check_token(self, token: str) -> None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            raw = b""
        issued, mac = raw[:16], raw[16:]
        want = hmac.new(self._key(), b"store-file:" + issued, hashlib.sha256).digest()[:16]
        if len(raw) != 32 or not hmac.compare_digest(mac, want):
            raise FileError(
                401, "StorageTokenInvalid", "Couldn't decode the StoreFileAuthorization token"
            )
        if struct.unpack(">Q", issued[:8])[0] + TOKEN_SECONDS <= now():
            raise FileError(401, "StorageTokenExpired", "Store File Authorization expired")

    # --- bytes ------------------------------------------------------------------------------

    def path(self, file_uuid: str) -> Path:
        return self.root / file_uuid[:2] / file_uuid

    def open_new(self) -> tuple[str, Path, int]:
        """A fresh uuid, its final path and an fd open for writing (0600, dirs 0700)."""
        file_uuid = str(uuidlib.uuid4())
        path = self.path(file_uuid)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return file_uuid, path, fd

    def stage(self, data: bytes, content_type: str | None) -> Staged:
        file_uuid, path, fd = self.open_new()
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                self.sync(fh.fileno(), path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(file_uuid, path, hashlib.sha256(data).digest(), len(data), content_type)

    def sync(self, fd: int, path: Path) -> None:
        """On a durable deployment, the bytes and their directory entry reach the disk before
        the metadata commits (a throwaway --memory sandbox skips the fsyncs)."""
        if not self.storage.durable:
            return
        os.fsync(fd)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @staticmethod
    def discard(paths: list[Path]) -> None:
        for p in paths:
            with contextlib.suppress(OSError):
                p.unlink()

    def finish(self, tracker: Tracker, committed: bool) -> None:
        """After a transaction: drop bytes a rollback orphaned, or ones a commit deleted."""
        self.discard(tracker.deleted_files if committed else tracker.created_files)
        tracker.created_files.clear()
        tracker.deleted_files.clear()

    # --- metadata (inside the caller's transaction) ---------------------------------------------

    def record(self, w: Writer, staged: Staged) -> str:
        """Insert the ``_storage`` document for staged bytes; returns its id."""
        ctime = w.storage.clock.tick() / 1e6
        doc = {
            "_id": new_id(TABLE_NUMBER),
            "_creationTime": ctime,
            "sha256": base64.b64encode(staged.sha256).decode(),
            "size": float(staged.size),
            "contentType": staged.content_type,
        }
        body = json.dumps(values.encode(doc), separators=(",", ":"))
        w.conn.execute(INSERT_SQL, (doc["_id"], TABLE_NUMBER, ctime, body, *index_keys(doc)))
        w.conn.execute(
            "INSERT INTO file_blobs(storage_id, uuid) VALUES(?, ?)", (doc["_id"], staged.uuid)
        )
        w.tracker.created_files.append(staged.path)
        w._wrote(TABLE, body)
        return str(doc["_id"])

    def lookup(self, r: Reader, storage_id: Any, call: str) -> tuple[dict[str, Any], str] | None:
        """``(the _storage document, its uuid)`` for an ``Id<"_storage">`` or a legacy UUID."""
        r.tracker.read_tables.add(TABLE)
        text = str(storage_id) if isinstance(storage_id, str) else ""
        try:
            number = decode_id(text).table_number
        except InvalidId:
            number = None
        if number is not None:
            if number != TABLE_NUMBER:
                raise SystemError_(
                    f"Invalid argument `storageId` for `{call}`: Invalid storage ID. Storage ID "
                    "cannot be an ID on any table other than '_storage'."
                )
            row = r.conn.execute(
                "SELECT uuid FROM file_blobs WHERE storage_id=?", (text,)
            ).fetchone()
            doc = r.get(text)
        else:
            try:
                uuidlib.UUID(text)
            except ValueError:
                raise SystemError_(
                    f'Invalid argument `storageId` for `{call}`: Invalid storage ID: "{text[:64]}". '
                    "Storage ID should be an Id of '_storage' table, or a UUID string."
                ) from None
            row = r.conn.execute(
                "SELECT storage_id, uuid FROM file_blobs WHERE uuid=?", (text,)
            ).fetchone()
            doc = r.get(row[0]) if row else None
            row = row[1:] if row else None
        if row is None or doc is None:
            return None
        return doc, str(row[0])

    def by_uuid(self, conn: sqlite3.Connection, file_uuid: str) -> dict[str, Any] | None:
        row = conn.execute(
            "SELECT storage_id FROM file_blobs WHERE uuid=?", (file_uuid,)
        ).fetchone()
        if row is None:
            return None
        body = conn.execute("SELECT body FROM documents WHERE id=?", (row[0],)).fetchone()
        doc: dict[str, Any] | None = values.decode(json.loads(body[0])) if body else None
        return doc

    def delete(self, w: Writer, storage_id: Any) -> None:
        found = self.lookup(w, storage_id, "storage.delete")
        if found is None:
            raise SystemError_(f"storage id {storage_id} not found")
        doc, file_uuid = found
        w.conn.execute("DELETE FROM documents WHERE id=?", (doc["_id"],))
        w.conn.execute("DELETE FROM file_blobs WHERE storage_id=?", (doc["_id"],))
        w.tracker.deleted_files.append(self.path(file_uuid))
        w.tracker.written_tables.add(TABLE)
        w.tracker.rows_written += 1

    # --- the syscalls' answers -----------------------------------------------------------------

    def get_url(self, r: Reader, storage_id: Any, origin: str) -> str | None:
        found = self.lookup(r, storage_id, "storage.getUrl")
        return None if found is None else f"{origin}/api/storage/{found[1]}"

    def metadata(self, r: Reader, storage_id: Any) -> dict[str, Any] | None:
        """``1.0/storageGetMetadata``: the legacy shape (uuid id, hex sha256)."""
        found = self.lookup(r, storage_id, "storage.getMetadata")
        if found is None:
            return None
        doc, file_uuid = found
        return {
            "storageId": file_uuid,
            "sha256": base64.b64decode(doc["sha256"]).hex(),
            "size": doc["size"],
            "contentType": doc.get("contentType"),
        }

    def read(self, r: Reader, storage_id: Any) -> dict[str, Any] | None:
        """``1.0/storageGet``: ``{blob: base64, contentType}`` or None."""
        found = self.lookup(r, storage_id, "storage.get")
        if found is None:
            return None
        doc, file_uuid = found
        try:
            data = self.path(file_uuid).read_bytes()
        except OSError as exc:
            raise SystemError_(f"The bytes of file {doc['_id']} are missing: {exc}") from exc
        return {"blob": base64.b64encode(data).decode(), "contentType": doc.get("contentType")}


def decode_blob(args: dict[str, Any]) -> tuple[bytes, str | None, str | None]:
    """``1.0/storageStore``'s bytes, content type and the caller's expected sha256."""
    try:
        data = base64.b64decode(str(args.get("blob") or ""), validate=True)
    except ValueError as exc:
        raise SystemError_("storage.store: the blob is not valid base64") from exc
    try:
        content_type = clean_content_type(args.get("contentType") or None)
    except FileError as exc:
        raise SystemError_(f"storage.store: {exc.message}") from exc
    sha = args.get("sha256")
    return data, content_type, sha if isinstance(sha, str) else None


def check_sha(staged: Staged, expected: str | None) -> None:
    if expected is None:
        return
    actual = base64.b64encode(staged.sha256).decode()
    if expected not in (actual, staged.sha256.hex()):
        raise SystemError_(f"Sha256 mismatch. Expected: {expected} Actual: {actual}")
