"""A private containerd + runc for the tests, entirely under one temp directory.

Nothing is shared with a system containerd: root, state, the gRPC/ttrpc/debug sockets, the CRI state, the
``opt`` plugin directory and the registry host configuration all live under ``<tmp>``. Pods must use host
networking (there is no CNI here) and must not set a hostname (no private UTS namespace with host networking).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import images
from .rawcri import RawCri

BINARIES = ("containerd", "containerd-shim-runc-v2", "runc", "ctr")

# Pods made with tests.bed.specs.pod_config get a cgroup parent under this path (one per test process), so
# PodSandboxStats works (containerd needs the pod's cgroup) and the bed can remove the cgroups afterwards.
CGROUP_ROOT = f"/crit-test-{os.getpid()}"

CONFIG_TEMPLATE = """\
version = 2
root = "{root}/root"
state = "{root}/state"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{root}/containerd.sock"

[ttrpc]
  address = "{root}/containerd.sock.ttrpc"

[debug]
  address = "{root}/debug.sock"
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{root}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_image}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{root}/cni/bin"
    conf_dir = "{root}/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{root}/certs.d"
"""

HOSTS_TOML = """\
server = "http://{address}"

[host."http://{address}"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
"""


class BedError(RuntimeError):
    """The test bed could not be set up."""


def missing_prerequisites() -> list[str]:
    """Names of what this machine lacks to run the containerd bed (empty when all is there)."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if not images.BUSYBOX.exists():
        missing.append(str(images.BUSYBOX))
    if os.geteuid() != 0:
        missing.append("root privileges")
    return missing


@dataclass
class Containerd:
    """A running private containerd. Use :func:`start` to make one and :meth:`stop` to tear it down."""

    root: Path
    process: subprocess.Popen | None = None
    shell_image: str = images.SHELL_IMAGE
    pause_image: str = images.PAUSE_IMAGE
    name: str = "containerd"
    kind: str = "containerd"
    version: dict = field(default_factory=dict)

    @property
    def socket(self) -> Path:
        return self.root / "containerd.sock"

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    @property
    def image_endpoint(self) -> str:
        return self.endpoint

    @property
    def log_dir(self) -> Path:
        """A writable directory for pod ``log_directory`` (make a subdirectory per pod)."""
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.root / "containerd.log"

    @property
    def certs_dir(self) -> Path:
        return self.root / "certs.d"

    def raw(self, timeout: float = 30.0) -> RawCri:
        return RawCri(self.endpoint, timeout=timeout)

    def ctr(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``ctr --address SOCK -n k8s.io ARGS`` and return its stdout."""
        cmd = ["ctr", "--address", str(self.socket), "-n", "k8s.io", *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise BedError(f"{' '.join(cmd)} failed: {res.stderr.strip() or res.stdout.strip()}")
        return res.stdout

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no containerd log)"

    def set_registry(self, host: str, address: str) -> None:
        """Make pulls of ``HOST/...`` go over plain HTTP to ``ADDRESS`` (e.g. 127.0.0.1:5000)."""
        d = self.certs_dir / host
        d.mkdir(parents=True, exist_ok=True)
        (d / "hosts.toml").write_text(HOSTS_TOML.format(address=address))

    def cleanup(self, keep: set[str] = frozenset()) -> list[str]:
        """Stop and remove every pod sandbox not in ``keep`` (their containers go with them)."""
        with self.raw(timeout=60) as cri:
            removed = cri.remove_all_pods(keep)
        remove_empty_cgroups(CGROUP_ROOT)
        return removed

    def pod_ids(self) -> set[str]:
        with self.raw() as cri:
            return {p["id"] for p in cri.list_pod_sandboxes()}

    # --- lifecycle -----------------------------------------------------------------------------------------

    def _start(self, timeout: float) -> None:
        for d in ("root", "state", "opt", "cni/bin", "cni/conf", "logs", "certs.d"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.log_dir.chmod(0o777)
        self.set_registry(images.REGISTRY_HOST, "127.0.0.1:5000")
        config = self.root / "config.toml"
        config.write_text(CONFIG_TEMPLATE.format(root=self.root, pause_image=self.pause_image))
        log = self.log_file.open("ab")
        try:
            self.process = subprocess.Popen(
                ["containerd", "--config", str(config)],
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
                raise BedError(f"containerd exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.socket.exists():
                try:
                    with self.raw(timeout=2) as cri:
                        self.version = cri.version(timeout=2)
                    return
                except Exception as e:
                    last = e
            time.sleep(0.1)
        raise BedError(f"containerd did not answer CRI Version within {timeout:.0f}s ({last}):\n{self.log_tail()}")

    def stop_daemon(self, timeout: float = 15.0) -> None:
        """Stop containerd itself (SIGTERM) and wait for it — like a runtime restart or crash: its shims, the
        containers and their exec'd processes keep running, its streaming connections drop.  Start it again
        with :meth:`start_daemon` (the session fixture is shared: prefer :meth:`down` or :meth:`restart`)."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def start_daemon(self, timeout: float = 30.0) -> None:
        """Start containerd again on the same root (it picks up its pods, containers and images); returns once
        it answers CRI Version."""
        if self.process is not None and self.process.poll() is None:
            return
        self._start(timeout)

    def restart(self, timeout: float = 30.0) -> None:
        self.stop_daemon()
        self.start_daemon(timeout)

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """containerd is stopped inside the block and running again after it (also when the block fails)."""
        self.stop_daemon()
        try:
            yield
        finally:
            self.start_daemon()

    def import_images(self, archives: list[images.ImageArchive]) -> None:
        for a in archives:
            self.ctr("images", "import", str(a.path))

    def ensure_images(self) -> list[str]:
        """Re-import the shell and pause images if a test removed them; return the refs re-imported."""
        with self.raw() as cri:
            tags = set(cri.list_image_tags())
        wanted = {"busybox": self.shell_image, "pause": self.pause_image}
        missing = {k: ref for k, ref in wanted.items() if ref not in tags}
        if missing:
            self.import_images(list(images.build_images(missing).values()))
        return sorted(missing.values())

    def stop(self) -> list[str]:
        """Tear everything down; return a list of problems met (empty when clean)."""
        problems: list[str] = []
        alive = self.process is not None and self.process.poll() is None
        if alive:
            try:
                self.cleanup()
            except Exception as e:
                problems.append(f"removing pods via CRI: {e}")
            # Tasks or containers made outside the CRI (e.g. with ctr) too.
            try:
                for line in self.ctr("tasks", "ls", "-q").split():
                    subprocess.run(
                        ["ctr", "--address", str(self.socket), "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", line],
                        capture_output=True,
                        timeout=20,
                    )
                    subprocess.run(
                        ["ctr", "--address", str(self.socket), "-n", "k8s.io", "tasks", "delete", "-f", line],
                        capture_output=True,
                        timeout=20,
                    )
            except Exception as e:
                problems.append(f"removing tasks via ctr: {e}")
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                problems.append("containerd ignored SIGTERM; killed it")
                self.process.kill()
                self.process.wait(10)
        task_dirs = _task_bundles(self.root)
        cgroups = [c for c in map(_bundle_cgroup, task_dirs) if c]
        killed = kill_processes_referring_to(self.root)
        if killed:
            problems.append(f"killed leftover processes {killed}")
        for cg in cgroups:
            remove_empty_cgroups(cg)
            parent = os.path.dirname(cg)
            if parent.startswith("/crit-test-"):
                remove_empty_cgroups(parent)
        remove_empty_cgroups(CGROUP_ROOT)
        unmounted = unmount_under(self.root)
        if unmounted:
            problems.append(f"unmounted leftovers {unmounted}")
        leftovers = _remove_runtime_state(task_dirs)
        if leftovers:
            problems.append(f"removed leftover runtime state {leftovers}")
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            problems.append(f"could not remove {self.root}")
        return problems


PREFIX = "crit-ctd-"


def _process_identity(pid: int) -> str | None:
    """``PID:STARTTIME`` of a live process (robust against pid reuse), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"


def reap_stale(base: str = "/tmp") -> list[Path]:
    """Tear down beds left by test runs that died without their teardown (their owner process is gone).

    Beds of live runs (other sessions on the same machine) are left alone.
    """
    reaped = []
    for root in Path(base).glob(PREFIX + "*"):
        try:
            owner = (root / "owner").read_text().strip()
        except OSError:
            continue
        pid = int(owner.split(":", 1)[0]) if owner.split(":", 1)[0].isdigit() else -1
        if pid > 0 and _process_identity(pid) == owner:
            continue
        Containerd(root=root).stop()
        reaped.append(root)
    return reaped


def start(timeout: float = 30.0, base: str | None = None, with_images: bool = True) -> Containerd:
    """Start a private containerd in a fresh temp directory and import the test images."""
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base or "/tmp"))
    root.chmod(0o755)
    (root / "owner").write_text(_process_identity(os.getpid()) or "")
    ctd = Containerd(root=root)
    try:
        ctd._start(timeout)
        if with_images:
            built = images.build_images()
            ctd.import_images(list(built.values()))
    except BaseException:
        ctd.stop()
        raise
    return ctd


# --- teardown helpers ---------------------------------------------------------------------------------------


def _task_bundles(root: Path) -> list[Path]:
    """Bundle directories of the tasks this containerd ran (``state/io.containerd.runtime.v2.task/NS/ID``)."""
    base = root / "state" / "io.containerd.runtime.v2.task"
    return [b for ns in base.glob("*") for b in ns.glob("*") if b.is_dir()] if base.is_dir() else []


def _bundle_cgroup(bundle: Path) -> str | None:
    try:
        path = json.loads((bundle / "config.json").read_text()).get("linux", {}).get("cgroupsPath", "")
    except (OSError, ValueError):
        return None
    # cgroupfs paths only ("/k8s.io/ID", "/crit-test-PID/pod-UID/ID"); never a bare "/" or something relative.
    return path if path.startswith("/") and path.strip("/") else None


def cgroup_mounts() -> list[str]:
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            fstype = parts[parts.index("-") + 1]
            if fstype in ("cgroup", "cgroup2") and parts[3] == "/":
                out.append(_unescape(parts[4]))
    return out


def remove_empty_cgroups(path: str, wait: float = 3.0) -> list[str]:
    """rmdir the cgroup ``path`` (absolute in every hierarchy) and its sub-cgroups, deepest first.

    Only empty cgroups can be removed (the kernel refuses the others), so a live workload is never touched.
    Processes just SIGKILLed may take a moment to leave: retry for up to ``wait`` seconds.
    """
    if not path.startswith("/") or not path.strip("/"):
        raise ValueError(f"refusing to remove cgroup {path!r}")
    removed: list[str] = []
    deadline = time.monotonic() + wait
    while True:
        left = []
        for mount in cgroup_mounts():
            top = mount + path
            if not os.path.isdir(top):
                continue
            dirs = [d for d, _, _ in os.walk(top)]
            for d in sorted(dirs, key=lambda x: x.count("/"), reverse=True):
                try:
                    os.rmdir(d)
                    removed.append(d)
                except OSError:
                    left.append(d)
        if not left or time.monotonic() > deadline:
            return removed
        time.sleep(0.1)


def _remove_runtime_state(bundles: list[Path]) -> list[str]:
    """Remove what a killed shim leaves outside our root: its socket and runc's state directory for the task.

    Only exact paths derived from our own task ids/addresses are touched (ids are 64 hex digits, unique).
    """
    removed = []
    for b in bundles:
        ns, cid = b.parent.name, b.name
        runc_state = Path("/run/containerd/runc") / ns / cid
        if runc_state.is_dir():
            shutil.rmtree(runc_state, ignore_errors=True)
            removed.append(str(runc_state))
        try:
            address = (b / "address").read_text().strip()
        except OSError:
            continue
        if address.startswith("unix:///run/containerd/s/"):
            sock = Path(address[len("unix://") :])
            if sock.exists():
                sock.unlink(missing_ok=True)
                removed.append(str(sock))
    return removed


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                out += [int(c) for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def kill_processes_referring_to(root: Path) -> list[int]:
    """SIGKILL every process whose command line names a path under ``root`` (our shims), and its children."""
    needle = (str(root).rstrip("/") + "/").encode()
    victims: list[int] = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            victims.append(int(entry))
    # Children first (container processes), then the shims.
    todo = list(victims)
    seen: set[int] = set()
    ordered: list[int] = []
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        ordered.append(pid)
        todo.extend(_children(pid))
    for pid in reversed(ordered):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return ordered


def _unescape(path: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo octal.
    out, i = [], 0
    while i < len(path):
        if path[i] == "\\" and i + 3 < len(path) and path[i + 1 : i + 4].isdigit():
            out.append(chr(int(path[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def mounts_under(root: Path) -> list[str]:
    prefix = str(root).rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = _unescape(line.split()[4])
            if mp.startswith(prefix) or mp == str(root):
                found.append(mp)
    return found


def unmount_under(root: Path) -> list[str]:
    """Lazily unmount everything mounted under ``root``, deepest first."""
    libc = ctypes.CDLL(None, use_errno=True)
    done = []
    for _ in range(5):
        mps = sorted(set(mounts_under(root)), key=lambda p: p.count("/"), reverse=True)
        if not mps:
            break
        for mp in mps:
            if libc.umount2(mp.encode(), 2) == 0:  # MNT_DETACH
                done.append(mp)
    return done
