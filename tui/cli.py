"""Command-line entry point. Kept import-light: `--help` and `--version` load no Textual, no httpx."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from tui import __version__

if TYPE_CHECKING:
    from tui.config import Settings

PROJECT_HELP = (
    "push the workspace DIR's convex/ to the sandbox on start (`npx convex dev --once`; "
    "needs Node.js and the workspace's `convex` package) and run its functions"
)
PRECEDENCE = """\
configuration precedence (first match wins):
  1. flags: --url, --admin-key (--env-file adds a file, --project-dir picks the directory)
  2. the selected profile's url (settings file, --profile or default_profile)
  3. process environment: CONVEX_SELF_HOSTED_URL, CONVEX_URL, CONVEX_CLOUD_ORIGIN,
     CONVEX_DEPLOYMENT_URL, VITE_CONVEX_URL, CONVEX_DEPLOYMENT (when a URL);
     CONVEX_SELF_HOSTED_ADMIN_KEY, CONVEX_ADMIN_KEY
  4. env files: --env-file, then .env.convex.local, .env.local, .env in the project directory
  5. default http://127.0.0.1:3210
settings file: $CONVEX_TUI_CONFIG or <platform config dir>/convex-tui/config.toml
"""


def _common(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The deployment flags, accepted before or after the subcommand.

    On subcommands the defaults are suppressed: argparse would otherwise let a subparser's
    default (None) overwrite a flag given before the subcommand (`--profile x status`)."""
    g = parser.add_argument_group("deployment")
    if suppress:
        g.argument_default = argparse.SUPPRESS
    g.add_argument("--url", help="deployment URL (API, port 3210)")
    g.add_argument("--admin-key", help="admin key (prefer the env file; never echoed)")
    g.add_argument("--env-file", type=Path, help="extra env file, read before the project's")
    g.add_argument("--project-dir", type=Path, help="workspace directory holding .env files")
    g.add_argument("--profile", help="named profile from the settings file")
    g.add_argument("--config", type=Path, help="settings file (default: $CONVEX_TUI_CONFIG)")
    g.add_argument("--read-only", action="store_true", help="refuse every write action")
    g.add_argument(
        "--unlock",
        metavar="PROFILE",
        help="allow writes to a protected profile (must name it: --unlock prod)",
    )


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse builds one formatter per argument added, and each asks
    `shutil.get_terminal_size()`: importing shutil (and with it bz2, lzma) costs more than a
    twin's whole request (issue 19). The same rule (COLUMNS, else the terminal, else 80)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:  # fmt: skip
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns or 80


class _Quick(argparse.ArgumentParser):
    """The console's flags alone; anything it cannot parse is left to the whole parser, whose
    message (and usage line) is the one printed."""

    def error(self, message: str) -> NoReturn:
        raise _Reparse(message)


class _Reparse(Exception):
    pass


class _Unbuilt(argparse.ArgumentParser):
    """Stands in for a subcommand that is not running: its flags are never built."""

    def __init__(self) -> None:  # deliberately no argparse state: nothing is ever parsed here
        pass

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        return None

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Any:
        return self

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        return self


VALUE_FLAGS = frozenset(
    {"--url", "--admin-key", "--env-file", "--project-dir", "--profile", "--config", "--unlock"}
)
COMMANDS = frozenset({"console", "demo", "sandbox", "doctor", "status", "run", "logs", "data",
                      "serve", "env", "scripts", "deploy"})  # fmt: skip


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs ("console" when none), or None when unsure (an abbreviated
    flag, an unknown word): then every subcommand is built, and argparse decides."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return None
        if word.startswith("-"):
            if word in VALUE_FLAGS:
                next(words, None)
            continue
        return word if word in COMMANDS else None
    return "console"


def names_no_command(argv: Sequence[str]) -> bool:
    """Only deployment flags (the console, as most runs are): no subcommand, no --help."""
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help") or not word.startswith("-") or word == "--":
            return False
        if word in VALUE_FLAGS:
            next(words, None)
    return True


