"""A local docker-registry (Debian's ``docker-registry``) for PullImage tests.

It runs with our own config file (no auth, storage under a temp dir) on 127.0.0.1:5000 when that port is free,
otherwise on another free loopback port (another test run may hold 5000). Images are always *named*
``localhost:5000/...``; the containerd bed maps that host to the real address with a ``hosts.toml``.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import images
from .containerd import BedError

REGISTRY_HOST = images.REGISTRY_HOST
PULL_REF = f"{REGISTRY_HOST}/crit-test/pullme:1.0"
BINARIES = ("docker-registry", "skopeo")

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: {address}
"""


def missing_prerequisites() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Registry:
    root: Path
    address: str
    process: subprocess.Popen | None = None
    pull_ref: str = PULL_REF
    pull_digest: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def log_file(self) -> Path:
        return self.root / "registry.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no registry log)"

    def get(self, path: str, accept: str | None = None, timeout: float = 5.0) -> tuple[int, bytes, dict]:
        req = urllib.request.Request(self.url + path)
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def push(self, archive: images.ImageArchive, repo_tag: str) -> None:
        """Push an OCI archive as ``ADDRESS/REPO:TAG`` (repo_tag without the host)."""
        cmd = [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--insecure-policy",
            f"oci-archive:{archive.path}",
            f"docker://{self.address}/{repo_tag}",
        ]
        res = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.root), "TMPDIR": str(self.root)},
        )
        if res.returncode != 0:
            raise BedError(f"skopeo copy to {self.address}/{repo_tag} failed: {res.stderr.strip()}")

    def _start(self, timeout: float) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(CONFIG.format(root=self.root, address=self.address))
        log = self.log_file.open("ab")
        try:
            self.process = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BedError(f"docker-registry exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _, headers = self.get("/v2/", timeout=1)
                if status == 200 and "registry/2.0" in headers.get("Docker-Distribution-Api-Version", ""):
                    return
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise BedError(
            f"docker-registry did not answer /v2/ on {self.address} within {timeout:.0f}s ({last}):\n{self.log_tail()}"
        )

    def stop(self) -> list[str]:
        problems = []
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                problems.append("docker-registry ignored SIGTERM; killed it")
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)
        return problems


def start(timeout: float = 30.0, port: int = 5000) -> Registry:
    """Start a registry (on ``port`` if free, else any free port) and push ``PULL_REF`` into it."""
    root = Path(tempfile.mkdtemp(prefix="crit-reg-", dir="/tmp"))
    if not _port_free(port):
        port = _free_port()
    reg = Registry(root=root, address=f"127.0.0.1:{port}")
    try:
        reg._start(timeout)
        built = images.build_images({"pullme": PULL_REF})["pullme"]
        reg.push(built, PULL_REF.split("/", 1)[1])
        reg.pull_digest = built.manifest_digest
    except BaseException:
        reg.stop()
        raise
    return reg
