"""`:events` — a live timeline of container (and pod sandbox) lifecycle events.

Where the runtime streams GetContainerEvents (containerd 1.7+, the embedded node) the timeline shows those
events as they come.  When the runtime answers Unimplemented (containerd 1.6) the screen says so and shows the
transitions it detects between two polls of the lists instead (the model's keyed diffs): created, started,
stopped, deleted — at the refresh interval's resolution.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from crit.cri.errors import Unsupported
from crit.model import Changes
from crit.render.human import short_id
from crit.render.sanitize import sanitize

__all__ = ["EventsScreen", "Event", "EventDiffer", "EVENT_NAMES"]

EVENT_NAMES = {0: "created", 1: "started", 2: "stopped", 3: "deleted"}
_STYLE = {"created": "cyan", "started": "green", "stopped": "yellow", "deleted": "red"}
MAX_EVENTS = 2000

# states as in api.proto
_C_CREATED, _C_RUNNING, _C_EXITED = 0, 1, 2
_P_READY = 0


@dataclass(frozen=True)
class Event:
    at: float           # wall time, seconds
    kind: str           # created / started / stopped / deleted
    pod: str            # pod name
    container: str      # container name ("" for a pod sandbox event)
    obj_id: str
    detail: str = ""
    source: str = "stream"  # "stream" (GetContainerEvents) or "poll" (detected between two list polls)


class EventDiffer:
    """Turns the model's successive lists into lifecycle events (the fallback when events are not streamed)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.ctrs: dict[str, tuple[int, str, str, int]] = {}  # id -> (state, name, pod id, attempt)
        self.pods: dict[str, tuple[int, str]] = {}             # id -> (state, name)
        self.pod_names: dict[str, str] = {}
        self.snapshot()

    def snapshot(self) -> None:
        self.pods = {pid: (int(p.state), p.metadata.name) for pid, p in self.model.pods.items.items()}
        self.pod_names = {pid: name for pid, (_, name) in self.pods.items()}
        self.ctrs = {cid: (int(c.state), c.metadata.name, c.pod_sandbox_id, int(c.metadata.attempt))
                     for cid, c in self.model.containers.items.items()}

    def _pod_name(self, pid: str) -> str:
        pod = self.model.pods.items.get(pid)
        if pod is not None:
            return pod.metadata.name
        return self.pod_names.get(pid, short_id(pid))

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
            if int(p.state) != _P_READY:
                out.append(Event(now, "stopped", p.metadata.name, "", pid, "pod sandbox", "poll"))
        for pid in sorted(changes.pods.updated):
            p = pods.get(pid)
            if p is None:
                continue
            old = self.pods.get(pid)
            self.pods[pid] = (int(p.state), p.metadata.name)
            self.pod_names[pid] = p.metadata.name
            if old is not None and old[0] == _P_READY and int(p.state) != _P_READY:
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
                old_state = _C_CREATED
            if old_state == _C_CREATED and state in (_C_RUNNING, _C_EXITED):
                out.append(Event(now, "started", pod, name, cid, detail, "poll"))
                old_state = _C_RUNNING
            if old_state == _C_RUNNING and state == _C_EXITED:
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
            name = old_pod[1] if old_pod else self.pod_names.get(pid, short_id(pid))
            out.append(Event(now, "deleted", name, "", pid, "pod sandbox", "poll"))
            self.pod_names.pop(pid, None)
        return out


def event_from_response(ev: Any, model: Any = None, names: dict[str, tuple[str, str]] | None = None) -> Event:
    """An :class:`Event` from a ``ContainerEventResponse``.  Names come from the statuses it carries, else the
    model, else ``names`` (id → (pod name, container name) remembered from earlier events: a deleted container's
    event no longer carries its status); ``names`` is updated."""
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


class EventsScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("ctrl+l", "clear", "Clear", show=True),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]

    DEFAULT_CSS = """
    EventsScreen #ev-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    EventsScreen #ev-mode { height: auto; padding: 0 1; color: $text-muted; }
    EventsScreen #ev-mode.-fallback { color: $warning; }
    EventsScreen DataTable { height: 1fr; }
    """

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.crit = app
        self.events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self.mode = "connecting"  # "stream", "poll"
        self.differ: EventDiffer | None = None
        self._listening = False
        self.names: dict[str, tuple[str, str]] = {}  # id -> (pod name, container name), for deleted objects

    def compose(self) -> ComposeResult:
        yield Static("Events — container and pod lifecycle, newest at the bottom", id="ev-title", markup=False)
        yield Static("Connecting to GetContainerEvents…", id="ev-mode", markup=False)
        table = DataTable(id="ev-table", cursor_type="row", zebra_stripes=False)
        table.add_columns("TIME", "EVENT", "POD", "CONTAINER", "ID", "DETAIL")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        model = getattr(self.crit, "model", None)
        if model is not None:
            pods = model.pods.items
            for pid, pod in pods.items():
                self.names[pid] = (pod.metadata.name, "")
            for cid, c in model.containers.items.items():
                pod = pods.get(c.pod_sandbox_id)
                self.names[cid] = (pod.metadata.name if pod is not None else "", c.metadata.name)
        self.run_worker(self._stream(), group="events", exclusive=True)

    def on_unmount(self) -> None:
        self._stop_polling()

    def action_close(self) -> None:
        self.dismiss()

    def action_clear(self) -> None:
        self.events.clear()
        self.query_one(DataTable).clear()

    # ------------------------------------------------------------------ sources

    async def _stream(self) -> None:
        client = self.crit.client
        failures = 0
        while True:
            try:
                stream = client.get_container_events()
                self._set_mode("stream", "Live from GetContainerEvents.")
                async for ev in stream:
                    failures = 0
                    self.add(event_from_response(ev, getattr(self.crit, "model", None), self.names))
                raise ConnectionError("the runtime ended the event stream")
            except asyncio.CancelledError:
                raise
            except Unsupported as exc:
                self._start_polling(str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - the runtime went away: say so, retry
                if _unimplemented(exc):
                    self._start_polling(str(exc))
                    return
                failures += 1
                delay = min(10.0, 0.5 * 2 ** min(failures, 5))
                self._set_mode("connecting", f"The event stream broke ({sanitize(str(exc))}); retrying in "
                                             f"{delay:.0f} s.")
                await asyncio.sleep(delay)

    def _start_polling(self, why: str) -> None:
        interval = getattr(getattr(self.crit, "model", None), "interval", 2.0)
        name = getattr(self.crit.client, "runtime_name", None) or "The runtime"
        self._set_mode("poll", f"{sanitize(name)} does not stream container events (GetContainerEvents is "
                               f"Unimplemented): showing the changes seen between two list polls instead, every "
                               f"{interval:g} s.")
        model = getattr(self.crit, "model", None)
        listeners = getattr(self.crit, "change_listeners", None)
        if model is None or listeners is None:
            return
        self.differ = EventDiffer(model)
        listeners.append(self._on_change)
        self._listening = True

    def _stop_polling(self) -> None:
        if self._listening:
            self._listening = False
            try:
                self.crit.change_listeners.remove(self._on_change)
            except ValueError:
                pass

    def _on_change(self, changes: Changes) -> None:
        if self.differ is None or changes.full:
            return
        for ev in self.differ.diff(changes):
            self.add(ev)

    def _set_mode(self, mode: str, text: str) -> None:
        self.mode = mode
        box = self.query_one("#ev-mode", Static)
        box.update(text)
        box.set_class(mode == "poll", "-fallback")

    # ------------------------------------------------------------------ rows

    def add(self, ev: Event) -> None:
        table = self.query_one(DataTable)
        if len(self.events) == self.events.maxlen and table.row_count:
            table.remove_row(table.coordinate_to_cell_key((0, 0)).row_key)
        self.events.append(ev)
        at_end = table.cursor_row >= table.row_count - 1
        stamp = time.strftime("%H:%M:%S", time.localtime(ev.at)) + f".{int(ev.at * 1000) % 1000:03d}"
        kind = Text(ev.kind.upper(), style=_STYLE.get(ev.kind, ""))
        table.add_row(Text(stamp), kind, Text(sanitize(ev.pod)), Text(sanitize(ev.container) or "—"),
                      Text(short_id(ev.obj_id)), Text(sanitize(ev.detail) + ("  (polled)" if ev.source == "poll" else "")))
        if at_end:
            table.move_cursor(row=table.row_count - 1)


def _unimplemented(exc: BaseException) -> bool:
    code = getattr(exc, "code", None)
    name = getattr(code, "name", "") if code is not None and not isinstance(code, str) else str(code or "")
    return "UNIMPLEMENTED" in name.upper() or "unimplemented" in str(exc).lower()
