"""Port-forward: a local TCP listener relaying each connection through the runtime's PortForward URL.

For every incoming connection on ``127.0.0.1:LOCAL`` a fresh URL is requested (tokens are single-use), opened as
a WebSocket with ``?ports=N`` speaking ``v4.channel.k8s.io`` (``v5`` offered first), and bytes are relayed:

* channel 0 = data, channel 1 = error (one port per connection);
* the first message the server sends on each channel starts with the port number, 2 bytes little-endian
  (``\\x00\\x99\\x1f`` and ``\\x01\\x99\\x1f`` for 8089): stripped (and checked);
* data flows raw on channel 0 both ways; text on channel 1 is an error (e.g. nothing listens on the pod port),
  kept as one sentence in :attr:`PortForward.last_error` and handed to ``on_error``.

v4 cannot half-close a channel: when the local client stops sending (EOF), the relay keeps delivering the pod's
reply until the runtime closes the WebSocket, the local client goes away, nothing has come from the pod for
``eof_idle`` seconds (so connections of clients that closed do not linger), or :meth:`PortForward.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed

from crit.errors import as_sentence
from crit.render.sanitize import sanitize
from crit.stream.channel import StreamError, decode_frame, encode_frame, open_channel_socket
from crit.stream.protocol import DATA, ERROR, PROTOCOLS

__all__ = ["PortForward", "PortForwardError", "ForwardRegistry", "port_url", "DATA", "ERROR"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class PortForwardError(StreamError):
    """A port-forward could not be set up or a connection through it failed; ``str()`` is one sentence."""


def port_url(url: str, port: int) -> str:
    """The PortForward URL with ``ports=N`` added to its query."""
    parts = urlsplit(url)
    query = f"{parts.query}&ports={port}" if parts.query else f"ports={port}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _valid_port(port: int, what: str) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise PortForwardError(f"The {what} must be a number from 1 to 65535, not {port!r}.") from None
    if not 0 <= value <= 65535 or (value == 0 and what == "pod port"):
        raise PortForwardError(f"The {what} must be a number from 1 to 65535, not {port!r}.")
    return value


@dataclass(slots=True)
class ConnStats:
    id: int
    peer: str
    started: float
    bytes_in: int = 0  # pod → local client
    bytes_out: int = 0  # local client → pod
    error: str = ""
    done: bool = False


class PortForward:
    """Forward ``host:local_port`` to ``remote_port`` of a pod.

    ``url_factory`` is an async callable returning a fresh PortForward URL, e.g.
    ``lambda: client.port_forward(pod_id, [remote_port])``.  ``local_port=0`` picks a free port (see
    :attr:`local_port` after :meth:`start`).  ``on_error(sentence)`` is called for each failed connection.
    ``eof_idle``: after the local client's EOF, close once the pod has sent nothing for this long (None: never).
    """

    def __init__(
        self,
        url_factory: Callable[[], Awaitable[str]],
        remote_port: int,
        local_port: int = 0,
        *,
        host: str = "127.0.0.1",
        pod_id: str = "",
        pod_name: str = "",
        insecure: bool = False,
        protocols: Sequence[str] = PROTOCOLS,
        connect_timeout: float = 10.0,
        eof_idle: float | None = 30.0,
        on_error: Callable[[str], Any] | None = None,
    ) -> None:
        self.url_factory = url_factory
        self.remote_port = _valid_port(remote_port, "pod port")
        self.local_port = _valid_port(local_port, "local port")
        self.host = host
        self.pod_id = pod_id
        self.pod_name = pod_name
        self.insecure = insecure
        self.protocols = tuple(protocols)
        self.connect_timeout = connect_timeout
        self.eof_idle = eof_idle
        self.on_error = on_error
        self.bytes_in = 0
        self.bytes_out = 0
        self.connections_total = 0
        self.failures = 0
        self.last_error = ""
        self.errors: deque[str] = deque(maxlen=20)
        self.started_at = 0.0
        self.conns: dict[int, ConnStats] = {}
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def active(self) -> int:
        return sum(1 for c in self.conns.values() if not c.done)

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopped

    @property
    def address(self) -> str:
        return f"{self.host}:{self.local_port}"

    def describe(self) -> str:
        target = self.pod_name or self.pod_id[:13] or "pod"
        return f"{self.address} → {target}:{self.remote_port}"

    async def start(self) -> None:
        """Bind the local listener; raises :class:`PortForwardError` (one sentence) when that is impossible."""
        if self._server is not None:
            return
        try:
            self._server = await asyncio.start_server(
                self._on_connection, self.host, self.local_port, reuse_address=True, limit=CHUNK
            )
        except OSError as exc:
            reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
            raise PortForwardError(
                f"Cannot listen on {self.host}:{self.local_port} for the port-forward: {reason}"
                + (" (pick another local port)." if "in use" in reason else ".")
            ) from None
        sock = self._server.sockets[0]
        self.local_port = sock.getsockname()[1]
        self.started_at = time.time()

    async def stop(self) -> None:
        """Stop listening and close every relayed connection."""
        self._stopped = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def __aenter__(self) -> PortForward:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- one connection ----------------------------------------------------------------------------------------
    def _fail(self, conn: ConnStats, message: str) -> None:
        message = as_sentence(message)
        conn.error = message
        self.failures += 1
        self.last_error = message
        self.errors.append(message)
        log.debug("port-forward %s: %s", self.describe(), message)
        if self.on_error is not None:
            try:
                self.on_error(message)
            except Exception:  # pragma: no cover - a UI callback must not break the relay
                log.exception("port-forward on_error failed")

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        conn = ConnStats(next(self._ids), f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer), time.time())
        self.conns[conn.id] = conn
        self.connections_total += 1
        try:
            await self._relay(conn, reader, writer)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - one connection's failure, whatever it is, must not kill the listener
            self._fail(conn, f"the connection through the port-forward failed ({type(exc).__name__}: {exc})")
        finally:
            conn.done = True
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)
            self._tasks.discard(task)
            # keep the last few finished connections for the :forwards view
            done = [cid for cid, c in self.conns.items() if c.done]
            for cid in done[:-10]:
                del self.conns[cid]

    async def _relay(self, conn: ConnStats, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = self.remote_port
        try:
            url = await self.url_factory()
        except Exception as exc:  # noqa: BLE001 - the caller's URL factory (a CRI call) may fail in any way: it ends this connection only
            self._fail(conn, f"could not get a port-forward URL for port {port}: {exc}")
            return
        try:
            ws = await open_channel_socket(
                port_url(url, port),
                protocols=self.protocols,
                insecure=self.insecure,
                timeout=self.connect_timeout,
                what="port-forward",
            )
        except StreamError as exc:
            self._fail(conn, str(exc))
            return
        try:
            await self._pump(conn, ws, reader, writer)
        finally:
            with contextlib.suppress(Exception):
                await ws.close()

    async def _pump(self, conn: ConnStats, ws: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = self.remote_port
        prefix_seen = {DATA: False, ERROR: False}
        error_text = bytearray()

        async def upstream() -> None:
            """local client → pod (channel 0)."""
            try:
                while True:
                    data = await reader.read(CHUNK)
                    if not data:
                        return  # local EOF: v4 cannot half-close; keep receiving the reply
                    await ws.send(encode_frame(DATA, data))
                    conn.bytes_out += len(data)
                    self.bytes_out += len(data)
            except ConnectionClosed:
                return
            except OSError:  # the local client reset the connection: end the WebSocket too
                with contextlib.suppress(Exception):
                    await ws.close()

        up = asyncio.create_task(upstream())
        recv: asyncio.Future[Any] | None = None
        try:
            while True:
                if recv is None:
                    recv = asyncio.ensure_future(ws.recv())
                if up.done():
                    # the local client has stopped sending (or is gone): wait for the reply, not forever
                    done, _ = await asyncio.wait({recv}, timeout=self.eof_idle)
                    if not done:
                        break
                else:
                    done, _ = await asyncio.wait({recv, up}, return_when=asyncio.FIRST_COMPLETED)
                    if recv not in done:
                        continue
                fut, recv = recv, None
                try:
                    message = fut.result()
                except ConnectionClosed:
                    break
                channel, payload = decode_frame(message)
                if channel in prefix_seen and not prefix_seen[channel]:
                    prefix_seen[channel] = True
                    if len(payload) >= 2:
                        announced = int.from_bytes(payload[:2], "little")
                        if announced != port:
                            self._fail(conn, f"the runtime answered for port {announced} instead of {port}")
                            return
                    payload = payload[2:]
                if channel == DATA:
                    if payload:
                        try:
                            writer.write(payload)
                            await writer.drain()
                        except (ConnectionError, OSError):
                            return  # local client gone
                        conn.bytes_in += len(payload)
                        self.bytes_in += len(payload)
                elif channel == ERROR:
                    if payload:
                        error_text.extend(payload[: 4096 - len(error_text)])
            if error_text:
                text = sanitize(error_text.decode("utf-8", "replace").strip())
                self._fail(conn, f"port-forward to pod port {port} failed: {text}")
        finally:
            if recv is not None and not recv.done():
                recv.cancel()
                with contextlib.suppress(BaseException):
                    await recv
            if not up.done():
                up.cancel()
            with contextlib.suppress(BaseException):
                await up
            if writer.can_write_eof():
                with contextlib.suppress(Exception):
                    writer.write_eof()


@dataclass(slots=True)
class ForwardRegistry:
    """The active port-forwards of the session (what ``:forwards`` lists)."""

    forwards: list[PortForward] = field(default_factory=list)

    async def add(self, fwd: PortForward) -> PortForward:
        await fwd.start()
        self.forwards.append(fwd)
        return fwd

    def find(self, local_port: int) -> PortForward | None:
        return next((f for f in self.forwards if f.local_port == local_port), None)

    async def remove(self, fwd: PortForward) -> None:
        await fwd.stop()
        with contextlib.suppress(ValueError):
            self.forwards.remove(fwd)

    async def stop_all(self) -> None:
        forwards, self.forwards = self.forwards, []
        await asyncio.gather(*(f.stop() for f in forwards), return_exceptions=True)
