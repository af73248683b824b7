"""Container and pod lifecycle events, collected from crit's start (``:events`` shows history, then live).

The model holds ONE source of events: the GetContainerEvents subscription of the poller
(:class:`crit.model.poller.NodeModel`) — or, on runtimes without it (containerd 1.6 answers Unimplemented), the
transitions the poller sees between two list polls (:class:`EventDiffer`).  Every event goes into an
:class:`EventLog`: a bounded ring buffer whose listeners (the events view while it is open) get each new event and
each change of source.  Nothing here imports Textual or gRPC; names are the runtime's raw strings (the UI
sanitises them for display).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crit.cri.states import CONTAINER_CREATED, CONTAINER_EXITED, CONTAINER_RUNNING, SANDBOX_READY
from crit.model.store import Changes

log = logging.getLogger(__name__)

__all__ = ["Event", "EventDiffer", "EventLog", "EVENT_NAMES", "MAX_EVENTS", "event_from_response"]

EVENT_NAMES = {0: "created", 1: "started", 2: "stopped", 3: "deleted"}
MAX_EVENTS = 2000
MAX_NAMES = 20_000  # ids remembered for the names of deleted objects (oldest forgotten first)


def _short(obj_id: str) -> str:
    return obj_id[:13]


@dataclass(frozen=True)
class Event:
    at: float  # wall time, seconds
    kind: str  # created / started / stopped / deleted
    pod: str  # pod name
    container: str  # container name ("" for a pod sandbox event)
    obj_id: str
    detail: str = ""
    source: str = "stream"  # "stream" (GetContainerEvents) or "poll" (detected between two list polls)


class EventDiffer:
    """Turns the model's successive lists into lifecycle events (the source when events are not streamed)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.ctrs: dict[str, tuple[int, str, str, int]] = {}  # id -> (state, name, pod id, attempt)
        self.pods: dict[str, tuple[int, str]] = {}  # id -> (state, name)
        self.pod_names: dict[str, str] = {}
        self.snapshot()

    def snapshot(self) -> None:
        self.pods = {pid: (int(p.state), p.metadata.name) for pid, p in self.model.pods.items.items()}
        self.pod_names = {pid: name for pid, (_, name) in self.pods.items()}
        self.ctrs = {
            cid: (int(c.state), c.metadata.name, c.pod_sandbox_id, int(c.metadata.attempt))
            for cid, c in self.model.containers.items.items()
        }

    def _pod_name(self, pid: str) -> str:
        pod = self.model.pods.items.get(pid)
        if pod is not None:
            return str(pod.metadata.name)
        return self.pod_names.get(pid, _short(pid))

    def diff(self, changes: Changes, now: float | None = None) -> list[Event]:
        now = time.time() if now is None else now
        out: list[Event] = []
        pods = self.model.pods.items
        for pid in sorted(changes.pods.added):
            p = pods.get(pid)
            if p is None:
                continue
            self.pods[pid] = (int(p.state), p.metadata.name)
            self.pod_names[pid] = p.metadata.name
            out.append(Event(now, "created", p.metadata.name, "", pid, "pod sandbox", "poll"))
            if int(p.state) != SANDBOX_READY:
                out.append(Event(now, "stopped", p.metadata.name, "", pid, "pod sandbox", "poll"))
        for pid in sorted(changes.pods.updated):
            p = pods.get(pid)
            if p is None:
                continue
            old_pod = self.pods.get(pid)
            self.pods[pid] = (int(p.state), p.metadata.name)
            self.pod_names[pid] = p.metadata.name
            if old_pod is not None and old_pod[0] == SANDBOX_READY and int(p.state) != SANDBOX_READY:
                out.append(Event(now, "stopped", p.metadata.name, "", pid, "pod sandbox", "poll"))
        ctrs = self.model.containers.items
        exits = getattr(self.model, "exit_info", {}) or {}
        for cid in sorted(changes.containers.added | changes.containers.updated):
            c = ctrs.get(cid)
            if c is None:
                continue
            state, name, pid, attempt = int(c.state), c.metadata.name, c.pod_sandbox_id, int(c.metadata.attempt)
            old = self.ctrs.get(cid)
            self.ctrs[cid] = (state, name, pid, attempt)
            pod = self._pod_name(pid)
            detail = f"attempt {attempt}"
            old_state = None if old is None else old[0]
            if old is None:
                out.append(Event(now, "created", pod, name, cid, detail, "poll"))
                old_state = CONTAINER_CREATED
            if old_state == CONTAINER_CREATED and state in (CONTAINER_RUNNING, CONTAINER_EXITED):
                out.append(Event(now, "started", pod, name, cid, detail, "poll"))
                old_state = CONTAINER_RUNNING
            if old_state == CONTAINER_RUNNING and state == CONTAINER_EXITED:
                info = exits.get(cid)
                why = f"exit code {info.exit_code}" if info is not None else detail
                out.append(Event(now, "stopped", pod, name, cid, why, "poll"))
        for cid in sorted(changes.containers.removed):
            old = self.ctrs.pop(cid, None)
            if old is None:
                continue
            out.append(Event(now, "deleted", self._pod_name(old[2]), old[1], cid, f"attempt {old[3]}", "poll"))
        for pid in sorted(changes.pods.removed):
            old_pod = self.pods.pop(pid, None)
            name = old_pod[1] if old_pod else self.pod_names.get(pid, _short(pid))
            out.append(Event(now, "deleted", name, "", pid, "pod sandbox", "poll"))
            self.pod_names.pop(pid, None)
        return out


