"""Resource statistics: CPU %, memory working set and filesystem use per container and per pod, with history.

:class:`StatsTracker` is pure logic fed with successive ``ListContainerStats`` / ``ListPodSandboxStats``
snapshots (``crit.cri.pb.api_pb2`` messages):

* CPU % = Δ ``cpu.usage_core_nano_seconds`` / Δ ``cpu.timestamp`` × 100 (100 % = one core).  With only one sample
  the runtime's own ``usage_nano_cores`` is used when present.  A counter going backwards (the container was
  restarted) restarts the computation.  A sample with an unchanged timestamp (a cached value) adds nothing.
* memory = ``memory.working_set_bytes``; filesystem = ``writable_layer.used_bytes`` (a pod: the sum of its
  containers' writable layers).
* When ``ListPodSandboxStats`` is unsupported, pod values are summed from the containers (the caller supplies the
  container → pod mapping it already has from ListContainers).
* History: a bounded series of points per object (the last ``window`` seconds, at most ``max_points``) for
  sparklines.
* When the runtime answers ``Unimplemented`` the kind is marked unsupported: cells say ``n/a``.

:class:`StatsPoller` runs both RPCs concurrently on their own cadence (default 5 s) in one background task, so a
slow stats call (~220 ms for 200 containers on containerd 1.6) never delays anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crit.cri.errors import Unsupported
from crit.errors import one_sentence
from crit.render.human import size as _human_size

log = logging.getLogger(__name__)

__all__ = [
    "CONTAINER",
    "POD",
    "NA",
    "StatPoint",
    "Usage",
    "StatsTracker",
    "StatsPoller",
    "cpu_percent",
    "format_cpu",
    "format_bytes",
    "sparkline",
]

CONTAINER = "container"
POD = "pod"
NA = "n/a"

# kind states
UNKNOWN = "unknown"  # not polled yet
OK = "ok"
UNSUPPORTED = "unsupported"
ERROR = "error"


def _u64(msg: Any, name: str) -> int | None:
    """Value of the optional ``UInt64Value`` field ``name`` of ``msg``, None when the runtime did not set it."""
    return int(getattr(msg, name).value) if _has(msg, name) else None


def _has(msg: Any, name: str) -> bool:
    try:
        return bool(msg.HasField(name))
    except ValueError:
        return False


def cpu_percent(prev_usage_ns: int, prev_ts_ns: int, usage_ns: int, ts_ns: int) -> float | None:
    """CPU % (100 = one core) between two cumulative samples; None when not computable."""
    dt = ts_ns - prev_ts_ns
    du = usage_ns - prev_usage_ns
    if dt <= 0 or du < 0:
        return None
    return du / dt * 100.0


@dataclass(frozen=True, slots=True)
class StatPoint:
    """One point of history: wall time in seconds and the values then (None = unknown)."""

    at: float
    cpu: float | None
    memory: int | None
    fs: int | None


@dataclass(slots=True)
class Usage:
    """The latest values of one container or pod."""

    id: str
    name: str = ""
    cpu: float | None = None
    memory: int | None = None
    fs: int | None = None
    at: float = 0.0
    # cumulative CPU counter and its timestamp, for the next delta
    cpu_usage_ns: int | None = None
    cpu_ts_ns: int | None = None
    # CPU is reported as a cumulative counter only and one sample is in: its % is known at the next poll
    cpu_pending: bool = False
    history: deque[StatPoint] = field(default_factory=deque)

    def points(self, window: float | None = None, now: float | None = None) -> list[StatPoint]:
        if window is None:
            return list(self.history)
        now = time.time() if now is None else now
        return [p for p in self.history if p.at >= now - window]


@dataclass(slots=True)
class _KindState:
    state: str = UNKNOWN
    message: str = ""
    at: float = 0.0


class StatsTracker:
    """Keeps the latest usage and a bounded history for every container and pod seen in the snapshots."""

    def __init__(self, window: float = 600.0, max_points: int = 360) -> None:
        self.window = window
        self.max_points = max_points
        self._objs: dict[str, dict[str, Usage]] = {CONTAINER: {}, POD: {}}
        self._state: dict[str, _KindState] = {CONTAINER: _KindState(), POD: _KindState()}
        self._pod_of: dict[str, str] = {}
        self.pods_from_containers = False
        """True when pod values are summed from containers (ListPodSandboxStats unsupported)."""
        self.generation = 0
        """Incremented on every update (lets the UI skip redraws)."""

    # -- state -------------------------------------------------------------------------------------------------
    def state(self, kind: str) -> str:
        if kind == POD and self.pods_from_containers and self._state[CONTAINER].state == OK:
            return OK
        return self._state[kind].state

    def message(self, kind: str) -> str:
        return self._state[kind].message

    def supported(self, kind: str) -> bool:
        return self.state(kind) != UNSUPPORTED

    def mark_unsupported(self, kind: str, message: str = "") -> None:
        st = self._state[kind]
        st.state, st.message, st.at = (
            UNSUPPORTED,
            message or f"the runtime does not report {kind} statistics",
            time.time(),
        )
        self._objs[kind].clear()
        if kind == POD:
            self.pods_from_containers = True
            self._aggregate_pods(time.time())
        self.generation += 1

    def mark_error(self, kind: str, message: str) -> None:
        """A failed poll: keep the last values (the UI may show them as stale) and remember why.

        Pods are then summed from their containers, as when the RPC is unsupported: containerd 1.6 fails the
        whole ListPodSandboxStats as soon as one pod is not ready (a stopped pod), which left every pod's cells
        at ``-`` for as long as that pod existed."""
        st = self._state[kind]
        st.state, st.message, st.at = ERROR, message, time.time()
        if kind == POD:
            self.pods_from_containers = True
            if self._state[CONTAINER].state == OK:
                self._aggregate_pods(time.time())
        self.generation += 1

    def _covered_at(self, kind: str) -> float | None:
        """When the last poll that reported every object of ``kind`` the runtime has statistics for ran, or
        None (not polled yet, or the last poll failed)."""
        if kind == POD and self.pods_from_containers:
            kind = CONTAINER
        st = self._state[kind]
        return st.at if st.state == OK else None

    # -- access ------------------------------------------------------------------------------------------------
    def get(self, kind: str, obj_id: str) -> Usage | None:
        return self._objs[kind].get(obj_id)

    def container(self, cid: str) -> Usage | None:
        return self._objs[CONTAINER].get(cid)

    def pod(self, pid: str) -> Usage | None:
        return self._objs[POD].get(pid)

    def ids(self, kind: str) -> list[str]:
        return list(self._objs[kind])

    def history(self, kind: str, obj_id: str, window: float | None = None) -> list[StatPoint]:
        u = self._objs[kind].get(obj_id)
        return u.points(window) if u else []

    def cells(self, kind: str, obj_id: str, created_ns: int | None = None) -> tuple[str, str, str]:
        """(CPU, MEM, FS) column texts: ``n/a`` when the runtime has no statistics for this kind, or none for
        this object although it existed (``created_ns``, nanoseconds) at the last poll that covered its kind
        (a stopped pod, an exited container); ``-`` while not yet known (before the first poll, for an object
        newer than the last poll, or when ``created_ns`` is not given).  A value the runtime left out of an
        object's statistics says ``n/a`` too (an exited or created container has a writable layer, no CPU or
        memory), except a CPU % waiting for its second sample (``-``: known at the next poll)."""
        if not self.supported(kind):
            return NA, NA, NA
        u = self._objs[kind].get(obj_id)
        if u is None:
            at = self._covered_at(kind)
            if at is not None and created_ns is not None and created_ns / 1e9 <= at:
                return NA, NA, NA
            return "-", "-", "-"
        cpu = format_cpu(u.cpu) if u.cpu is not None or u.cpu_pending else NA
        return (
            cpu,
            format_bytes(u.memory) if u.memory is not None else NA,
            format_bytes(u.fs) if u.fs is not None else NA,
        )

    # -- feeding -----------------------------------------------------------------------------------------------
    def set_pod_of(self, mapping: Mapping[str, str]) -> None:
        """Container id → pod sandbox id (from ListContainers), used to sum pod values when needed."""
        self._pod_of = dict(mapping)

    def _record(
        self,
        kind: str,
        obj_id: str,
        name: str,
        now: float,
        cpu_ts: int | None,
        cpu_usage: int | None,
        nano_cores: int | None,
        memory: int | None,
        fs: int | None,
    ) -> Usage:
        objs = self._objs[kind]
        u = objs.get(obj_id)
        if u is None:
            u = objs[obj_id] = Usage(obj_id, name)
        if name:
            u.name = name
        ts = cpu_ts if cpu_ts else int(now * 1e9)
        cpu: float | None = None
        fresh = True
        if cpu_usage is not None:
            if u.cpu_usage_ns is not None and u.cpu_ts_ns is not None:
                if ts == u.cpu_ts_ns:
                    fresh = False  # the runtime returned its cached sample: nothing new
                    cpu = u.cpu
                else:
                    cpu = cpu_percent(u.cpu_usage_ns, u.cpu_ts_ns, cpu_usage, ts)
            if (
                cpu is None
                and fresh
                and nano_cores is not None
                and (u.cpu_usage_ns is None or cpu_usage >= u.cpu_usage_ns)
            ):
                cpu = nano_cores / 1e9 * 100.0
            u.cpu_usage_ns, u.cpu_ts_ns = cpu_usage, ts
        elif nano_cores is not None:
            cpu = nano_cores / 1e9 * 100.0
        u.cpu = cpu
        u.cpu_pending = cpu is None and cpu_usage is not None
        u.memory = memory
        u.fs = fs
        u.at = now
        if fresh:
            self._append(u, StatPoint(now, cpu, memory, fs))
        return u

    def _append(self, u: Usage, point: StatPoint) -> None:
        h = u.history
        h.append(point)
        while len(h) > self.max_points or (h and h[0].at < point.at - self.window):
            h.popleft()

    def update_containers(self, stats: Iterable[Any], now: float | None = None) -> None:
        """Feed one ListContainerStats result (a list of ``pb.ContainerStats``)."""
        now = time.time() if now is None else now
        seen: set[str] = set()
        for s in stats:
            attrs = s.attributes
            cid = attrs.id
            if not cid:
                continue
            seen.add(cid)
            cpu_ts = cpu_usage = nano = None
            if _has(s, "cpu"):
                cpu_ts = s.cpu.timestamp or None
                cpu_usage = _u64(s.cpu, "usage_core_nano_seconds")
                nano = _u64(s.cpu, "usage_nano_cores")
            memory = _u64(s.memory, "working_set_bytes") if _has(s, "memory") else None
            fs = _u64(s.writable_layer, "used_bytes") if _has(s, "writable_layer") else None
            self._record(CONTAINER, cid, attrs.metadata.name, now, cpu_ts, cpu_usage, nano, memory, fs)
        for gone in set(self._objs[CONTAINER]) - seen:
            del self._objs[CONTAINER][gone]
        st = self._state[CONTAINER]
        st.state, st.message, st.at = OK, "", now
        if self.pods_from_containers:
            self._aggregate_pods(now)
        self.generation += 1

    def update_pods(self, stats: Iterable[Any], now: float | None = None) -> None:
        """Feed one ListPodSandboxStats result (a list of ``pb.PodSandboxStats``; Linux stats are used)."""
        now = time.time() if now is None else now
        seen: set[str] = set()
        for s in stats:
            pid = s.attributes.id
            if not pid:
                continue
            seen.add(pid)
            linux = s.linux if _has(s, "linux") else None
            cpu_ts = cpu_usage = nano = memory = None
            fs: int | None = None
            if linux is not None:
                if _has(linux, "cpu"):
                    cpu_ts = linux.cpu.timestamp or None
                    cpu_usage = _u64(linux.cpu, "usage_core_nano_seconds")
                    nano = _u64(linux.cpu, "usage_nano_cores")
                if _has(linux, "memory"):
                    memory = _u64(linux.memory, "working_set_bytes")
                layers = [_u64(c.writable_layer, "used_bytes") for c in linux.containers if _has(c, "writable_layer")]
                known = [v for v in layers if v is not None]
                fs = sum(known) if known else None
            if fs is None:  # the pod message may carry no container list: sum what the container stats say
                fs = self._sum_container_fs(pid)
            self._record(POD, pid, s.attributes.metadata.name, now, cpu_ts, cpu_usage, nano, memory, fs)
        for gone in set(self._objs[POD]) - seen:
            del self._objs[POD][gone]
        st = self._state[POD]
        st.state, st.message, st.at = OK, "", now
        self.pods_from_containers = False
        self.generation += 1

    def _sum_container_fs(self, pid: str) -> int | None:
        vals = [u.fs for cid, u in self._objs[CONTAINER].items() if self._pod_of.get(cid) == pid and u.fs is not None]
        return sum(vals) if vals else None

    def _aggregate_pods(self, now: float) -> None:
        """Pod values as the sum of their containers' (when the runtime has no pod statistics)."""
        groups: dict[str, list[Usage]] = {}
        for cid, u in self._objs[CONTAINER].items():
            pid = self._pod_of.get(cid)
            if pid:
                groups.setdefault(pid, []).append(u)
        pods = self._objs[POD]
        for pid, members in groups.items():

            def total(values: list[Any]) -> Any:
                known = [v for v in values if v is not None]
                return sum(known) if known else None

            pod = pods.get(pid)
            if pod is None:
                pod = pods[pid] = Usage(pid)
            pod.cpu = total([m.cpu for m in members])
            pod.cpu_pending = pod.cpu is None and any(m.cpu_pending for m in members)
            pod.memory = total([m.memory for m in members])
            pod.fs = total([m.fs for m in members])
            pod.at = now
            if not pod.history or pod.history[-1].at != now:
                self._append(pod, StatPoint(now, pod.cpu, pod.memory, pod.fs))
        for gone in set(pods) - set(groups):
            del pods[gone]


