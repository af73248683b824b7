"""Kubernetes WebSocket channel protocol client (exec / attach), plus a small framing API.

The URL comes from the CRI ``Exec``/``Attach`` RPCs (``http://HOST:PORT/exec/TOKEN``). We open it as a WebSocket,
offering ``v5.channel.k8s.io`` and ``v4.channel.k8s.io`` in one handshake (containerd 1.6 only takes v4, newer
runtimes take v5). Every binary message is ``channel byte + payload`` (the channel numbers and protocol names
are defined in :mod:`crit.stream.protocol`, shared with the embedded node's streaming server).

The token in the URL is single-use: a failed handshake burns it, so callers must ask the runtime for a new URL
before retrying.  Everything here raises :class:`StreamError` whose ``str()`` is one readable sentence.

Reusable pieces for other channel users (port-forward): :func:`open_channel_socket`, :func:`encode_frame`,
:func:`decode_frame` and :func:`websocket_url`.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from crit.cri.duration import format_duration
from crit.errors import CritError
from crit.stream.protocol import CLOSE, PROTOCOLS, RESIZE, STATUS, STDERR, STDIN, STDOUT, V4, V5

__all__ = [
    "V5",
    "V4",
    "PROTOCOLS",
    "STDIN",
    "STDOUT",
    "STDERR",
    "STATUS",
    "RESIZE",
    "CLOSE",
    "StreamError",
    "ExecStream",
    "encode_frame",
    "decode_frame",
    "websocket_url",
    "open_channel_socket",
    "parse_status",
]

#: Largest message accepted from the server (the runtime sends at most a few tens of KB per message).
MAX_MESSAGE = 64 * 1024 * 1024


class StreamError(CritError):
    """A streaming failure; ``str()`` is one sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- framing ---------------------------------------------------------------------------------------------------


def encode_frame(channel: int, payload: bytes = b"") -> bytes:
    """One binary message: the channel byte followed by the payload."""
    return bytes((channel,)) + payload


def decode_frame(message: bytes | str) -> tuple[int, bytes]:
    """Split a received message into ``(channel, payload)``; an empty message is channel -1."""
    if isinstance(message, str):  # base64 protocols are not offered; be lenient with text frames anyway
        message = message.encode("utf-8", "surrogateescape")
    if not message:
        return -1, b""
    return message[0], message[1:]


