"""Cheap guards on styles/: every file parses with the theme's variables, uses no hex colours,
and every rule of a screen's file is scoped by that screen (screen CSS is unscoped once loaded)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from textual.css.stylesheet import Stylesheet

from screens.app import make_app
from tests.ui.fakes import settings

STYLES = sorted((Path(__file__).resolve().parents[2] / "styles").glob("*.tcss"))
# styles/<file>.tcss -> the screen class whose CSS_PATH names it (app.tcss is global).
SCREEN_OF = {
    "status.tcss": "StatusScreen",
    "confirm.tcss": "ConfirmScreen",
    "doctor.tcss": "DoctorScreen",
    "help.tcss": "HelpScreen",
    "profile_picker.tcss": "ProfilePickerScreen",
    "scripts.tcss": "ScriptsScreen",
    "env.tcss": "EnvScreen",
    "env_edit.tcss": "EnvEditScreen",
    "data.tcss": "DataScreen",
    "data_dialogs.tcss": "DataDialog",
    "functions.tcss": "FunctionsScreen",
    "act_as.tcss": "ActAsScreen",
    "function_history.tcss": "FunctionHistoryScreen",
    "logs.tcss": "LogsScreen",
    "logs_dialog.tcss": "LogsDialog",
}


def test_every_style_file_is_known() -> None:
    assert {p.name for p in STYLES} == {*SCREEN_OF, "app.tcss"}


@pytest.fixture(scope="module")
def theme_variables() -> dict[str, str]:
    async def read() -> dict[str, str]:
        app = make_app(settings(), connect_convex=False)
        async with app.run_test(size=(80, 24)):
            return app.get_css_variables()

    return asyncio.run(read())


@pytest.mark.parametrize("path", STYLES, ids=lambda p: p.name)
def test_parses_with_theme_variables_and_no_hex(
    path: Path, theme_variables: dict[str, str]
) -> None:
    sheet = Stylesheet(variables=theme_variables)
    sheet.read(path)
    sheet.parse()  # raises StylesheetParseError on any unknown rule or variable
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b(?![\w-])", text.replace("#", " #")), (
        f"{path.name}: use theme variables, not hex colours"
    )


@pytest.mark.parametrize("name", sorted(SCREEN_OF))
def test_screen_rules_start_with_the_screen(name: str) -> None:
    path = next(p for p in STYLES if p.name == name)
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    selectors = re.findall(r"(?m)^([^\s{}][^{}]*?)\s*\{", text)
    assert selectors
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(SCREEN_OF[name]), f"{name}: {selector.strip()!r}"