# -- formatting (column cells, sparklines) --------------------------------------------------------------------


def format_cpu(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def format_bytes(value: int | None) -> str:
    return _human_size(value)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float | None], width: int | None = None, top: float | None = None) -> str:
    """Unicode block sparkline; unknown values are spaces.  ``top`` fixes the scale (e.g. 100 for one core)."""
    vals = list(values)
    if width is not None and len(vals) > width:
        vals = vals[-width:]
    known = [v for v in vals if v is not None]
    if not known:
        return " " * len(vals)
    hi = top if top is not None else max(known)
    lo = 0.0
    span = hi - lo
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
        elif span <= 0:
            out.append(_BARS[0])
        else:
            idx = int(round((min(max(v, lo), hi) - lo) / span * (len(_BARS) - 1)))
            out.append(_BARS[idx])
    return "".join(out)


# -- the poller ------------------------------------------------------------------------------------------------


async def _call(client: Any, name: str) -> Any:
    """``client.name()``; a client without that method has no such statistics (:class:`Unsupported`)."""
    method = getattr(client, name, None)
    if method is None:
        raise Unsupported(f"The runtime client has no {name}.")
    return await method()


class StatsPoller:
    """Polls container and pod statistics every ``interval`` seconds in one background task.

    ``client`` needs ``list_container_stats()`` and ``list_pod_sandbox_stats()`` (``CriClient``).
    ``on_update(tracker)`` (plain function or coroutine function) runs after each poll.  ``pod_of`` returns the
    current container → pod mapping (used when pod statistics are unsupported).  An RPC found unsupported is
    asked again only every ``recheck`` polls.  Polls never overlap; a slow poll delays only the next poll.
    """

    def __init__(
        self,
        client: Any,
        tracker: StatsTracker | None = None,
        *,
        interval: float = 5.0,
        on_update: Callable[[StatsTracker], Any] | None = None,
        pod_of: Callable[[], Mapping[str, str]] | None = None,
        pods: bool = True,
        containers: bool = True,
        recheck: int = 60,
    ) -> None:
        self.client = client
        self.tracker = tracker or StatsTracker()
        self.interval = interval
        self.on_update = on_update
        self.pod_of = pod_of
        self.want_pods = pods
        self.want_containers = containers
        self.recheck = recheck
        self.polls = 0
        self.last_duration = 0.0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _due(self, kind: str) -> bool:
        if self.tracker._state[kind].state != UNSUPPORTED:
            return True
        return self.recheck > 0 and self.polls % self.recheck == 0

    async def poll_once(self) -> None:
        t0 = time.monotonic()
        if self.pod_of is not None:
            with contextlib.suppress(Exception):
                self.tracker.set_pod_of(self.pod_of())
        calls: dict[str, Awaitable[Any]] = {}
        if self.want_containers and self._due(CONTAINER):
            calls[CONTAINER] = _call(self.client, "list_container_stats")
        if self.want_pods and self._due(POD):
            calls[POD] = _call(self.client, "list_pod_sandbox_stats")
        results = await asyncio.gather(*calls.values(), return_exceptions=True)
        now = time.time()
        # containers first: pod filesystem sums and the pod fallback use them
        outcome = dict(zip(calls, results))
        for kind in (CONTAINER, POD):
            if kind not in outcome:
                continue
            res = outcome[kind]
            if isinstance(res, asyncio.CancelledError):
                raise res
            if isinstance(res, BaseException):
                if isinstance(res, Unsupported):
                    self.tracker.mark_unsupported(kind, one_sentence(res))
                else:
                    self.tracker.mark_error(kind, one_sentence(res))
                    log.debug("stats poll failed: %s", res)
                continue
            stats = getattr(res, "stats", res)
            if kind == CONTAINER:
                self.tracker.update_containers(stats, now)
            else:
                self.tracker.update_pods(stats, now)
        self.polls += 1
        self.last_duration = time.monotonic() - t0
        if self.on_update is not None:
            try:
                r = self.on_update(self.tracker)
                if inspect.isawaitable(r):
                    await r
            except Exception:  # a UI callback failing must not stop the poller
                log.exception("stats on_update failed")

    async def run(self) -> None:
        """Poll until cancelled (or :meth:`stop`)."""
        while True:
            started = time.monotonic()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pragma: no cover - poll_once handles RPC errors itself
                log.exception("stats poll crashed: %s", exc)
            delay = max(0.0, self.interval - (time.monotonic() - started))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def start(self) -> asyncio.Task[None]:
        if not self.running:
            self._task = asyncio.create_task(self.run(), name="crit-stats-poller")
        assert self._task is not None
        return self._task

    def poke(self) -> None:
        """Poll now instead of waiting for the rest of the interval."""
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
