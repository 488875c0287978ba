"""Networking on the standard library alone: one small blocking HTTP/1.1 client (`tui.net.http`).

Kept dependency-free so that the headless twins and the console's first probe pay for
``http.client`` only (no httpx, no asyncio)."""
