"""The node model: polls the runtime through :class:`crit.cri.client.CriClient`, diffs, caches, reconnects.

One refresh cycle runs ListPodSandbox, ListContainers, ListImages and Status concurrently; the results are
diffed into :class:`~crit.model.store.Changes` and handed to ``on_change``.  Connection state (runtime
version, conditions, DISCONNECTED and why) goes to ``on_state``.  Exit codes and reasons of exited
containers come from ContainerStatus, fetched once per container in the background and cached; pod IPs
likewise from PodSandboxStatus.  Where the runtime streams GetContainerEvents, an event triggers an
immediate refresh, and every event (or, where the runtime does not stream them, every transition seen between
two polls) goes into :attr:`NodeModel.events` (crit.model.events) from crit's start.  After a failure the model
retries with a backoff capped at half the refresh interval, so it resumes within one interval after the runtime
comes back.  Nothing here imports Textual or gRPC.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crit.cri.errors import Unsupported
from crit.cri.states import CONTAINER_EXITED, ExitInfo
from crit.errors import one_sentence
from crit.model.events import EventDiffer, EventLog, event_from_response
from crit.model.store import Changes, Diff, KeyedStore

if TYPE_CHECKING:
    from crit.cri.pb import api_pb2 as pb

log = logging.getLogger(__name__)

__all__ = ["Condition", "ConnectionState", "NodeModel"]

MIN_GAP = 0.2  # seconds between two event-triggered refreshes (event storms coalesce)
EVENTS_CONFIRM_S = 0.5  # an event stream still open this long and one refresh later is known to work
FIRST_RETRY = 0.25


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: bool
    reason: str = ""
    message: str = ""


@dataclass(slots=True)
class ConnectionState:
    """What the header shows."""

    endpoint: str = ""
    connected: bool = False
    ever_connected: bool = False
    reason: str = "connecting…"
    last_ok: float | None = None  # wall-clock time of the last successful refresh
    runtime_name: str = ""
    runtime_version: str = ""
    api_version: str = ""
    conditions: tuple[Condition, ...] = ()
    events: str = "unknown"  # "streaming" (known to work), "not supported", "unknown" (not known yet, or broke)
    failures: int = 0
    next_retry: float | None = None  # seconds until the next attempt while disconnected
    refresh_interval: float = 2.0
    last_cycle_s: float = 0.0  # wall time of the last refresh cycle


def _unwrap(resp: Any, field_name: str = "status") -> tuple[Any, dict[str, str]]:
    """(status message, info map) from either a *StatusResponse or a bare status message."""
    desc = getattr(resp, "DESCRIPTOR", None)
    if desc is not None and field_name in desc.fields_by_name and "info" in desc.fields_by_name:
        return getattr(resp, field_name), dict(resp.info)
    return resp, {}


@dataclass(slots=True)
class _Caches:
    exit_info: dict[str, ExitInfo] = field(default_factory=dict)
    pod_ip: dict[str, str] = field(default_factory=dict)
    pending_exit: set[str] = field(default_factory=set)
    pending_ip: set[str] = field(default_factory=set)


class NodeModel:
    """Live state of one node.  Create it, then ``await run()`` in a task (Textual worker); call
    :meth:`request_refresh` for an immediate refresh; :meth:`close` stops everything."""

    def __init__(
        self,
        client: Any,
        interval: float = 2.0,
        *,
        on_change: Callable[[Changes], None] | None = None,
        on_state: Callable[[ConnectionState], None] | None = None,
        endpoint: str = "",
        status_concurrency: int = 8,
        fetch_details: bool = True,
    ) -> None:
        self.client = client
        self.interval = max(0.1, float(interval))
        self.on_change = on_change or (lambda changes: None)
        self.on_state = on_state or (lambda state: None)
        self.pods: KeyedStore[pb.PodSandbox] = KeyedStore()
        self.containers: KeyedStore[pb.Container] = KeyedStore()
        self.images: KeyedStore[pb.Image] = KeyedStore()
        self.caches = _Caches()
        self.state = ConnectionState(endpoint=endpoint, refresh_interval=self.interval)
        self.fetch_details = fetch_details
        self._wake = asyncio.Event()
        self._sem = asyncio.Semaphore(status_concurrency)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events_task: asyncio.Task[None] | None = None
        self._closed = False
        self._refresh_lock = asyncio.Lock()
        self._last_refresh = 0.0
        self.cycles = 0
        self.first_snapshot = asyncio.Event()
        #: lifecycle events since the start: GetContainerEvents, or changes seen between polls where it is missing
        self.events = EventLog()
        self._differ: EventDiffer | None = None
        self._events_opened: tuple[int, float] | None = None  # (cycle, monotonic time) the stream was opened
        #: the image of every pod sandbox (the pause image) when the runtime names it (read once per connection)
        self.sandbox_image = ""

    # ------------------------------------------------------------------ public API

    @property
    def exit_info(self) -> dict[str, ExitInfo]:
        return self.caches.exit_info

    @property
    def pod_ip(self) -> dict[str, str]:
        return self.caches.pod_ip

    def request_refresh(self) -> None:
        """Refresh as soon as possible (coalesced; at most one refresh per MIN_GAP)."""
        self._wake.set()

    async def run(self) -> None:
        """Poll until :meth:`close`; never raises for runtime failures (they become DISCONNECTED)."""
        while not self._closed:
            ok = await self.refresh_once()
            if ok:
                delay = self.interval
            else:
                # capped at half the interval: back within one interval of the runtime returning
                delay = min(self.interval / 2, FIRST_RETRY * (2 ** max(0, self.state.failures - 1)))
                self.state.next_retry = delay
                self._emit_state()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()
            # event storms coalesce: at least MIN_GAP between refreshes, and on a big node (a cycle taking
            # long) at least three cycles' time, so event-driven refreshes use at most about a third of a core
            min_gap = max(MIN_GAP, 3 * self.state.last_cycle_s)
            gap = min(min_gap, self.interval) - (time.monotonic() - self._last_refresh)
            if gap > 0 and not self._closed:
                await asyncio.sleep(gap)

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        tasks = list(self._tasks) + ([self._events_task] if self._events_task else [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    async def refresh_once(self) -> bool:
        """One refresh cycle; True when the runtime answered.  Safe to call concurrently (serialised)."""
        async with self._refresh_lock:
            return await self._refresh()

    # ------------------------------------------------------------------ internals

    async def _refresh(self) -> bool:
        started = time.monotonic()
        self._last_refresh = started
        client = self.client
        try:
            if not self.state.connected:
                await self._connect()
            pods, containers, images, status = await asyncio.gather(
                client.list_pod_sandbox(),
                client.list_containers(),
                client.list_images(),
                client.status(),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes DISCONNECTED with its sentence
            self._disconnected(exc)
            return False
        changes = Changes(
            pods=self.pods.apply(pods),
            containers=self.containers.apply(containers),
            images=self.images.apply(images),
            full=self.cycles == 0,
        )
        self.cycles += 1
        self._forget(changes)
        self._collect(changes)
        self.state.conditions = _conditions(status)
        was_connected = self.state.connected
        self.state.connected = True
        self.state.ever_connected = True
        self.state.reason = ""
        self.state.failures = 0
        self.state.next_retry = None
        self.state.last_ok = time.time()
        if changes or changes.full or not was_connected:
            self.on_change(changes)
        self.state.last_cycle_s = time.monotonic() - started  # RPCs, diff and the UI's update
        self.first_snapshot.set()
        self._emit_state()
        if self.fetch_details:
            self._schedule_details()
        self._confirm_events()
        self._ensure_events()
        return True

    async def _connect(self) -> None:
        resp = await self.client.version()
        self.state.runtime_name = str(getattr(resp, "runtime_name", ""))
        self.state.runtime_version = str(getattr(resp, "runtime_version", ""))
        self.state.api_version = str(getattr(resp, "runtime_api_version", ""))
        self.sandbox_image = await self._sandbox_image()

    async def _sandbox_image(self) -> str:
        """The image every pod sandbox runs (the pause image), as the runtime names it in Status(verbose):
        ``info["config"]`` is JSON with ``sandboxImage`` (containerd, the embedded node).  "" when unknown."""
        try:
            resp = await self.client.status(verbose=True)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - only a detail: the regular refresh reports a runtime that fails
            return ""
        return sandbox_image_of(getattr(resp, "info", None) or {})

    def _disconnected(self, exc: BaseException) -> None:
        self.state.connected = False
        self.state.failures += 1
        self.state.reason = one_sentence(exc)
        if self._events_task is not None:
            self._events_task.cancel()
            self._events_task = None
            if self.state.events != "not supported":
                self.state.events = "unknown"
                self.events.set_mode("connecting", "the runtime does not answer")
        self._emit_state()

    def _emit_state(self) -> None:
        try:
            self.on_state(self.state)
        except Exception:
            log.exception("state callback failed")

    def _forget(self, changes: Changes) -> None:
        for cid in changes.containers.removed:
            self.caches.exit_info.pop(cid, None)
        for pid in changes.pods.removed:
            self.caches.pod_ip.pop(pid, None)

    # ------------------------------------------------------------------ details (exit codes, pod IPs)

    def _schedule_details(self) -> None:
        caches = self.caches
        need_exit = [
            cid
            for cid, ctr in self.containers.items.items()
            if ctr.state == CONTAINER_EXITED and cid not in caches.exit_info and cid not in caches.pending_exit
        ]
        need_ip = [pid for pid in self.pods.items if pid not in caches.pod_ip and pid not in caches.pending_ip]
        if need_exit:
            caches.pending_exit.update(need_exit)
            self._spawn(self._fetch_exits(need_exit))
        if need_ip:
            caches.pending_ip.update(need_ip)
            self._spawn(self._fetch_ips(need_ip))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch_exits(self, ids: list[str], chunk: int = 256) -> None:
        try:
            for start in range(0, len(ids), chunk):
                part = ids[start : start + chunk]
                results = await asyncio.gather(*(self._one_exit(cid) for cid in part))
                diff = Diff()
                for cid, info in zip(part, results):
                    if info is not None and cid in self.containers.items:
                        self.caches.exit_info[cid] = info
                        diff.updated.add(cid)
                if diff:
                    self.on_change(Changes(containers=diff))
        finally:
            self.caches.pending_exit.difference_update(ids)

    async def _one_exit(self, cid: str) -> ExitInfo | None:
        async with self._sem:
            if cid not in self.containers.items:
                return None
            try:
                resp = await self.client.container_status(cid)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - gone meanwhile, or runtime away: try again next cycle
                return None
        st, _ = _unwrap(resp)
        return ExitInfo(int(st.exit_code), str(st.reason), str(st.message), int(st.finished_at))

    async def _fetch_ips(self, ids: list[str], chunk: int = 256) -> None:
        try:
            for start in range(0, len(ids), chunk):
                part = ids[start : start + chunk]
                results = await asyncio.gather(*(self._one_ip(pid) for pid in part))
                diff = Diff()
                for pid, ip in zip(part, results):
                    if ip is not None and pid in self.pods.items:
                        self.caches.pod_ip[pid] = ip
                        if ip:
                            diff.updated.add(pid)
                if diff:
                    self.on_change(Changes(pods=diff))
        finally:
            self.caches.pending_ip.difference_update(ids)

    async def _one_ip(self, pid: str) -> str | None:
        async with self._sem:
            if pid not in self.pods.items:
                return None
            try:
                resp = await self.client.pod_sandbox_status(pid)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                return None
        st, _ = _unwrap(resp)
        net = getattr(st, "network", None)
        if net is None:
            return ""
        ips = [net.ip] if net.ip else []
        ips += [extra.ip for extra in getattr(net, "additional_ips", []) if extra.ip]
        return ",".join(ips)

    # ------------------------------------------------------------------ events

    def _collect(self, changes: Changes) -> None:
        """Names for the events of deleted objects, and — where the runtime does not stream events — the
        transitions between this poll and the last one, into :attr:`events`."""
        log_ = self.events
        pods, ctrs = self.pods.items, self.containers.items
        pod_ids = pods.keys() if changes.full else changes.pods.added | changes.pods.updated
        for pid in pod_ids:
            pod = pods.get(pid)
            if pod is not None:
                log_.remember(pid, pod.metadata.name, "")
        ctr_ids = ctrs.keys() if changes.full else changes.containers.added | changes.containers.updated
        for cid in ctr_ids:
            c = ctrs.get(cid)
            if c is not None:
                pod = pods.get(c.pod_sandbox_id)
                log_.remember(cid, pod.metadata.name if pod is not None else "", c.metadata.name)
        if self._differ is None or changes.full:
            self._differ = EventDiffer(self)  # the baseline: what was there when crit started
            return
        found = self._differ.diff(changes)  # always, so the baseline stays current whatever the source
        if log_.mode == "poll":
            for event in found:
                log_.add(event)

    def _events_unsupported(self, why: str) -> None:
        self.state.events = "not supported"
        self.events.set_mode("poll", why)

    def _confirm_events(self) -> None:
        """The stream is known to work once an event arrived, or once it is still open after a whole refresh
        sent after it (a runtime without GetContainerEvents answers Unimplemented at once, before that)."""
        opened = self._events_opened
        task = self._events_task
        if (
            self.state.events == "unknown"
            and opened is not None
            and task is not None
            and not task.done()
            and self.cycles > opened[0]
            and time.monotonic() - opened[1] >= EVENTS_CONFIRM_S
        ):
            self._events_streaming()

    def _events_streaming(self) -> None:
        if self.state.events != "streaming":
            self.state.events = "streaming"
            self.events.set_mode("stream")
            self._emit_state()

    def _ensure_events(self) -> None:
        if self._events_task is None and self.state.events != "not supported" and not self._closed:
            self._events_task = asyncio.ensure_future(self._watch_events())

    async def _watch_events(self) -> None:
        getter = getattr(self.client, "get_container_events", None)
        if getter is None:
            self._events_unsupported("the client has no GetContainerEvents")
            self._emit_state()
            return
        try:
            stream = getter()
            if asyncio.iscoroutine(stream):
                stream = await stream
            # not "streaming" yet: containerd 1.6 answers Unimplemented only once the stream is read
            self._events_opened = (self.cycles, time.monotonic())
            async for event in stream:
                self._events_streaming()
                try:
                    self.events.add(event_from_response(event, self, self.events.names))
                except Exception:
                    log.exception("could not read a container event")
                self.request_refresh()
            raise ConnectionError("the runtime ended the event stream")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, Unsupported):
                self._events_unsupported(one_sentence(exc))
            else:
                self.state.events = "unknown"
                self.events.set_mode("connecting", one_sentence(exc))
                self.request_refresh()  # the stream broke: find out now whether the runtime is still there
            self._emit_state()
        finally:
            self._events_opened = None
            if self._events_task is asyncio.current_task():
                self._events_task = None


def sandbox_image_of(info: Any) -> str:
    """``sandboxImage`` of the ``config`` JSON in a Status(verbose) info map (containerd's, the embedded node's;
    CRI-O names it ``pause_image``), or ""."""
    try:
        config = json.loads(info.get("config", "") or "{}")
    except (ValueError, TypeError, AttributeError):
        return ""
    if not isinstance(config, dict):
        return ""
    for key in ("sandboxImage", "sandbox_image", "pause_image", "pauseImage"):
        value = config.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _conditions(status_resp: Any) -> tuple[Condition, ...]:
    st, _ = _unwrap(status_resp)
    conds = getattr(st, "conditions", None)
    if conds is None:
        return ()
    return tuple(Condition(str(c.type), bool(c.status), str(c.reason), str(c.message)) for c in conds)
