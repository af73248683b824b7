"""End-to-end against the real containerd (the test bed), driven by Textual's Pilot: `l` on a running container
shows its log and new lines arrive while following; the previous attempt's log; `shift+f` forwards a local port
to a host-network pod's port; the CPU and memory columns show numbers that change; `:events` falls back to polling
on containerd 1.6."""

from __future__ import annotations

import asyncio
import re

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.model.stats import CONTAINER
from crit.ui.app import CritApp
from crit.ui.events import EventsScreen
from crit.ui.forwards import ForwardsScreen
from crit.ui.forwards.dialog import PortForwardDialog
from crit.ui.logs import LogScreen
from crit.ui.stats import StatsScreen
from tests.test_ui_logs import Opts, Workload, select_row, started, wait_for
from tests.ui_helpers import notifications, screen_text

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]

CPU = re.compile(r"^\d+(\.\d)?%$")
BYTES = re.compile(r"^\d+(\.\d+)?(B|kB|MB|GB)$")


async def test_logs_follow_live_on_containerd(containerd):
    script = 'i=0; while true; do echo "line $i [red]x[/red]"; echo "err $i" >&2; i=$((i+1)); sleep 1; done'
    async with Workload(containerd, "e2e-logs") as w:
        cid = await w.container("ticker", script)
        await w.wait_state(cid, pb.CONTAINER_RUNNING)
        client = CriClient(containerd.endpoint, timeout=10)
        app = CritApp(client, Opts(containerd.endpoint, refresh=1.0, stats_interval=5.0))
        async with app.run_test(size=(150, 40)) as pilot:
            await started(app, pilot)
            await select_row(app, pilot, "containers", cid)
            await pilot.press("l")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LogScreen)
            await asyncio.wait_for(screen.loaded.wait(), 15)
            assert screen.error is None, screen.error
            view = screen.view
            await wait_for(lambda: any(r.text.startswith("line ") for r in view.records), 10)
            first = max(int(r.text.split()[1]) for r in view.records if r.text.startswith("line "))
            # following: the next lines the container prints arrive on screen
            await wait_for(lambda: any(r.text == f"line {first + 2} [red]x[/red]" for r in view.records), 10)
            await pilot.pause()
            text = screen_text(app)
            assert f"line {first + 2} [red]x[/red]" in text  # literal, markup not interpreted
            assert screen.follow and view.at_end
            errs = [r for r in view.records if r.text.startswith("err ")]
            assert errs and all(r.is_stderr for r in errs)
            lines = [int(r.text.split()[1]) for r in view.records if r.text.startswith("line ")]
            assert lines == list(range(lines[0], lines[0] + len(lines)))  # none lost, none twice
            assert str(w.log_dir / "ticker" / "0.log") in text
            await pilot.press("escape")
        await client.close()


async def test_previous_attempt_on_containerd(containerd):
    async with Workload(containerd, "e2e-prev") as w:
        old = await w.container("app", "echo first-run; echo first-err >&2", attempt=0)
        await w.wait_state(old, pb.CONTAINER_EXITED)
        cur = await w.container("app", "echo second-run; sleep 60", attempt=1)
        await w.wait_state(cur, pb.CONTAINER_RUNNING)
        client = CriClient(containerd.endpoint, timeout=10)
        app = CritApp(client, Opts(containerd.endpoint, refresh=1.0))
        async with app.run_test(size=(150, 40)) as pilot:
            await started(app, pilot)
            await wait_for(lambda: old in app.model.containers.items)
            await select_row(app, pilot, "containers", cur)
            await pilot.press("l")
            await pilot.pause()
            screen = app.screen
            await asyncio.wait_for(screen.loaded.wait(), 15)
            await wait_for(lambda: any(r.text == "second-run" for r in screen.view.records), 10)
            await pilot.press("p")
            await wait_for(
                lambda: screen.previous and {r.text for r in screen.view.records} == {"first-run", "first-err"}, 10
            )
            assert screen.path == str(w.log_dir / "app" / "0.log")
        await client.close()


async def _reply_server():
    async def handle(reader, writer):
        try:
            line = await reader.readuntil(b"\n")
            writer.write(b"reply:" + line)
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
    finally:
        w.close()


