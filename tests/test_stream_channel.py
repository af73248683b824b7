"""The channel-protocol client (crit.stream.channel) against local WebSocket servers written here."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
from http import HTTPStatus

import pytest
from websockets.asyncio.server import serve

from crit.stream.channel import (
    V4,
    V5,
    ExecStream,
    StreamError,
    decode_frame,
    encode_frame,
    open_channel_socket,
    parse_status,
    websocket_url,
)
from tests.bed.ptyserver import PtyExecServer

SUCCESS = b'\x03{"metadata":{},"status":"Success"}'
EXIT3 = (
    b'\x03{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: '
    b'error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode",'
    b'"details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'
)
NOTFOUND = (
    b'\x03{"metadata":{},"status":"Failure","message":"failed to exec in container: starting container '
    b'process caused: exec: \\"nope\\": executable file not found in $PATH: unknown"}'
)


class Server:
    """A scripted channel-protocol server: ``script(ws)`` runs per connection; records what the client sent."""

    def __init__(self, script, protocols=(V5, V4), reject: int | None = None):
        self.script = script
        self.protocols = list(protocols)
        self.reject = reject
        self.received: list[bytes] = []
        self.offered: list[str] = []
        self.close_codes: list[int | None] = []
        self.negotiated: list[str | None] = []

    def _check(self, connection, request):
        self.offered = [p.strip() for h in request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",")]
        if self.reject:
            return connection.respond(HTTPStatus(self.reject), "no\n")
        if not any(p in self.protocols for p in self.offered):
            return connection.respond(HTTPStatus.FORBIDDEN, "no protocol\n")
        return None

    async def _handler(self, ws):
        self.negotiated.append(ws.subprotocol)

        async def collect():
            try:
                async for message in ws:
                    self.received.append(message)
            except Exception:
                pass

        task = asyncio.create_task(collect())
        try:
            await self.script(ws)
        finally:
            try:
                await asyncio.wait_for(ws.wait_closed(), 2)
            except TimeoutError:
                pass
            self.close_codes.append(ws.close_code)
            task.cancel()

    async def __aenter__(self):
        self._srv = await serve(
            self._handler, "127.0.0.1", 0, subprotocols=self.protocols, process_request=self._check, max_size=None
        )
        port = self._srv.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/exec/token"
        return self

    async def __aexit__(self, *exc):
        self._srv.close()
        await self._srv.wait_closed()


async def run_then_status(ws, status=SUCCESS, before=(b"\x01", b"\x02")):
    for frame in before:
        await ws.send(frame)
    await ws.send(status)
    await ws.close()


# --- pure functions --------------------------------------------------------------------------------------------


def test_framing_functions():
    assert encode_frame(0, b"ls\r") == b"\x00ls\r"
    assert encode_frame(4, b"{}") == b"\x04{}"
    assert decode_frame(b"\x01hello") == (1, b"hello")
    assert decode_frame(b"\x03") == (3, b"")
    assert decode_frame(b"") == (-1, b"")


def test_websocket_url():
    assert websocket_url("http://127.0.0.1:1234/exec/abc") == "ws://127.0.0.1:1234/exec/abc"
    assert websocket_url("https://node:10250/attach/x?y=1") == "wss://node:10250/attach/x?y=1"
    assert websocket_url("ws://h:1/p") == "ws://h:1/p"
    with pytest.raises(StreamError, match="not an http"):
        websocket_url("ftp://h/x")
    with pytest.raises(StreamError):
        websocket_url("/exec/abc")


@pytest.mark.parametrize(
    "payload,expected",
    [
        (SUCCESS[1:], (0, None)),
        (EXIT3[1:], (3, None)),
        (
            b'{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"137"}]}}',
            (137, None),
        ),
        (
            NOTFOUND[1:],
            (
                None,
                'failed to exec in container: starting container process caused: exec: "nope": '
                "executable file not found in $PATH: unknown",
            ),
        ),
        (b'{"status":"Failure","reason":"InternalError"}', (None, "InternalError")),
        (b"not json", (None, "the runtime sent an unreadable status message")),
        (b"[1,2]", (None, "the runtime sent an unreadable status message")),
    ],
)
def test_parse_status(payload, expected):
    assert parse_status(payload) == expected


# --- negotiation and handshake errors ---------------------------------------------------------------------------


async def test_offers_v5_and_v4_in_one_handshake_and_takes_v5():
    async with Server(run_then_status) as srv:
        stream = await ExecStream.connect(srv.url)
        assert stream.protocol == V5
        assert srv.offered[:2] == [V5, V4]
        assert [c async for c in stream] == []
        assert stream.exit_code == 0


async def test_falls_back_to_v4_like_containerd_1_6():
    async with Server(run_then_status, protocols=[V4]) as srv:
        stream = await ExecStream.connect(srv.url)
        assert stream.protocol == V4
        assert srv.negotiated == [V4]
        await stream.close()


async def test_server_without_common_protocol_is_403_and_one_sentence():
    async with Server(run_then_status, protocols=["v3.channel.k8s.io"]) as srv:
        with pytest.raises(StreamError) as err:
            await ExecStream.connect(srv.url)
        assert "rejected (token used or expired" in str(err.value)
        assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "code,needle",
    [
        (403, "rejected (token used or expired"),
        (404, "rejected (token used or expired"),
        (500, "refused the connection (HTTP 500)"),
    ],
)
async def test_handshake_http_errors(code, needle):
    async with Server(run_then_status, reject=code) as srv:
        with pytest.raises(StreamError, match=None) as err:
            await ExecStream.connect(srv.url)
        assert needle in str(err.value)


async def test_connection_refused_is_one_sentence():
    with pytest.raises(StreamError) as err:
        await ExecStream.connect("http://127.0.0.1:9/exec/x", timeout=3)
    assert str(err.value).startswith("could not connect to the exec server at 127.0.0.1:9")


async def test_connect_timeout():
    async def silent(reader, writer):
        await asyncio.sleep(10)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(StreamError) as err:
            await ExecStream.connect(f"http://127.0.0.1:{port}/exec/x", timeout=0.5)
        assert "did not answer within 500ms" in str(err.value)
    finally:
        server.close()


# --- framing in a session ----------------------------------------------------------------------------------------


async def test_output_channels_stdin_resize_and_status():
    got_input = asyncio.Event()

    async def script(ws):
        await ws.send(b"\x01")  # empty hello messages are skipped
        await ws.send(b"\x02")
        await ws.send(b"\x01hello ")
        await ws.send(b"\x02warn ")
        await asyncio.sleep(0.2)
        await ws.send(b"\x01world")
        await ws.send(EXIT3)
        await ws.close()
        got_input.set()

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url, tty=False, size=(100, 30))
        await stream.send(b"ls -l\r")
        await stream.send("é")
        await stream.resize(120, 40)
        chunks = []
        while (item := await stream.read_channel()) is not None:
            chunks.append(item)
        assert chunks == [(1, b"hello "), (2, b"warn "), (1, b"world")]
        assert stream.exit_code == 3 and stream.failure is None
        assert stream.status["reason"] == "NonZeroExitCode"
        assert stream.describe_end() == "exited with code 3"
        await got_input.wait()
    assert srv.received[0] == b"\x04" + json.dumps({"Width": 100, "Height": 30}).encode()
    assert srv.received[1] == b"\x00ls -l\r"
    assert srv.received[2] == b"\x00" + "é".encode()
    assert json.loads(srv.received[3][1:]) == {"Width": 120, "Height": 40} and srv.received[3][0] == 4


async def test_other_failure_has_a_message_and_no_exit_code():
    async with Server(lambda ws: run_then_status(ws, NOTFOUND)) as srv:
        stream = await ExecStream.connect(srv.url)
        assert await stream.read() is None
        assert stream.exit_code is None
        assert "executable file not found" in stream.failure
        assert stream.describe_end().startswith("failed: failed to exec in container")


async def test_half_close_stdin_on_v5():
    done = asyncio.Event()

    async def script(ws):
        await done.wait()
        await run_then_status(ws)

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url)
        await stream.send(b"data")
        assert await stream.close_stdin() is True
        with pytest.raises(StreamError, match="stdin of this session is already closed"):
            await stream.send(b"more")
        await asyncio.sleep(0.2)
        done.set()
        assert await stream.read() is None
    assert srv.received == [b"\x00data", b"\xff\x00"]


async def test_half_close_is_refused_on_v4():
    done = asyncio.Event()

    async def script(ws):
        await done.wait()
        await run_then_status(ws)

    async with Server(script, protocols=[V4]) as srv:
        stream = await ExecStream.connect(srv.url)
        assert await stream.close_stdin() is False
        await asyncio.sleep(0.1)
        done.set()
        assert await stream.read() is None
    assert srv.received == []


async def test_client_close_is_clean():
    async def script(ws):
        await ws.send(b"\x01")
        await ws.wait_closed()

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url)
        await stream.close()
        await stream.close()  # twice is fine
        assert stream.closed
        for _ in range(50):
            if srv.close_codes:
                break
            await asyncio.sleep(0.05)
    assert srv.close_codes == [1000]


async def test_connection_lost_without_status_is_an_error():
    async def script(ws):
        await ws.send(b"\x01partial")
        ws.transport.abort()

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url)
        assert await stream.read() == b"partial"
        with pytest.raises(StreamError, match="connection was lost"):
            await stream.read()


async def test_idle_timeout():
    async def script(ws):
        await ws.send(b"\x01")
        await asyncio.sleep(3)

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url, idle_timeout=0.3)
        with pytest.raises(StreamError, match="idle for 300ms"):
            await stream.read()


async def test_large_messages_are_accepted():
    big = os.urandom(4 * 1024 * 1024)

    async def script(ws):
        await ws.send(b"\x01" + big)
        await run_then_status(ws, before=())

    async with Server(script) as srv:
        stream = await ExecStream.connect(srv.url)
        data = b"".join([c async for c in stream])
        assert data == big


async def test_open_channel_socket_is_reusable_for_port_forward_style_protocols():
    async def script(ws):
        await ws.send(b"\x00\x99\x1f")
        await ws.send(b"\x01\x99\x1f")
        await ws.close()

    async with Server(script, protocols=[V4]) as srv:
        ws = await open_channel_socket(srv.url + "?ports=8089", protocols=[V4], what="port-forward")
        assert ws.subprotocol == V4
        assert [decode_frame(await ws.recv()) for _ in range(2)] == [(0, b"\x99\x1f"), (1, b"\x99\x1f")]
        await ws.close()


# --- TLS -------------------------------------------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is missing")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def test_https_url_uses_wss_and_verifies_certificates(self_signed):
    async def handler(ws):
        await ws.send(SUCCESS)
        await ws.close()

    async with serve(handler, "127.0.0.1", 0, subprotocols=[V5, V4], ssl=self_signed) as srv:
        port = srv.sockets[0].getsockname()[1]
        with pytest.raises(StreamError) as err:
            await ExecStream.connect(f"https://127.0.0.1:{port}/exec/x")
        assert "certificate could not be verified" in str(err.value)
        assert "--stream-insecure" in str(err.value)
        stream = await ExecStream.connect(f"https://127.0.0.1:{port}/exec/x", insecure=True)
        assert await stream.read() is None
        assert stream.exit_code == 0


# --- against real processes (the local PTY exec server) ------------------------------------------------------------


async def test_pty_server_round_trip_exit_code_and_size():
    async with PtyExecServer() as srv:
        stream = await ExecStream.connect(srv.exec_url(["sh", "-c", "sleep 0.3; stty size; exit 3"]), size=(77, 21))
        out = b"".join([c async for c in stream])
        assert out.split() == [b"21", b"77"]
        assert stream.exit_code == 3


async def test_pty_server_without_tty_keeps_stderr_apart():
    async with PtyExecServer() as srv:
        stream = await ExecStream.connect(srv.exec_url(["sh", "-c", "echo out; echo err >&2"], tty=False), tty=False)
        items = []
        while (item := await stream.read_channel()) is not None:
            items.append(item)
        assert (1, b"out\n") in items and (2, b"err\n") in items
        assert stream.exit_code == 0


async def test_pty_server_tokens_are_single_use():
    async with PtyExecServer() as srv:
        url = srv.exec_url(["true"])
        stream = await ExecStream.connect(url)
        assert [c async for c in stream] == [] and stream.exit_code == 0
        with pytest.raises(StreamError, match="token used or expired"):
            await ExecStream.connect(url)