def websocket_url(url: str) -> str:
    """``http://`` → ``ws://``, ``https://`` → ``wss://`` (ws/wss kept); anything else is a StreamError."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise StreamError(f"the streaming URL {url!r} is not valid ({exc})") from None
    scheme = parts.scheme.lower()
    mapped = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(scheme)
    if mapped is None or not parts.netloc:
        raise StreamError(f"the streaming URL {url!r} is not an http(s) URL")
    return urlunsplit((mapped, parts.netloc, parts.path, parts.query, parts.fragment))


def _ssl_context(insecure: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_channel_socket(
    url: str,
    *,
    protocols: Sequence[str] = PROTOCOLS,
    insecure: bool = False,
    timeout: float | None = 10.0,
    what: str = "streaming",
) -> ClientConnection:
    """Open the runtime's streaming URL as a WebSocket speaking one of ``protocols``.

    Returns the connected ``websockets`` connection (``.subprotocol`` says which protocol won). Every failure is a
    :class:`StreamError` with one sentence. ``what`` names the feature in messages ("exec", "port-forward", …).
    """
    wsurl = websocket_url(url)
    host = urlsplit(wsurl).netloc
    kwargs: dict[str, Any] = dict(
        subprotocols=list(protocols),
        open_timeout=timeout,
        max_size=MAX_MESSAGE,
        compression=None,
        ping_interval=None,
        close_timeout=2,
        proxy=None,
        max_queue=64,
    )
    if wsurl.startswith("wss:"):
        kwargs["ssl"] = _ssl_context(insecure)
    try:
        ws = await connect(wsurl, **kwargs)
    except InvalidStatus as exc:
        code = exc.response.status_code
        if code in (401, 403, 404):
            raise StreamError(
                f"the {what} URL was rejected (token used or expired, HTTP {code}); ask the runtime for a new one"
            ) from None
        raise StreamError(f"the {what} server refused the connection (HTTP {code})") from None
    except InvalidURI:
        raise StreamError(f"the {what} URL {url!r} is not valid") from None
    except ssl.SSLCertVerificationError as exc:
        raise StreamError(
            f"the {what} server's TLS certificate could not be verified ({exc.verify_message}); "
            "use --stream-insecure to skip verification"
        ) from None
    except TimeoutError:
        raise StreamError(
            f"the {what} server at {host} did not answer within {format_duration(timeout or 0.0)}"
        ) from None
    except InvalidHandshake as exc:
        raise StreamError(f"the {what} handshake with {host} failed ({exc})") from None
    except ssl.SSLError as exc:
        raise StreamError(f"the TLS connection to the {what} server at {host} failed ({exc.reason or exc})") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise StreamError(f"could not connect to the {what} server at {host} ({reason})") from None
    if ws.subprotocol not in protocols:
        await ws.close()
        raise StreamError(f"the {what} server at {host} accepted none of the channel protocols {', '.join(protocols)}")
    return ws


# --- status ----------------------------------------------------------------------------------------------------


def parse_status(payload: bytes) -> tuple[int | None, str | None]:
    """Parse the channel-3 status JSON into ``(exit_code, failure_message)``.

    ``Success`` → ``(0, None)``; ``Failure`` with an ``ExitCode`` cause → ``(code, None)``; any other failure →
    ``(None, message)``. The message comes from the runtime: it is untrusted text, sanitise before display.
    """
    try:
        status = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        return None, "the runtime sent an unreadable status message"
    if not isinstance(status, dict):
        return None, "the runtime sent an unreadable status message"
    if status.get("status") == "Success":
        return 0, None
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    for cause in causes if isinstance(causes, list) else []:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(str(cause.get("message", "")).strip()), None
            except ValueError:
                break
    message = status.get("message")
    if not isinstance(message, str) or not message:
        message = str(status.get("reason") or "the command failed")
    return None, message


# --- exec / attach ---------------------------------------------------------------------------------------------


class ExecStream:
    """A connected exec/attach stream.

    Use :meth:`connect`, then read output with ``async for chunk in stream`` (stdout and stderr bytes, merged) or
    :meth:`read` / :meth:`read_channel`; write with :meth:`send`, :meth:`resize`, :meth:`close_stdin`. After the
    output ends, :attr:`exit_code` (``int`` or ``None``) and :attr:`failure` (a message or ``None``) tell how the
    process ended; :attr:`status` holds the raw status dict.
    """

    def __init__(self, ws: ClientConnection, *, tty: bool, idle_timeout: float | None = None, what: str = "exec"):
        self._ws = ws
        self.tty = tty
        self.protocol: str = ws.subprotocol or V4
        self.idle_timeout = idle_timeout
        self.what = what
        self.exit_code: int | None = None
        self.failure: str | None = None
        self.status: dict[str, Any] | None = None
        self.finished = False
        self.stdin_closed = False
        self.size: tuple[int, int] | None = None

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        tty: bool = True,
        insecure: bool = False,
        timeout: float | None = 10.0,
        idle_timeout: float | None = None,
        protocols: Sequence[str] = PROTOCOLS,
        size: tuple[int, int] | None = None,
        what: str = "exec",
    ) -> ExecStream:
        """Open ``url`` (from Exec/Attach). ``size=(cols, rows)`` sends the first resize right after the handshake."""
        ws = await open_channel_socket(url, protocols=protocols, insecure=insecure, timeout=timeout, what=what)
        stream = cls(ws, tty=tty, idle_timeout=idle_timeout, what=what)
        if size is not None:
            await stream.resize(*size)
        return stream

    # -- writing --
    async def _send_frame(self, channel: int, payload: bytes) -> None:
        try:
            await self._ws.send(encode_frame(channel, payload))
        except ConnectionClosed:
            raise StreamError(f"the {self.what} session has ended; input can no longer be sent") from None

    async def send(self, data: bytes | str) -> None:
        """Write to the process's stdin."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.stdin_closed:
            raise StreamError("stdin of this session is already closed")
        if data:
            await self._send_frame(STDIN, data)

    async def resize(self, cols: int, rows: int) -> None:
        """Tell the runtime the terminal size (``cols`` × ``rows``)."""
        cols, rows = max(1, int(cols)), max(1, int(rows))
        self.size = (cols, rows)
        await self._send_frame(RESIZE, json.dumps({"Width": cols, "Height": rows}).encode())

    async def close_stdin(self) -> bool:
        """Half-close stdin (v5 only). Returns False when the server speaks v4, which cannot half-close."""
        if self.stdin_closed:
            return True
        if self.protocol != V5:
            return False
        await self._send_frame(CLOSE, bytes((STDIN,)))
        self.stdin_closed = True
        return True

    # -- reading --
    async def read_channel(self) -> tuple[int, bytes] | None:
        """Next ``(channel, payload)`` with output (1 or 2), or ``None`` when the stream has ended."""
        ws = self._ws
        while not self.finished:
            try:
                if self.idle_timeout:
                    message = await asyncio.wait_for(ws.recv(), self.idle_timeout)
                else:
                    message = await ws.recv()
            except TimeoutError:
                await self.close()
                raise StreamError(
                    f"the {self.what} stream was idle for {format_duration(self.idle_timeout or 0.0)} and was closed"
                ) from None
            except ConnectionClosedOK:
                self.finished = True
                break
            except ConnectionClosed as exc:
                self.finished = True
                if self.status is None:
                    code = exc.rcvd.code if exc.rcvd else None
                    raise StreamError(
                        f"the {self.what} connection was lost" + (f" (close code {code})" if code is not None else "")
                    ) from None
                break
            channel, payload = decode_frame(message)
            if channel in (STDOUT, STDERR):
                if payload:
                    return channel, payload
            elif channel == STATUS:
                if payload:
                    self._set_status(payload)
            # empty hello messages and unknown channels are skipped
        return None

    def _set_status(self, payload: bytes) -> None:
        try:
            raw = json.loads(payload.decode("utf-8", "replace"))
            self.status = raw if isinstance(raw, dict) else {"raw": raw}
        except ValueError:
            self.status = {"raw": payload.decode("utf-8", "replace")}
        self.exit_code, self.failure = parse_status(payload)

    async def read(self) -> bytes | None:
        """Next output chunk (stdout or stderr bytes), ``None`` at the end."""
        item = await self.read_channel()
        return None if item is None else item[1]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self.read()
            if chunk is None:
                return
            yield chunk

    @property
    def closed(self) -> bool:
        return self.finished or self._ws.close_code is not None

    async def close(self) -> None:
        """Close the connection cleanly (code 1000); safe to call more than once."""
        self.finished = True
        try:
            await self._ws.close()
        except Exception:  # noqa: BLE001 - closing a broken socket may fail in any way; the stream is over either way
            pass

    async def __aenter__(self) -> ExecStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def describe_end(self) -> str:
        """``exited with code N`` / ``failed: message`` / ``ended`` — for the ``[...]`` line shown at the end."""
        if self.exit_code is not None:
            return f"exited with code {self.exit_code}"
        if self.failure:
            return f"failed: {self.failure}"
        return "ended"
