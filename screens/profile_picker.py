"""Pick a profile from the settings file (the current one is marked)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.safety.text import clean_line, show_url


class ProfilePickerScreen(ModalScreen[str | None]):
    CSS_PATH = "../styles/profile_picker.tcss"
    BINDINGS = [Binding("escape,q", "close", "Close", id="profiles.close")]

    def __init__(self, profiles: Sequence[tuple[str, str, bool]], current: str) -> None:
        """``profiles``: (name, url or "", protected)."""
        super().__init__()
        self.profiles = list(profiles)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Content.styled("Switch profile", "bold"), id="picker-title")
            options = []
            for name, url, protected in self.profiles:
                label = Content.assemble(
                    ("● " if name == self.current else "  ", "$text-success"),
                    (clean_line(name, 40), "bold"),
                    ("  " + show_url(url), "$text-muted"),
                    ("  PROTECTED" if protected else "", "$text-error"),
                )
                options.append(Option(label, id=name))
            yield OptionList(*options, id="profiles")
            if len(self.profiles) <= 1:
                yield Static(
                    Content.styled(
                        "Define more under [profiles.<name>] in the settings file.", "$text-muted"
                    ),
                    id="picker-hint",
                )

    def on_mount(self) -> None:
        # The cursor starts on the current profile: enter keeps it, one key moves off it.
        names = [name for name, _url, _protected in self.profiles]
        options = self.query_one("#profiles", OptionList)
        if self.current in names:
            options.highlighted = names.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
