"""Pilot tests of shift+f port-forward and `:forwards` against the embedded CRI node (its pods share this host's
network, so a server on 127.0.0.1:N here is the pod's port N)."""

from __future__ import annotations

import asyncio

import pytest

from crit.cri.client import CriClient
from crit.ui.app import CritApp
from crit.ui.forwards import ForwardsScreen
from crit.ui.forwards.dialog import PortForwardDialog
from tests.test_ui_logs import Opts, Workload, select_row, started, wait_for
from tests.ui_helpers import notifications, screen_text

pytestmark = [pytest.mark.timeout(120)]


async def reply_server():
    async def handle(reader, writer):
        try:
            line = await reader.readuntil(b"\n")
            await asyncio.sleep(0.2)  # connections overlap
            writer.write(b"pong:" + line)
            await writer.drain()
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    return srv, srv.sockets[0].getsockname()[1]


async def ask(port: int, data: bytes) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(data)
    await w.drain()
    try:
        return await asyncio.wait_for(r.read(), 15)
    except ConnectionResetError:
        return b""
    finally:
        w.close()


async def start_forward_via_keys(app, pilot, pod_id: str, pod_port: int, local: str = "0"):
    n = len(app.forwards.forwards)
    await select_row(app, pilot, "pods", pod_id)
    await pilot.press("shift+f")
    await pilot.pause()
    assert isinstance(app.screen, PortForwardDialog)
    await pilot.press(*str(pod_port), "enter")  # enter moves on to the local port
    await pilot.press(*local, "enter")
    await wait_for(lambda: len(app.forwards.forwards) > n, 5)
    return app.forwards.forwards[-1]


async def test_port_forward_keys_and_forwards_view(node):
    srv, port = await reply_server()
    async with Workload(node, "pf") as w:
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        try:
            async with app.run_test(size=(160, 40)) as pilot:
                await started(app, pilot)
                # a bad port in the dialog: one sentence, the dialog stays
                await select_row(app, pilot, "pods", w.pod_id)
                await pilot.press("F")
                await pilot.pause()
                assert isinstance(app.screen, PortForwardDialog)
                await pilot.press(*"99999", "enter", "enter")
                await pilot.pause()
                assert isinstance(app.screen, PortForwardDialog)
                assert "The pod port must be a number from 1 to 65535, not 99999." in screen_text(app)
                await pilot.press("escape")
                await pilot.pause()

                fwd = await start_forward_via_keys(app, pilot, w.pod_id, port)
                assert fwd.host == "127.0.0.1" and fwd.remote_port == port and fwd.local_port > 0
                await wait_for(lambda: any("Forwarding 127.0.0.1:" in n for n in notifications(app)), 5)

                # many concurrent connections, each through its own streaming URL
                replies = await asyncio.gather(*(ask(fwd.local_port, f"ping {i}\n".encode()) for i in range(8)))
                assert sorted(replies) == sorted(f"pong:ping {i}\n".encode() for i in range(8))
                assert fwd.connections_total == 8 and fwd.failures == 0
                assert fwd.bytes_in == sum(len(r) for r in replies)

                # :forwards lists it with byte counts
                app.run_command("forwards")
                await wait_for(lambda: isinstance(app.screen, ForwardsScreen), 5)
                await wait_for(
                    lambda: f"127.0.0.1:{fwd.local_port}" in screen_text(app) and str(app.screen.row(fwd)[4]) == "8",
                    5,
                    what="the forward listed",
                )
                text = screen_text(app)
                assert f"127.0.0.1:{fwd.local_port}" in text and w.name in text and str(port) in text
                row = app.screen.row(fwd)
                assert str(row[4]) == "8" and str(row[5]) == f"{fwd.bytes_in}B" and str(row[6]) == f"{fwd.bytes_out}B"

                # the error channel's message is shown when nothing listens on the pod port
                srv.close()
                await srv.wait_closed()
                assert await ask(fwd.local_port, b"ping\n") == b""
                await wait_for(
                    lambda: any(f"Port-forward to pod port {port} failed" in n for n in notifications(app)), 10
                )
                table = app.screen.query_one("#fw-table")
                key = app.screen.key(fwd)
                await wait_for(
                    lambda: str(table.get_cell(key, table.ordered_columns[7].key)) == "1",
                    5,
                    what="the failure counted in the table",
                )
                assert str(table.get_cell(key, table.ordered_columns[7].key)) == "1"  # FAILED
                assert "connect" in str(table.get_cell(key, table.ordered_columns[8].key))  # LAST ERROR
                assert fwd.failures == 1

                # x stops it: the local port is closed and the list is empty
                await pilot.press("x")
                await wait_for(lambda: not app.forwards.forwards, 5)
                with pytest.raises(OSError):
                    await asyncio.open_connection("127.0.0.1", fwd.local_port)
                await pilot.pause()
                assert "No active port-forwards" in screen_text(app)
                await pilot.press("escape")

                # a forward left running is stopped when crit exits
                srv2, port2 = await reply_server()
                try:
                    fwd2 = await start_forward_via_keys(app, pilot, w.pod_id, port2)
                    assert await ask(fwd2.local_port, b"hi\n") == b"pong:hi\n"
                finally:
                    srv2.close()
            with pytest.raises(OSError):
                await asyncio.open_connection("127.0.0.1", fwd2.local_port)
        finally:
            srv.close()
            await client.close()


async def test_port_forward_local_port_in_use(node):
    blocker = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    taken = blocker.sockets[0].getsockname()[1]
    async with Workload(node, "pfbusy") as w:
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        try:
            async with app.run_test(size=(160, 40)) as pilot:
                await started(app, pilot)
                await select_row(app, pilot, "pods", w.pod_id)
                await pilot.press("shift+f")
                await pilot.pause()
                await pilot.press(*"8080", "enter", *str(taken), "enter")
                await wait_for(lambda: any(f"Cannot listen on 127.0.0.1:{taken}" in n for n in notifications(app)), 5)
                assert not app.forwards.forwards
        finally:
            blocker.close()
            await client.close()


async def test_port_forward_hidden_when_readonly(node):
    async with Workload(node, "pfro") as w:
        client = CriClient(node.endpoint, timeout=10, readonly=True)
        opts = Opts(node.endpoint)
        opts.readonly = True
        app = CritApp(client, opts)
        async with app.run_test(size=(160, 40)) as pilot:
            await started(app, pilot)
            await select_row(app, pilot, "pods", w.pod_id)
            assert "Port-fwd" not in screen_text(app)
            await pilot.press("shift+f")
            await pilot.press("F")
            await pilot.pause()
            assert app.screen is app.main and not app.forwards.forwards
            # logs and stats stay available
            await pilot.press("m")
            await pilot.pause()
            assert type(app.screen).__name__ == "StatsScreen"
        await client.close()
