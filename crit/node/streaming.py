"""The embedded node's streaming server: exec, attach and port-forward over WebSocket.

Exec/Attach/PortForward (gRPC) hand out a one-time URL ``http://127.0.0.1:PORT/{exec,attach,portforward}/TOKEN``.
The token is random, consumed by the first handshake (even a failed one) and expires after 30 s.  The
connection speaks the Kubernetes WebSocket channel protocol (``v5.channel.k8s.io``, ``v4.channel.k8s.io``):
every binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 status JSON, 4 resize JSON
and, in v5, 255 "close stream N".  As containerd's (kubelet's) server does, one empty message is sent on each
output channel when the stream opens, and the v4 status object on channel 3 precedes the close.

Exec runs the command as a REAL process on this host, in the container's scratch directory, under a PTY when
``tty`` is requested.  Port-forward relays to 127.0.0.1 ports (channels 2i data, 2i+1 error per port, each
starting with the port number as 2 bytes little-endian).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit
from weakref import WeakKeyDictionary

import grpc
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import CONTAINER_RUNNING
from crit.node.state import Container, NodeError, NodeState, new_id
from crit.node.workload import Proc, Workloads, _check_executable, host_env, spawn_error, wrap_argv
from crit.stream.protocol import (
    CLOSE,
    DATA,
    ERROR,
    PORTFORWARD,
    PORTFORWARD_PROTOCOLS,
    PROTOCOLS,
    RESIZE,
    STATUS,
    STDERR,
    STDIN,
    STDOUT,
    V5,
)

TOKEN_TTL = 30.0
HIGH_WATER = 64  # queued output frames before the process's output is paused


def go_json(obj: Any) -> str:
    """encoding/json.Marshal: compact, UTF-8, and <, >, & (and U+2028/2029) escaped as \\u00XX."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def status_success() -> str:
    return go_json({"metadata": {}, "status": "Success"})


def status_exit(cmd: list[str], code: int) -> str:
    # kubelet's remotecommand: "command terminated with non-zero exit code: " + containerd's CodeExitError
    msg = f"command terminated with non-zero exit code: error executing command [{' '.join(cmd)}], exit code {code}"
    return go_json(
        {
            "metadata": {},
            "status": "Failure",
            "message": msg,
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    )


def status_error(err: str) -> str:
    # apierrors.NewInternalError(err).Status()
    return go_json(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"Internal error occurred: {err}",
            "reason": "InternalError",
            "details": {"causes": [{"message": err}]},
            "code": 500,
        }
    )


@dataclass(slots=True)
class Pending:
    kind: str  # "exec", "attach" or "portforward"
    target: str
    req: Any  # the ExecRequest, AttachRequest or PortForwardRequest of ``kind``
    expires: float


