"""Test double: a local exec server speaking the Kubernetes channel protocol, backed by real processes (PTY or
pipes). It lives in the test bed, not in crit: crit's own streaming server is the embedded node's
(:mod:`crit.node.streaming`), which needs a node (containers, tokens from the Exec RPC) behind it.

It behaves like a runtime's streaming server for exec: single-use URLs (``http://127.0.0.1:PORT/exec/TOKEN``),
``v5``/``v4`` subprotocol negotiation (403 when the client offers none the server speaks), an empty hello message on
each output channel, stdin/resize/close channels, a status message on channel 3, then a normal close.

Used by the tests and by ``bench/terminal.py`` when no containerd is available; it runs on the loopback only.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import secrets
import signal
import struct
import termios
from collections.abc import Sequence
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from crit.stream.protocol import CLOSE, PROTOCOLS, RESIZE, STDIN, V4, V5

__all__ = ["PtyExecServer"]


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _status(code: int | None, message: str | None = None) -> bytes:
    if code == 0:
        doc: dict = {"metadata": {}, "status": "Success"}
    elif code is not None:
        doc = {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command, exit status {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    else:
        doc = {"metadata": {}, "status": "Failure", "message": message or "failed"}
    return b"\x03" + json.dumps(doc).encode()


class PtyExecServer:
    """``async with PtyExecServer() as srv: url = srv.exec_url(["sh"], tty=True)``."""

    def __init__(
        self,
        *,
        protocols: Sequence[str] = PROTOCOLS,
        env: dict[str, str] | None = None,
        initial_size: tuple[int, int] = (80, 24),
    ) -> None:
        self.protocols = list(protocols)
        self.env = env
        self.initial_size = initial_size
        self._tokens: dict[str, tuple[list[str], bool]] = {}
        self._server: Server | None = None
        self.port = 0
        self.negotiated: list[str | None] = []
        self.resizes: list[tuple[int, int]] = []
        self._procs: set[asyncio.subprocess.Process] = set()

    async def __aenter__(self) -> PtyExecServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            subprotocols=self.protocols,
            process_request=self._check,
            max_size=None,
            compression=None,
            ping_interval=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for proc in list(self._procs):
            if proc.returncode is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for proc in list(self._procs):
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except (TimeoutError, ProcessLookupError):
                pass
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def exec_url(self, argv: Sequence[str], *, tty: bool = True) -> str:
        """A one-time URL that runs ``argv`` when opened."""
        token = secrets.token_urlsafe(12)
        self._tokens[token] = (list(argv), tty)
        return f"http://127.0.0.1:{self.port}/exec/{token}"

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        token = request.path.rsplit("/", 1)[-1]
        if not request.path.startswith("/exec/") or token not in self._tokens:
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown or used token\n")
        offered = [p.strip() for h in request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",")]
        if not any(p in self.protocols for p in offered):
            self._tokens.pop(token, None)  # a failed handshake burns the token, like the runtimes
            return connection.respond(HTTPStatus.FORBIDDEN, "no supported protocol\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        token = ws.request.path.rsplit("/", 1)[-1] if ws.request else ""
        argv, tty = self._tokens.pop(token)
        self.negotiated.append(ws.subprotocol)
        if tty:
            await self._run_tty(ws, argv)
        else:
            await self._run_pipes(ws, argv)

    async def _run_tty(self, ws: ServerConnection, argv: list[str]) -> None:
        master, slave = os.openpty()
        _set_winsize(slave, *self.initial_size)

        def child_setup() -> None:  # runs in the child: new session, the pty as controlling terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("TERM", "xterm-256color")
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                preexec_fn=child_setup,
                env=env,
            )
        except OSError as exc:
            os.close(master)
            os.close(slave)
            await ws.send(_status(None, f"failed to start {argv[0]!r}: {exc.strerror}"))
            await ws.close()
            return
        self._procs.add(proc)
        os.close(slave)
        os.set_blocking(master, False)
        loop = asyncio.get_running_loop()
        await ws.send(b"\x01")  # hello on the output channel

        async def pump_out() -> None:
            while True:
                try:
                    data = os.read(master, 65536)
                except BlockingIOError:
                    fut = loop.create_future()
                    loop.add_reader(master, lambda: fut.done() or fut.set_result(None))
                    try:
                        await fut
                    finally:
                        loop.remove_reader(master)
                    continue
                except OSError:  # EIO: every slave end is closed
                    return
                if not data:
                    return
                try:
                    await ws.send(b"\x01" + data)
                except ConnectionClosed:  # the client went away: stop the process
                    return

        async def pump_in() -> None:
            async for message in ws:
                if not isinstance(message, bytes) or not message:
                    continue
                channel, payload = message[0], message[1:]
                if channel == STDIN:
                    view = memoryview(payload)
                    while view:
                        try:
                            n = os.write(master, view)
                            view = view[n:]
                        except BlockingIOError:
                            await asyncio.sleep(0.005)
                elif channel == RESIZE:
                    size = json.loads(payload)
                    self.resizes.append((int(size["Width"]), int(size["Height"])))
                    _set_winsize(master, int(size["Width"]), int(size["Height"]))
                elif channel == CLOSE and payload[:1] == bytes((STDIN,)):
                    try:
                        os.write(master, b"\x04")  # EOF for a canonical-mode reader
                    except OSError:
                        pass

        out_task = asyncio.create_task(pump_out())
        in_task = asyncio.create_task(pump_in())
        try:
            await asyncio.wait({out_task, in_task}, return_when=asyncio.FIRST_COMPLETED)
            if not out_task.done():  # the client went away: hang up, like closing a terminal
                try:
                    os.killpg(proc.pid, signal.SIGHUP)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    await asyncio.wait_for(proc.wait(), 2)
                except TimeoutError:
                    pass
                out_task.cancel()
                code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
            else:
                await out_task
                code = await proc.wait()
        finally:
            in_task.cancel()
            try:
                os.close(master)
            except OSError:
                pass
            if proc.returncode is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                await proc.wait()
            self._procs.discard(proc)
        await self._finish(ws, code)

    async def _run_pipes(self, ws: ServerConnection, argv: list[str]) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                env=self.env,
            )
        except OSError as exc:
            await ws.send(_status(None, f"failed to start {argv[0]!r}: {exc.strerror}"))
            await ws.close()
            return
        self._procs.add(proc)
        await ws.send(b"\x01")
        await ws.send(b"\x02")

        async def pump(reader: asyncio.StreamReader, channel: int) -> None:
            while data := await reader.read(65536):
                try:
                    await ws.send(bytes((channel,)) + data)
                except ConnectionClosed:
                    return

        async def pump_in() -> None:
            assert proc.stdin is not None
            async for message in ws:
                if not isinstance(message, bytes) or not message:
                    continue
                if message[0] == STDIN:
                    proc.stdin.write(message[1:])
                    await proc.stdin.drain()
                elif message[0] == CLOSE and message[1:2] == bytes((STDIN,)):
                    proc.stdin.close()

        in_task = asyncio.create_task(pump_in())
        try:
            assert proc.stdout is not None and proc.stderr is not None
            await asyncio.gather(pump(proc.stdout, 1), pump(proc.stderr, 2))
            code = await proc.wait()
        finally:
            in_task.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            self._procs.discard(proc)
        await self._finish(ws, code)

    async def _finish(self, ws: ServerConnection, code: int) -> None:
        if code < 0:  # killed by a signal: like a shell, report 128+N
            code = 128 - code
        try:
            await ws.send(_status(code))
            await ws.close(1000)
        except ConnectionClosed:
            pass


# re-exported for tests that pick a protocol list
PROTOCOL_CHOICES = {"v5": [V5, V4], "v4": [V4], "v5only": [V5]}
