"""What runs "inside" the embedded node's containers.

Two kinds of main process:

* **Simulated** (every seeded container, and any container created without a ``command``): no OS process at
  all.  One ticker task for the whole node pops due events from a heap — a log line to write, a planned exit —
  so 10,000 containers cost a heap entry each.  CPU and memory figures are pure functions of time and a
  per-container profile (CPU nanoseconds only grow, memory wanders around a base), computed on request.
* **Host process** (a container created with a ``command``): the command really runs on this host, in a
  scratch directory for that container, under a PTY when ``tty`` is set, with its output written to the
  container's CRI log file — so exit codes, output and attach are real.

Exec and ExecSync always run the requested command as a host process (see :mod:`crit.node.streaming`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import heapq
import math
import os
import pty
import random
import shutil
import signal
import struct
import subprocess
import termios
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, cast

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import CONTAINER_RUNNING
from crit.node.state import NS, Container, NodeState, now_ns, rfc3339nano, unknown

MAX_LOG_LINE = 16 * 1024  # containerd's default max_container_log_line_size
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# ------------------------------------------------------------------------------------------- log writing


def cri_log_line(ts_ns: int, stream: str, tag: str, text: bytes) -> bytes:
    return rfc3339nano(ts_ns).encode() + b" " + stream.encode() + b" " + tag.encode() + b" " + text + b"\n"


def append_log(path: str, data: bytes) -> None:
    if not path:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    except OSError:
        return
    try:
        os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_log(path: str) -> None:
    try:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640))
    except OSError as e:
        what, target, why = "open", path, (e.strerror or str(e)).lower()
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            # Go's MkdirAll names the deepest ancestor that exists but is no directory
            what, target = "mkdir", e.filename or parent
            probe = parent
            while probe and probe != "/" and not os.path.exists(probe):
                probe = os.path.dirname(probe)
            if os.path.exists(probe) and not os.path.isdir(probe):
                target, why = probe, "not a directory"
        raise unknown(
            f"failed to create containerd task: failed to create container loggers: failed to create and "
            f"open log file: {what} {target}: {why}"
        ) from e


class LineSplitter:
    """Turns a byte stream into CRI log records: full lines ``F``, over-long fragments ``P``."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.buf = b""

    def feed(self, data: bytes, ts: int) -> bytes:
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                break
            line, self.buf = self.buf[:i], self.buf[i + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            while len(line) > MAX_LOG_LINE:
                out.append(cri_log_line(ts, self.stream, "P", line[:MAX_LOG_LINE]))
                line = line[MAX_LOG_LINE:]
            out.append(cri_log_line(ts, self.stream, "F", line))
        while len(self.buf) > MAX_LOG_LINE:
            out.append(cri_log_line(ts, self.stream, "P", self.buf[:MAX_LOG_LINE]))
            self.buf = self.buf[MAX_LOG_LINE:]
        return b"".join(out)

    def flush(self, ts: int) -> bytes:
        if not self.buf:
            return b""
        line, self.buf = self.buf, b""
        return cri_log_line(ts, self.stream, "P", line)  # containerd tags an unterminated last line partial


# ------------------------------------------------------------------------------------------ host processes


def host_env(c: Container, scratch: str, tty: bool) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", DEFAULT_PATH),
        "HOME": scratch,
        "HOSTNAME": c.pod.config.hostname or c.pod.config.metadata.name,
    }
    if tty:
        env["TERM"] = "xterm"
    img = c.image
    if img is not None:
        for kv in img.config.get("Env", []):
            k, _, v = kv.partition("=")
            if k and k != "PATH":
                env[k] = v
    for kv in c.config.envs:
        if kv.key:
            env[kv.key] = kv.value
    return env


def spawn_error(argv: list[str], err: OSError) -> str:
    name = argv[0] if argv else ""
    if isinstance(err, FileNotFoundError) and "/" in name:
        why = f'exec: "{name}": stat {name}: no such file or directory'
    elif isinstance(err, FileNotFoundError):
        why = f'exec: "{name}": executable file not found in $PATH'
    elif isinstance(err, PermissionError):
        why = f'exec: "{name}": permission denied'
    else:
        why = f'exec: "{name}": {err.strerror or err}'
    return f"unable to start container process: {why}: unknown"


