"""The pushed app's lifecycle: start_push analyzes, finish_push installs (reference §9, §14.1;
the backend's ``crates/local_backend/src/deploy_config2.rs``).

A push is analyzed in a fresh Node host, checked against existing documents, and kept pending
under an id that rides in ``schemaChange.schemaIds`` (the CLI echoes the whole start_push
response back to finish_push). Only finish_push writes: modules and analysis in one SQLite
transaction, then the registry's functions and tables become the pushed app's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.convex import values
from tui.convex.ids import new_id
from tui.convex.validators import ArgValidationError, V
from tui.sandbox import indexes, search
from tui.sandbox import push as store
from tui.sandbox.audit import append_audit, share_audit_log
from tui.sandbox.crons import CronRunner
from tui.sandbox.db import Writer
from tui.sandbox.engine import VERSION, Deployment
from tui.sandbox.node_host import HostPool, node_binary
from tui.sandbox.outcome import SYSTEM
from tui.sandbox.push import Analysis, Module, PushError
from tui.sandbox.pushed_app import PushedFunctions
from tui.sandbox.registry import HttpRoute, Registry, TableDef
from tui.sandbox.storage import INSERT_SQL, index_keys

log = logging.getLogger(__name__)
AuditSink = Callable[[Deployment, str, dict[str, Any]], Any]


@dataclass
class Pending:
    modules: list[Module]
    analysis: Analysis
    root: Path
    schema_failure: dict[str, Any] | None = None
    diffs: dict[str, Any] = field(default_factory=dict)


AUDIT_TABLE = "_deployment_audit_log"


def _audit_insert(w: Writer, action: str, metadata: dict[str, Any]) -> None:
    number = w.ensure_table(AUDIT_TABLE)
    ctime = w.storage.clock.tick() / 1e6
    doc = {
        "_id": new_id(number),
        "_creationTime": ctime,
        "action": action,
        "member_id": values.Int64(0),
        "metadata": metadata,
    }
    body = json.dumps(values.encode(doc), separators=(",", ":"))
    w.conn.execute(INSERT_SQL, (doc["_id"], number, ctime, body, *index_keys(doc)))
    w._wrote(AUDIT_TABLE, body)


async def record_audit(dep: Deployment, action: str, metadata: dict[str, Any]) -> None:
    """One ``_deployment_audit_log`` entry: durable in the table, and in the log that
    ``paginatedDeploymentEvents`` serves (the Logs pane's deployment events)."""
    append_audit(dep, action, metadata)
    try:
        await dep.transact(lambda w: _audit_insert(w, action, metadata))
    except Exception:  # an audit entry must never fail the push itself
        log.exception("could not write the audit log entry for %s", action)


class Pushes:
    """Holds the installed push (its host pool) and the pending ones."""

    def __init__(self, dep: Deployment, data_dir: Path, build: Callable[[bool], Registry]) -> None:
        self.dep = dep
        self.base = store.pushed_dir(data_dir)
        self.build = build
        self.node = node_binary()
        self.pool: HostPool | None = None
        self.modules: list[Module] = []
        self.analysis: Analysis | None = None
        self.pending: dict[str, Pending] = {}
        self.dry: dict[str, Pending] = {}
        self.audit: AuditSink = record_audit
        self.server_seconds = 0.0  # time spent answering deploy requests, for benchmarks
        self.crons = CronRunner(self._run_cron)

    # --- lifecycle ------------------------------------------------------------------------

    async def restore(self) -> bool:
        """Reinstall the stored push (after a restart); False when nothing was pushed."""

        def load(conn: sqlite3.Connection) -> tuple[list[Module], Analysis | None]:
            return store.load_modules(conn), store.load_analysis(conn)

        modules, analysis = await self.dep.write(load)
        if not modules or analysis is None:
            return False
        if self.node is None:
            log.warning("a pushed app is stored but Node.js is not installed: not loading it")
            return False
        root = await asyncio.to_thread(store.materialize, self.base, modules)
        await self._install(modules, analysis, root)
        return True

    async def _run_cron(self, path: str, args: dict[str, Any]) -> None:
        await self.dep.run_function(
            path, values.decode(args), identity=SYSTEM, kind=None, caller="Cron", trusted=True
        )

    def close(self) -> None:
        self.crons.stop()
        if self.pool is not None:
            self.pool.kill()
            self.pool = None

    def env(self) -> dict[str, str]:
        dep = self.dep
        return {**dep.env, "CONVEX_CLOUD_URL": dep.cloud_url, "CONVEX_SITE_URL": dep.site_url}

    async def _install(self, modules: list[Module], analysis: Analysis, root: Path) -> None:
        assert self.node is not None
        pool = HostPool(root, self.node)
        new = self.build(False)
        reg = self.dep.registry
        new.info = reg.info
        # The new functions (paginatedDeploymentEvents among them) read the same audit log.
        share_audit_log(reg, new)
        pushed = PushedFunctions(analysis, pool, self.env, self.dep)
        for fn in pushed.definitions():
            new.functions[(fn.module, fn.name)] = fn
        new.tables = {
            name: TableDef(t.document if analysis.schema_validation else V("any"), t.indexes)
            for name, t in analysis.tables.items()
        }
        for route in _http_routes(analysis):
            new.http_routes.append(
                HttpRoute(route["method"], route["path"], pushed.http_handler(self.dep))
            )
        await self._sync_indexes(list(new.tables), wanted_indexes(analysis))
        reg.functions, reg.tables, reg.http_routes = new.functions, new.tables, new.http_routes
        old, self.pool = self.pool, pool
        self.modules, self.analysis = modules, analysis
        if old is not None:
            old.close()
        self.crons.install(
            {k: v for m in analysis.modules.values() for k, v in (m.get("cronSpecs") or {}).items()}
        )
        await asyncio.to_thread(pool.warm)

    async def _sync_indexes(self, tables: list[str], wanted: list[indexes.Wanted]) -> None:
        """Create the schema's tables and bring the stored indexes in line with it, in one
        transaction; writes maintain the new indexes from the moment it commits."""

        def body(w: Writer) -> tuple[indexes.Catalog, list[str]]:
            for t in tables:
                w.ensure_table(t)
            numbers = {t: n for t in tables if (n := w.table_number(t)) is not None}
            return indexes.sync(w.conn, wanted, numbers)

        def publish(result: tuple[indexes.Catalog, list[str]]) -> None:
            self.dep.storage.catalog = result[0]

        _catalog, built = await self.dep.transact(body, after_commit=publish)
        if built:
            log.info("built indexes of %s", ", ".join(built))

    # --- the deploy2 steps ----------------------------------------------------------------

    def module_hashes(self) -> list[dict[str, str]]:
        return [
            {"path": m.path, "hash": m.sha256, "environment": m.environment}
            for m in self.modules
            if m.path != store.SCHEMA_PATH
        ]

    async def start(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("componentDefinitions"):
            raise PushError(
                "Components (app.use(...) in convex/convex.config.ts) are not supported by the "
                "convex-tui sandbox"
            )
        if self.node is None:
            raise PushError("Node.js is not installed, so the sandbox cannot run pushed code")
        app = body.get("appDefinition") or {}
        known = {m.path: m for m in self.modules}
        modules = [Module.from_config(c) for c in app.get("changedModules") or []]
        for h in app.get("unchangedModuleHashes") or []:
            old = known.get(h["path"])
            if old is None or old.sha256 != h["sha256"]:
                raise PushError(f"Unknown unchanged module {h['path']}: push all modules")
            modules.append(old)
        if app.get("schema"):
            modules.append(Module.from_config({**app["schema"], "path": store.SCHEMA_PATH}))
        root = await asyncio.to_thread(store.materialize, self.base, modules)
        analysis = await asyncio.to_thread(store.analyze, root, modules, self.node)
        needs_fts = any(w.kind == "search" for w in wanted_indexes(analysis))
        if needs_fts and not await self.dep.read(search.fts_available):
            raise PushError(
                "Text search indexes (searchIndex) need SQLite's FTS5 extension, which this "
                "Python's sqlite3 lacks"
            )
        pending = Pending(modules, analysis, root)
        pending.schema_failure = await self.dep.read(lambda c: _violations(self.dep, c, analysis))
        pending.diffs = self._index_diff(analysis)
        push_id = secrets.token_hex(8)
        # Only the newest push may finish; a dry run is kept just for wait_for_schema.
        if body.get("dryRun"):
            self.dry = {push_id: pending}
        else:
            self.pending = {push_id: pending}
        return self._response(push_id, pending)

    def _index_diff(self, analysis: Analysis) -> dict[str, Any]:
        def configs(wanted: list[indexes.Wanted]) -> dict[str, dict[str, Any]]:
            return {
                f"{w.table}.{w.name}": {"name": f"{w.table}.{w.name}", "type": w.kind, **w.spec}
                for w in wanted
            }

        before = [
            indexes.Wanted(table, name, "database", {"fields": list(f)})
            for table, t in self.dep.registry.tables.items()
            for name, f in t.indexes
        ]
        if self.analysis is not None:
            before = wanted_indexes(self.analysis)
        old = configs(before)
        new = configs(wanted_indexes(analysis))
        return {
            "added_indexes": [c for k, c in new.items() if old.get(k) != c],
            "removed_indexes": [c for k, c in old.items() if new.get(k) != c],
        }

    def _response(self, push_id: str, p: Pending) -> dict[str, Any]:
        a = p.analysis
        http_routes = next(
            (m.get("httpRoutes") for m in a.modules.values() if m.get("httpRoutes")), None
        )
        return {
            "environmentVariables": dict(self.dep.env),
            "externalDepsId": None,
            "componentDefinitionPackages": {},
            "appAuth": [],
            "analysis": {
                "": {
                    "definition": {
                        "path": "",
                        "definitionType": {"type": "app"},
                        "childComponents": [],
                        "httpMounts": {},
                        "exports": {"type": "branch", "branch": []},
                    },
                    "schema": a.schema,
                    "functions": a.cli_modules(),
                    "udfConfig": a.udf_config(VERSION),
                }
            },
            "app": {
                "definitionPath": "",
                "componentPath": "",
                "args": {},
                "childComponents": {},
                "httpRoutes": {"httpModuleRoutes": http_routes, "mounts": []},
                "exports": {},
            },
            "schemaChange": {
                "allocatedComponentIds": {},
                "schemaIds": {"": push_id},
                "indexDiffs": {"": p.diffs},
            },
        }

    def schema_status(self, change: dict[str, Any]) -> dict[str, Any]:
        push_id = (change.get("schemaIds") or {}).get("")
        p = self.pending.get(str(push_id)) or self.dry.get(str(push_id))
        if p is None:
            return {"type": "raceDetected"}
        if p.schema_failure is not None:
            return p.schema_failure
        return {"type": "complete"}

    async def finish(self, body: dict[str, Any]) -> dict[str, Any]:
        start = body.get("startPush") or {}
        push_id = str(((start.get("schemaChange") or {}).get("schemaIds") or {}).get(""))
        dry = bool(body.get("dryRun"))
        p = self.pending.get(push_id) if not dry else None
        if p is None and not dry:
            raise PushError("Hit an error while pushing: this push was replaced by a newer one")
        diffs = (start.get("schemaChange") or {}).get("indexDiffs", {}).get("", {})
        old_paths = {m.path for m in self.modules}
        if p is not None:
            if p.schema_failure is not None:
                raise PushError(str(p.schema_failure["error"]))
            self.pending.pop(push_id, None)
            modules, analysis = p.modules, p.analysis
            await self.dep.write(lambda c: _save(c, modules, analysis))
            await self._install(modules, analysis, p.root)
            await self.audit(
                self.dep,
                "push_config_with_components",
                {"modules": len(modules), "message": body.get("message")},
            )
        new_paths = {m.path for m in (p.modules if p else self.modules)}
        return {
            "authDiff": {"added": [], "removed": []},
            "definitionDiffs": {},
            "componentDiffs": {
                "": {
                    "diffType": {"type": "modify"},
                    "moduleDiff": {
                        "added": sorted(new_paths - old_paths),
                        "removed": sorted(old_paths - new_paths),
                    },
                    "udfConfigDiff": None,
                    "cronDiff": {"added": [], "updated": [], "deleted": []},
                    "indexDiff": diffs or {"added_indexes": [], "removed_indexes": []},
                    "schemaDiff": None,
                }
            },
        }


def wanted_indexes(analysis: Analysis) -> list[indexes.Wanted]:
    """The database and text search indexes a pushed schema declares."""
    out = []
    for name, table in analysis.tables.items():
        for index, fields in table.indexes:
            out.append(indexes.Wanted(name, index, "database", {"fields": list(fields)}))
        for s in table.raw.get("searchIndexes") or []:
            spec = {
                "searchField": str(s["searchField"]),
                "filterFields": [str(f) for f in s.get("filterFields") or []],
            }
            out.append(indexes.Wanted(name, str(s["indexDescriptor"]), "search", spec))
    return out


def _http_routes(analysis: Analysis) -> list[dict[str, str]]:
    return [r for m in analysis.modules.values() for r in (m.get("httpRoutes") or [])]


def _save(conn: sqlite3.Connection, modules: list[Module], analysis: Analysis) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        store.save(conn, modules, analysis)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _violations(dep: Deployment, conn: sqlite3.Connection, a: Analysis) -> dict[str, Any] | None:
    """The first existing document the new schema rejects, as wait_for_schema's failure."""
    if not a.schema_validation:
        return None
    for name, table in a.tables.items():
        number = dep.storage.table_number(name)
        if number is None:
            continue
        for (body,) in conn.execute("SELECT body FROM documents WHERE tbl=?", (number,)):
            doc = values.decode(json.loads(body))
            fields = {k: v for k, v in doc.items() if k not in ("_id", "_creationTime")}
            try:
                table.document.check(fields)
            except ArgValidationError as exc:
                return {
                    "type": "failed",
                    "error": (
                        f'Schema validation failed.\nDocument with ID "{doc["_id"]}" in table '
                        f'"{name}" does not match the schema: {exc}'
                    ),
                    "componentPath": "",
                    "tableName": name,
                }
    return None