async def test_port_forward_on_containerd(containerd):
    srv, port = await _reply_server()
    try:
        async with Workload(containerd, "e2e-pf") as w:
            client = CriClient(containerd.endpoint, timeout=10)
            app = CritApp(client, Opts(containerd.endpoint, refresh=1.0))
            async with app.run_test(size=(150, 40)) as pilot:
                await started(app, pilot)
                await select_row(app, pilot, "pods", w.pod_id)
                await pilot.press("shift+f")
                await pilot.pause()
                assert isinstance(app.screen, PortForwardDialog)
                await pilot.press(*str(port), "enter", "0", "enter")
                await wait_for(lambda: app.forwards.forwards, 10)
                fwd = app.forwards.forwards[0]
                replies = await asyncio.gather(*(_ask(fwd.local_port, f"hello {i}\n".encode()) for i in range(4)))
                assert sorted(replies) == [f"reply:hello {i}\n".encode() for i in range(4)]
                app.run_command("forwards")
                await wait_for(lambda: isinstance(app.screen, ForwardsScreen), 5)
                await wait_for(
                    lambda: (
                        f"127.0.0.1:{fwd.local_port}" in screen_text(app)
                        and str(app.screen.row(fwd)[5]) == f"{fwd.bytes_in}B"
                    ),
                    5,
                    what="the forward listed",
                )
                assert f"127.0.0.1:{fwd.local_port}" in screen_text(app)
                assert str(app.screen.row(fwd)[5]) == f"{fwd.bytes_in}B" and fwd.bytes_in == sum(map(len, replies))
                await pilot.press("x")
                await wait_for(lambda: not app.forwards.forwards, 5)
                assert not any("failed" in n for n in notifications(app))
            await client.close()
    finally:
        srv.close()


async def test_stats_columns_change_on_containerd(containerd):
    # some CPU, and memory that grows by ~100 kB every half second (up to a few MB)
    script = (
        's=""; n=0; while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; '
        'if [ $n -lt 40 ]; then s="$s$(head -c 100000 /dev/zero | tr "\\0" x)"; n=$((n+1)); fi; '
        "sleep 0.5; done"
    )
    async with Workload(containerd, "e2e-stats") as w:
        cid = await w.container("busy", script)
        await w.wait_state(cid, pb.CONTAINER_RUNNING)
        client = CriClient(containerd.endpoint, timeout=10)
        app = CritApp(client, Opts(containerd.endpoint, refresh=1.0, stats_interval=1.0))
        async with app.run_test(size=(180, 40)) as pilot:
            await started(app, pilot)
            table = app.main.panels["containers"].table
            seen: list[tuple[str, str, str]] = []

            def sample() -> bool:
                row = table.rows.get(cid)
                if row is not None:
                    cells = tuple(str(c) for c in row.cells[-3:])
                    if CPU.match(cells[0]) and (not seen or seen[-1] != cells):
                        seen.append(cells)
                return len({c[0] for c in seen}) >= 2 and len({c[1] for c in seen}) >= 2

            await wait_for(sample, 30, step=0.2)
            assert all(BYTES.match(mem) for _, mem, _ in seen), seen
            assert any(float(c[:-1]) > 0 for c, _, _ in seen), seen
            pods = app.main.panels["pods"].table
            await wait_for(
                lambda: (
                    w.pod_id in pods.rows
                    and CPU.match(str(pods.rows[w.pod_id].cells[-3]))
                    and BYTES.match(str(pods.rows[w.pod_id].cells[-2]))
                ),
                15,
            )
            await select_row(app, pilot, "containers", cid)
            await pilot.press("m")
            await pilot.pause()
            assert isinstance(app.screen, StatsScreen)
            await wait_for(lambda: len(app.stats.tracker.history(CONTAINER, cid)) >= 3, 15)
            await wait_for(lambda: re.search(r"[▁▂▃▄▅▆▇█]{3,}", screen_text(app)), 10, what="the sparklines drawn")
            assert re.search(r"[▁▂▃▄▅▆▇█]{3,}", screen_text(app))
        await client.close()


async def test_events_fall_back_to_polling_on_containerd_16(containerd):
    if not str(containerd.version.get("runtime_version", "")).startswith("1.6"):
        pytest.skip("only containerd 1.6 lacks GetContainerEvents")
    async with Workload(containerd, "e2e-ev") as w:
        client = CriClient(containerd.endpoint, timeout=10)
        app = CritApp(client, Opts(containerd.endpoint, refresh=0.5))
        async with app.run_test(size=(160, 40)) as pilot:
            await started(app, pilot)
            app.run_command("events")
            await wait_for(lambda: isinstance(app.screen, EventsScreen) and app.screen.mode == "poll", 10)
            screen = app.screen
            cid = await w.container("short", "sleep 1")
            await wait_for(lambda: [e.kind for e in screen.events if e.obj_id == cid][:2] == ["created", "started"], 15)
            await wait_for(lambda: "stopped" in [e.kind for e in screen.events if e.obj_id == cid], 15)
            await w.client.remove_container(cid)
            await wait_for(lambda: "deleted" in [e.kind for e in screen.events if e.obj_id == cid], 15)
            assert all(e.pod == w.name and e.container == "short" for e in screen.events if e.obj_id == cid)
            await pilot.pause()
            assert "does not stream container events" in screen_text(app)
        await client.close()
