"""The status view model: what a row says, independent of Textual."""

from __future__ import annotations

import dataclasses

import httpx

from tests.ui.fakes import settings
from tui.status.probes import NOT_CONFIGURED, probe_http
from tui.status.status_view import service_rows


async def test_an_unconfigured_service_is_not_probed_and_reads_n_a() -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200)

    transport = httpx.MockTransport(answer)
    async with httpx.AsyncClient(transport=transport) as client:
        probe = await probe_http(client, "")
        assert (probe.reachable, probe.error) == (False, NOT_CONFIGURED)
        assert requests == []
        served = await probe_http(client, "http://127.0.0.1:6791")
        assert served.reachable and len(requests) == 1


def test_demo_dashboard_row() -> None:
    s = dataclasses.replace(settings(), dashboard_url="")
    rows = {r.key: r for r in service_rows(s, None)}
    dash = rows["dashboard"]
    assert dash.state == ("n/a", "muted")
    assert dash.local_url == "—" and "not part of" in dash.detail[0]
    assert rows["site"].state == ("probing…", "muted")  # configured ones still wait for a probe
