"""Pushed code: durable module storage, analysis in Node, and the app a push defines.

A push's modules (including ``_deps/`` chunks and ``schema.js``) live in the SQLite file
(``pushed_modules``), so the pushed app survives a restart; on start and after each push they
are written to ``<data_dir>/pushed/<digest>/`` as ES modules for the Node host to import.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import sqlite3
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.convex.validators import V, from_json
from tui.sandbox.node_host import HostFailure, NodeHost

MODULES_DDL = (
    "CREATE TABLE IF NOT EXISTS pushed_modules("
    "path TEXT PRIMARY KEY, source TEXT NOT NULL, source_map TEXT, environment TEXT NOT NULL)"
)
SCHEMA_PATH = "schema.js"


@dataclass(frozen=True)
class Module:
    path: str
    source: str
    source_map: str | None
    environment: str

    @property
    def sha256(self) -> str:
        """The CLI's module hash (``components.ts`` ``hash``): source then source map."""
        h = hashlib.sha256(self.source.encode())
        h.update((self.source_map or "").encode())
        return h.hexdigest()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        return cls(
            str(config["path"]),
            str(config["source"]),
            config.get("sourceMap"),
            str(config.get("environment", "isolate")),
        )


def is_entry_point(path: str) -> bool:
    """Modules whose exports are functions (not chunks, not the schema)."""
    return not path.startswith("_deps/") and path != SCHEMA_PATH and path.endswith(".js")


@dataclass
class PushedTable:
    name: str
    document: V
    indexes: tuple[tuple[str, tuple[str, ...]], ...]
    raw: dict[str, Any]


@dataclass
class Analysis:
    """What Node found in a push: per-module functions, routes, crons, and the schema."""

    modules: dict[str, dict[str, Any]]
    schema: dict[str, Any] | None
    seed: bytes
    now_ms: int
    tables: dict[str, PushedTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in (self.schema or {}).get("tables", []):
            name = str(table["tableName"])
            indexes = tuple(
                (
                    str(i["indexDescriptor"]),
                    tuple(str(f) for f in i["fields"] if f != "_creationTime"),
                )
                for i in table.get("indexes", [])
            )
            doc = table.get("documentType") or {"type": "any"}
            self.tables[name] = PushedTable(name, from_json(doc), indexes, table)

    @property
    def schema_validation(self) -> bool:
        return bool((self.schema or {}).get("schemaValidation", True))

    def cli_modules(self) -> dict[str, Any]:
        """``analysis[""].functions`` in the CLI's shape (``deployApi/modules.ts``)."""
        out: dict[str, Any] = {}
        for path, mod in self.modules.items():
            out[path] = {
                "functions": [
                    {
                        "name": f["name"],
                        "pos": None,
                        "udfType": f["udfType"],
                        "visibility": f["visibility"],
                        "args": f["args"],
                        "returns": f["returns"],
                    }
                    for f in mod["functions"]
                ],
                "httpRoutes": mod.get("httpRoutes"),
                "cronSpecs": mod.get("cronSpecs"),
                "sourceMapped": None,
            }
        return out

    def udf_config(self, server_version: str) -> dict[str, Any]:
        return {
            "serverVersion": server_version,
            "importPhaseRngSeed": {"$bytes": base64.b64encode(self.seed).decode()},
            "importPhaseUnixTimestamp": {
                "$integer": base64.b64encode(struct.pack("<q", self.now_ms)).decode()
            },
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "modules": self.modules,
            "schema": self.schema,
            "seed": self.seed.hex(),
            "now": self.now_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        return cls(data["modules"], data["schema"], bytes.fromhex(data["seed"]), int(data["now"]))


def digest(modules: list[Module]) -> str:
    h = hashlib.sha256()
    for m in sorted(modules, key=lambda m: m.path):
        h.update(f"{m.path}\0{m.environment}\0{m.sha256}\0".encode())
    return h.hexdigest()[:16]


def materialize(base: Path, modules: list[Module]) -> Path:
    """Write the modules as an ES module tree; idempotent per content digest."""
    root = base / digest(modules)
    done = root / ".complete"
    if done.exists():
        return root
    for m in modules:
        target = root / m.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(m.source)
    (root / "package.json").write_text('{"type": "module"}\n')
    done.write_text("")
    return root


def analyze(root: Path, modules: list[Module], node: str) -> Analysis:
    """Import every entry point in a fresh host with a fixed seed and time (analyze.rs)."""
    seed = secrets.token_bytes(32)
    now_ms = int(time.time() * 1000)
    host = NodeHost(root, node)
    try:
        result = host.call(
            {
                "t": "analyze",
                "modules": sorted(m.path for m in modules if is_entry_point(m.path)),
                "schema": SCHEMA_PATH if any(m.path == SCHEMA_PATH for m in modules) else None,
                "seed": int.from_bytes(seed[:4], "little"),
                "now": now_ms,
            },
            _no_syscalls_at_import,
            timeout=60,
        )
    except HostFailure as exc:
        raise PushError(_import_error(exc.error)) from exc
    finally:
        host.close()
    schema = json.loads(result["schema"]) if isinstance(result.get("schema"), str) else None
    return Analysis(result["modules"], schema, seed, now_ms)


class PushError(Exception):
    """A push the backend would refuse (bad module, schema violated...)."""


def _import_error(error: dict[str, Any]) -> str:
    message = str(error.get("message") or "")
    if message.startswith("Failed to analyze"):
        return message
    return f"Failed to analyze the push: {message or 'unknown error'}"


def _no_syscalls_at_import(op: str, _args: str) -> str:
    from tui.sandbox.node_host import SyscallFailed

    raise SyscallFailed(f"Convex syscall {op} is not allowed while a module is imported")


# --- durable storage (the writer thread calls these) ------------------------------------------


def ensure_tables(conn: sqlite3.Connection) -> None:
    conn.execute(MODULES_DDL)


def load_modules(conn: sqlite3.Connection) -> list[Module]:
    ensure_tables(conn)
    rows = conn.execute("SELECT path, source, source_map, environment FROM pushed_modules")
    return [Module(*row) for row in rows.fetchall()]


def load_analysis(conn: sqlite3.Connection) -> Analysis | None:
    row = conn.execute("SELECT value FROM meta WHERE key='pushed_analysis'").fetchone()
    return Analysis.from_json(json.loads(row[0])) if row else None


def save(conn: sqlite3.Connection, modules: list[Module], analysis: Analysis) -> None:
    """Replace the stored push in one transaction (the caller commits)."""
    ensure_tables(conn)
    conn.execute("DELETE FROM pushed_modules")
    conn.executemany(
        "INSERT INTO pushed_modules(path, source, source_map, environment) VALUES(?,?,?,?)",
        [(m.path, m.source, m.source_map, m.environment) for m in modules],
    )
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES('pushed_analysis', ?)",
        (json.dumps(analysis.to_json()),),
    )


def pushed_dir(data_dir: Path) -> Path:
    path = data_dir / "pushed"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
