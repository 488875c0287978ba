"""The second oracle: convex-test (npm, a JS model of the backend's semantics, run by vitest)
and the sandbox run the same calls on the example workspace's functions and must agree on
results, errors and table contents (``tests/workspace/oracle/``; known differences are listed
and tested against the sandbox alone in test_backend_features.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.sandbox.deploy_fixtures import SandboxProc, Workspace, require_node

pytestmark = [pytest.mark.peers, pytest.mark.timeout(240)]
VITEST_TIMEOUT = 180.0


def test_convex_test_and_the_sandbox_agree(tmp_path: Path) -> None:
    require_node()
    sandbox = SandboxProc(tmp_path / "data").start()
    try:
        ws = Workspace(tmp_path / "app", sandbox, tmp_path / "home")
        ws.ok("dev", "--once")  # also writes convex/_generated, which convex-test needs
        vitest = ws.root / "node_modules" / ".bin" / "vitest"
        env = {
            **ws.env(),
            "SANDBOX_URL": sandbox.url,
            "SANDBOX_SITE_URL": sandbox.site_url,
            "SANDBOX_ADMIN_KEY": sandbox.key,
            "ORACLE_REPORT": str(tmp_path / "oracle-report.json"),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        }
        proc = subprocess.run(
            [str(vitest), "run", "--reporter=verbose"],
            cwd=ws.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=VITEST_TIMEOUT,
        )
        report = proc.stdout[-12000:] + proc.stderr[-4000:]
        assert proc.returncode == 0, report + sandbox.log_tail()
        assert "1 passed" in proc.stdout, report
        # The comparison compared something: real results on both sides, not two errors.
        transcript = json.loads((tmp_path / "oracle-report.json").read_text())["actual"]
        by_step = {s.get("step"): s for s in transcript}
        assert sum("result" in s for s in transcript) > 60, transcript
        assert sum("error" in s or "convexError" in s for s in transcript) >= 4, transcript
        desc = 'query items:range {"bucket":1,"min":2,"order":"desc","limit":3}'
        assert by_step[desc]["result"] == ["b1-r6", "b1-r5", "b1-r4"]
        assert by_step['query documents:search {"text":"hello"}']["result"] == ["from file"]
    finally:
        sandbox.stop()
