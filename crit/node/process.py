"""Run the embedded node as a separate process (``python -m crit node serve``) — for tests, benchmarks and tools
that want a CRI runtime without containerd.
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

from crit.errors import CritError


class NodeProcessError(CritError):
    """The node process did not start; ``str()`` is one sentence."""


class NodeProcess:
    """``with NodeProcess(scale="200:1000:50") as node: ... node.endpoint ...``"""

    def __init__(
        self,
        *,
        demo: bool = False,
        scale: str | None = None,
        churn: float = 0.0,
        images: list[str] = (),
        root: str | None = None,
        module: str = "crit",
        start_timeout: float = 30.0,
    ) -> None:
        self._own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="crit-nodeproc-")
        os.chmod(self.root, 0o755)
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
        if images:  # only `python -m crit.node` knows --image
            self.argv = [sys.executable, "-m", "crit.node", *self.argv[self.argv.index("serve") :]]
            for ref in images:
                self.argv += ["--image", ref]
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.started_in = 0.0

    def start(self) -> NodeProcess:
        t0 = time.monotonic()
        with open(self.log_path, "wb") as log:
            # no orphan node if our process dies; its state directory lives under our root
            env = dict(os.environ, CRIT_NODE_EXIT_WITH_PARENT="1", TMPDIR=self.root)
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env
            )
        deadline = t0 + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NodeProcessError(f"the node exited with status {self.proc.returncode}: {self.log_tail()}")
            if os.path.exists(self.socket) and _answers(self.socket):
                self.started_in = time.monotonic() - t0
                return self
            time.sleep(0.02)
        self.stop()
        raise NodeProcessError(f"the node did not answer on {self.socket} within {self.start_timeout:g}s")

    def log_tail(self, lines: int = 5) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def stop(self) -> int | None:
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

    def __exit__(self, *exc) -> None:
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
