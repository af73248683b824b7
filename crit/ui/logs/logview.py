"""LogView: a virtual (Line API) view of log records — literal text, stderr colored, timestamps and wrap
toggles, search highlights, bounded memory.

Only visible lines are drawn.  Every record's text is neutralised once when it arrives (control characters and
escape sequences made visible, see :func:`crit.logs.neutralise`) and drawn as plain segments, never parsed as
markup.  At most :data:`MAX_RECORDS` records are kept: the oldest are dropped in chunks beyond that.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from crit.logs import LogRecord, match_spans, neutralise

__all__ = ["LogView", "MAX_RECORDS"]

MAX_RECORDS = 50_000
DROP_CHUNK = 5_000
MAX_LINE_CELLS = 20_000  # horizontal scroll range cap (a 16 KB line is ~16k cells)


class LogView(ScrollView, can_focus=True):
    """Shows :class:`LogRecord`s.  ``records`` are complete lines; ``pending`` are trailing partial lines
    shown provisionally after them (not searchable, not saved)."""

    BINDINGS = [
        Binding("up,k", "line(-1)", "Up", show=False),
        Binding("down,j", "line(1)", "Down", show=False),
        Binding("left,h", "column(-8)", "Left", show=False),
        Binding("right,l", "column(8)", "Right", show=False),
        Binding("pageup,b", "page(-1)", "Page up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("home,g", "top", "Top", show=False),
        Binding("end,G", "bottom", "Bottom", show=False),
    ]

    COMPONENT_CLASSES = {
        "logview--stderr",
        "logview--timestamp",
        "logview--notice",
        "logview--bad",
        "logview--pending",
        "logview--match",
        "logview--current",
        "logview--empty",
    }

    DEFAULT_CSS = """
    LogView { height: 1fr; scrollbar-size-vertical: 1; scrollbar-size-horizontal: 1; }
    LogView > .logview--stderr { color: $error; }
    LogView > .logview--timestamp { color: $text-muted; }
    LogView > .logview--notice { color: $warning; text-style: italic; }
    LogView > .logview--bad { color: $text-muted; }
    LogView > .logview--pending { color: $text-muted; text-style: italic; }
    LogView > .logview--match { background: $warning 60%; color: $text; }
    LogView > .logview--current { background: $accent 30%; }
    LogView > .logview--empty { color: $text-muted; text-style: italic; }
    """

    class UserScrolled(Message):
        """The user moved up (away from the end): the screen pauses following."""

    def __init__(self, *, id: str | None = None, max_records: int = MAX_RECORDS) -> None:
        super().__init__(id=id)
        self.max_records = max_records
        self.records: list[LogRecord] = []
        self._disp: list[str] = []  # neutralised text of each record
        self._cells: list[int] = []  # its width in cells
        self.pending: list[LogRecord] = []
        self._pending_disp: list[str] = []
        self.wrap = False
        self.timestamps = False
        self.pattern: re.Pattern[str] | None = None
        self.current: int | None = None  # index of the current search match
        self.dropped = 0  # records dropped from the front so far (memory bound)
        self.empty_text = "(no log lines yet)"
        self._max_cells = 0
        self._starts: list[int] | None = None  # wrap mode: first line of each record (+ total at the end)
        self._wrap_width = 0

    # ------------------------------------------------------------------ data

    @property
    def total(self) -> int:
        return len(self.records) + len(self.pending)

    def _prefix(self, rec: LogRecord) -> str:
        return f"{rec.timestamp} " if self.timestamps and rec.timestamp else ""

    def _record(self, index: int) -> tuple[LogRecord, str, bool]:
        n = len(self.records)
        if index < n:
            return self.records[index], self._disp[index], False
        return self.pending[index - n], self._pending_disp[index - n], True

    def _width_of(self, index: int) -> int:
        rec, disp, pending = self._record(index)
        cells = self._cells[index] if not pending else cell_len(disp)
        return cells + len(self._prefix(rec))

    def set_records(self, records: Iterable[LogRecord], pending: Iterable[LogRecord] = ()) -> None:
        self.records, self._disp, self._cells = [], [], []
        self.current = None
        self._max_cells = 0
        self.dropped = 0
        self._add(records)
        self._set_pending(pending)
        self._relayout()

    def append(self, records: Iterable[LogRecord], pending: Iterable[LogRecord] | None = None) -> None:
        """Add new records at the end (and replace the provisional partial lines)."""
        n_old = len(self.records)
        added = self._add(records)
        dropped = self._enforce_limit()
        if pending is not None:
            self._set_pending(pending)
        if dropped:
            self._relayout()
        elif self.wrap and self._starts is not None and self._wrap_width == self._line_width():
            self._extend_starts(n_old)  # only the new lines are measured
            self._resize()
        elif added or pending is not None:
            self._relayout()

    def prepend(self, records: list[LogRecord]) -> None:
        """Add older records at the front (loading more of the file's history)."""
        if not records:
            return
        room = max(0, self.max_records - len(self.records))
        records = records[-room:] if room else []
        disp = [neutralise(r.text) for r in records]
        cells = [cell_len(d) for d in disp]
        self.records[:0] = records
        self._disp[:0] = disp
        self._cells[:0] = cells
        if cells:
            self._max_cells = min(MAX_LINE_CELLS, max(self._max_cells, max(cells)))
        if self.current is not None:
            self.current += len(records)
        self._relayout()
        self.scroll_to(y=self.record_line(len(records)), animate=False, immediate=True)

    def _add(self, records: Iterable[LogRecord]) -> int:
        n0 = len(self.records)
        for rec in records:
            disp = neutralise(rec.text)
            self.records.append(rec)
            self._disp.append(disp)
            w = cell_len(disp) if not disp.isascii() else len(disp)
            self._cells.append(w)
            if w > self._max_cells:
                self._max_cells = min(MAX_LINE_CELLS, w)
        return len(self.records) - n0

    def _set_pending(self, pending: Iterable[LogRecord]) -> None:
        self.pending = list(pending)
        self._pending_disp = [neutralise(r.text) for r in self.pending]

    def _enforce_limit(self) -> int:
        excess = len(self.records) - self.max_records
        if excess <= 0:
            return 0
        # a little more than needed, so that a steady stream does not drop (and relayout) on every line
        drop = min(len(self.records), excess + min(DROP_CHUNK, self.max_records // 10))
        del self.records[:drop], self._disp[:drop], self._cells[:drop]
        self.dropped += drop
        if self.current is not None:
            self.current = self.current - drop if self.current >= drop else None
        return drop

    # ------------------------------------------------------------------ layout

    def _line_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _relayout(self) -> None:
        self._starts = None
        self._resize()

    def _build_starts(self) -> list[int]:
        width = self._line_width()
        starts = [0] * (self.total + 1)
        acc = 0
        for i in range(self.total):
            starts[i] = acc
            w = self._width_of(i)
            acc += max(1, -(-w // width))
        starts[self.total] = acc
        self._wrap_width = width
        return starts

    def _extend_starts(self, first: int) -> None:
        """Recompute the wrap layout from record ``first`` on (everything before it is unchanged)."""
        assert self._starts is not None
        width = self._wrap_width
        starts = self._starts[: first + 1] if first < len(self._starts) else self._starts + [0]
        acc = starts[first] if first < len(starts) else 0
        del starts[first:]
        for i in range(first, self.total):
            starts.append(acc)
            acc += max(1, -(-self._width_of(i) // width))
        starts.append(acc)
        self._starts = starts

    def _starts_now(self) -> list[int]:
        if self._starts is None or self._wrap_width != self._line_width() or len(self._starts) != self.total + 1:
            self._starts = self._build_starts()
        return self._starts

    def line_count(self) -> int:
        if not self.wrap:
            return self.total
        return self._starts_now()[-1]

    def record_line(self, index: int) -> int:
        """The first screen line of record ``index``."""
        if not self.wrap:
            return index
        starts = self._starts_now()
        return starts[max(0, min(index, len(starts) - 1))]

    def _resize(self) -> None:
        lines = self.line_count()
        if self.wrap:
            width = self.size.width
        else:
            ts = 36 if self.timestamps else 0
            width = max(self.size.width, min(MAX_LINE_CELLS, self._max_cells + ts))
        self.virtual_size = Size(width, max(lines, 1))
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()

    def set_wrap(self, wrap: bool) -> None:
        anchor = self.top_record()
        self.wrap = wrap
        self._relayout()
        if not wrap:
            self.scroll_to(x=0, animate=False, immediate=True)
        self.scroll_to(y=self.record_line(anchor), animate=False, immediate=True)

    def set_timestamps(self, on: bool) -> None:
        anchor = self.top_record()
        at_end = self.at_end
        self.timestamps = on
        self._relayout()
        if at_end:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=self.record_line(anchor), animate=False, immediate=True)

    def top_record(self) -> int:
        y = int(self.scroll_y)
        if not self.wrap:
            return y
        starts = self._starts_now()
        return max(0, bisect_right(starts, y) - 1)

    def bottom_record(self) -> int:
        y = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
        if not self.wrap:
            return min(y, self.total - 1)
        starts = self._starts_now()
        return min(self.total - 1, max(0, bisect_right(starts, y) - 1))

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y

    def to_end(self) -> None:
        """Scroll to the last line, now and once more after the next layout (a new virtual size or a scrollbar
        appearing changes where the end is)."""
        self.scroll_end(animate=False, immediate=True)
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    # ------------------------------------------------------------------ search

    def set_pattern(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.current = None
        self.refresh()

    def show_record(self, index: int) -> None:
        """Scroll so that record ``index`` is visible (about a third from the top) and mark it current."""
        self.current = index
        line = self.record_line(index)
        height = max(1, self.scrollable_content_region.height)
        top, bottom = int(self.scroll_y), int(self.scroll_y) + height - 1
        if not top <= line <= bottom:
            self.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True)
        if not self.wrap:
            rec, disp, _ = self._record(index)
            spans = match_spans(disp, self.pattern) if self.pattern is not None else []
            if spans:
                start = spans[0][0] + len(self._prefix(rec))
                width = self._line_width()
                if not self.scroll_x <= start < self.scroll_x + width - 1:
                    self.scroll_to(x=max(0, start - width // 3), animate=False, immediate=True)
        self.refresh()

    # ------------------------------------------------------------------ keys

    def action_line(self, step: int) -> None:
        if step < 0:
            self.post_message(self.UserScrolled())
        self.scroll_to(y=self.scroll_y + step, animate=False, immediate=True)

    def action_column(self, step: int) -> None:
        if not self.wrap:
            self.scroll_to(x=max(0, self.scroll_x + step), animate=False, immediate=True)

    def action_page(self, step: int) -> None:
        if step < 0:
            self.post_message(self.UserScrolled())
        height = max(1, self.scrollable_content_region.height - 1)
        self.scroll_to(y=self.scroll_y + step * height, animate=False, immediate=True)

    def action_top(self) -> None:
        self.post_message(self.UserScrolled())
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        self.scroll_end(animate=False, immediate=True)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.post_message(self.UserScrolled())

    # ------------------------------------------------------------------ drawing

    def _segments(self, index: int, base: Style) -> list[Segment]:
        rec, disp, pending = self._record(index)
        if rec.notice:
            body_style = base + self.get_component_rich_style("logview--notice")
        elif pending:
            body_style = base + self.get_component_rich_style("logview--pending")
        elif rec.is_stderr:
            body_style = base + self.get_component_rich_style("logview--stderr")
        elif rec.bad:
            body_style = base + self.get_component_rich_style("logview--bad")
        else:
            body_style = base
        if index == self.current:
            body_style = body_style + self.get_component_rich_style("logview--current")
        segs: list[Segment] = []
        prefix = self._prefix(rec)
        if prefix:
            ts_style = base + self.get_component_rich_style("logview--timestamp")
            if index == self.current:
                ts_style = ts_style + self.get_component_rich_style("logview--current")
            segs.append(Segment(prefix, ts_style))
        spans = match_spans(disp, self.pattern) if self.pattern is not None and not pending else []
        if not spans:
            segs.append(Segment(disp, body_style))
            return segs
        match_style = body_style + self.get_component_rich_style("logview--match")
        pos = 0
        for start, end in spans:
            if start > pos:
                segs.append(Segment(disp[pos:start], body_style))
            segs.append(Segment(disp[start:end], match_style))
            pos = end
        if pos < len(disp):
            segs.append(Segment(disp[pos:], body_style))
        return segs

    def render_line(self, y: int) -> Strip:
        width = self._line_width()
        base = self.rich_style
        line = int(self.scroll_y) + y
        if self.total == 0:
            if y == 0:
                style = base + self.get_component_rich_style("logview--empty")
                return Strip([Segment(self.empty_text[:width].ljust(width), style)], width)
            return Strip.blank(width, base)
        if not self.wrap:
            if line >= self.total:
                return Strip.blank(width, base)
            strip = Strip(self._segments(line, base))
            x = int(self.scroll_x)
            return strip.crop(x, x + width).extend_cell_length(width, base)
        starts = self._starts_now()
        if line >= starts[-1]:
            return Strip.blank(width, base)
        index = bisect_right(starts, line) - 1
        part = line - starts[index]
        strip = Strip(self._segments(index, base))
        return strip.crop(part * width, (part + 1) * width).extend_cell_length(width, base)
