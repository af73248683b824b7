"""The statistics detail view (``m`` on a pod or container, or ``:stats``): CPU, memory and filesystem use now,
with sparklines of the history the app's :class:`~crit.model.stats.StatsPoller` has collected (its own
cadence, default 5 s; the last 10 minutes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from crit.cri.duration import format_duration
from crit.model.stats import CONTAINER, POD, StatPoint, format_bytes, format_cpu, sparkline
from crit.render.human import short_id
from crit.render.sanitize import sanitize
from crit.ui.guard import unless_torn_down

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["StatsScreen", "stats_renderable"]

SPARK_WIDTH = 60


def _series(points: list[StatPoint], attr: str) -> list[float | None]:
    return [getattr(p, attr) for p in points]


def _metric(
    out: Text,
    label: str,
    now: str,
    values: list[float | None],
    fmt: Callable[[Any], str],  # format_cpu (float) or format_bytes (int)
    *,
    zero_based: bool,
    note: str,
    width: int,
    style: str,
    line_width: int | None = None,
) -> None:
    known = [v for v in values if v is not None]
    out.append(f"{label:<4}", style="bold")
    out.append(f"{now:>8}", style="bold")
    if known:
        out.append(f"   min {fmt(min(known))}  max {fmt(max(known))}", style="dim")
    out.append(f"   {note}\n", style="dim")
    if not known:
        out.append(" " * 12 + "(no samples yet)\n\n", style="dim")
        return
    lo, hi = (0.0 if zero_based else min(known)), max(known)
    if zero_based and hi < 1.0:
        hi = 1.0  # an idle container: a flat floor, not noise blown up to full height
    shifted = [None if v is None else v - lo for v in values]
    scale = f"  {fmt(hi)}" if zero_based else f"  {fmt(lo)}–{fmt(hi)}"
    if line_width is not None:  # the scale stays on the sparkline's line: the sparkline gives way
        width = max(5, min(width, line_width - 12 - len(scale)))
    line = sparkline(shifted, width, top=max(hi - lo, 0.0))
    out.append(" " * 12)
    out.append(line, style=style)
    out.append(scale + "\n", style="dim")
    out.append("\n")


def stats_renderable(
    tracker: Any,
    kind: str,
    obj_id: str,
    *,
    width: int = SPARK_WIDTH,
    interval: float = 5.0,
    line_width: int | None = None,
) -> Text:
    """The detail view's body for one pod or container: each metric's value, range and sparkline (at most
    ``width`` cells; with ``line_width``, narrower when the scale after it would not fit on its line)."""
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
    out = Text()
    _metric(
        out,
        "CPU",
        format_cpu(usage.cpu),
        _series(points, "cpu"),
        format_cpu,
        zero_based=True,
        note="100% = one core; scale from 0",
        width=width,
        style="green",
        line_width=line_width,
    )
    _metric(
        out,
        "MEM",
        format_bytes(usage.memory),
        _series(points, "memory"),
        format_bytes,
        zero_based=False,
        note="working set; scale min–max",
        width=width,
        style="cyan",
        line_width=line_width,
    )
    _metric(
        out,
        "FS",
        format_bytes(usage.fs),
        _series(points, "fs"),
        format_bytes,
        zero_based=False,
        note="writable layer; scale min–max",
        width=width,
        style="magenta",
        line_width=line_width,
    )
    span = points[-1].at - points[0].at if len(points) > 1 else 0.0
    out.append(
        f"{len(points)} samples over {format_duration(round(span))}, one every {format_duration(interval)}; "
        f"newest on the right",
        style="dim",
    )
    if tracker.state(kind) == "error":
        out.append(f"\nstale: {sanitize(tracker.message(kind))}", style="yellow")
    return out


class StatsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]

    DEFAULT_CSS = """
    StatsScreen VerticalScroll { padding: 1 2; }
    """

    def __init__(self, app: CritApp, kind: str, obj_id: str, label: str) -> None:
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
        yield Static(title, id="st-title", classes="view-title", markup=False)
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

    @unless_torn_down
    def redraw(self) -> None:
        self._seen = self.tracker.generation
        width = max(10, min(240, self.size.width - 30)) if self.size.width else SPARK_WIDTH
        # inside the padding and a scrollbar (before the first layout: the screen's width less those)
        body_width = self.query_one("#st-body", Static).size.width or (self.size.width - 6 if self.size.width else None)
        body = stats_renderable(
            self.tracker, self.kind, self.obj_id, width=width, interval=self.crit.stats.interval, line_width=body_width
        )
        self.query_one("#st-body", Static).update(body)

    def action_close(self) -> None:
        self.dismiss()
