"""Reading workspace env files (`.env.convex.local`, `.env.local`, `.env`) with python-dotenv.

A broken file never raises: every problem is kept with its file and line so `doctor` can report it.
"""

from __future__ import annotations

import io
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Files read from the project directory, highest precedence first.
PROJECT_ENV_FILES = (".env.convex.local", ".env.local", ".env")


@dataclass(frozen=True)
class EnvProblem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class EnvFile:
    """One env file as read: its values (with line numbers) and any problems."""

    path: Path
    exists: bool
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[EnvProblem, ...] = ()
    mode: int | None = None

    @property
    def world_readable(self) -> bool:
        return self.mode is not None and bool(self.mode & stat.S_IROTH)

    def where(self, name: str) -> str:
        line = self.lines.get(name)
        return f"{self.path.name}:{line}" if line else self.path.name


def read_env_file(path: Path) -> EnvFile:
    try:
        st = path.stat()
    except FileNotFoundError:
        return EnvFile(path=path, exists=False)
    except OSError as exc:
        return EnvFile(
            path, True, problems=(EnvProblem(path, None, f"cannot stat: {exc.strerror}"),)
        )
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISREG(st.st_mode):
        return EnvFile(
            path, True, problems=(EnvProblem(path, None, "not a regular file"),), mode=mode
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problem = EnvProblem(path, None, f"unreadable: {exc.strerror}")
        return EnvFile(path, True, problems=(problem,), mode=mode)
    if b"\x00" in raw:
        problem = EnvProblem(path, None, "binary file (contains NUL bytes), not an env file")
        return EnvFile(path, True, problems=(problem,), mode=mode)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = EnvProblem(path, line, "not valid UTF-8 text")
        return EnvFile(path, True, problems=(problem,), mode=mode)

    # Here, not at the top: dotenv loads logging and more (~10 ms), and a process without env
    # files (most twins' runs under a profile or flags) never needs it (issue 19).
    from dotenv.parser import parse_stream

    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[EnvProblem] = []
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            problems.append(EnvProblem(path, line, f"cannot parse line: {_named(binding)!r}"))
            continue
        if binding.key is None:
            continue
        if binding.value is None and not _NAME.fullmatch(binding.key):
            # Not NAME=value but a bare word dotenv takes for a name: a pasted key, say.
            problems.append(EnvProblem(path, line, f"not NAME=value: {_named(binding)!r}"))
            continue
        value = binding.value if binding.value is not None else ""
        # Expand ${VAR} references against earlier values in the same file, as dotenv does.
        values[binding.key] = _expand(value, values)
        lines[binding.key] = line
    return EnvFile(path, True, values, lines, tuple(problems), mode)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_SECRET_FROM = re.compile(r"[=|]")  # a value, or an admin key's secret half, starts there


def _named(binding: Any) -> str:
    """A line as a problem may show it: up to its first `=` or `|`, never what follows (a
    value may be the admin key or another secret)."""
    text = binding.original.string.strip()
    cut = _SECRET_FROM.search(text)
    return f"{text[: cut.start()][:40]}{cut.group()}…" if cut else text[:40]


def _expand(value: str, known: dict[str, str]) -> str:
    if "$" not in value:
        return value
    from dotenv.variables import parse_variables

    return "".join(atom.resolve(dict(known)) or "" for atom in parse_variables(value))
