"""The Status pane's live document total over the sync socket (a base of `StatusScreen`): the
dashboard's count of every document, as a reactive query, subscribed only while the pane is
shown."""

from __future__ import annotations

from textual import on, work
from textual.widgets import DataTable

from screens.container_actions import ContainerActions
from screens.messages import DocumentTotal


class LiveTotal(ContainerActions):
    _generation: int  # bumped by StatusScreen on a profile switch: late totals are dropped
    _shown = False  # the current screen: only then is the total subscribed

    def _convex_ready(self, _generation: int) -> None:
        if self._shown:
            self._live_totals()

    def on_screen_suspend(self) -> None:
        # Hidden: the total's subscription closes, so a commit costs the console no transition
        # while another pane paints (the Logs pane's rows); it reopens on return.
        self._shown = False
        self.workers.cancel_group(self, "live")

    def on_screen_resume(self) -> None:
        self._shown = True
        self._live_totals()

    @work(group="live", exclusive=True, exit_on_error=False, description="live document total")
    async def _live_totals(self) -> None:
        client = self.host.convex
        if client is None:
            return
        from tui.convex.errors import ConvexTransportError, FunctionError
        from tui.status.live import document_totals

        generation = self._generation
        try:
            async for total in document_totals(client):
                if generation == self._generation:  # not the previous target's, late
                    self.post_message(DocumentTotal(total))
        except (FunctionError, ConvexTransportError):
            # An older backend without the system query, or a key without ViewData.
            self.post_message(DocumentTotal(None))

    @on(DocumentTotal)
    def _document_total(self, message: DocumentTotal) -> None:
        total = message.total
        subtitle = "" if total is None else f"{total:,} documents · live"
        self.query_one("#services", DataTable).border_subtitle = subtitle
