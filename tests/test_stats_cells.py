"""CPU / MEM / FS cells say ``n/a`` exactly when the runtime has no statistics for an object's kind (or none for an
object that existed at the last poll), ``-`` only while not yet known (issue 10 D), on containerd 1.6 too, whose
ListPodSandboxStats fails as a whole while one pod is stopped."""

from __future__ import annotations

import uuid

import pytest

from crit.cri.client import CriClient
from crit.cri.errors import CriError
from crit.model.stats import CONTAINER, NA, POD, StatsPoller, StatsTracker
from tests.bed import specs
from tests.fixed_node import fixed_app, settled
from tests.test_stats import T0, S, cstats
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

UNKNOWN = ("-", "-", "-")
NONE = (NA, NA, NA)


def ns(seconds: float) -> int:
    return int(seconds * 1e9)


def test_unknown_until_polled_then_na_for_what_the_runtime_does_not_report():
    t = StatsTracker()
    assert t.cells(CONTAINER, "gone", ns(50)) == UNKNOWN  # not polled yet
    t.update_containers([cstats("c1", T0, S, mem=10)], now=100.0)
    # reported: its values; CPU waits for a second sample ("-"), no writable layer reported ("n/a")
    assert t.cells(CONTAINER, "c1", ns(50)) == ("-", "10B", NA)
    assert t.cells(CONTAINER, "exited", ns(50)) == NONE  # existed at the poll, not reported: the runtime has none
    assert t.cells(CONTAINER, "new", ns(150)) == UNKNOWN  # newer than the poll: not yet known
    assert t.cells(CONTAINER, "old-caller") == UNKNOWN  # no creation time given: not known


def test_values_the_runtime_leaves_out_say_na_not_dash():
    # issue 10 D: an exited (or created) container is reported with its writable layer only; it showed "-  -"
    # as if its CPU and memory were still to come
    t = StatsTracker()
    t.set_pod_of({"exited": "p", "running": "p"})
    t.update_containers([cstats("exited", None, None, fs=2_650_000), cstats("running", T0, S, mem=10, fs=1)], now=100.0)
    assert t.cells(CONTAINER, "exited", ns(50)) == (NA, NA, "2.65MB")
    assert t.cells(CONTAINER, "running", ns(50)) == ("-", "10B", "1B")  # its CPU % comes with the next sample
    t.update_containers(
        [cstats("exited", None, None, fs=2_650_000), cstats("running", T0 + S, S + S // 10, mem=10, fs=1)], now=101.0
    )
    assert t.cells(CONTAINER, "running", ns(50))[0] == "10%"
    assert t.cells(CONTAINER, "exited", ns(50)) == (NA, NA, "2.65MB")
    t.mark_error(POD, "ListPodSandboxStats failed")  # pods summed from their containers
    assert t.cells(POD, "p", ns(50)) == ("10%", "10B", "2.65MB")


def test_pod_stats_failing_fall_back_to_containers():
    # containerd 1.6: one stopped pod fails ListPodSandboxStats for every pod
    t = StatsTracker()
    t.set_pod_of({"c1": "ready"})
    t.update_containers([cstats("c1", T0, S, mem=10)], now=100.0)
    t.mark_error(POD, 'ListPodSandboxStats failed (UNKNOWN): sandbox container "x" is not in ready state.')
    assert t.pods_from_containers and t.supported(POD)
    assert t.cells(POD, "ready", ns(50))[1] == "10B"  # summed from its container
    assert t.cells(POD, "stopped", ns(50)) == NONE  # no running container: the runtime has nothing for it
    assert t.cells(POD, "new", ns(150)) == UNKNOWN
    assert "not in ready state" in t.message(POD)


async def test_client_without_statistics_says_na():
    class NoStats:  # a runtime client without the statistics RPCs at all
        pass

    poller = StatsPoller(NoStats(), pod_of=lambda: {})
    await poller.poll_once()
    assert poller.tracker.cells(CONTAINER, "c", ns(50)) == NONE and poller.tracker.cells(POD, "p", ns(50)) == NONE


async def test_panels_say_na_when_the_runtime_has_no_statistics(frozen):
    app = fixed_app()
    del app.stats.start  # statistics on, for once (the fixed node has none)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        await wait_for(lambda: app.stats.polls >= 1, 10, "the first statistics poll")
        pods = app.main.panels["pods"].table
        await wait_for(lambda: all(r.cells[-3:] == NONE for r in pods.rows.values()), 10, "pod cells n/a")
        await pilot.pause()
        line = next(line for line in screen_text(app).splitlines() if "web-7c9d8f6b5-abcde default" in line)
        assert line.rstrip().endswith("n/a n/a n/a"), line


@pytest.mark.containerd
@pytest.mark.timeout(180)
async def test_stopped_pod_on_containerd(containerd):
    names = [f"na-{n}-{uuid.uuid4().hex[:4]}" for n in ("up", "down")]
    async with CriClient(containerd.endpoint, timeout=30) as client:
        ids = []
        try:
            for name in names:
                cfg = specs.pod_config(name, namespace="crit-na", log_dir=containerd.log_dir / name)
                ids.append(await client.run_pod_sandbox(cfg))
                if name.startswith("na-up"):
                    cid = await client.create_container(
                        ids[-1], specs.container_config("sleeper", containerd.shell_image, ["sleep", "600"]), cfg
                    )
                    await client.start_container(cid)
            await client.stop_pod_sandbox(ids[1])
            pods = {p.id: p for p in await client.list_pod_sandbox()}
            poller = StatsPoller(client, pod_of=lambda: {cid: ids[0]})
            await poller.poll_once()
            tr = poller.tracker
            up, down = (tr.cells(POD, pid, pods[pid].created_at) for pid in ids)
            assert up[1] not in ("-", NA), (up, tr.message(POD))  # its memory, summed from its container
            assert down == NONE, (down, tr.message(POD))
            assert tr.cells(CONTAINER, cid, pods[ids[0]].created_at)[1] not in ("-", NA)
        finally:
            for pid in ids:
                await client.stop_pod_sandbox(pid)
                await client.remove_pod_sandbox(pid)


def test_errors_other_than_pods_keep_dashes():
    t = StatsTracker()
    t.update_containers([cstats("c1", T0, S, mem=10)], now=100.0)
    t.mark_error(CONTAINER, str(CriError("The runtime did not answer ListContainerStats within 2 s.")))
    assert t.cells(CONTAINER, "c1", ns(50))[1] == "10B"  # last values kept
    assert t.cells(CONTAINER, "other", ns(50)) == UNKNOWN  # a failed poll tells nothing
