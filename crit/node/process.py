"""Starting the embedded node as a separate process (``python -m crit node serve``): the one way crit, its tests,
benchmarks and tools start a node they talk to over its socket — ``crit --demo``, the test bed's ``node`` fixture,
``bench/``. (:class:`crit.node.serve.Node` is the same node in this process, for tests that drive it directly.)

The node exits with the process that started it (``CRIT_NODE_EXIT_WITH_PARENT``) and keeps its state under the
root directory (``TMPDIR``), so a killed parent leaves nothing running.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from types import TracebackType

from crit.errors import CritError, as_sentence

__all__ = ["NodeProcess", "NodeProcessError"]


class NodeProcessError(CritError):
    """The node process did not start; ``str()`` is one sentence."""


class NodeProcess:
    """``with NodeProcess(scale="200:1000:50") as node: ... node.endpoint ...``

    ``root`` is the directory of the socket, the log and the node's state; without one a private directory is made
    (and removed by :meth:`stop`). :meth:`start` waits up to ``start_timeout`` seconds for the node to accept
    connections; after :meth:`stop` it may be started again on the same socket. ``name`` names the node in errors.
    """

    def __init__(
        self,
        *,
        demo: bool = False,
        scale: str | None = None,
        churn: float = 0.0,
        images: Sequence[str] = (),
        root: str | None = None,
        module: str = "crit",
        start_timeout: float = 30.0,
        name: str = "embedded node",
    ) -> None:
        self._own_root = root is None
        if root is None:
            root = tempfile.mkdtemp(prefix="crit-nodeproc-")
            os.chmod(root, 0o755)
        self.root = root
        self.socket = os.path.join(self.root, "node.sock")
        self.endpoint = "unix://" + self.socket
        self.log_path = os.path.join(self.root, "node.log")
        self.argv = [sys.executable, "-m", module]
        if module == "crit":
            self.argv += ["node"]
        self.argv += ["serve", "--listen", self.endpoint]
        if demo:
            self.argv.append("--demo")
        if scale:
            self.argv += ["--scale", scale]
        if churn:
            self.argv += ["--churn", str(churn)]
        for ref in images:
            self.argv += ["--image", ref]
        self.start_timeout = start_timeout
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0
        self._spawned_at = 0.0

    def spawn(self) -> NodeProcess:
        """Start the process without waiting for it to answer (see :meth:`wait_ready`)."""
        self._spawned_at = time.monotonic()
        with open(self.log_path, "ab") as log:
            # no orphan node if our process dies; its state directory lives under our root
            env = dict(os.environ, CRIT_NODE_EXIT_WITH_PARENT="1", TMPDIR=self.root)
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env
            )
        return self

    def wait_ready(self) -> NodeProcess:
        """Wait until the node accepts connections; :class:`NodeProcessError` when it exits or stays silent."""
        assert self.proc is not None, "spawn() first"
        t0 = self._spawned_at
        deadline = t0 + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NodeProcessError(
                    as_sentence(f"The {self.name} exited with status {self.proc.returncode}: {self.log_tail(1)}")
                )
            if os.path.exists(self.socket) and _answers(self.socket):
                self.started_in = time.monotonic() - t0
                return self
            time.sleep(0.02)
        tail = self.log_tail(1)
        self.stop()
        raise NodeProcessError(
            as_sentence(f"The {self.name} did not answer on {self.socket} within {self.start_timeout:g}s: {tail}")
        )

    def start(self) -> NodeProcess:
        """Start the node and wait until it accepts connections."""
        return self.spawn().wait_ready()

    def log_tail(self, lines: int = 5) -> str:
        """The last ``lines`` non-empty lines of the node's log on one line (``|`` between them)."""
        try:
            with open(self.log_path, errors="replace") as f:
                kept = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
        except OSError:
            return "no log"
        return " | ".join(kept[-lines:]) if kept else "no output"

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """Ask the node to stop (SIGTERM) without waiting: for cleanups that must not block."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> int | None:
        """Stop the node (SIGTERM, then SIGKILL after 10 s) and return its exit status."""
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                rc = self.proc.wait(timeout=5)
        elif self.proc is not None:
            rc = self.proc.returncode
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        return rc

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _answers(path: str) -> bool:
    """True once the gRPC server accepts connections (an HTTP/2 preface is enough to know it listens)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(0.5)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()
