"""The injection corpus through every headless command, as real processes writing real bytes.

`run` (its value and its log lines), `logs`, `doctor` (env-file values and a hostile backend's
/version) and `status` (external URLs, version): stdout and stderr must be valid UTF-8 with no
escape sequence, control or bidi character. `--json` outputs stay exact (valid JSON, same value).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.safety.corpus import INVALID_UTF8, PAYLOADS, terminal_bytes_ok

ALL = "".join(PAYLOADS.values())


def cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes, bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "screens.main", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout, proc.stderr


def assert_inert(what: str, out: bytes, err: bytes) -> None:
    for name, data in (("stdout", out), ("stderr", err)):
        ok, why = terminal_bytes_ok(data)
        assert ok, f"{what} {name}: {why}"
        assert b"Traceback" not in data, f"{what} {name} crashed:\n{data[-2000:]!r}"


@pytest.fixture(scope="module")
def hostile_backend() -> Iterator[str]:
    """A "backend" whose /version, /instance_name and errors are the corpus."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = ALL.encode("utf-8", "surrogatepass") + INVALID_UTF8
            status = 200 if self.path in ("/version", "/instance_name") else 500
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    t.join(5)


def env_file(tmp_path: Path, api: str) -> Path:
    """An env file whose values (URLs included) are the corpus, with invalid UTF-8 in one."""
    lines = [f"CONVEX_SELF_HOSTED_URL={api}"]
    for i, payload in enumerate(PAYLOADS.values()):
        lines.append(f"HOSTILE_{i}={json.dumps(payload.replace(chr(0), ''))}")
    lines.append(f"CONVEX_CLOUD_ORIGIN=http://x{PAYLOADS['osc0_title']}y.example")
    lines.append(f"CONVEX_SITE_ORIGIN={json.dumps('http://s.example/' + PAYLOADS['csi_clear'])}")
    path = tmp_path / ".env.convex.local"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    path.chmod(0o600)
    return path


def test_run_and_logs_print_hostile_log_lines_inert(sandbox_session: Any, tmp_path: Path) -> None:
    env = {"CONVEX_SELF_HOSTED_URL": sandbox_session.url,
           "CONVEX_SELF_HOSTED_ADMIN_KEY": sandbox_session.admin_key}  # fmt: skip
    for name, payload in PAYLOADS.items():
        args = json.dumps({"value": payload})
        code, out, err = cli(["run", "debug:echo", args], env, tmp_path)
        assert_inert(f"run {name}", out, err)
        if name == "lone_surrogate":  # not a Convex string: a clean usage error, no traceback
            assert code == 2 and b"valid Unicode" in err
            continue
        assert code == 0, (name, err[-500:])
        code, jout, _ = cli(["run", "--json", "debug:echo", args], env, tmp_path)
        assert code == 0 and json.loads(jout)["value"] == payload, name  # JSON stays exact
    code, out, err = cli(["logs", "--history", "200"], env, tmp_path)
    assert code == 0
    assert_inert("logs", out, err)
    assert out.count(b"echo") >= len(PAYLOADS) - 1
    code, out, _ = cli(["logs", "--history", "200", "--jsonl"], env, tmp_path)
    assert code == 0 and all(json.loads(line) for line in out.splitlines())


def test_doctor_and_status_show_hostile_values_inert(hostile_backend: str, tmp_path: Path) -> None:
    env_file(tmp_path, hostile_backend)
    env = {"CONVEX_SELF_HOSTED_ADMIN_KEY": "convex-self-hosted|" + "ab" * 32}
    for args in (["doctor"], ["status"], ["run", "m:f"], ["logs"]):
        code, out, err = cli(["--project-dir", str(tmp_path), *args], env, tmp_path)
        assert_inert(" ".join(args), out, err)
    code, out, _ = cli(["--project-dir", str(tmp_path), "doctor", "--json"], env, tmp_path)
    json.loads(out)  # JSON stays JSON (exact: json escapes what it must)
    code, out, _ = cli(["--project-dir", str(tmp_path), "status", "--json"], env, tmp_path)
    json.loads(out)
