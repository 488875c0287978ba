"""Twins bench: each headless twin as a whole process beside a bare standard-library Python
script that sends the same requests to the same sandbox, in turn (A B A B …), in one run.

    .venv/bin/python bench/twins.py [--runs 15] [--no-bytecode]

The bare scripts use http.client, as little Python as a request takes; each sends what the twin
sends (`run`: one POST; `data`: the table mapping and each table's size; `logs`: /version and
one log page; `env`: the variable list; `status`: the API's /version, /instance_name and
/api/check_admin_key, the site and dashboard, and the engine's container list). The twin is the
installed `convex-tui` script run by the same interpreter. Both run with the same environment
from an empty directory; output goes to /dev/null. The ratio is taken pair
by pair (the machine is shared) and its median printed.

Bytecode caches are on, as in an installed wheel (see bench/startup.py); a warm-up run of each
command writes them first. Goal (issue 19): every twin ≤ 2× its bare script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.sandbox.server import SandboxThread  # noqa: E402

GOAL = 2.0
COMMON = """
import http.client, json, os, sys
from urllib.parse import urlsplit
u = urlsplit(os.environ["CONVEX_SELF_HOSTED_URL"])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
auth = {"Authorization": "Convex " + os.environ["CONVEX_SELF_HOSTED_ADMIN_KEY"],
        "Content-Type": "application/json"}
def call(method, path, body=None, conn=c, headers=auth):
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    return conn.getresponse().read()
def query(path, args):
    body = {"path": path, "args": [args], "format": "convex_encoded_json"}
    return json.loads(call("POST", "/api/query", body))["value"]
"""
BARE = {
    "run": """
body = {"path": "tasks:list", "args": {}, "format": "convex_encoded_json"}
print(json.dumps(json.loads(call("POST", "/api/function", body))["value"], indent=2))
""",
    "data": """
mapping = query("_system/frontend/getTableMapping", {})
for name in sorted(n for n in mapping.values() if not n.startswith("_")):
    print(name, query("_system/frontend/tableSize", {"tableName": name}), sep="\\t")
""",
    "logs": """
call("GET", "/version")
page = json.loads(call("GET", "/api/stream_function_logs?cursor=0"))
for entry in page["entries"]:
    print(json.dumps(entry))
""",
    "env": """
for name, value in json.loads(call("GET", "/api/list_environment_variables"))[
        "environmentVariables"].items():
    print(f"{name}=********")
""",
    "status": """
import socket
print(call("GET", "/version"), call("GET", "/instance_name"), call("GET", "/api/check_admin_key"))
site = http.client.HTTPConnection(u.hostname, u.port + 1, timeout=3)
print(call("GET", "/", conn=site, headers={}))
try:
    print(call("GET", "/", conn=http.client.HTTPConnection("127.0.0.1", 6791, timeout=3),
               headers={}))
except OSError as exc:
    print("dashboard down", exc)
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")
try:
    print(call("GET", "/containers/json?all=1", conn=Unix("localhost"), headers={}))
except OSError as exc:
    print("docker down", exc)
""",
}
TWINS = {
    "run": ["run", "tasks:list"],
    "data": ["data"],
    "logs": ["logs"],
    "env": ["env"],
    "status": ["status"],
}


def timed(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """Wall seconds from start to exit. No `timeout=`: Popen.wait(timeout) polls in steps of up
    to 50 ms, which would round every figure up to them."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)  # fmt: skip
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE")
    parser.add_argument("twins", nargs="*", default=list(TWINS), help="which (default: all)")
    args = parser.parse_args()
    py = sys.executable
    # The installed entry point, run by this interpreter (as its shebang line would): what a
    # user types. (`python -m screens` would add runpy's import.)
    script = shutil.which("convex-tui", path=str(Path(py).parent)) or "convex-tui"
    with tempfile.TemporaryDirectory() as tmp, SandboxThread(memory=True, seed="demo") as sb:
        env = {
            **os.environ,
            "CONVEX_SELF_HOSTED_URL": sb.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": sb.admin_key,
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),  # no settings file, as found
            "PYTHONPATH": str(ROOT),
        }
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        rows = []
        for name in args.twins:
            bare = Path(tmp) / f"bare_{name}.py"
            bare.write_text(COMMON + BARE[name])
            twin_argv = [py, script, *TWINS[name]]
            bare_argv = [py, str(bare)]
            timed(twin_argv, env, tmp)  # warm-up: bytecode caches, page cache
            timed(bare_argv, env, tmp)
            twins, bares, ratios = [], [], []
            for _ in range(args.runs):
                t = timed(twin_argv, env, tmp)
                b = timed(bare_argv, env, tmp)
                twins.append(t)
                bares.append(b)
                ratios.append(t / b)
            rows.append((name, statistics.median(twins), statistics.median(bares),
                         statistics.median(ratios), min(ratios), max(ratios)))  # fmt: skip
    print(f"bytecode caches: {'off (PYTHONDONTWRITEBYTECODE kept)' if args.no_bytecode else 'on'}")
    print(f"{'twin':<8} {'twin s':>8} {'bare s':>8} {'ratio':>7}  (min–max)   goal ≤ {GOAL}x")
    for name, t, b, r, lo, hi in rows:
        verdict = "met" if r <= GOAL else "NOT met"
        print(f"{name:<8} {t:8.3f} {b:8.3f} {r:6.2f}x  ({lo:.2f}–{hi:.2f})  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
