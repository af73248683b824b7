"""Stats math (CPU % from cumulative counters, memory, filesystem, history) and the poller's cadence/errors."""

from __future__ import annotations

import asyncio

import pytest

from crit.cri.errors import CriError, Unsupported
from crit.cri.pb import api_pb2 as pb
from crit.model.stats import (
    CONTAINER,
    NA,
    POD,
    StatsPoller,
    StatsTracker,
    cpu_percent,
    format_cpu,
    sparkline,
)

S = 1_000_000_000  # ns per second
T0 = 1_800_000_000 * S


def cstats(
    cid: str,
    ts: int | None,
    usage: int | None,
    mem: int | None = None,
    fs: int | None = None,
    nano_cores: int | None = None,
    name: str = "",
) -> pb.ContainerStats:
    s = pb.ContainerStats(attributes=pb.ContainerAttributes(id=cid, metadata=pb.ContainerMetadata(name=name or cid)))
    if ts is not None or usage is not None or nano_cores is not None:
        s.cpu.timestamp = ts or 0
        if usage is not None:
            s.cpu.usage_core_nano_seconds.value = usage
        if nano_cores is not None:
            s.cpu.usage_nano_cores.value = nano_cores
    if mem is not None:
        s.memory.timestamp = ts or 0
        s.memory.working_set_bytes.value = mem
    if fs is not None:
        s.writable_layer.timestamp = ts or 0
        s.writable_layer.used_bytes.value = fs
    return s


def pstats(pid: str, ts: int, usage: int, mem: int, containers=()) -> pb.PodSandboxStats:
    s = pb.PodSandboxStats(attributes=pb.PodSandboxAttributes(id=pid, metadata=pb.PodSandboxMetadata(name=pid)))
    s.linux.cpu.timestamp = ts
    s.linux.cpu.usage_core_nano_seconds.value = usage
    s.linux.memory.working_set_bytes.value = mem
    s.linux.containers.extend(containers)
    return s


