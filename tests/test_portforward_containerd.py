"""End-to-end port-forward through real containerd: a host-network pod, a TCP server on 127.0.0.1:N here
(the pod shares the host's network namespace), a local client through crit's forward gets the server's reply."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from crit.cri.client import CriClient
from crit.stream.portforward import PortForward
from tests.bed import specs

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(120)]


async def _reply_server():
    async def handle(reader, writer):
        try:
            line = await reader.readuntil(b"\n")
            writer.write(b"pong:" + line)
            await writer.drain()
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    return srv, srv.sockets[0].getsockname()[1]


async def _ask(port: int, data: bytes) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(data)
    await w.drain()
    try:
        return await asyncio.wait_for(r.read(), 20)
    except ConnectionResetError:
        return b""
    finally:
        w.close()


async def test_port_forward_to_host_network_pod(containerd):
    name = f"pf-{uuid.uuid4().hex[:8]}"
    cfg = specs.pod_config(name, namespace="crit-pf", log_dir=containerd.log_dir / name)
    srv, port = await _reply_server()
    async with CriClient(containerd.endpoint, timeout=20) as client:
        pod_id = await client.run_pod_sandbox(cfg)
        urls: list[str] = []

        async def fresh_url() -> str:
            url = await client.port_forward(pod_id, [port])
            urls.append(url)
            return url

        errors: list[str] = []
        fwd = PortForward(fresh_url, port, 0, pod_id=pod_id, pod_name=name, on_error=errors.append)
        try:
            await fwd.start()
            replies = await asyncio.gather(*(_ask(fwd.local_port, f"ping {i}\n".encode()) for i in range(5)))
            assert sorted(replies) == [f"pong:ping {i}\n".encode() for i in range(5)], errors
            assert fwd.connections_total == 5 and len(set(urls)) == 5  # a fresh single-use URL per connection
            assert fwd.bytes_in == sum(len(r) for r in replies) and fwd.bytes_out == sum(
                len(f"ping {i}\n") for i in range(5)
            )
            assert errors == [] and fwd.failures == 0

            # nothing listens on the pod port any more: the error channel's text is surfaced as one sentence
            srv.close()
            await srv.wait_closed()
            out = await _ask(fwd.local_port, b"ping\n")
            assert out == b""
            for _ in range(100):
                if errors:
                    break
                await asyncio.sleep(0.05)
            assert errors, "no error surfaced from the error channel"
            msg = errors[-1]
            assert msg.startswith(f"Port-forward to pod port {port} failed:") and str(port) in msg[40:]
            assert "\n" not in msg and msg.endswith(".")
        finally:
            await fwd.stop()
            srv.close()
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)
