"""`:events` — the timeline of container (and pod sandbox) lifecycle events since crit started, then live.

The events are collected by the model from crit's start (:attr:`crit.model.poller.NodeModel.events`, see
crit.model.events): where the runtime streams GetContainerEvents (containerd 1.7+, the embedded node) those events;
when it answers Unimplemented (containerd 1.6) the transitions the poller detects between two polls of the lists:
created, started, stopped, deleted — at the refresh interval's resolution.  This screen shows the model's history,
then each new event; it opens no subscription of its own.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from crit.cri.duration import format_duration
from crit.model.events import EVENT_NAMES, MAX_EVENTS, Event, EventDiffer, EventLog, event_from_response
from crit.render.human import short_id
from crit.render.sanitize import sanitize

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["EventsScreen", "Event", "EventDiffer", "EVENT_NAMES", "event_from_response"]

_STYLE = {"created": "cyan", "started": "green", "stopped": "yellow", "deleted": "red"}


class EventsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("ctrl+l", "clear", "Clear", show=True),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]

    DEFAULT_CSS = """
    EventsScreen #ev-mode { height: auto; padding: 0 1; color: $text-muted; }
    EventsScreen #ev-mode.-fallback { color: $warning; }
    EventsScreen DataTable { height: 1fr; }
    """

    def __init__(self, app: CritApp) -> None:
        super().__init__()
        self.crit = app
        self.log_: EventLog = app.model.events
        self.cleared = 0  # ctrl+l: events up to this count are not shown again

    @property
    def events(self) -> list[Event]:
        """The events shown (the model's history since crit started, less what ctrl+l cleared)."""
        buffered = list(self.log_.events)
        n = min(len(buffered), self.log_.total - self.cleared)
        return buffered[len(buffered) - n :] if n > 0 else []

    @property
    def mode(self) -> str:
        return self.log_.mode

    def compose(self) -> ComposeResult:
        yield Static(
            "Events — container and pod lifecycle since crit started, newest at the bottom",
            id="ev-title",
            classes="view-title",
            markup=False,
        )
        yield Static("Connecting to GetContainerEvents…", id="ev-mode", markup=False)
        table: DataTable[Text] = DataTable(id="ev-table", cursor_type="row", zebra_stripes=False)
        table.add_columns("TIME", "EVENT", "POD", "CONTAINER", "ID", "DETAIL")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._show_mode()
        for ev in self.events:
            self.add(ev)
        self.log_.subscribe(self._on_event)

    def on_unmount(self) -> None:
        self.log_.unsubscribe(self._on_event)

    def action_close(self) -> None:
        self.dismiss()

    def action_clear(self) -> None:
        self.cleared = self.log_.total
        self.query_one(DataTable).clear()

    # ------------------------------------------------------------------ the model's events

    def _on_event(self, ev: Event | None) -> None:
        if not self.is_attached:
            return
        if ev is None:
            self._show_mode()
        else:
            self.add(ev)

    def _show_mode(self) -> None:
        mode, why = self.log_.mode, self.log_.why
        if mode == "stream":
            text = "Live from GetContainerEvents."
        elif mode == "poll":
            interval = self.crit.model.interval
            name = (
                self.crit.model.state.runtime_name
                or getattr(self.crit.client, "runtime_name", None)  # (a test double may have none)
                or "The runtime"
            )
            text = (
                f"{sanitize(name)} does not stream container events (GetContainerEvents is Unimplemented): "
                f"showing the changes seen between two list polls instead, every {format_duration(interval)}."
            )
        elif why:
            text = f"The event stream is not there yet ({sanitize(why)}); crit retries at each refresh."
        else:
            text = "Connecting to GetContainerEvents…"
        box = self.query_one("#ev-mode", Static)
        box.update(text)
        box.set_class(mode == "poll", "-fallback")

    # ------------------------------------------------------------------ rows

    def add(self, ev: Event) -> None:
        table = self.query_one(DataTable)
        if table.row_count >= MAX_EVENTS:
            table.remove_row(table.coordinate_to_cell_key(Coordinate(0, 0)).row_key)
        at_end = table.cursor_row >= table.row_count - 1
        stamp = time.strftime("%H:%M:%S", time.localtime(ev.at)) + f".{int(ev.at * 1000) % 1000:03d}"
        kind = Text(ev.kind.upper(), style=_STYLE.get(ev.kind, ""))
        table.add_row(
            Text(stamp),
            kind,
            Text(sanitize(ev.pod)),
            Text(sanitize(ev.container) or "—"),
            Text(short_id(ev.obj_id)),
            Text(sanitize(ev.detail) + ("  (polled)" if ev.source == "poll" else "")),
        )
        if at_end:
            table.move_cursor(row=table.row_count - 1)