def test_cpu_percent_math():
    assert cpu_percent(0, 0, S // 2, S) == pytest.approx(50.0)
    assert cpu_percent(10 * S, 5 * S, 14 * S, 7 * S) == pytest.approx(200.0)  # two cores busy
    assert cpu_percent(5, 10, 4, 20) is None  # counter went back (restart)
    assert cpu_percent(5, 10, 6, 10) is None  # no time passed


def test_container_deltas_memory_fs_and_history():
    t = StatsTracker(window=60, max_points=100)
    assert t.state(CONTAINER) == "unknown" and t.cells(CONTAINER, "a") == ("-", "-", "-")
    t.update_containers([cstats("a", T0, 10 * S, mem=1000, fs=4096)], now=100.0)
    u = t.container("a")
    assert u.cpu is None and u.memory == 1000 and u.fs == 4096  # one sample, no nano_cores: unknown CPU
    t.update_containers([cstats("a", T0 + 5 * S, 10 * S + S // 4, mem=2000, fs=8192)], now=105.0)
    assert t.container("a").cpu == pytest.approx(5.0)  # 0.25 s of CPU over 5 s
    assert t.cells(CONTAINER, "a") == ("5.0%", "2kB", "8.19kB")
    # the runtime returns the same (cached) sample: no new point, value kept
    t.update_containers([cstats("a", T0 + 5 * S, 10 * S + S // 4, mem=2000, fs=8192)], now=107.0)
    assert t.container("a").cpu == pytest.approx(5.0) and len(t.history(CONTAINER, "a")) == 2
    # counter reset (container restarted): unknown, then computed again from the new base
    t.update_containers([cstats("a", T0 + 10 * S, 1 * S)], now=110.0)
    assert t.container("a").cpu is None and t.container("a").memory is None
    t.update_containers([cstats("a", T0 + 12 * S, 3 * S)], now=112.0)
    assert t.container("a").cpu == pytest.approx(100.0)
    assert [p.at for p in t.history(CONTAINER, "a")] == [100.0, 105.0, 110.0, 112.0]
    cpus = [p.cpu for p in t.history(CONTAINER, "a")]
    assert cpus[0] is None and cpus[1] == pytest.approx(5.0) and cpus[2] is None and cpus[3] == pytest.approx(100.0)


def test_first_sample_uses_runtime_nano_cores_and_history_is_bounded():
    t = StatsTracker(window=30, max_points=5)
    t.update_containers([cstats("b", T0, 1, nano_cores=250_000_000)], now=0.0)
    assert t.container("b").cpu == pytest.approx(25.0)
    for i in range(1, 20):
        t.update_containers([cstats("b", T0 + i * S, 1 + i * S // 10)], now=float(i))
    h = t.history(CONTAINER, "b")
    assert len(h) == 5 and h[-1].at == 19.0 and h[-1].cpu == pytest.approx(10.0)
    t2 = StatsTracker(window=10, max_points=1000)
    for i in range(0, 60, 5):
        t2.update_containers([cstats("c", T0 + i * S, i * S)], now=float(i))
    assert [p.at for p in t2.history(CONTAINER, "c")] == [45.0, 50.0, 55.0]  # older than the window: dropped


def test_vanished_containers_are_forgotten():
    t = StatsTracker()
    t.update_containers([cstats("a", T0, 1), cstats("b", T0, 1)], now=1.0)
    t.update_containers([cstats("b", T0 + S, 2)], now=2.0)
    assert t.ids(CONTAINER) == ["b"] and t.container("a") is None


def test_pod_stats_and_fs_sum():
    t = StatsTracker()
    c1 = cstats("c1", T0, 0, fs=100)
    c2 = cstats("c2", T0, 0, fs=250)
    t.update_pods([pstats("p", T0, 4 * S, 5_000_000, [c1, c2])], now=1.0)
    t.update_pods([pstats("p", T0 + 2 * S, 5 * S, 6_000_000, [c1, c2])], now=3.0)
    p = t.pod("p")
    assert p.cpu == pytest.approx(50.0) and p.memory == 6_000_000 and p.fs == 350
    assert t.cells(POD, "p") == ("50%", "6MB", "350B")


def test_unsupported_pod_stats_fall_back_to_containers_and_na():
    t = StatsTracker()
    t.set_pod_of({"c1": "p", "c2": "p", "c3": "q"})
    t.mark_unsupported(POD, "the runtime does not implement ListPodSandboxStats")
    t.update_containers(
        [cstats("c1", T0, 0, mem=10, fs=1), cstats("c2", T0, 0, mem=20), cstats("c3", T0, 0, mem=5)], now=1.0
    )
    t.update_containers(
        [
            cstats("c1", T0 + S, S // 10, mem=10, fs=1),
            cstats("c2", T0 + S, S // 5, mem=20),
            cstats("c3", T0 + S, 0, mem=5),
        ],
        now=2.0,
    )
    assert t.state(POD) == "ok" and t.pods_from_containers
    p = t.pod("p")
    assert p.cpu == pytest.approx(30.0) and p.memory == 30 and p.fs == 1
    assert t.pod("q").cpu == pytest.approx(0.0)
    # and when containers are unsupported too, every cell says n/a
    t.mark_unsupported(CONTAINER)
    assert t.cells(CONTAINER, "c1") == (NA, NA, NA) and t.cells(POD, "p") == (NA, NA, NA)
    assert not t.supported(CONTAINER)


def test_formatting_helpers():
    assert format_cpu(None) == "-" and format_cpu(3.14159) == "3.1%" and format_cpu(153.6) == "154%"
    assert sparkline([0, 50, 100], top=100) == "▁▅█"
    assert sparkline([None, 1, None]) == " █ "
    assert sparkline([]) == "" and sparkline([None]) == " "
    assert len(sparkline(range(100), width=20)) == 20


class FakeClient:
    def __init__(self, pods_exc=None, containers_exc=None, delay=0.0):
        self.pods_exc = pods_exc
        self.containers_exc = containers_exc
        self.delay = delay
        self.calls = {"containers": 0, "pods": 0}
        self.t = 0

    async def list_container_stats(self):
        self.calls["containers"] += 1
        await asyncio.sleep(self.delay)
        if self.containers_exc:
            raise self.containers_exc
        self.t += 1
        return [cstats("c1", T0 + self.t * S, self.t * S // 2, mem=7)]

    async def list_pod_sandbox_stats(self):
        self.calls["pods"] += 1
        await asyncio.sleep(self.delay)
        if self.pods_exc:
            raise self.pods_exc
        return [pstats("p", T0 + self.t * S, self.t * S, 9)]


async def test_poller_updates_and_marks_unsupported():
    client = FakeClient(pods_exc=Unsupported("The runtime does not implement ListPodSandboxStats."))
    updates = []
    poller = StatsPoller(
        client,
        interval=0.01,
        on_update=lambda tr: updates.append(tr.generation),
        pod_of=lambda: {"c1": "p"},
        recheck=1000,
    )
    await poller.poll_once()
    await poller.poll_once()
    tr = poller.tracker
    assert tr.container("c1").cpu == pytest.approx(50.0)
    assert tr.pods_from_containers and tr.pod("p").memory == 7
    assert "ListPodSandboxStats" in tr.message(POD)
    assert len(updates) == 2
    await poller.poll_once()
    assert client.calls["pods"] == 1  # unsupported: not asked again on every poll


async def test_poller_errors_keep_values_and_never_block():
    client = FakeClient()
    poller = StatsPoller(client, interval=0.05)
    await poller.poll_once()
    client.containers_exc = CriError("The runtime did not answer ListContainerStats within 2 s.")
    await poller.poll_once()
    tr = poller.tracker
    assert tr.state(CONTAINER) == "error" and "did not answer" in tr.message(CONTAINER)
    assert tr.container("c1") is not None  # last values kept
    # running in the background with slow calls: the event loop stays responsive
    client.containers_exc = None
    client.delay = 0.2
    poller.start()
    ticks = 0
    t_end = asyncio.get_running_loop().time() + 0.5
    while asyncio.get_running_loop().time() < t_end:
        await asyncio.sleep(0.01)
        ticks += 1
    await poller.stop()
    assert not poller.running and ticks > 20 and client.calls["containers"] >= 3
