"""Port-forward relay against a local WebSocket server that speaks the runtime's port-forward protocol.

(The end-to-end test against real containerd is in tests/test_portforward_containerd.py.)
"""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from crit.stream.portforward import ForwardRegistry, PortForward, PortForwardError, port_url

pytestmark = pytest.mark.timeout(60)


class FakeRuntime:
    """A streaming server like containerd's: single-use tokens, ?ports=N, port prefix on channels 0 and 1."""

    def __init__(self, first_chunk_with_data: bool = False, wrong_port: bool = False):
        self.tokens = itertools.count()
        self.issued: set[str] = set()
        self.protocols_seen: list[list[str]] = []
        self.first_chunk_with_data = first_chunk_with_data
        self.wrong_port = wrong_port
        self.server = None
        self.port = 0

    async def start(self):
        self.server = await serve(
            self.handler,
            "127.0.0.1",
            0,
            subprotocols=["v4.channel.k8s.io"],
            process_request=self.check,
            compression=None,
        )
        self.port = (
            self.server.sockets[0].getsockname()[1]
            if hasattr(self.server, "sockets")
            else list(self.server.server.sockets)[0].getsockname()[1]
        )

    async def url(self) -> str:
        token = f"tok{next(self.tokens)}"
        self.issued.add(token)
        return f"http://127.0.0.1:{self.port}/portforward/{token}"

    def check(self, connection, request):
        token = request.path.split("?")[0].rsplit("/", 1)[-1]
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        self.protocols_seen.append([p.strip() for p in offered.split(",")])
        if token not in self.issued:
            return Response(403, "Forbidden", Headers(), b"token used or unknown")
        self.issued.discard(token)
        return None

    async def handler(self, ws):
        qs = parse_qs(urlsplit(ws.request.path).query)
        port = int(qs["ports"][0])
        announced = (port + 1 if self.wrong_port else port).to_bytes(2, "little")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            await ws.send(b"\x00" + announced)
            await ws.send(b"\x01" + announced)
            await ws.send(b"\x01" + f"dial tcp4 127.0.0.1:{port}: connect: connection refused ({exc.errno})".encode())
            await ws.close()
            return
        if not self.first_chunk_with_data:
            await ws.send(b"\x00" + announced)
            await ws.send(b"\x01" + announced)

        async def down():
            first = self.first_chunk_with_data
            while data := await reader.read(65536):
                if first:
                    await ws.send(b"\x00" + announced + data)
                    await ws.send(b"\x01" + announced)
                    first = False
                else:
                    await ws.send(b"\x00" + data)
            await ws.close()

        task = asyncio.create_task(down())
        try:
            async for msg in ws:
                assert msg[0] == 0
                writer.write(msg[1:])
                await writer.drain()
        finally:
            writer.close()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


async def tcp_server(handler):
    srv = await asyncio.start_server(handler, "127.0.0.1", 0)
    return srv, srv.sockets[0].getsockname()[1]


async def upper_echo(reader, writer):
    """Replies with the upper-cased request line, then closes (like an HTTP/1.0 server: the v4 channel protocol
    cannot pass a half-close on, so the server must not wait for EOF)."""
    data = await reader.readuntil(b"\n")
    writer.write(b"REPLY:" + data.upper())
    await writer.drain()
    writer.close()


async def roundtrip(port: int, payload: bytes) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(payload)
    await w.drain()
    try:
        out = await asyncio.wait_for(r.read(), 10)
    except ConnectionResetError:  # the relay closed without reading what we sent: the failure case
        out = b""
    w.close()
    return out


@pytest.mark.parametrize("first_chunk_with_data", [False, True])
async def test_relay_many_concurrent_connections(first_chunk_with_data):
    rt = FakeRuntime(first_chunk_with_data=first_chunk_with_data)
    await rt.start()
    srv, target = await tcp_server(upper_echo)
    fwd = PortForward(rt.url, target, 0, pod_name="web")
    try:
        await fwd.start()
        assert fwd.local_port > 0 and fwd.running
        assert fwd.describe() == f"127.0.0.1:{fwd.local_port} → web:{target}"
        payloads = [f"hello {i} ".encode() * (i * 500 + 1) + b"\n" for i in range(12)]
        replies = await asyncio.gather(*(roundtrip(fwd.local_port, p) for p in payloads))
        assert replies == [b"REPLY:" + p.upper() for p in payloads]
        assert fwd.connections_total == 12 and fwd.failures == 0 and fwd.last_error == ""
        assert fwd.bytes_out == sum(map(len, payloads))
        assert fwd.bytes_in == sum(len(p) + 6 for p in payloads)
        assert all(offer == ["v5.channel.k8s.io", "v4.channel.k8s.io"] for offer in rt.protocols_seen)
        for _ in range(50):
            if fwd.active == 0:
                break
            await asyncio.sleep(0.02)
        assert fwd.active == 0
    finally:
        await fwd.stop()
        srv.close()
        await rt.stop()
    assert not fwd.running
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", fwd.local_port)


