"""Typed errors against real sockets with no engine behind them, and the .env.convex.local writer.

None of these need a Docker engine.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tui.config.secret import Secret
from tui.docker import (
    DockerPermissionDenied,
    DockerService,
    DockerUnavailable,
    Selector,
    write_admin_key_to_env_file,
)
from tui.docker.admin_key import KEEP_BACKUPS, backups_of
from tui.docker.errors import DockerOperationFailed, classify_connection_error, translate

KEY = "convex-self-hosted|01" + "ab" * 40


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ctui-") as d:
        os.chmod(d, 0o755)
        yield Path(d)


def test_no_socket_is_unavailable_with_the_fix(short_tmp: Path) -> None:
    url = f"unix://{short_tmp}/missing.sock"
    service = DockerService(url, timeout=5)
    with pytest.raises(DockerUnavailable) as info:
        service.ping()
    msg = str(info.value)
    assert url in msg and "systemctl start docker" in msg and "no socket" in msg
    # Every entry point maps the same way; no SDK exception leaks.
    with pytest.raises(DockerUnavailable):
        service.list_containers()
    with pytest.raises(DockerUnavailable):
        service.events()


def test_socket_without_listener_is_unavailable(short_tmp: Path) -> None:
    path = short_tmp / "dead.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the file stays; nobody listens: ECONNREFUSED
    with pytest.raises(DockerUnavailable, match="connection refused"):
        DockerService(f"unix://{path}", timeout=5).ping()


def test_tcp_port_without_listener_is_unavailable() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(DockerUnavailable):
        DockerService(f"tcp://127.0.0.1:{port}", timeout=5).ping()


def test_socket_not_permitted(short_tmp: Path) -> None:
    """A listening socket this user may not open → DockerPermissionDenied with the fix."""
    path = short_tmp / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    os.chmod(path, 0o600 if os.geteuid() == 0 else 0)
    try:
        code = textwrap.dedent(f"""
            import os, sys
            from tui.docker import DockerService, DockerPermissionDenied, DockerUnavailable
            try:  # warm up lazy imports while the stdlib is still readable
                DockerService("unix://{path}.missing", timeout=5).ping()
            except DockerUnavailable:
                pass
            if os.geteuid() == 0:
                os.setgid(65534); os.setuid(65534)  # root bypasses the mode: become nobody
            try:
                DockerService("unix://{path}", timeout=5).ping()
            except DockerPermissionDenied as err:
                print(err); sys.exit(0)
            sys.exit(3)
        """)
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert proc.returncode == 0, proc.stderr
        assert "docker group" in proc.stdout and str(path) in proc.stdout
    finally:
        server.close()


def test_classify_and_translate_chains() -> None:
    wrapped = requests.exceptions.ConnectionError(
        ("Connection aborted.", PermissionError(13, "Permission denied"))
    )
    assert isinstance(classify_connection_error(wrapped, "u"), DockerPermissionDenied)
    assert isinstance(translate(wrapped, "u", "op"), DockerPermissionDenied)
    try:
        try:
            raise FileNotFoundError(2, "No such file or directory")
        except FileNotFoundError as inner:
            raise RuntimeError("Error while fetching server API version") from inner
    except RuntimeError as outer:
        err = translate(outer, "unix:///x.sock", "op")
    assert isinstance(err, DockerUnavailable) and err.detail == "no socket"
    odd = translate(ValueError("something else"), "u", "list containers")
    assert isinstance(odd, DockerOperationFailed) and "list containers" in str(odd)


# -- .env.convex.local -------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_file_created_when_missing(tmp_path: Path) -> None:
    target = tmp_path / ".env.convex.local"
    result = write_admin_key_to_env_file(target, Secret(KEY))
    assert result.backup is None and not result.replaced
    assert target.read_text() == f"CONVEX_SELF_HOSTED_ADMIN_KEY='{KEY}'\n"
    assert _mode(target) == 0o600


def test_env_file_updated_in_place_with_backup(tmp_path: Path) -> None:
    target = tmp_path / ".env.convex.local"
    original = (
        "# self-hosted\n"
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n"
        'export CONVEX_SELF_HOSTED_ADMIN_KEY = "convex-self-hosted|old"\n'
        "CONVEX_SELF_HOSTED_ADMIN_KEY_OLD=keep-me\n"
        "OTHER=1"
    )
    target.write_text(original)
    os.chmod(target, 0o644)
    now = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    result = write_admin_key_to_env_file(target, KEY, now=now)
    assert result.replaced
    assert result.backup == tmp_path / ".env.convex.local.bak-20240501T100000000000Z"
    assert result.backup.read_text() == original and _mode(result.backup) == 0o600
    assert target.read_text() == original.replace("convex-self-hosted|old", KEY)
    assert _mode(target) == 0o600
    # Appending to a file without a trailing newline, and no temp files left behind.
    write_admin_key_to_env_file(target, KEY, now=datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC))
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == [
        ".env.convex.local",
        ".env.convex.local.bak-20240501T100000000000Z",
        ".env.convex.local.bak-20240501T100001000000Z",
    ]
    # At most KEEP_BACKUPS copies of old keys: the oldest go, every one stays mode 600.
    for second in range(2, 6):
        write_admin_key_to_env_file(
            target, KEY, now=datetime(2024, 5, 1, 10, 0, second, tzinfo=UTC)
        )
    kept = backups_of(target)
    assert len(kept) == KEEP_BACKUPS == 3
    assert kept[0].name.endswith("T100003000000Z") and kept[-1].name.endswith("T100005000000Z")
    assert all(_mode(p) == 0o600 for p in kept)


def test_env_file_appends_when_absent(tmp_path: Path) -> None:
    target = tmp_path / ".env.convex.local"
    target.write_text("CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210")
    write_admin_key_to_env_file(target, KEY)
    assert target.read_text() == (
        f"CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\nCONVEX_SELF_HOSTED_ADMIN_KEY='{KEY}'\n"
    )


@pytest.mark.parametrize("bad", ["", "two words", "line\nbreak", "quote'd"])
def test_env_file_refuses_bad_keys(tmp_path: Path, bad: str) -> None:
    target = tmp_path / ".env.convex.local"
    with pytest.raises(ValueError, match="refusing"):
        write_admin_key_to_env_file(target, bad)
    assert not target.exists()


def test_watcher_reports_down_backs_off_and_stops(short_tmp: Path) -> None:
    """No engine at start: Disconnected with growing retry delays; stop() ends it at once."""
    import queue
    import threading
    import time

    from tui.docker import Disconnected
    from tui.docker.watcher import ProjectWatcher

    service = DockerService(f"unix://{short_tmp}/missing.sock", timeout=5)
    watcher = ProjectWatcher(service, Selector(), retry_initial=0.05, retry_max=0.2)
    updates: queue.Queue[object] = queue.Queue()

    def drain() -> None:
        for update in watcher:
            updates.put(update)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    delays = []
    for _ in range(4):
        update = updates.get(timeout=5)
        assert isinstance(update, Disconnected) and isinstance(update.error, DockerUnavailable)
        delays.append(update.retry_in)
    assert delays == [0.05, 0.1, 0.2, 0.2]
    started = time.monotonic()
    watcher.stop()
    thread.join(2)
    assert not thread.is_alive() and time.monotonic() - started < 0.5
