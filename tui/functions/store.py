"""Per-deployment files in the user data dir: call history and the act-as-user identity.

One JSON Lines file of calls and one JSON file of the identity per deployment URL, under
``$CONVEX_TUI_DATA_DIR`` or the platform data dir (platformdirs). Writes are small and append-only
(history) or atomic (identity); a damaged line is skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from tui.safety.text import scrub_url

HISTORY_LIMIT = 500


def data_dir() -> Path:
    override = os.environ.get("CONVEX_TUI_DATA_DIR")
    return Path(override) if override else Path(user_data_dir("convex-tui"))


def deployment_slug(url: str) -> str:
    """A file name for a deployment URL: readable host/port plus a short hash of the whole URL."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:60]
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}"


@dataclass(frozen=True)
class HistoryEntry:
    function: str
    args: Any  # Convex encoded JSON (exact, as sent)
    identity: dict[str, Any] | None
    outcome: str  # "ok" / "error" / "transport" / "refused"
    duration_ms: float | None
    at: float = field(default_factory=time.time)
    summary: str = ""  # error message or a short result preview

    def npx_line(self) -> str:
        parts = ["npx", "convex", "run", self.function, _compact(self.args)]
        if self.identity:
            parts += ["--identity", _compact(self.identity)]
        return shlex.join(parts)

    def tui_line(self, profile: str | None = None, url: str | None = None) -> str:
        """With a settings-file profile, ``--profile``; otherwise ``--url`` (the key comes from
        the environment or the project's env file, never from the line)."""
        parts = ["convex-tui"]
        if profile:
            parts += ["--profile", profile]
        elif url:
            parts += ["--url", scrub_url(url)]
        parts += ["run", self.function, _compact(self.args)]
        if self.identity:
            parts += ["--identity", _compact(self.identity)]
        return shlex.join(parts)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class History:
    """The call history of one deployment, newest last."""

    def __init__(self, url: str, root: Path | None = None) -> None:
        self.path = (root or data_dir()) / "history" / f"{deployment_slug(url)}.jsonl"

    def load(self) -> list[HistoryEntry]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return []
        out: list[HistoryEntry] = []
        for line in text.splitlines():
            try:
                raw = json.loads(line)
                out.append(HistoryEntry(**raw))
            except (ValueError, TypeError):
                continue
        return out[-HISTORY_LIMIT:]

    def append(self, entry: HistoryEntry) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
        if self.path.stat().st_size > HISTORY_LIMIT * 2048:
            self._trim()

    def _trim(self) -> None:
        keep = self.load()[-HISTORY_LIMIT:]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(asdict(e)) + "\n" for e in keep), encoding="utf-8")
        tmp.replace(self.path)


# ---------------------------------------------------------------- acting as a user


IDENTITY_FIELDS = ("subject", "issuer", "name", "email")


def build_identity(
    fields: Mapping[str, str], raw: str = "", default_issuer: str = ""
) -> dict[str, Any] | None:
    """UserIdentityAttributes (camelCase) from the form, or the raw JSON object; None = nobody.

    The backend wants ``tokenIdentifier`` or both ``issuer`` and ``subject`` (reference §1.1):
    a subject alone gets the deployment's issuer and the matching tokenIdentifier."""
    if raw.strip():
        import json5

        try:
            parsed = json5.loads(raw)
        except ValueError as exc:
            raise ValueError(f"identity JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValueError("identity JSON must be an object")
        return parsed or None
    out = {k: v.strip() for k, v in fields.items() if k in IDENTITY_FIELDS and v.strip()}
    if not out:
        return None
    if "subject" in out:
        out.setdefault("issuer", default_issuer or "convex-tui")
        out["tokenIdentifier"] = f"{out['issuer']}|{out['subject']}"
    return out


def describe_identity(identity: Mapping[str, Any] | None) -> str:
    if not identity:
        return "as admin"
    who = identity.get("name") or identity.get("email") or identity.get("subject")
    return f"as {who or identity.get('tokenIdentifier') or 'user'}"


class IdentityStore:
    """The act-as-user identity remembered for one deployment."""

    def __init__(self, url: str, root: Path | None = None) -> None:
        self.path = (root or data_dir()) / "identities" / f"{deployment_slug(url)}.json"

    def load(self) -> dict[str, Any] | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return raw if isinstance(raw, dict) and raw else None

    def save(self, identity: Mapping[str, Any] | None) -> None:
        if not identity:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(identity), sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)