def set_winsize(fd: int, width: int, height: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(0, height), max(0, width), 0, 0))


SETSID = shutil.which("setsid")
SETPRIV = shutil.which("setpriv")
# Host processes die with the node even when it is killed outright (SIGKILL): util-linux `setpriv --pdeathsig`.
DEATHSIG = [SETPRIV, "--pdeathsig", "KILL", "--"] if SETPRIV else []


def wrap_argv(argv: list[str]) -> list[str]:
    return DEATHSIG + argv


def _check_executable(argv: list[str], env: dict[str, str]) -> None:
    if not argv:
        raise FileNotFoundError(errno.ENOENT, "no command", "")
    name = argv[0]
    if "/" in name:
        if not os.path.exists(name):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", name)
        if os.path.isdir(name) or not os.access(name, os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied", name)
    elif shutil.which(name, path=env.get("PATH", DEFAULT_PATH)) is None:
        raise FileNotFoundError(errno.ENOENT, "executable file not found", name)


def _make_ctty() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Proc:
    """A host process with its stdio connected to non-blocking fds watched by the event loop."""

    def __init__(
        self,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        *,
        tty: bool,
        stdin: bool,
        size: tuple[int, int] | None = None,
    ) -> None:
        self.tty = tty
        self.master = -1
        self.stdin_fd = -1
        self.out_fds: dict[int, str | None] = {}  # None: closed
        self.returncode: int | None = None
        self.exited = asyncio.Event()
        self.on_output: Callable[[str, bytes], None] | None = None
        self.on_exit: Callable[[int], None] | None = None
        self._open = 0
        self._loop = asyncio.get_running_loop()
        self._files: dict[int, IO[bytes]] = {}
        if tty:
            master, slave = pty.openpty()
            if size:
                set_winsize(master, *size)
            try:
                if SETSID:
                    # `setsid --ctty` makes the PTY the controlling terminal without a preexec_fn (a Python-level
                    # fork in a process running gRPC threads is unsafe and makes gRPC complain)
                    _check_executable(argv, env)
                    self.popen = subprocess.Popen(
                        [SETSID, "--ctty", *wrap_argv(argv)],
                        cwd=cwd,
                        env=env,
                        stdin=slave,
                        stdout=slave,
                        stderr=slave,
                        close_fds=True,
                    )
                else:  # pragma: no cover - util-linux is part of every Debian
                    self.popen = subprocess.Popen(
                        argv,
                        cwd=cwd,
                        env=env,
                        stdin=slave,
                        stdout=slave,
                        stderr=slave,
                        start_new_session=True,
                        preexec_fn=_make_ctty,
                        close_fds=True,
                    )
            except BaseException:
                os.close(master)
                os.close(slave)
                raise
            os.close(slave)
            os.set_blocking(master, False)
            self.master = master
            self.stdin_fd = master if stdin else -1
            self.out_fds = {master: "stdout"}
        else:
            _check_executable(argv, env)
            self.popen = subprocess.Popen(
                wrap_argv(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
            if stdin:
                self.stdin_fd = cast(IO[bytes], self.popen.stdin).fileno()  # a PIPE
                os.set_blocking(self.stdin_fd, False)
            pipes = cast(tuple[IO[bytes], IO[bytes]], (self.popen.stdout, self.popen.stderr))  # PIPEs
            for f, name in zip(pipes, ("stdout", "stderr")):
                os.set_blocking(f.fileno(), False)
                self.out_fds[f.fileno()] = name
                self._files[f.fileno()] = f
        self.pid = self.popen.pid
        self._open = len(self.out_fds)
        for fd in self.out_fds:
            self._loop.add_reader(fd, self._readable, fd)
        try:
            self.pidfd = os.pidfd_open(self.pid)
            self._loop.add_reader(self.pidfd, self._reap)
        except (AttributeError, OSError):
            self.pidfd = -1
            self._loop.run_in_executor(None, self.popen.wait).add_done_callback(lambda _f: self._reap())

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO on a PTY whose last slave holder exited
            data = b""
        if not data:
            self._close_out(fd)
            return
        if self.on_output:
            self.on_output(cast(str, self.out_fds[fd]), data)  # open: its reader is registered

    def _close_out(self, fd: int) -> None:
        if fd in self.out_fds and self.out_fds[fd] is not None:
            self._loop.remove_reader(fd)
            self.out_fds[fd] = None
            self._open -= 1
            f = self._files.pop(fd, None)
            if f is not None:  # close through the file object, never the bare fd (it would be closed twice)
                with contextlib.suppress(OSError):
                    f.close()
            self._maybe_done()

    def _reap(self) -> None:
        if self.pidfd >= 0:
            self._loop.remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = -1
        rc = self.popen.wait()
        self.returncode = 128 - rc if rc < 0 else rc  # killed by signal N -> 128+N, as runc reports
        if self.master >= 0:
            # drain what the PTY still holds, then stop watching it (no EOF arrives while others hold it)
            self._loop.call_later(0.05, self._drain_master)
        self._maybe_done()

    def _drain_master(self) -> None:
        if self.master < 0 or self.out_fds.get(self.master) is None:
            return
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            if self.on_output:
                self.on_output("stdout", data)
        self._close_out(self.master)

    def _maybe_done(self) -> None:
        if self.returncode is not None and self._open == 0 and not self.exited.is_set():
            if self.master >= 0:
                with contextlib.suppress(OSError):
                    os.close(self.master)
                self.master = -1
            if self.popen.stdin is not None:
                with contextlib.suppress(OSError):
                    self.popen.stdin.close()
            self.exited.set()
            if self.on_exit:
                self.on_exit(self.returncode)

    # ------------------------------------------------------------------ control

    def write(self, data: bytes) -> None:
        fd = self.stdin_fd
        if fd < 0:
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
                view = view[n:]
            except BlockingIOError:
                import select

                select.select([], [fd], [], 0.05)
            except OSError:
                return

    def close_stdin(self) -> None:
        if self.stdin_fd < 0:
            return
        if self.tty:
            self.write(b"\x04")  # EOF for the line discipline
        else:
            with contextlib.suppress(OSError):
                cast(IO[bytes], self.popen.stdin).close()  # a PIPE (not a tty)
        self.stdin_fd = -1

    def resize(self, width: int, height: int) -> None:
        if self.master >= 0:
            set_winsize(self.master, width, height)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGWINCH)

    def signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------- simulation


@dataclass(slots=True)
class Profile:
    cpu_rate: float  # CPU nanoseconds per wall second
    mem_base: int
    mem_amp: float
    mem_period: float
    phase: float
    log_every: float  # seconds between log lines
    kind: str
    seq: int = 0
    rng_seed: int = 0


LOG_TEMPLATES = {
    "nginx": [
        ("stdout", '10.88.0.{a} - - [{clf}] "GET /{path} HTTP/1.1" 200 {b} "-" "kube-probe/1.27"'),
        ("stdout", '10.88.0.{a} - - [{clf}] "POST /api/{path} HTTP/1.1" 201 {b} "-" "curl/8.4.0"'),
        ("stderr", "{ts} [warn] 1#1: *{n} upstream response is buffered to a temporary file"),
    ],
    "coredns": [
        (
            "stdout",
            '[INFO] 10.88.0.{a}:{p} - {n} "A IN {path}.svc.cluster.local. udp 48 false 512" '
            "NOERROR qr,aa,rd 104 0.000{b}s",
        ),
        (
            "stdout",
            '[INFO] 10.88.0.{a}:{p} - {n} "AAAA IN {path}.default.svc.cluster.local. udp 52 false 512"'
            " NXDOMAIN qr,aa,rd 147 0.000{b}s",
        ),
    ],
    "etcd": [
        (
            "stderr",
            '{{"level":"info","ts":"{ts}","caller":"etcdserver/server.go:1383","msg":"saved snapshot",'
            '"snapshot-index":{n}}}',
        ),
        (
            "stderr",
            '{{"level":"warn","ts":"{ts}","caller":"etcdserver/util.go:166","msg":"apply request took too'
            ' long","took":"1{b}ms","expected-duration":"100ms"}}',
        ),
    ],
    "proxy": [
        ("stderr", 'I{klog} 1 proxier.go:{p}] "Syncing iptables rules" ipFamily=IPv4'),
        ("stderr", 'I{klog} 1 proxier.go:{p}] "SyncProxyRules complete" elapsed="{b}ms"'),
    ],
    "redis": [
        ("stdout", "1:M {redis} * {n} changes in 60 seconds. Saving..."),
        ("stdout", "1:M {redis} * Background saving terminated with success"),
    ],
    "app": [
        ("stdout", 'level=info ts={ts} msg="request handled" path=/{path} status=200 duration={b}ms'),
        ("stdout", 'level=info ts={ts} msg="cache refreshed" entries={n}'),
        ("stderr", 'level=warn ts={ts} msg="slow query" table={path} duration=1{b}ms'),
    ],
}
MEM_MB = {"nginx": (8, 40), "coredns": (15, 45), "etcd": (80, 300), "proxy": (20, 60), "redis": (10, 200)}
PATHS = ["healthz", "items", "cart", "orders", "users", "metrics", "login", "checkout", "inventory", "readyz"]


def kind_of(image_name: str) -> str:
    n = image_name.lower()
    for key, kind in (
        ("nginx", "nginx"),
        ("coredns", "coredns"),
        ("etcd", "etcd"),
        ("proxy", "proxy"),
        ("redis", "redis"),
    ):
        if key in n:
            return kind
    return "app"


def _profile_of(c: Container) -> Profile | None:
    """The container's simulation profile (``Container.sim``, which the state keeps untyped: it does not know this
    module), or None for a container running a host process."""
    return cast("Profile | None", c.sim)


def make_profile(c: Container, scale: bool) -> Profile:
    h = zlib.crc32(c.id.encode())
    rng = random.Random(h)
    kind = kind_of(c.config.image.image)
    lo, hi = MEM_MB.get(kind, (30, 400))
    # most containers idle along at a few millicores, a few are busy
    return Profile(
        cpu_rate=min(400e6, 4e6 * rng.lognormvariate(0, 1.3)),
        mem_base=rng.randint(lo, hi) * 1024 * 1024,
        mem_amp=rng.uniform(0.02, 0.15),
        mem_period=rng.uniform(60, 600),
        phase=rng.uniform(0, 6.28),
        log_every=rng.uniform(60, 600) if scale else rng.uniform(1.0, 6.0),
        kind=kind,
        rng_seed=h,
    )


def sim_log_text(p: Profile, ts_ns: int) -> tuple[str, str]:
    p.seq += 1
    rng = random.Random(p.rng_seed * 1_000_003 + p.seq)
    stream, tpl = rng.choice(LOG_TEMPLATES[p.kind])
    import time as _t

    t = _t.gmtime(ts_ns // NS)
    text = tpl.format(
        a=rng.randint(2, 250),
        b=rng.randint(1, 9999),
        n=p.seq * 7 + rng.randint(0, 6),
        p=rng.randint(1024, 65000),
        path=rng.choice(PATHS),
        ts=rfc3339nano(ts_ns),
        clf=_t.strftime("%d/%b/%Y:%H:%M:%S +0000", t),
        klog=_t.strftime("%m%d %H:%M:%S", t) + f".{(ts_ns // 1000) % 1_000_000:06d}",
        redis=_t.strftime("%d %b %Y %H:%M:%S", t) + f".{(ts_ns // 1_000_000) % 1000:03d}",
    )
    return stream, text


# ---------------------------------------------------------------------------------------------- manager


#: an attacher: gets (stream, data) for each output, and (None, None) when the process exits
Sink = Callable[[str | None, bytes | None], None]


class Workloads:
    """Starts and stops main processes, runs the single ticker, and fans output out to attachers."""

    def __init__(self, state: NodeState, *, scale: bool = False) -> None:
        self.state = state
        self.scale = scale
        self.heap: list[tuple[int, int, str, int, str]] = []
        self.seq = 0
        self.procs: dict[str, Proc] = {}
        self.attachers: dict[str, set[Sink]] = {}  # container id -> sinks
        self.exit_plans: dict[str, tuple[float, int]] = {}  # container id -> (seconds after start, code)
        self.task: asyncio.Task[None] | None = None
        state.hooks = self

    def scratch_dir(self, c: Container) -> str:
        path = os.path.join(self.state.state_dir, "containers", c.id)
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    # ------------------------------------------------------------------ lifecycle hooks

    def start(self, c: Container, *, started_at: int | None = None) -> None:
        cfg = c.config
        if c.log_path and started_at is None:
            open_log(c.log_path)  # containerd creates (or fails to create) the log file when the task starts
        if cfg.command:
            self._start_host(c)
        else:
            c.sim = make_profile(c, self.scale)
            c.pid = 2000 + zlib.crc32(c.id.encode()) % 60000
            c.started_at = started_at or now_ns()
            gen = c.gen + 1
            self._schedule(c, gen, "log", c.sim.log_every * random.random())
            plan = self.exit_plans.get(c.id)
            if plan is not None:
                self._schedule(c, gen, "exit", max(0.0, plan[0] - (now_ns() - c.started_at) / NS))

    def _start_host(self, c: Container) -> None:
        cfg = c.config
        argv = list(cfg.command) + list(cfg.args)
        scratch = self.scratch_dir(c)
        tty = cfg.tty
        try:
            proc = Proc(argv, scratch, host_env(c, scratch, tty), tty=tty, stdin=cfg.stdin)
        except OSError as e:
            raise unknown(
                "failed to create containerd task: failed to create shim task: OCI runtime create "
                f"failed: runc create failed: {spawn_error(argv, e)}"
            ) from e
        splitters = {"stdout": LineSplitter("stdout"), "stderr": LineSplitter("stderr")}

        def on_output(stream: str, data: bytes) -> None:
            append_log(c.log_path, splitters[stream].feed(data, now_ns()))
            self._fanout(c.id, stream, data)

        def on_exit(code: int) -> None:
            ts = now_ns()
            append_log(c.log_path, splitters["stdout"].flush(ts) + splitters["stderr"].flush(ts))
            self.procs.pop(c.id, None)
            self.state.mark_exited(c, code)
            self._fanout(c.id, None, None)

        proc.on_output = on_output
        proc.on_exit = on_exit
        self.procs[c.id] = proc
        c.pid = proc.pid
        c.started_at = now_ns()

    async def stop(self, c: Container, timeout: int) -> None:
        proc = self.procs.get(c.id)
        if proc is None:
            if c.state == CONTAINER_RUNNING:
                # simulated: SIGTERM is handled gracefully, SIGKILL ends it with 137 like runc reports
                self.state.mark_exited(c, 0 if timeout > 0 else 137)
                self._fanout(c.id, None, None)
            return
        if timeout > 0:
            sig = self._stop_signal(c)
            proc.signal(sig)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.exited.wait()), timeout)
        if not proc.exited.is_set():
            proc.kill_all()
            await proc.exited.wait()

    def _stop_signal(self, c: Container) -> int:
        name = pb.Signal.Name(c.config.stop_signal) if c.config.stop_signal else ""
        if not name and c.image is not None:
            name = c.image.config.get("StopSignal", "")
        if name and name != "RUNTIMEDEFAULT":
            with contextlib.suppress(AttributeError):
                return int(getattr(signal, name if name.startswith("SIG") else "SIG" + name))
        return signal.SIGTERM

    def removed(self, c: Container) -> None:
        proc = self.procs.pop(c.id, None)
        if proc is not None:
            proc.kill_all()
        self.exit_plans.pop(c.id, None)
        shutil.rmtree(os.path.join(self.state.state_dir, "containers", c.id), ignore_errors=True)

    # ------------------------------------------------------------------ attach

    def attach(self, cid: str, sink: Sink) -> None:
        self.attachers.setdefault(cid, set()).add(sink)

    def detach(self, cid: str, sink: Sink) -> None:
        s = self.attachers.get(cid)
        if s is not None:
            s.discard(sink)
            if not s:
                self.attachers.pop(cid, None)

    def _fanout(self, cid: str, stream: str | None, data: bytes | None) -> None:
        sinks = self.attachers.get(cid)
        if sinks:
            for sink in list(sinks):
                sink(stream, data)

    # ------------------------------------------------------------------ stats (pure functions of time)

    def cpu_ns(self, c: Container, t: int) -> int:
        p = _profile_of(c)
        if p is None:
            return self._proc_cpu(c)
        end = c.finished_at or t
        secs = max(0, end - c.started_at) / NS
        return int(p.cpu_rate * secs + p.cpu_rate * 0.3 * math.sin(secs / 37.0) * min(secs, 1.0))

    def nano_cores(self, c: Container, t: int) -> int:
        p = _profile_of(c)
        if p is None:
            secs = max(1, t - c.started_at) / NS
            return int(self._proc_cpu(c) / secs)
        return max(0, int(p.cpu_rate * (1 + 0.3 * math.cos(t / NS / 37.0) / 37.0)))

    def memory(self, c: Container, t: int) -> int:
        p = _profile_of(c)
        if p is None:
            return self._proc_rss(c)
        secs = t / NS
        wander = math.sin(2 * math.pi * secs / p.mem_period + p.phase) + 0.3 * math.sin(secs / 7.3 + p.phase)
        return int(p.mem_base * (1 + p.mem_amp * wander))

    def _proc_cpu(self, c: Container) -> int:
        proc = self.procs.get(c.id)
        if proc is None:
            return 0
        try:
            with open(f"/proc/{proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
            return ticks * NS // os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0

    def _proc_rss(self, c: Container) -> int:
        proc = self.procs.get(c.id)
        if proc is None:
            return 0
        try:
            with open(f"/proc/{proc.pid}/statm", "rb") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            return 0

    # ------------------------------------------------------------------ the ticker

    def _schedule(self, c: Container, gen: int, kind: str, delay: float) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (now_ns() + int(delay * NS), self.seq, c.id, gen, kind))

    def plan_exit(self, c: Container, after_seconds: float, code: int) -> None:
        self.exit_plans[c.id] = (after_seconds, code)
        if c.state == CONTAINER_RUNNING and c.sim is not None:
            self._schedule(c, c.gen, "exit", max(0.0, after_seconds - (now_ns() - c.started_at) / NS))

    def start_ticker(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            # at most 4 wake-ups a second; a newly scheduled event waits for the next one
            delay = 0.25
            if self.heap:
                delay = min(delay, max(0.0, (self.heap[0][0] - now_ns()) / NS))
            await asyncio.sleep(delay)
            t = now_ns()
            budget = 2000  # never spend one tick on more than this many events
            while self.heap and self.heap[0][0] <= t and budget:
                budget -= 1
                _, _, cid, gen, kind = heapq.heappop(self.heap)
                c = self.state.containers.get(cid)
                if c is None or c.gen != gen or c.state != CONTAINER_RUNNING or c.sim is None:
                    continue
                try:
                    if kind == "log":
                        self._sim_log(c, t)
                        self._schedule(c, gen, "log", cast(Profile, c.sim).log_every * (0.5 + random.random()))
                    elif kind == "exit":
                        code = self.exit_plans.get(cid, (0, 0))[1]
                        self.state.mark_exited(c, code)
                        self._fanout(cid, None, None)
                except Exception:  # noqa: BLE001 - a broken log dir must never stop the ticker
                    pass

    def _sim_log(self, c: Container, t: int) -> None:
        stream, text = sim_log_text(cast(Profile, c.sim), t)  # the ticker calls this for simulated containers only
        data = text.encode()
        append_log(c.log_path, cri_log_line(t, stream, "F", data))
        self._fanout(c.id, stream, data + b"\n")

    def write_backlog(self, c: Container, lines: int, since_ns: int) -> None:
        """Log history for a seeded container (as if it had been running since it started)."""
        if not c.log_path or c.sim is None:
            return
        t0 = max(since_ns, c.started_at)
        t1 = c.finished_at or now_ns()
        out = []
        profile = cast(Profile, c.sim)  # (checked above)
        for i in range(lines):
            t = t0 + (t1 - t0) * i // max(1, lines)
            stream, text = sim_log_text(profile, t)
            out.append(cri_log_line(t, stream, "F", text.encode()))
        append_log(c.log_path, b"".join(out))

    async def shutdown(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        for proc in list(self.procs.values()):
            proc.kill_all()
        for proc in list(self.procs.values()):
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(proc.exited.wait(), 2)
