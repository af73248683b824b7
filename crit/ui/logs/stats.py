"""The statistics detail view (``m`` on a pod or container, or ``:stats``): CPU, memory and filesystem use now,
with sparklines of the history the app's :class:`~crit.model.stats.StatsPoller` has collected (its own
cadence, default 5 s; the last 10 minutes)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from crit.model.stats import CONTAINER, NA, POD, StatPoint, format_bytes, format_cpu, sparkline
from crit.render.human import short_id
from crit.render.sanitize import sanitize

__all__ = ["StatsScreen", "stats_renderable"]

SPARK_WIDTH = 60


def _series(points: list[StatPoint], attr: str) -> list[float | None]:
    return [getattr(p, attr) for p in points]


def _range(values: list[float | None], fmt) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    return f"min {fmt(min(known))}  max {fmt(max(known))}"


def stats_renderable(tracker: Any, kind: str, obj_id: str, *, width: int = SPARK_WIDTH,
                     interval: float = 5.0) -> Table | Text:
    """The detail view's body for one pod or container."""
    what = "container" if kind == CONTAINER else "pod"
    if not tracker.supported(kind):
        msg = tracker.message(kind) or f"the runtime does not report {what} statistics"
        return Text(f"n/a: {sanitize(msg)}")
    usage = tracker.get(kind, obj_id)
    if usage is None:
        state = tracker.state(kind)
        if state == "unknown":
            return Text("Waiting for the first statistics poll…")
        if state == "error":
            return Text(f"The last statistics poll failed: {sanitize(tracker.message(kind))}")
        return Text(f"The runtime reports no statistics for this {what} (it may not be running).")
    points = usage.points()
    cpu = _series(points, "cpu")
    mem = _series(points, "memory")
    fs = _series(points, "fs")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim", no_wrap=True)
    cpu_top = max([100.0] + [v for v in cpu if v is not None])
    table.add_row("CPU", format_cpu(usage.cpu), Text(sparkline(cpu, width, top=cpu_top), style="green"),
                  _range(cpu, format_cpu) + f"  (scale 0–{format_cpu(cpu_top)}, 100% = one core)")
    table.add_row("MEM", format_bytes(usage.memory), Text(sparkline(mem, width), style="cyan"),
                  _range(mem, format_bytes) + "  (working set)")
    table.add_row("FS", format_bytes(usage.fs), Text(sparkline(fs, width), style="magenta"),
                  _range(fs, format_bytes) + "  (writable layer)")
    span = points[-1].at - points[0].at if len(points) > 1 else 0.0
    table.add_row("", "", Text(f"{len(points)} samples over {span:.0f} s, one every {interval:g} s; newest on the "
                               f"right", style="dim"), "")
    if tracker.state(kind) == "error":
        table.add_row("", "", Text(f"stale: {sanitize(tracker.message(kind))}", style="yellow"), "")
    return table


class StatsScreen(Screen):
    BINDINGS = [Binding("escape,q", "close", "Back", show=True)]

    DEFAULT_CSS = """
    StatsScreen #st-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    StatsScreen VerticalScroll { padding: 1 2; }
    """

    def __init__(self, app: Any, kind: str, obj_id: str, label: str) -> None:
        super().__init__()
        self.crit = app
        self.kind = kind if kind in (POD, CONTAINER) else CONTAINER
        self.obj_id = obj_id
        self.label = label
        self._seen = -1

    @property
    def tracker(self) -> Any:
        return self.crit.stats.tracker

    def compose(self) -> ComposeResult:
        title = f"Statistics  {self.kind} {sanitize(self.label)}  ({short_id(self.obj_id)})"
        yield Static(title, id="st-title", markup=False)
        with VerticalScroll():
            yield Static("", id="st-body")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.crit.stats.poke()  # a fresh sample now rather than at the end of the interval
        self.redraw()
        self.set_interval(0.5, self._check)

    def _check(self) -> None:
        if self.tracker.generation != self._seen:
            self.redraw()

    def redraw(self) -> None:
        self._seen = self.tracker.generation
        width = max(10, min(120, self.size.width - 60)) if self.size.width else SPARK_WIDTH
        body = stats_renderable(self.tracker, self.kind, self.obj_id, width=width,
                                interval=self.crit.stats.interval)
        self.query_one("#st-body", Static).update(body)

    def cells(self) -> tuple[str, str, str]:
        """The current CPU / MEM / FS texts (as in the panels)."""
        cells = self.tracker.cells(self.kind, self.obj_id)
        return cells if cells[0] != NA else (NA, NA, NA)

    def action_close(self) -> None:
        self.dismiss()


KIND_OF_PANEL = {"pods": POD, "containers": CONTAINER}
