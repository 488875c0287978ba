"""Start `convex-tui serve` in a subprocess and read the tokened URL it prints once on stderr."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

URL_LINE = re.compile(r"open (http://\S+/\?token=(\S+))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    url: str  # the page URL with its token
    token: str
    stderr: str  # everything serve printed before it answered


def wait_http(url: str, timeout: float = 20.0) -> None:
    """Poll ``url`` until it answers 200 (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer")
        time.sleep(0.1)


@contextmanager
def serve_process(
    deployment_url: str, admin_key: str | None, cwd: Path, *, key_in_env: bool = True,
    public_url: str | None = None,
) -> Iterator[Served]:  # fmt: skip
    port = free_port()
    # The URL (it may carry the key) reaches the launcher through its environment: the secret
    # sweep searches every command line, this one's included.
    code = (
        "import argparse, os, sys\n"
        "from tui.config import CliOverrides, load_settings\n"
        "from screens.serve import serve_main\n"
        "url = os.environ.pop('TEST_SERVE_URL')\n"
        f"args = argparse.Namespace(host='127.0.0.1', port={port}, public_url={public_url!r}, "
        "url=url, admin_key=None, env_file=None, project_dir=None, profile=None, "
        "config=None, read_only=False)\n"
        "sys.exit(serve_main(args, load_settings(CliOverrides(url=url))))\n"
    )
    env = {**os.environ, "TEST_SERVE_URL": deployment_url}
    if admin_key and key_in_env:
        env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = admin_key
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    try:
        seen = b""
        deadline = time.monotonic() + 20
        match = None
        while match is None:
            assert time.monotonic() < deadline, f"serve printed no URL: {seen!r}"
            ready, _, _ = select.select([proc.stderr], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                assert chunk, f"serve exited: {seen!r}"
                seen += chunk
                match = URL_LINE.search(seen.decode(errors="replace"))
        wait_http(match.group(1), 20)
        yield Served(proc, port, match.group(1), match.group(2), seen.decode(errors="replace"))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
