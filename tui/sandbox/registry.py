"""Function registry: path parsing (§2.3), definitions, HTTP routes and the schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tui.convex.validators import V

Kind = Literal["query", "mutation", "action"]
_COMPONENT_RE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
_EXPORT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class BadPath(ValueError):
    """Not a valid path to a Convex function."""


def parse_udf_path(path: str) -> tuple[str, str]:
    """``"dir/file.js:fn"`` → ``("dir/file", "fn")``; a missing export means ``default``."""
    module, sep, export = path.rpartition(":")
    if not sep:
        module, export = path, "default"
    if module.endswith(".js"):
        module = module[:-3]
    elif "." in module.rsplit("/", 1)[-1]:
        raise BadPath(path)
    parts = module.split("/")
    for part in parts:
        if (
            not _COMPONENT_RE.match(part)
            or part in (".", "..")
            or not any(c.isalnum() for c in part)
        ):
            raise BadPath(path)
    if not _EXPORT_RE.match(export) or set(export) == {"_"}:
        raise BadPath(path)
    return module, export


def bad_path_message(path: str) -> str:
    return (
        f"{path} is not a valid path to a Convex function. Function paths look like "
        "`myModule:myFunction` or `dir/myModule:myFunction`."
    )


@dataclass(frozen=True)
class FunctionDef:
    module: str
    name: str
    kind: Kind
    handler: Callable[..., Any]
    args: V | None = None
    returns: V | None = None
    internal: bool = False
    lineno: int = 1

    @property
    def identifier(self) -> str:
        """Stripped form used in logs: ``tasks:list``, ``_system/cli/tables``."""
        return self.module if self.name == "default" else f"{self.module}:{self.name}"

    @property
    def spec_identifier(self) -> str:
        """``_modules`` form used by apiSpec: ``tasks.js:list``."""
        return f"{self.module}.js:{self.name}"

    @property
    def system(self) -> bool:
        return self.module.startswith("_system/")

    @property
    def udf_type(self) -> str:
        return self.kind.capitalize()


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    handler: Callable[..., Any]


@dataclass(frozen=True)
class TableDef:
    document: V
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class Registry:
    functions: dict[tuple[str, str], FunctionDef] = field(default_factory=dict)
    http_routes: list[HttpRoute] = field(default_factory=list)
    tables: dict[str, TableDef] = field(default_factory=dict)
    # Deployment facts system functions report (cloud_url, site_url), set by the server.
    info: dict[str, str] = field(default_factory=dict)

    def lookup(self, module: str, name: str) -> FunctionDef | None:
        return self.functions.get((module, name))

    def _add(
        self, kind: Kind, path: str, args: V | None, returns: V | None, internal: bool, lineno: int
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        module, name = parse_udf_path(path)

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            line = lineno or fn.__code__.co_firstlineno
            self.functions[(module, name)] = FunctionDef(
                module, name, kind, fn, args, returns, internal, line
            )
            return fn

        return deco

    def query(
        self,
        path: str,
        *,
        args: V | None = None,
        returns: V | None = None,
        internal: bool = False,
        lineno: int = 0,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("query", path, args, returns, internal, lineno)

    def mutation(
        self,
        path: str,
        *,
        args: V | None = None,
        returns: V | None = None,
        internal: bool = False,
        lineno: int = 0,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("mutation", path, args, returns, internal, lineno)

    def action(
        self,
        path: str,
        *,
        args: V | None = None,
        returns: V | None = None,
        internal: bool = False,
        lineno: int = 0,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("action", path, args, returns, internal, lineno)

    def http(self, method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.http_routes.append(HttpRoute(method.upper(), path, fn))
            return fn

        return deco

    def table(self, name: str, document: V, *indexes: tuple[str, tuple[str, ...]]) -> None:
        self.tables[name] = TableDef(document, tuple(indexes))

    def user_functions(self) -> list[FunctionDef]:
        return [f for f in self.functions.values() if not f.system]


def schema_json(reg: Registry) -> str:
    """The serialized schema as ``getSchemas`` returns it (``active``)."""
    tables = []
    for name, table in reg.tables.items():
        tables.append(
            {
                "tableName": name,
                "indexes": [
                    {"indexDescriptor": idx, "fields": list(fields)}
                    for idx, fields in table.indexes
                ],
                "searchIndexes": [],
                "vectorIndexes": [],
                "stagedDbIndexes": [],
                "stagedSearchIndexes": [],
                "stagedVectorIndexes": [],
                "documentType": table.document.to_json(),
            }
        )
    return json.dumps({"tables": tables, "schemaValidation": True})