class StreamServer:
    def __init__(self, state: NodeState, workloads: Workloads) -> None:
        self.state = state
        self.wl = workloads
        self.tokens: dict[str, Pending] = {}
        self.server: Server | None = None
        self.port = 0
        self.sessions: set[asyncio.Task[Any]] = set()
        # what each connection's handshake asked for: its token's Pending and the URL's query
        self._asked: WeakKeyDictionary[ServerConnection, tuple[Pending, dict[str, list[str]]]] = WeakKeyDictionary()

    async def start(self) -> None:
        server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            subprotocols=[Subprotocol(p) for p in (*PROTOCOLS, PORTFORWARD)],
            select_subprotocol=self._select,
            compression=None,
            max_size=None,
            ping_interval=None,
            server_header=None,
        )
        self.server = server
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 3)

    # ------------------------------------------------------------------ tokens

    def new_url(self, kind: str, target: str, req: Any) -> str:
        now = time.monotonic()
        for tok in [t for t, p in self.tokens.items() if p.expires <= now]:
            del self.tokens[tok]
        token = secrets.token_urlsafe(12)
        self.tokens[token] = Pending(kind, target, req, now + TOKEN_TTL)
        return f"http://127.0.0.1:{self.port}/{kind}/{token}"

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        segs = parts.path.strip("/").split("/")
        pending = None
        if len(segs) == 2 and segs[0] in ("exec", "attach", "portforward"):
            pending = self.tokens.pop(segs[1], None)  # single use: any handshake burns the token
        if pending is None or pending.kind != segs[0] or pending.expires <= time.monotonic():
            return conn.respond(HTTPStatus.NOT_FOUND, "404 page not found\n")
        offered = [p.strip() for h in request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",")]
        allowed = PORTFORWARD_PROTOCOLS if pending.kind == "portforward" else PROTOCOLS
        if not any(p in allowed for p in offered):
            return conn.respond(HTTPStatus.FORBIDDEN, "unable to upgrade: no supported subprotocol offered\n")
        self._asked[conn] = (pending, parse_qs(parts.query))
        return None

    def _select(self, conn: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        pending = self._asked[conn][0] if conn in self._asked else None
        allowed = PORTFORWARD_PROTOCOLS if pending is not None and pending.kind == "portforward" else PROTOCOLS
        for p in allowed:
            if p in offered:
                return Subprotocol(p)
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.sessions.add(task)
        try:
            pending, query = self._asked.pop(conn)
            if pending.kind == "exec":
                await self._exec(conn, pending)
            elif pending.kind == "attach":
                await self._attach(conn, pending)
            else:
                await self._portforward(conn, pending, query)
        except ConnectionClosed:
            pass
        finally:
            if task is not None:
                self.sessions.discard(task)

    # ------------------------------------------------------------------ exec

    async def _exec(self, conn: ServerConnection, p: Pending) -> None:
        req: pb.ExecRequest = p.req
        c = self.state.containers.get(p.target)
        out = _Out(conn)
        out.open(req.stdout, req.stderr and not req.tty)
        if c is None or c.state != CONTAINER_RUNNING:
            err = f"container {p.target} is not running" if c is not None else f"container {p.target} not found"
            await out.finish(status_error(err))
            return
        cmd = list(req.cmd)
        size: tuple[int, int] | None = None
        early: list[bytes] = []
        if req.tty:
            # wait a moment for the client's first resize so the command starts with the right size
            with contextlib.suppress(asyncio.TimeoutError):
                while size is None:
                    msg = await asyncio.wait_for(conn.recv(), 0.25)
                    if isinstance(msg, str):
                        msg = msg.encode()
                    if msg[:1] == bytes([RESIZE]):
                        size = _parse_size(msg[1:])
                    else:
                        early.append(msg)
        scratch = self.wl.scratch_dir(c)
        try:
            proc = Proc(cmd, scratch, host_env(c, scratch, req.tty), tty=req.tty, stdin=req.stdin, size=size)
        except OSError as e:
            await out.finish(
                status_error(
                    f"error executing command in container: failed to exec in container: "
                    f"failed to start exec {json.dumps(new_id())}: OCI runtime exec failed: "
                    f"exec failed: {spawn_error(cmd, e)}"
                )
            )
            return
        await self._pump(conn, out, proc, req.stdout, req.stderr, early)
        if proc.exited.is_set():
            code = proc.returncode
            await out.finish(status_success() if code == 0 else status_exit(cmd, -1 if code is None else code))

    async def _pump(
        self, conn: ServerConnection, out: _Out, proc: Proc, want_out: bool, want_err: bool, early: list[bytes]
    ) -> None:
        """Relay a process's stdio to the connection until it exits or the client goes away."""

        def on_output(stream: str, data: bytes) -> None:
            if stream == "stdout" and want_out:
                out.send(STDOUT, data)
            elif stream == "stderr" and want_err:
                out.send(STDERR, data)
            if out.q.qsize() > HIGH_WATER:
                proc_pause(proc, out)

        proc.on_output = on_output
        reader = asyncio.create_task(self._read_input(conn, proc, early))
        try:
            await proc.exited.wait()
            await out.drain()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            if not proc.exited.is_set():  # the client left: end what it started
                proc.signal(signal.SIGHUP)
                proc.kill_all()

    async def _read_input(self, conn: ServerConnection, proc: Proc, early: list[bytes]) -> None:
        v5 = conn.subprotocol == V5
        try:
            for first in early:
                self._input(proc, first, v5)
            async for msg in conn:
                self._input(proc, msg.encode() if isinstance(msg, str) else msg, v5)
        except ConnectionClosed:
            pass
        if not proc.exited.is_set():
            proc.kill_all()

    @staticmethod
    def _input(proc: Proc, msg: bytes, v5: bool) -> None:
        if not msg:
            return
        ch, data = msg[0], msg[1:]
        if ch == STDIN:
            if data:
                proc.write(data)
        elif ch == RESIZE:
            size = _parse_size(data)
            if size:
                proc.resize(*size)
        elif ch == CLOSE and v5 and data[:1] == bytes([STDIN]):
            proc.close_stdin()

    async def exec_sync(self, c: Container, cmd: list[str], timeout: int) -> pb.ExecSyncResponse:
        scratch = self.wl.scratch_dir(c)
        try:
            _check_executable(cmd, host_env(c, scratch, False))
            proc = await asyncio.create_subprocess_exec(
                *wrap_argv(cmd),
                cwd=scratch,
                env=host_env(c, scratch, False),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, IndexError) as e:
            err = spawn_error(cmd, e) if isinstance(e, OSError) else "process args must not be empty: unknown"
            raise NodeError(
                grpc.StatusCode.UNKNOWN,
                f"failed to exec in container: failed to start exec {json.dumps(new_id())}: "
                f"OCI runtime exec failed: exec failed: {err}",
            ) from e
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout if timeout > 0 else None)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                import os

                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            raise NodeError(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"failed to exec in container: timeout {timeout}s exceeded: context deadline exceeded",
            ) from None
        rc = proc.returncode
        assert rc is not None  # communicate() returned: the process has ended
        return pb.ExecSyncResponse(stdout=stdout, stderr=stderr, exit_code=128 - rc if rc < 0 else rc)

    # ------------------------------------------------------------------ attach

    async def _attach(self, conn: ServerConnection, p: Pending) -> None:
        req: pb.AttachRequest = p.req
        c = self.state.containers.get(p.target)
        out = _Out(conn)
        out.open(req.stdout, req.stderr and not req.tty)
        if c is None or c.state != CONTAINER_RUNNING:
            state = pb.ContainerState.Name(c.state) if c is not None else "CONTAINER_UNKNOWN"
            await out.finish(status_error(f"container is in {state} state"))
            return
        proc = self.wl.procs.get(c.id)
        ended = asyncio.Event()

        def sink(stream: str | None, data: bytes | None) -> None:
            if stream is None or data is None:
                ended.set()
            elif stream == "stdout" and req.stdout:
                out.send(STDOUT, data)
            elif stream == "stderr" and req.stderr:
                out.send(STDERR, data)

        self.wl.attach(c.id, sink)
        reader = asyncio.create_task(
            self._attach_input(conn, proc if (req.stdin and c.config.stdin) else None, c.config.stdin_once, ended)
        )
        try:
            await ended.wait()
            await out.drain()
            if c.state != CONTAINER_RUNNING or c.id not in self.state.containers:
                await out.finish(status_success())
        finally:
            self.wl.detach(c.id, sink)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _attach_input(
        self, conn: ServerConnection, proc: Proc | None, stdin_once: bool, ended: asyncio.Event
    ) -> None:
        v5 = conn.subprotocol == V5
        try:
            async for msg in conn:
                if isinstance(msg, str):
                    msg = msg.encode()
                if proc is not None and proc.returncode is None:
                    self._input(proc, msg, v5)
        except ConnectionClosed:
            pass
        if proc is not None and stdin_once and proc.returncode is None:
            proc.close_stdin()
        ended.set()

    # ------------------------------------------------------------------ port-forward

    async def _portforward(self, conn: ServerConnection, p: Pending, q: dict[str, list[str]]) -> None:
        req: pb.PortForwardRequest = p.req
        ports: list[int] = []
        for key in ("ports", "port"):
            for v in q.get(key, []):
                for part in v.split(","):
                    with contextlib.suppress(ValueError):
                        ports.append(int(part))
        if not ports:
            ports = list(req.port)
        if not ports or any(not 0 < n < 65536 for n in ports):
            await conn.close(1008, "invalid port")
            return
        writers: dict[int, asyncio.StreamWriter] = {}
        tasks = []
        send_lock = asyncio.Lock()

        async def send(ch: int, data: bytes) -> None:
            async with send_lock:
                await conn.send(bytes([ch]) + data)

        for i, port in enumerate(ports):
            prefix = struct.pack("<H", port)
            await send(2 * i + DATA, prefix)
            await send(2 * i + ERROR, prefix)
        for i, port in enumerate(ports):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError as e:
                pod = self.state.pods.get(p.target)
                ns = "host" if pod is None or pod.host_network else f"/var/run/netns/cni-{p.target[:8]}"
                why = os.strerror(e.errno).lower() if e.errno else str(e)
                await send(
                    2 * i + ERROR,
                    (
                        f"error forwarding port {port} to pod {p.target}, uid : failed to execute "
                        f"portforward in network namespace {json.dumps(ns)}: failed to connect to "
                        f"localhost:{port} inside namespace {json.dumps(p.target)}, IPv4: dial tcp4 "
                        f"127.0.0.1:{port}: connect: {why} IPv6 dial tcp6: address localhost: no "
                        "suitable address found "
                    ).encode(),
                )
                continue
            writers[i] = writer
            tasks.append(asyncio.create_task(self._pf_out(reader, i, send)))
        if not writers:
            await conn.close()
            return
        inbound = asyncio.create_task(self._pf_in(conn, writers))
        try:
            done, _ = await asyncio.wait([inbound, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in [inbound, *tasks]:
                t.cancel()
            for w in writers.values():
                w.close()
            with contextlib.suppress(Exception):
                await conn.close()

    @staticmethod
    async def _pf_out(reader: asyncio.StreamReader, i: int, send: Callable[[int, bytes], Awaitable[None]]) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            await send(2 * i + DATA, data)

    @staticmethod
    async def _pf_in(conn: ServerConnection, writers: dict[int, asyncio.StreamWriter]) -> None:
        try:
            async for msg in conn:
                if isinstance(msg, str):
                    msg = msg.encode()
                if not msg:
                    continue
                ch, data = msg[0], msg[1:]
                if ch % 2 == ERROR:
                    continue
                i = ch // 2
                w = writers.get(i)
                if w is None:
                    continue
                # only the server announces the port (2 bytes on each channel); containerd passes the client's
                # bytes through untouched, the first message included
                if data:
                    w.write(data)
                    await w.drain()
        except (ConnectionClosed, ConnectionError):
            pass


def _parse_size(data: bytes) -> tuple[int, int] | None:
    try:
        d = json.loads(data)
        return int(d.get("Width", 0)), int(d.get("Height", 0))
    except (ValueError, AttributeError, TypeError):
        return None


class _Out:
    """Ordered output frames to one connection through a single sender task."""

    def __init__(self, conn: ServerConnection) -> None:
        self.conn = conn
        self.q: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.paused_proc: Proc | None = None
        self.task = asyncio.create_task(self._run())

    def open(self, stdout: bool, stderr: bool) -> None:
        # "an empty message to the lowest writable channel to notify the client the connection is established"
        # (k8s wsstream, as containerd 1.6 serves it: only that one)
        self.send(STDOUT if stdout else STDERR if stderr else STATUS, b"")

    def send(self, ch: int, data: bytes) -> None:
        self.q.put_nowait(bytes([ch]) + data)

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.q.get()
                if frame is None:
                    return
                await self.conn.send(frame)
                self.q.task_done()
                if self.paused_proc is not None and self.q.qsize() < HIGH_WATER // 4:
                    proc_resume(self.paused_proc)
                    self.paused_proc = None
        except ConnectionClosed:
            pass

    async def drain(self) -> None:
        while not self.q.empty() and not self.task.done():
            await asyncio.sleep(0.005)

    async def finish(self, status: str) -> None:
        self.send(STATUS, status.encode())
        self.q.put_nowait(None)
        with contextlib.suppress(Exception):
            await self.task
        with contextlib.suppress(Exception):
            await self.conn.close(1000)


def proc_pause(proc: Proc, out: _Out) -> None:
    if out.paused_proc is None:
        loop = asyncio.get_running_loop()
        for fd, name in proc.out_fds.items():
            if name is not None:
                loop.remove_reader(fd)
        out.paused_proc = proc


def proc_resume(proc: Proc) -> None:
    loop = asyncio.get_running_loop()
    for fd, name in proc.out_fds.items():
        if name is not None:
            loop.add_reader(fd, proc._readable, fd)
