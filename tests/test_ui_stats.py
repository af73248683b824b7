"""Pilot tests of the CPU / MEM / FS columns and the statistics detail view against the embedded CRI node."""

from __future__ import annotations

import asyncio
import re

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.model.stats import CONTAINER, POD
from crit.render.rows import CONTAINER_COLUMNS, POD_COLUMNS
from crit.ui.app import CritApp
from crit.ui.stats import StatsScreen
from tests.test_ui_logs import Opts, Workload, select_row, started, wait_for
from tests.ui_helpers import screen_text

pytestmark = [pytest.mark.timeout(120)]

CPU = re.compile(r"^\d+(\.\d)?%$")
BYTES = re.compile(r"^\d+(\.\d+)?(B|kB|MB|GB)$")


def usage(app, kind: str, key: str) -> tuple[str, str, str]:
    row = app.main.panels[kind].table.rows[key]
    return tuple(str(c) for c in row.cells[-3:])


async def test_stats_columns_fill_and_detail_view(node):
    async with Workload(node, "stats") as w:
        # no command: a simulated workload whose CPU and memory the node computes
        ccfg_cid = await w.client.create_container(
            w.pod_id,
            pb.ContainerConfig(
                metadata=pb.ContainerMetadata(name="sim"),
                image=pb.ImageSpec(image=node.shell_image),
                log_path="sim/0.log",
            ),
            w.cfg,
        )
        await w.client.start_container(ccfg_cid)
        cid = ccfg_cid
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint, stats_interval=0.5))
        async with app.run_test(size=(180, 40)) as pilot:
            await started(app, pilot)
            ctrs = app.main.panels["containers"].table
            pods = app.main.panels["pods"].table
            assert [c.label for c in ctrs.columns][-3:] == ["CPU", "MEM", "FS"]
            assert len(ctrs.columns) == len(CONTAINER_COLUMNS) + 3 and len(pods.columns) == len(POD_COLUMNS) + 3

            # the columns fill with numbers once two polls gave a CPU delta
            await wait_for(lambda: cid in ctrs.rows and CPU.match(usage(app, "containers", cid)[0]), 10)
            cpu, mem, fs = usage(app, "containers", cid)
            assert BYTES.match(mem), mem
            await wait_for(
                lambda: (
                    w.pod_id in pods.rows
                    and CPU.match(usage(app, "pods", w.pod_id)[0])
                    and BYTES.match(usage(app, "pods", w.pod_id)[1])
                ),
                10,
            )
            await select_row(app, pilot, "containers", cid)
            await pilot.pause()
            text = screen_text(app)
            assert "CPU" in text and "MEM" in text and cpu in text

            # m: the detail view with sparklines filling as samples arrive
            await pilot.press("m")
            await pilot.pause()
            assert isinstance(app.screen, StatsScreen) and app.screen.kind == CONTAINER
            tracker = app.stats.tracker
            await wait_for(lambda: len(tracker.history(CONTAINER, cid)) >= 4, 10)
            await wait_for(
                lambda: re.search(r"[▁▂▃▄▅▆▇█]{3,}", screen_text(app)) and "samples over" in screen_text(app),
                10,
                what="the sparklines drawn",
            )
            text = screen_text(app)
            assert "CPU" in text and "MEM" in text and "FS" in text and "100% = one core" in text
            assert re.search(r"[▁▂▃▄▅▆▇█]{3,}", text), text
            assert "samples over" in text
            await pilot.press("escape")
            await pilot.pause()
            # on a pod, too
            await select_row(app, pilot, "pods", w.pod_id)
            await pilot.press("m")
            await pilot.pause()
            assert isinstance(app.screen, StatsScreen) and app.screen.kind == POD
            await wait_for(lambda: "samples over" in screen_text(app), 5)
            await pilot.press("escape")
        await client.close()


class NoStatsClient(CriClient):
    """A runtime without the statistics RPCs (as some CRI implementations)."""

    async def list_container_stats(self, *a, **kw):
        raise E.Unsupported("The runtime does not implement ListContainerStats.")

    async def list_pod_sandbox_stats(self, *a, **kw):
        raise E.Unsupported("The runtime does not implement ListPodSandboxStats.")


async def test_stats_unsupported_shows_na(node):
    async with Workload(node, "nostats") as w:
        cid = await w.container("idle", "sleep 60")
        client = NoStatsClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint, stats_interval=0.3))
        async with app.run_test(size=(180, 40)) as pilot:
            await started(app, pilot)
            await wait_for(
                lambda: (
                    cid in app.main.panels["containers"].table.rows
                    and usage(app, "containers", cid) == ("n/a", "n/a", "n/a")
                ),
                10,
            )
            await wait_for(lambda: usage(app, "pods", w.pod_id) == ("n/a", "n/a", "n/a"), 10)
            await select_row(app, pilot, "containers", cid)
            await pilot.press("m")
            await pilot.pause()
            await wait_for(lambda: "n/a: The runtime does not implement ListContainerStats." in screen_text(app), 5)
        await client.close()


async def test_stats_poll_never_blocks_the_lists(node):
    """A statistics call that takes seconds does not delay the list refresh (own task, own cadence)."""

    class SlowStats(CriClient):
        async def list_container_stats(self, *a, **kw):
            await asyncio.sleep(5)
            return await super().list_container_stats(*a, **kw)

    async with Workload(node, "slow") as w:
        client = SlowStats(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint, refresh=0.3, stats_interval=0.2))
        async with app.run_test(size=(180, 40)) as pilot:
            await started(app, pilot)
            await asyncio.sleep(0.5)  # the stats poller is now inside its slow call
            cid = await w.container("late", "sleep 60")
            waited = await wait_for(lambda: cid in app.main.panels["containers"].table.rows, 3)
            assert waited < 2.0
            assert usage(app, "containers", cid)[0] == "-"  # no sample yet, and nothing waited for one
        await client.close()


def test_stats_interval_option(capsys):
    from crit.cli import Options, build_parser

    args = build_parser().parse_args(["--stats-interval", "2.5"])
    assert args.stats_interval == 2.5
    assert build_parser().parse_args([]).stats_interval == 5.0 == Options().stats_interval
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--stats-interval", "0"])
    assert exc.value.code == 2
    assert "must be a positive number of seconds" in capsys.readouterr().err
