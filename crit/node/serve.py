"""Running the embedded node: ``crit node serve`` / ``crit --demo`` / ``python -m crit.node``.

:func:`run` blocks until SIGINT or SIGTERM; :class:`Node` is the async form used by tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time

import grpc

from crit.cri.refs import normalize_ref
from crit.errors import CritError
from crit.node.runtime import Runtime, generic_handlers, make_image
from crit.node.seed import Churn, DemoRestarter, ScaleSpecError, parse_scale, seed_demo, seed_scale
from crit.node.state import NodeState, is_loopback_registry, registry_host
from crit.node.streaming import StreamServer
from crit.node.workload import Workloads

MAX_MESSAGE = 64 * 1024 * 1024


class NodeStartError(CritError):
    """A reason the node cannot start, as one sentence."""


def socket_path(listen: str) -> str:
    if listen.startswith("unix://"):
        path = listen[len("unix://") :]
    elif listen.startswith("/"):
        path = listen
    else:
        raise NodeStartError(f"--listen {listen!r} is not a unix socket: use unix:///PATH/TO/node.sock")
    if not path.startswith("/"):
        raise NodeStartError(f"--listen {listen!r} must name an absolute path, e.g. unix:///tmp/crit/node.sock")
    if len(path.encode()) > 107:
        raise NodeStartError(f"the socket path {path} is too long for a unix socket (107 bytes at most)")
    return path


def _prepare_socket(path: str) -> None:
    parent = os.path.dirname(path) or "/"
    if not os.path.isdir(parent):
        raise NodeStartError(f"cannot listen on {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NodeStartError(f"cannot listen on {path}: no permission to create files in {parent}")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise NodeStartError(f"cannot listen on {path}: a file that is not a socket is already there")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(0.5)
        s.connect(path)
    except OSError:
        os.unlink(path)  # a stale socket left by a process that is gone
        return
    finally:
        s.close()
    raise NodeStartError(f"cannot listen on {path}: another process is already serving on that socket")


def _probe_bind(path: str) -> None:
    """Bind a plain unix socket at ``path`` once (then remove it): a path where no socket can be made (``/proc``,
    a read-only filesystem) fails here with its errno as one sentence, instead of inside gRPC (which logs a
    C-core error line and raises a bare RuntimeError)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(path)
    except OSError as e:
        raise NodeStartError(f"cannot listen on {path}: {e.strerror or e}") from None
    finally:
        s.close()
    try:
        os.unlink(path)
    except OSError:
        pass


STATE_PREFIX = "crit-node-"


