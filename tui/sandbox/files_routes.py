"""File storage over HTTP (``crates/local_backend/src/storage.rs``) and from actions.

- ``POST /api/storage/upload?token=…``: the body becomes a file (streamed to disk, sha256 and
  size computed on the way, an optional ``Digest: sha-256=<base64>`` checked); answers
  ``{"storageId": "<Id<_storage>>"}``.
- ``GET /api/storage/<uuid>``: the bytes, with the stored Content-Type, ``Digest``, a long
  private cache, and Range support. Stored types are served as they were uploaded, but never
  as active content on the sandbox's origin: ``X-Content-Type-Options: nosniff`` and a
  ``Content-Security-Policy: sandbox`` keep an uploaded HTML or SVG page inert.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from typing import Any

from aiohttp import web

from tui.sandbox import files as file_store
from tui.sandbox.db import Reader, Tracker
from tui.sandbox.engine import DEPLOYMENT_KEY, Deployment
from tui.sandbox.errors import SystemError_
from tui.sandbox.files import FileError, Staged
from tui.sandbox.http_auth import HttpFailure, json_response

MAX_UPLOAD_BYTES = 1 << 30
CACHE = "private, max-age=2592000"
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _fail(exc: FileError) -> HttpFailure:
    return HttpFailure(exc.status, exc.code, exc.message)


def _digest(header: str | None) -> bytes | None:
    """``Digest: sha-256=<base64>`` (the header the backend's DigestHeader reads)."""
    if not header:
        return None
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "sha-256":
            try:
                return base64.b64decode(value.strip(), validate=True)
            except ValueError:
                break
    raise HttpFailure(400, "BadHeader", "Bad header for Digest: expected sha-256=<base64>")


async def _receive(dep: Deployment, request: web.Request, content_type: str | None) -> Staged:
    files = dep.files
    file_uuid, path, fd = await asyncio.to_thread(files.open_new)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in request.content.iter_chunked(1 << 16):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise HttpFailure(413, "PayloadTooLarge", "The file is larger than 1 GiB")
                digest.update(chunk)
                await asyncio.to_thread(fh.write, chunk)
            await asyncio.to_thread(fh.flush)
            await asyncio.to_thread(files.sync, fh.fileno(), path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(file_uuid, path, digest.digest(), size, content_type)


async def _commit(dep: Deployment, staged: Staged) -> str:
    try:
        storage_id: str = await dep.transact(lambda w: dep.files.record(w, staged))
    except BaseException:
        dep.files.discard([staged.path])
        raise
    return storage_id


async def upload(request: web.Request) -> web.Response:
    dep = request.app[DEPLOYMENT_KEY]
    token = request.query.get("token")
    if not token:
        raise HttpFailure(400, "MissingToken", "Missing the `token` query parameter")
    try:
        dep.files.check_token(token)
        content_type = file_store.clean_content_type(request.headers.get("Content-Type"))
    except FileError as exc:
        raise _fail(exc) from exc
    expected = _digest(request.headers.get("Digest"))
    staged = await _receive(dep, request, content_type)
    if expected is not None and expected != staged.sha256:
        dep.files.discard([staged.path])
        raise HttpFailure(
            400,
            "Sha256Mismatch",
            f"Sha256 mismatch. Expected: {base64.b64encode(expected).decode()} "
            f"Actual: {base64.b64encode(staged.sha256).decode()}",
        )
    return json_response({"storageId": await _commit(dep, staged)})


async def download(request: web.Request) -> web.StreamResponse:
    dep = request.app[DEPLOYMENT_KEY]
    file_uuid = request.match_info["uuid"]
    if not _is_uuid(file_uuid):
        raise HttpFailure(
            400,
            "InvalidStoragePath",
            f'Invalid storage path: "{file_uuid[:64]}". Please use '
            '`storage.getUrl(storageId: Id<"_storage">)` to generate a valid URL to retrieve '
            "files. See https://docs.convex.dev/file-storage/serve-files for more details",
        )
    doc = await dep.read(lambda conn: dep.files.by_uuid(conn, file_uuid))
    path = dep.files.path(file_uuid)
    if doc is None or not path.exists():
        raise HttpFailure(404, "FileNotFound", f"File {file_uuid} not found")
    headers = {
        **SAFE_HEADERS,
        "Content-Type": doc.get("contentType") or "application/octet-stream",
        "Cache-Control": CACHE,
        "Digest": f"sha-256={doc['sha256']}",
    }
    return web.FileResponse(path, headers=headers)


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def add_storage_routes(app: web.Application) -> None:
    app.router.add_post("/api/storage/upload", upload)
    app.router.add_get("/api/storage/{uuid}", download)


async def action_storage(dep: Deployment, op: str, args: dict[str, Any]) -> Any:
    """An action's ``ctx.storage`` call: each in a transaction of its own (actions have none)."""
    files = dep.files
    sid = args.get("storageId")

    def reading(fn: Any) -> Any:
        return dep.read(lambda conn: fn(Reader(dep.storage, conn, Tracker())))

    if op == "1.0/storageGenerateUploadUrl":
        return files.upload_url(dep.cloud_url)
    if op == "1.0/storageGetUrl":
        return await reading(lambda r: files.get_url(r, sid, dep.cloud_url))
    if op == "1.0/storageGetMetadata":
        return await reading(lambda r: files.metadata(r, sid))
    if op == "1.0/storageGet":
        return await reading(lambda r: files.read(r, sid))
    if op == "1.0/storageDelete":
        await dep.transact(lambda w: files.delete(w, sid))
        return None
    if op == "1.0/storageStore":
        data, content_type, sha = file_store.decode_blob(args)
        staged = await asyncio.to_thread(files.stage, data, content_type)
        try:
            file_store.check_sha(staged, sha)
        except SystemError_:
            files.discard([staged.path])
            raise
        return await _commit(dep, staged)
    raise SystemError_(f"Unknown operation {op} (not supported by the sandbox)")