def event_from_response(ev: Any, model: Any = None, names: dict[str, tuple[str, str]] | None = None) -> Event:
    """An :class:`Event` from a ``ContainerEventResponse``.  Names come from the statuses it carries, else the
    model, else ``names`` (id → (pod name, container name) remembered from earlier: a deleted container's event
    no longer carries its status); ``names`` is updated."""
    kind = EVENT_NAMES.get(int(ev.container_event_type), f"event {int(ev.container_event_type)}")
    cid = ev.container_id
    pod_status = ev.pod_sandbox_status
    pod_name = pod_status.metadata.name if ev.HasField("pod_sandbox_status") else ""
    container = ""
    detail = ""
    if pod_status.id and cid == pod_status.id:
        detail = "pod sandbox"
    else:
        for st in ev.containers_statuses:
            if st.id == cid:
                container = st.metadata.name
                detail = f"attempt {st.metadata.attempt}"
                if kind == "stopped":
                    detail = f"exit code {st.exit_code}" + (f" ({st.reason})" if st.reason else "")
                break
    if model is not None:
        if not container and detail != "pod sandbox":
            c = model.containers.items.get(cid)
            if c is not None:
                container = c.metadata.name
                if not pod_name:
                    pod = model.pods.items.get(c.pod_sandbox_id)
                    pod_name = pod.metadata.name if pod is not None else ""
    if names is not None:
        known_pod, known_ctr = names.get(cid, ("", ""))
        pod_name = pod_name or known_pod
        container = container or known_ctr
        if not detail and not container and cid in names:
            detail = "pod sandbox"
        if pod_name or container:
            names[cid] = (pod_name, container)
    at = ev.created_at / 1e9 if ev.created_at else time.time()
    return Event(at, kind, pod_name, container, cid, detail, "stream")


class EventLog:
    """The events seen since crit started: a ring buffer of the newest ``maxlen``, with listeners.

    ``mode`` says where events come from: ``"connecting"`` (not known yet), ``"stream"`` (GetContainerEvents
    works), ``"poll"`` (the runtime does not stream them: changes seen between polls); ``why`` is the runtime's
    answer when it is ``"poll"``, or what broke while ``"connecting"`` again.
    """

    def __init__(self, maxlen: int = MAX_EVENTS) -> None:
        self.events: deque[Event] = deque(maxlen=maxlen)
        self.mode = "connecting"
        self.why = ""
        self.total = 0  # events ever added (the view tells how many fell out of the buffer)
        self.names: dict[str, tuple[str, str]] = {}  # id -> (pod name, container name), also after deletion
        self._listeners: list[Callable[[Event | None], None]] = []

    def subscribe(self, listener: Callable[[Event | None], None]) -> None:
        """``listener(event)`` for each new event, ``listener(None)`` when ``mode`` changes."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Event | None], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def listeners(self) -> list[Callable[[Event | None], None]]:
        return list(self._listeners)

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.total += 1
        self._tell(event)

    def set_mode(self, mode: str, why: str = "") -> None:
        if (mode, why) == (self.mode, self.why):
            return
        self.mode, self.why = mode, why
        self._tell(None)

    def remember(self, obj_id: str, pod: str, container: str) -> None:
        names = self.names
        names.pop(obj_id, None)
        names[obj_id] = (pod, container)
        while len(names) > MAX_NAMES:
            names.pop(next(iter(names)))

    def _tell(self, event: Event | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")