def reap_stale_state_dirs(base: str | None = None) -> list[str]:
    """Remove state directories left by nodes that died without cleaning up (killed with SIGKILL)."""
    base = base or tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = [n for n in os.listdir(base) if n.startswith(STATE_PREFIX)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(base, name)
        try:
            with open(os.path.join(path, "node.pid")) as f:
                pid = int(f.read().strip())
            st = os.stat(path)
        except (OSError, ValueError):
            continue  # not ours, or not finished starting: leave it
        if st.st_uid != os.getuid() or _is_node_process(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _is_node_process(pid: int) -> bool:
    # any live process with that pid counts (a node may run inside another program, e.g. a test runner); a reused
    # pid only means a stale directory is kept a little longer
    return os.path.exists(f"/proc/{pid}")


class Node:
    """An embedded CRI node listening on a unix socket (mode 0600)."""

    def __init__(
        self,
        listen: str,
        *,
        demo: bool = False,
        scale: str | None = None,
        churn: float = 0.0,
        state_dir: str | None = None,
        images: list[str] | None = None,
    ) -> None:
        self.path = socket_path(listen)
        self.endpoint = "unix://" + self.path
        self.demo, self.scale_spec, self.churn_rate = demo, scale, churn
        if churn < 0:
            raise NodeStartError(f"--churn must be a rate of operations per second >= 0, not {churn}")
        self.scale = parse_scale(scale) if scale else None
        self.preload = []
        for ref in images or []:
            norm = normalize_ref(ref)
            if norm is None:
                raise NodeStartError(f"--image {ref!r} is not a valid image reference")
            if not is_loopback_registry(registry_host(norm)):
                raise NodeStartError(f"--image {ref!r} must be under a loopback registry such as localhost:5000/")
            self.preload.append(norm)
        self._own_dir = state_dir is None
        if state_dir is None:
            reap_stale_state_dirs()
        self.state_dir = state_dir or tempfile.mkdtemp(prefix=STATE_PREFIX)
        if self._own_dir:
            with open(os.path.join(self.state_dir, "node.pid"), "w") as f:
                f.write(f"{os.getpid()}\n")
        self.state = NodeState(self.state_dir, demo=demo)
        self.wl = Workloads(self.state, scale=self.scale is not None)
        self.streaming = StreamServer(self.state, self.wl)
        self.runtime = Runtime(self.state, self.wl, self.streaming)
        self.server: grpc.aio.Server | None = None
        self.churn: Churn | None = None
        self.restarter: DemoRestarter | None = None
        self.build_seconds = 0.0
        self._listening = False

    async def start(self) -> None:
        t0 = time.monotonic()
        try:
            _prepare_socket(self.path)
            _probe_bind(self.path)
            await self.streaming.start()
            if self.demo:
                seed_demo(self.state, self.wl)
            if self.scale:
                seed_scale(self.state, self.wl, *self.scale)
            for norm in self.preload:
                img = make_image(norm)
                img.repo_digests = []  # as an image imported from an archive (ctr images import): no repo digest
                self.state.add_image(img)
            self.warm()
            self.wl.start_ticker()
            self.server = grpc.aio.server(
                options=[
                    ("grpc.max_send_message_length", MAX_MESSAGE),
                    ("grpc.max_receive_message_length", MAX_MESSAGE),
                ]
            )
            self.server.add_generic_rpc_handlers(generic_handlers(self.runtime))
            # the socket is born 0600 (exec runs commands on this host): gRPC binds it in add_insecure_port
            # already, so the umask must cover that call, not only start()
            old = os.umask(0o177)
            try:
                try:
                    bound = self.server.add_insecure_port(self.endpoint)
                except RuntimeError:  # grpc.aio raises instead of returning 0
                    bound = 0
                if bound == 0:
                    raise NodeStartError(f"cannot listen on {self.path}")
                await self.server.start()
            finally:
                os.umask(old)
            self._listening = True
            os.chmod(self.path, 0o600)
            self.churn = Churn(self.state, self.wl, self.churn_rate)
            self.churn.start()
            if self.demo:
                self.restarter = DemoRestarter(self.state, self.wl)
                self.restarter.start()
        except BaseException:
            await self.stop()
            raise
        self.build_seconds = time.monotonic() - t0

    def warm(self) -> None:
        """Encode every seeded pod, container and image once, so the first List is as fast as the next."""
        from crit.node.state import frame_field1

        for group in (self.state.pods.values(), self.state.containers.values(), self.state.images.values()):
            for obj in group:
                if obj.framed is None:
                    obj.framed = frame_field1(obj.to_pb().SerializeToString())

    async def stop(self) -> None:
        if self.churn is not None:
            await self.churn.stop()
        if self.restarter is not None:
            await self.restarter.stop()
        if self.server is not None:
            await self.server.stop(0.5)
            self.server = None
        await self.streaming.close()
        await self.wl.shutdown()
        if self._listening:  # never remove a socket another process is serving on
            self._listening = False
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISSOCK(os.lstat(self.path).st_mode):
                    os.unlink(self.path)
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    async def __aenter__(self) -> Node:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def banner(self) -> str:
        s = self.state
        what = "demo node" if self.demo else "node"
        return (
            f"crit node: {what} serving CRI v1 on {self.endpoint} ({len(s.pods)} pods, {len(s.containers)} "
            f"containers, {len(s.images)} images; streaming on 127.0.0.1:{self.streaming.port}; "
            f"built in {self.build_seconds:.2f} s). WARNING: {s.host_note}. Stop with Ctrl+C."
        )


async def _serve(node: Node, parent: int) -> None:
    await node.start()
    print(node.banner(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = None
    if os.environ.get("CRIT_NODE_EXIT_WITH_PARENT") == "1":
        watcher = loop.create_task(_exit_with_parent(parent, stop))
    try:
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await node.stop()


async def _exit_with_parent(ppid: int, stop: asyncio.Event) -> None:
    """For nodes started by tests and tools: stop when the process that started us is gone."""
    while os.getppid() == ppid:
        await asyncio.sleep(0.5)
    stop.set()


def run(
    listen: str, *, demo: bool = False, scale: str | None = None, churn: float = 0.0, images: list[str] | None = None
) -> int:
    """Serve until SIGINT/SIGTERM. Returns the exit status; errors are printed as one sentence."""
    try:
        node = Node(listen, demo=demo, scale=scale, churn=churn, images=images)
    except (NodeStartError, ScaleSpecError) as e:
        print(f"crit node: {e}", file=sys.stderr)
        return 2
    parent = os.getppid()  # taken before anything else: the parent may be gone by the time we listen
    try:
        asyncio.run(_serve(node, parent))
    except NodeStartError as e:
        print(f"crit node: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"crit node: cannot serve on {node.path}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0
