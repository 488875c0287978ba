"""Node host processes for pushed code (``tui/sandbox/node/host.mjs``).

A host serves one execution at a time: the calling thread sends a request, then answers the
host's syscalls (``on_syscall``) until the host says ``done``. Every read has a bound, so a
function that never finishes fails with a timeout instead of hanging its caller; the host is
then killed. A :class:`HostPool` keeps idle hosts of one push and grows on demand, so queries on
the reader threads, the writer's mutation and actions each get their own process.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

Message = dict[str, Any]
SyscallHandler = Callable[[str, str], str]
LogHandler = Callable[[str, list[str]], None]
MAX_IDLE = 8


class HostError(Exception):
    """The host died, timed out or broke the protocol."""


class HostFailure(Exception):
    """The invoked JavaScript threw: ``error`` is the host's description of it."""

    def __init__(self, error: Message) -> None:
        super().__init__(str(error.get("message", "")))
        self.error = error


class SyscallFailed(Exception):
    """Raised by a syscall handler: the JS side sees a thrown Error (with ``data`` if set)."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


def host_script() -> Path:
    return Path(str(resources.files("tui.sandbox").joinpath("node/host.mjs")))


MIN_NODE = 18


@functools.lru_cache(maxsize=1)
def node_binary() -> str | None:
    """``node`` on PATH if it is Node.js 18 or newer (global fetch, Request, Response)."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10)
        major = int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    return node if major >= MIN_NODE else None


class NodeHost:
    def __init__(self, root: Path, node: str) -> None:
        to_host_r, self._to_host = os.pipe()
        self._from_host, from_host_w = os.pipe()
        # The child inherits only these two pipe ends; it learns their numbers from argv.
        self.proc = subprocess.Popen(
            [node, "--no-warnings", str(host_script()), str(to_host_r), str(from_host_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(to_host_r, from_host_w),
            cwd=str(root),
        )
        os.close(to_host_r)
        os.close(from_host_w)
        self._buf = b""
        self._stderr_tail: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True, name="node-host-stderr").start()
        self.call({"t": "init", "root": str(root)}, _no_syscalls, timeout=30)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self._stderr_tail = [*self._stderr_tail[-20:], raw.decode(errors="replace")]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _send(self, message: Message) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._to_host, data) :]
        except OSError as exc:
            raise HostError(f"the Node host exited ({exc})") from exc

    def _receive(self, deadline: float) -> Message:
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_host], [], [], left)[0]:
                self.close()
                raise HostError("timed out waiting for the Node host (function ran too long)")
            chunk = os.read(self._from_host, 65536)
            if not chunk:
                self.close()
                tail = "".join(self._stderr_tail[-5:]).strip()
                raise HostError("the Node host exited" + (f": {tail}" if tail else ""))
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        message: Message = json.loads(line)
        return message

    def call(
        self,
        request: Message,
        on_syscall: SyscallHandler,
        *,
        on_log: LogHandler | None = None,
        timeout: float = 60.0,
    ) -> Any:
        """Send ``request``; answer syscalls until done. Raises HostFailure if the JS threw."""
        deadline = time.monotonic() + timeout
        self._send(request)
        while True:
            msg = self._receive(deadline)
            kind = msg.get("t")
            if kind == "syscall":
                try:
                    reply: Message = {"ok": on_syscall(str(msg["op"]), str(msg["args"]))}
                except SyscallFailed as exc:
                    reply = {"error": exc.message}
                    if exc.data is not None:
                        reply["data"] = exc.data
                except Exception as exc:  # the sandbox's own error: the JS sees an Error
                    reply = {"error": str(exc) or type(exc).__name__}
                self._send(reply)
            elif kind == "log":
                if on_log is not None:
                    on_log(str(msg.get("level", "LOG")), [str(m) for m in msg.get("messages", [])])
            elif kind == "done":
                if "error" in msg:
                    raise HostFailure(msg["error"])
                return msg.get("value")
            else:
                raise HostError(f"unexpected message from the Node host: {kind!r}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for fd in (self._to_host, self._from_host):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_host = self._from_host = -1


def _no_syscalls(op: str, _args: str) -> str:
    raise SyscallFailed(f"{op} is not available here")


class HostPool:
    """Idle hosts of one push; ``with pool.host() as h`` lends one (spawning if none is idle)."""

    def __init__(self, root: Path, node: str) -> None:
        self.root = root
        self.node = node
        self._idle: list[NodeHost] = []
        self._all: set[NodeHost] = set()
        self._lock = threading.Lock()
        self._closed = False
        # Actions block a thread each while their host runs (syscalls are round trips).
        self.executor = ThreadPoolExecutor(16, thread_name_prefix="sandbox-node-action")

    @contextmanager
    def host(self) -> Iterator[NodeHost]:
        with self._lock:
            if self._closed:
                raise HostError("this push was replaced by a newer one")
            h = self._idle.pop() if self._idle else None
        if h is None:
            h = NodeHost(self.root, self.node)
            with self._lock:
                self._all.add(h)
        try:
            yield h
        finally:
            with self._lock:
                keep = h.alive and not self._closed and len(self._idle) < MAX_IDLE
                if keep:
                    self._idle.append(h)
                else:
                    self._all.discard(h)
            if not keep:
                h.close()

    def warm(self) -> None:
        with self.host():
            pass

    def close(self) -> None:
        """Stop idle hosts now; a host still running a call stops when that call returns."""
        with self._lock:
            self._closed = True
            hosts = list(self._idle)
            self._all.difference_update(hosts)
            self._idle.clear()
        for h in hosts:
            h.close()
        self.executor.shutdown(wait=False)  # running actions finish; no new ones

    def kill(self) -> None:
        """Stop every host, busy or not (the sandbox is shutting down)."""
        self.close()
        with self._lock:
            hosts = list(self._all)
            self._all.clear()
        for h in hosts:
            h.close()
