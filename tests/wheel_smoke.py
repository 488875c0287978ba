"""Installed-wheel smoke test: run from an unrelated directory against the *installed* package.

    python /path/to/tests/wheel_smoke.py

Pushes every screen headless (screen CSS only loads on push, so a .tcss missing from the wheel
fails here, not for a user) and checks the stylesheets came from the installed `styles/`.
Needs no network and no Docker.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def main() -> int:
    import screens
    import styles
    from screens.app import make_app
    from screens.confirm import ConfirmScreen
    from screens.help import HelpScreen
    from screens.modes import PANE_CLASSES
    from screens.profile_picker import ProfilePickerScreen
    from screens.status import StatusScreen
    from tui.config import CliOverrides, load_settings
    from tui.keys import PANES
    from tui.status.services import ServiceProber

    styles_dir = Path(styles.__file__).parent
    print(f"screens from {Path(screens.__file__).parent}")
    tcss = sorted(p.name for p in styles_dir.glob("*.tcss"))
    # Every pane's stylesheet (styles/<pane>.tcss) and the dialogs pushed below.
    expected = {
        "app.tcss",
        "confirm.tcss",
        "help.tcss",
        "profile_picker.tcss",
        *(f"{pane}.tcss" for pane, _title, _what in PANES),
    }
    missing = expected - set(tcss)
    assert not missing, f"missing from the installed styles/: {sorted(missing)}"

    # Nothing listens on port 9: the console must come up anyway and say the API is down.
    settings = load_settings(CliOverrides(url="http://127.0.0.1:9"))
    app = make_app(
        settings,
        prober=ServiceProber(
            settings.url, "http://127.0.0.1:9", "http://127.0.0.1:9", None, timeout=0.5
        ),
        docker=None,
        docker_error="docker not used by the smoke test",
        connect_convex=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, StatusScreen)
        for pane, _title, _what in PANES[1:]:
            await pilot.press(str([p for p, _, _ in PANES].index(pane) + 1))
            assert type(app.screen).__name__ == PANE_CLASSES[pane], pane
        await pilot.press("1")
        for screen in (
            HelpScreen({}),
            ConfirmScreen("Smoke?", "detail", typed="local"),
            ProfilePickerScreen([("local", settings.url, False)], "local"),
        ):
            await app.push_screen(screen)
            await pilot.pause()
            app.pop_screen()
        sources = {Path(str(key[0])).name for key in app.stylesheet.source}
        loaded = {name for name in expected if name in sources}
        assert loaded == expected, f"stylesheets not loaded: {sorted(expected - loaded)}"
        for key in app.stylesheet.source:
            path = Path(str(key[0]))
            if path.suffix == ".tcss":
                assert path.parent == styles_dir, f"{path} is not from the installed styles/"
    print(f"wheel smoke OK: {len(expected)} stylesheets from {styles_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
