"""Command palette provider: panes, profiles, themes, read-only, help, quit.

One list of commands serves both `discover` (empty query) and `search`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.pane import PaneTarget
from tui.keys import PANES

FUNCTION_LIST_TIMEOUT = 2.0

if TYPE_CHECKING:
    from tui.config import Settings


class ConsoleCommands(Provider):
    _functions: list[str] = []

    async def startup(self) -> None:
        """Function paths for "Function: …" hits (bounded: a dead deployment only loses them)."""
        import asyncio

        client = getattr(self.app, "convex", None)
        if client is None:
            return
        try:
            specs = await asyncio.wait_for(client.list_functions(), FUNCTION_LIST_TIMEOUT)
        except Exception:  # noqa: BLE001 - the palette works without the function list
            return
        self._functions = sorted(s.path for s in specs if not s.is_http)

    def _commands(self) -> list[tuple[str, str, Callable[[], object], bool]]:
        """(title, help, callback, shown when the query is empty)."""
        app = self.app
        run = app.run_action
        settings: Settings = app.context.settings  # type: ignore[attr-defined]
        read_only: bool = app.read_only  # type: ignore[attr-defined]
        out: list[tuple[str, str, Callable[[], object], bool]] = []
        for n, (pane, title, what) in enumerate(PANES, start=1):
            out.append(
                (f"Pane: {title}", f"{what} (key {n})", partial(run, f"pane('{pane}')"), True)
            )
        out.append(
            (
                "Unlock edits (leave read-only)" if read_only else "Lock: read-only mode",
                "Every write action refuses while read-only",
                partial(run, "toggle_read_only"),
                True,
            )
        )
        out.append(
            (
                "Switch profile…",
                "Pick a profile from the settings file",
                partial(run, "switch_profile"),
                True,
            )
        )
        for name in sorted(settings.profiles) or [settings.profile]:
            if name != settings.profile:
                out.append(
                    (
                        f"Profile: {name}",
                        "Switch the console to this profile",
                        partial(app.apply_profile, name),  # type: ignore[attr-defined]
                        False,
                    )
                )
        for theme in sorted(app.available_themes):
            out.append(
                (
                    f"Theme: {theme}",
                    "Change the colours",
                    partial(setattr, app, "theme", theme),
                    False,
                )
            )
        out.append(("Deploy functions", "deploy:functions, or npx convex deploy --yes (key D)",
                    partial(run, "deploy"), True))  # fmt: skip
        out.append(("dev:backend: start/stop", "npx convex dev in the background",
                    partial(run, "dev_backend"), False))  # fmt: skip
        for path in self._functions:
            out.append(
                (
                    f"Function: {path}",
                    "Open it in the Functions pane",
                    partial(app.open_in, "functions", PaneTarget("function", path)),  # type: ignore[attr-defined]
                    False,
                )
            )
        out.append(("Help: keys", "Every key and what it does", partial(run, "help"), True))
        out.append(("Quit", "Leave the console", partial(run, "quit"), True))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback, shown in self._commands():
            if shown:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, _ in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