def build_parser(only: str | None = None, *, no_command: bool = False) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, just that subcommand's flags are built (the
    others are listed, for --help and for choosing): a twin pays for its own flags alone.
    ``no_command`` (see `names_no_command`): the deployment flags alone, no subcommands (a
    dozen parsers and their modules the console's start-up does not need, ~10 ms)."""
    common = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    _common(common)
    if no_command:
        quick = _Quick(prog="convex-tui", parents=[common], add_help=False)
        quick.add_argument("--version", action="version", version=f"convex-tui {__version__}")
        quick.set_defaults(command=None)
        return quick
    sub_common = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    _common(sub_common, suppress=True)
    parser = argparse.ArgumentParser(
        prog="convex-tui",
        description="A keyboard-driven console for a self-hosted Convex deployment.",
        epilog=PRECEDENCE,
        formatter_class=_Formatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"convex-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            return _Unbuilt()
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[sub_common],
            epilog=PRECEDENCE,
            formatter_class=_Formatter,
        )

    add("console", "open the console (the default)")
    demo = add("demo", "start an in-process sandbox with the demo app and open the console on it")
    demo.add_argument(
        "--no-console",
        action="store_true",
        help="only serve the sandbox (print URL and key), no console",
    )
    demo.add_argument("--project", type=Path, metavar="DIR", help=PROJECT_HELP)
    sb = add("sandbox", "run a sandbox deployment in the foreground until Ctrl-C")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=3210)
    sb.add_argument("--site-port", type=int, default=3211)
    store = sb.add_mutually_exclusive_group()
    store.add_argument("--data", type=Path, help="data directory (default: user data dir)")
    store.add_argument("--memory", action="store_true", help="throwaway storage")
    sb.add_argument("--seed", choices=["demo", "empty"], default="demo")
    sb.add_argument("--project", type=Path, metavar="DIR", help=PROJECT_HELP)
    sb.add_argument(
        "--bulk",
        action="append",
        default=[],
        metavar="TABLE=N",
        help="fill TABLE with N generated documents (repeatable)",
    )
    doctor = add("doctor", "check the workspace configuration and services")
    doctor.add_argument("--json", action="store_true", help="machine-readable report")
    status = add("status", "print service and container status once")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    run = add("run", "run a query, mutation or action (like npx convex run)")
    run.add_argument("function", help="e.g. tasks:list or api.tasks.list")
    run.add_argument("args_json", nargs="?", help="arguments as JSON (JSON5 accepted)")
    run.add_argument("--identity", help="act as this user (JSON identity)")
    run.add_argument("--json", action="store_true", help="print the whole result as JSON")
    logs = add("logs", "print function logs (like npx convex logs)")
    logs.add_argument(
        "--history",
        type=int,
        nargs="?",
        const=100,
        default=None,
        metavar="N",
        help="print the last N entries first",
    )
    logs.add_argument("--jsonl", action="store_true", help="raw entries, one JSON per line")
    logs.add_argument("--follow", action="store_true", help="keep streaming new entries")
    from tui.logs.twin_flags import add_twin_flags

    add_twin_flags(logs)  # the Logs pane's filter model: --filter, --level, --containers, …
    from tui.data.twin_flags import add_parser as add_data_parser

    add_data_parser(sub, add)
    serve = add("serve", "serve the console to a browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--public-url", help="URL the browser uses (behind Coder port forwarding)")
    from tui.env.cli import add_parser as add_env
    from tui.scripts.cli import add_parsers as add_scripts

    add_env(add)
    add_scripts(add)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    from tui.config import CliOverrides, load_settings

    settings = load_settings(
        CliOverrides(
            url=args.url,
            admin_key=args.admin_key,
            env_file=args.env_file,
            project_dir=args.project_dir,
            profile=args.profile,
            read_only=args.read_only,
            config_path=args.config,
        )
    )
    for problem in settings.problems:  # the console shows these as notifications
        print(f"convex-tui: warning: {problem}", file=sys.stderr)
    if getattr(args, "command", None) not in ("doctor", *CONSOLE_COMMANDS):
        # Headless twins: a malformed env file must not pass silently (doctor and the console
        # report it themselves, with the fix).
        for env_file in settings.env_files:
            for env_problem in env_file.problems:
                print(
                    f"convex-tui: warning: {env_problem} (fix or remove that line: NAME=value)",
                    file=sys.stderr,
                )
    return settings


class ConsoleEntry(Protocol):
    """The UI side's entry points, handed in by `screens.main` (tui/ never imports screens/)."""

    def run(self, settings: Settings) -> int: ...

    def demo(self, args: argparse.Namespace) -> int: ...

    def serve(self, args: argparse.Namespace, settings: Settings) -> int: ...


CONSOLE_COMMANDS = frozenset({"console", "demo", "serve"})


def main(argv: Sequence[str] | None = None, console: ConsoleEntry | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    only = command_of(words)
    try:
        args = build_parser(only=only, no_command=names_no_command(words)).parse_args(words)
    except _Reparse:
        args = build_parser(only=only).parse_args(words)
    command = args.command or "console"
    try:
        return _dispatch(command, args, console)
    except KeyboardInterrupt:
        return 130


def _dispatch(command: str, args: argparse.Namespace, console: ConsoleEntry | None) -> int:
    if command in CONSOLE_COMMANDS:
        if console is None:
            print(
                f"convex-tui: '{command}' needs the console: run `convex-tui {command}` "
                "(python -m screens), not python -m tui",
                file=sys.stderr,
            )
            return 2
        if command == "demo":
            return console.demo(args)
        if command == "serve":
            return console.serve(args, settings_from_args(args))
        return console.run(settings_from_args(args))
    if command == "doctor":
        from tui.doctor.report import main as doctor_main

        return doctor_main(settings_from_args(args), as_json=args.json)
    if command == "sandbox":
        from tui.sandbox.command import main as sandbox_main

        return sandbox_main(args)
    if command == "run":
        from tui.convex.commands import run_main

        return run_main(args, settings_from_args(args))
    if command == "logs":
        from tui.logs.twin_flags import wants_twin

        if wants_twin(args):  # the Logs pane's rows and filter model (tui/logs/twin.py)
            from tui.logs.twin import twin_main

            return twin_main(args, settings_from_args(args))
        from tui.convex.commands import logs_main

        return logs_main(args, settings_from_args(args))
    if command == "data":
        from tui.data.command import data_main

        return data_main(args, settings_from_args(args))
    if command == "status":
        from tui.status.status_cmd import status_main

        return status_main(args, settings_from_args(args))
    if command == "env":
        from tui.env.cli import main as env_main

        return env_main(args, settings_from_args(args))
    if command in ("scripts", "deploy"):
        from tui.scripts import cli as scripts_cli

        entry = scripts_cli.deploy_main if command == "deploy" else scripts_cli.scripts_main
        return entry(args, settings_from_args(args))
    raise AssertionError(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main())
