"""Part 4 of bench/logs_ingest.py again, in a real terminal: the console itself (`python -m
screens`: Textual's own driver and writer thread, not a headless test app) on a pseudo-terminal,
its Logs pane open (key 2), tailing the same sandbox as `npx convex logs`. Each mutation's tag
is timed to its bytes arriving on the terminal's side of the pty, as npx's line is timed to its
bytes arriving on the terminal's side of a pty of its own (as a user runs it): both are then a
terminal's to draw. (Until this round npx printed into a pipe, which the kernel delivers
~0.04 ms sooner than a pty.)

The terminal is 200 columns wide, so that the tag (in the follow-up's log line) is on screen.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS, ROWS = 200, 40
KEEP = 4096  # characters of output kept to find a tag cut across two reads


def on_pty(argv: list[str], env: dict[str, str], cwd: str) -> tuple[subprocess.Popen[bytes], int]:
    """``argv`` on the slave side of a new pty (COLUMNS x ROWS, its own session); the process
    and the master side's descriptor, which the caller reads and closes."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                               start_new_session=True)  # fmt: skip
    os.close(slave)
    return process, master


class Terminal:
    """The console on the slave side of a pty; a thread reads the master side as it comes."""

    def __init__(self, url: str, key: str, home: str) -> None:
        # The key in the environment, as a workspace has it, not on a command line.
        env = {**os.environ, "TERM": "xterm-256color", "XDG_DATA_HOME": home,
               "XDG_CONFIG_HOME": home, "PYTHONPATH": str(ROOT),
               "CONVEX_SELF_HOSTED_URL": url, "CONVEX_SELF_HOSTED_ADMIN_KEY": key}  # fmt: skip
        for name in ("COLUMNS", "LINES"):  # the size is the pty's
            env.pop(name, None)
        argv = [sys.executable, "-m", "screens", "--project-dir", home, "console"]
        self.process, self._master = on_pty(argv, env, home)
        self._lock = threading.Lock()
        self._tail = ""
        self._watched: dict[str, float | None] = {}
        self._changed = threading.Condition(self._lock)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            if not chunk:
                return
            at = time.perf_counter()
            with self._lock:
                self._tail = (self._tail + decode(chunk))[-KEEP:]
                for tag, seen in self._watched.items():
                    if seen is None and tag in self._tail:
                        self._watched[tag] = at
                self._changed.notify_all()

    def keys(self, text: str) -> None:
        os.write(self._master, text.encode())

    def wait_for(self, text: str, timeout: float) -> bool:
        """Until ``text`` is in the latest output (bounded)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while text not in self._tail:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def watch(self, tag: str) -> None:
        with self._lock:
            self._watched[tag] = None

    def seen(self, tag: str, timeout: float) -> float | None:
        """When ``tag``'s bytes reached the terminal (perf_counter), or None (bounded)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._watched.get(tag) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self._watched.pop(tag)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        os.close(self._master)


def open_logs(url: str, key: str, home: str) -> Terminal:
    term = Terminal(url, key, home)
    if not term.wait_for("http up", 60):
        term.close()
        raise RuntimeError("the console in the pty did not come up within 60 s")
    term.keys("2")
    if not term.wait_for("following", 20):
        term.close()
        raise RuntimeError("the Logs pane did not open in the pty within 20 s")
    return term