async def test_error_channel_is_surfaced():
    rt = FakeRuntime()
    await rt.start()
    srv, closed_port = await tcp_server(upper_echo)
    srv.close()
    await srv.wait_closed()  # nothing listens there any more
    errors: list[str] = []
    fwd = PortForward(rt.url, closed_port, 0, on_error=errors.append)
    try:
        await fwd.start()
        out = await roundtrip(fwd.local_port, b"ping\n")
        assert out == b""
        for _ in range(100):
            if errors:
                break
            await asyncio.sleep(0.02)
        assert errors == [fwd.last_error]
        assert fwd.last_error.startswith(f"Port-forward to pod port {closed_port} failed: dial tcp4")
        assert "connection refused" in fwd.last_error and fwd.last_error.endswith(".")
    finally:
        await fwd.stop()
        await rt.stop()


async def test_wrong_port_and_url_failures():
    rt = FakeRuntime(wrong_port=True)
    await rt.start()
    srv, target = await tcp_server(upper_echo)
    fwd = PortForward(rt.url, target, 0)

    async def broken_url():
        raise RuntimeError("the runtime said no")

    fwd2 = PortForward(broken_url, target, 0)
    used = await rt.url()
    await rt.url()

    async def reused():
        return used

    fwd3 = PortForward(reused, target, 0)
    try:
        for f in (fwd, fwd2, fwd3):
            await f.start()
        assert await roundtrip(fwd.local_port, b"x\n") == b""
        assert await roundtrip(fwd2.local_port, b"x\n") == b""
        assert await roundtrip(fwd3.local_port, b"x\n") == b""  # token accepted once
        assert await roundtrip(fwd3.local_port, b"x\n") == b""  # then refused: burnt
        for _ in range(100):
            if fwd.failures and fwd2.failures and fwd3.failures:
                break
            await asyncio.sleep(0.02)
        assert fwd.last_error == f"The runtime answered for port {target + 1} instead of {target}."
        assert fwd2.last_error == f"Could not get a port-forward URL for port {target}: the runtime said no."
        assert "rejected" in fwd3.last_error and "HTTP 403" in fwd3.last_error
    finally:
        for f in (fwd, fwd2, fwd3):
            await f.stop()
        srv.close()
        await rt.stop()


async def test_listen_errors_and_validation_are_sentences():
    async def url():
        return "http://127.0.0.1:1/portforward/x"

    first = PortForward(url, 80, 0)
    await first.start()
    try:
        second = PortForward(url, 80, first.local_port)
        second.host = "127.0.0.1"
        # the same port again: address in use (reuse_address does not allow two listeners)
        with pytest.raises(PortForwardError, match=r"^Cannot listen on 127\.0\.0\.1:\d+ for the port-forward: .*\.$"):
            await second.start()
    finally:
        await first.stop()
    with pytest.raises(PortForwardError, match="pod port must be a number from 1 to 65535"):
        PortForward(url, 0)
    with pytest.raises(PortForwardError, match="local port must be a number"):
        PortForward(url, 80, 70000)
    assert port_url("http://h:1/portforward/t", 80) == "http://h:1/portforward/t?ports=80"
    assert port_url("http://h:1/portforward/t?a=b", 80) == "http://h:1/portforward/t?a=b&ports=80"


async def test_registry_lists_and_stops():
    async def url():
        return "http://127.0.0.1:1/portforward/x"

    reg = ForwardRegistry()
    a = await reg.add(PortForward(url, 80, 0))
    b = await reg.add(PortForward(url, 81, 0))
    assert reg.find(a.local_port) is a and reg.find(b.local_port) is b
    await reg.remove(a)
    assert reg.forwards == [b] and not a.running
    await reg.stop_all()
    assert reg.forwards == [] and not b.running


async def test_connection_closed_locally_does_not_linger():
    """A local client that sends and closes while the pod's server waits for more: the relay ends after eof_idle."""
    rt = FakeRuntime()
    await rt.start()
    got = asyncio.Event()

    async def silent(reader, writer):  # reads forever, never answers
        await reader.read(10)
        got.set()
        await asyncio.sleep(30)

    srv, target = await tcp_server(silent)
    fwd = PortForward(rt.url, target, 0, eof_idle=0.3)
    try:
        await fwd.start()
        r, w = await asyncio.open_connection("127.0.0.1", fwd.local_port)
        w.write(b"hello")
        await w.drain()
        await asyncio.wait_for(got.wait(), 5)
        w.close()
        for _ in range(100):
            if fwd.active == 0:
                break
            await asyncio.sleep(0.05)
        assert fwd.active == 0 and fwd.connections_total == 1 and fwd.bytes_out == 5
    finally:
        await fwd.stop()
        srv.close()
        await rt.stop()


async def test_stop_closes_active_connections(caplog):
    rt = FakeRuntime()
    await rt.start()
    got = asyncio.Event()

    async def silent(reader, writer):
        await reader.read(10)
        got.set()
        await asyncio.sleep(30)

    srv, target = await tcp_server(silent)
    fwd = PortForward(rt.url, target, 0, eof_idle=None)
    try:
        await fwd.start()
        r, w = await asyncio.open_connection("127.0.0.1", fwd.local_port)
        w.write(b"hi")
        await w.drain()
        await asyncio.wait_for(got.wait(), 5)
        assert fwd.active == 1
        await asyncio.wait_for(fwd.stop(), 5)
        assert fwd.active == 0
        assert await asyncio.wait_for(r.read(), 5) == b""  # the local client sees the end
        w.close()
    finally:
        await fwd.stop()
        srv.close()
        await rt.stop()
    await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
