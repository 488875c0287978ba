"""Auth readiness, from the seed's auth section: auth tables in the schema, the variables
`@convex-dev/auth` needs on the deployment, and `convex/auth.config.ts` taking its provider
domain from `CONVEX_SITE_URL`. Each check is ok/warn with the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui.convex.models import AUTH_TABLES
from tui.doctor.checks import Check

AUTH_VARS = ("JWT_PRIVATE_KEY", "JWKS", "SITE_URL")
_DOMAIN = re.compile(r"domain\s*:\s*([^,\n}]+)")


def schema_tables(schema: dict[str, Any] | None) -> set[str] | None:
    if schema is None:
        return None
    tables = schema.get("tables")
    if not isinstance(tables, list):
        return set()
    return {str(t.get("tableName")) for t in tables if isinstance(t, dict)}


def check_tables(schema: dict[str, Any] | None) -> Check:
    tables = schema_tables(schema)
    fix = "add ...authTables from @convex-dev/auth/server to convex/schema.ts, then deploy (D)"
    if tables is None:
        return Check("auth.tables", "Auth tables", "warn", "no schema is deployed", fix)
    missing = [t for t in AUTH_TABLES if t not in tables]
    if missing:
        return Check("auth.tables", "Auth tables", "warn",
                     f"the schema lacks {', '.join(missing)}", fix)  # fmt: skip
    return Check(
        "auth.tables", "Auth tables", "ok", f"all {len(AUTH_TABLES)} auth tables in the schema"
    )


def check_vars(deployed: dict[str, str]) -> list[Check]:
    out = []
    fixes = {
        "JWT_PRIVATE_KEY": "npx @convex-dev/auth (generates JWT_PRIVATE_KEY and JWKS), or set "
        "it here (a)",
        "JWKS": "npx @convex-dev/auth, or set the public key set here (a)",
        "SITE_URL": "set SITE_URL to the app's URL (the frontend that signs users in) here (a)",
    }
    for name in AUTH_VARS:
        if deployed.get(name):
            out.append(Check(f"auth.var.{name}", name, "ok", "set on the deployment"))
        else:
            out.append(Check(f"auth.var.{name}", name, "warn",
                             "not set on the deployment: @convex-dev/auth needs it", fixes[name]))  # fmt: skip
    return out


def check_auth_config(project_dir: Path) -> Check:
    path = project_dir / "convex" / "auth.config.ts"
    if not path.exists():
        js = project_dir / "convex" / "auth.config.js"
        if not js.exists():
            return Check("auth.config", "auth.config.ts", "ok",
                         "no convex/auth.config.ts (nothing to check)")  # fmt: skip
        path = js
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Check("auth.config", path.name, "warn", f"unreadable: {exc.strerror}")
    fix = "set domain: process.env.CONVEX_SITE_URL in convex/auth.config.ts"
    domains = [m.group(1).strip() for m in _DOMAIN.finditer(text)]
    if not domains:
        return Check("auth.config", path.name, "warn", "no provider domain found", fix)
    bad = [d for d in domains if "CONVEX_SITE_URL" not in d]
    if bad:
        return Check("auth.config", path.name, "warn",
                     f"provider domain is {bad[0][:60]}, not process.env.CONVEX_SITE_URL", fix)  # fmt: skip
    return Check("auth.config", path.name, "ok", "provider domain from process.env.CONVEX_SITE_URL")


def readiness(
    schema: dict[str, Any] | None, deployed: dict[str, str], project_dir: Path
) -> list[Check]:
    return [check_tables(schema), *check_vars(deployed), check_auth_config(project_dir)]
