"""NodeTable: a virtual, keyed table for tens of thousands of rows.

Rows are keyed by id; :meth:`NodeTable.update_rows` adds, removes and replaces only the rows that changed.
Only visible lines are drawn (Line API), cells are drawn as plain segments (never parsed as markup), columns
are fitted to the width by priority, and the cursor (by key), marks and scroll position survive every update.
A filter (predicate) and a scope (e.g. "containers of one pod") hide rows without removing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from crit.render.layout import GAP, fit_cell, fit_columns
from crit.render.rows import Column

__all__ = ["MARK", "NodeTable", "Row"]

MARK = "●"  # drawn before a marked row's first cell, cut by one cell (bold yellow alone read like a Created state)


def _cell_width(cell: Any) -> int:
    """Cells a column needs for ``cell``: its text's width, or for a cell whose text changes at draw time (a
    ``LiveAge``) the widest its text can become (its ``max_cells``)."""
    if type(cell) is str:
        text = cell
    else:
        wide = getattr(cell, "max_cells", None)
        if wide is not None:
            return cast(int, wide)  # LiveAge.max_cells
        text = str(cell)
    return len(text) if text.isascii() else cell_len(text)


class Row:
    """One row: its cells (sanitised strings or LiveAge), a sort key, labels (for -l filters) and the object."""

    __slots__ = ("key", "cells", "sort_key", "labels", "obj", "_text")

    def __init__(
        self, key: str, cells: tuple[Any, ...], sort_key: Any, labels: Mapping[str, str] | None = None, obj: Any = None
    ) -> None:
        self.key = key
        self.cells = cells
        self.sort_key = sort_key
        self.labels = labels or {}
        self.obj = obj
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The row's visible columns joined, plus the full key, for filtering."""
        if self._text is None:
            self._text = " ".join(str(c) for c in self.cells) + " " + self.key
        return self._text


class NodeTable(ScrollView, can_focus=True):
    """A keyed virtual table (see module doc)."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("space", "toggle_mark", "Mark", show=False),
    ]

    COMPONENT_CLASSES = {
        "nodetable--header",
        "nodetable--cursor",
        "nodetable--cursor-blurred",
        "nodetable--marked",
        "nodetable--ok",
        "nodetable--bad",
        "nodetable--warn",
        "nodetable--muted",
        "nodetable--empty",
    }

    DEFAULT_CSS = """
    NodeTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
    }
    NodeTable > .nodetable--header { text-style: bold; color: $text-accent; }
    NodeTable > .nodetable--cursor { background: $primary; color: $text; text-style: bold; }
    NodeTable > .nodetable--cursor-blurred { background: $primary 35%; }
    NodeTable > .nodetable--marked { color: $warning; text-style: bold; }
    NodeTable > .nodetable--ok { color: $success; }
    NodeTable > .nodetable--bad { color: $error; }
    NodeTable > .nodetable--warn { color: $warning; }
    NodeTable > .nodetable--muted { color: $text-muted; }
    NodeTable > .nodetable--empty { color: $text-muted; text-style: italic; }
    NodeTable.-stale { color: $text-disabled; }
    """

    class CursorMoved(Message):
        def __init__(self, table: NodeTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class MarksChanged(Message):
        def __init__(self, table: NodeTable) -> None:
            super().__init__()
            self.table = table

    class NewAboveChanged(Message):
        """The number of new rows above the viewport (not seen yet) changed: ``table.new_above``."""

        def __init__(self, table: NodeTable) -> None:
            super().__init__()
            self.table = table

    cursor_index: reactive[int] = reactive(0, repaint=True, init=False)

    def __init__(
        self,
        columns: Iterable[Column],
        *,
        style_cell: Callable[[int, str], str | None] | None = None,
        empty_text: str = "no rows",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: tuple[Column, ...] = tuple(columns)
        self.style_cell = style_cell  # (column index, cell text) -> component class suffix or None
        self.empty_text = empty_text
        self.rows: dict[str, Row] = {}
        self._order: list[str] = []
        self._view: list[str] = []
        self._pos: dict[str, int] = {}
        self._natural = [cell_len(c.label) for c in self.columns]
        self._caps = [c.max_width if c.max_width is not None else 1 << 30 for c in self.columns]
        self._widths_dirty = False
        self._layout: list[tuple[int, int]] | None = None
        self._layout_width = -1
        self._layout_empty = True
        self.marks: set[str] = set()
        self.row_filter: Callable[[Row], bool] | None = None
        self.scope: Callable[[Row], bool] | None = None
        self.cursor_key: str | None = None
        # rows added above the first visible row while the view stayed where it was: a hint until seen
        self._new_above: set[str] = set()
        self._follow_top = True  # the cursor was last put on the first row by the user (or never moved)

    # ------------------------------------------------------------------ data

    def update_rows(self, changed: Iterable[Row] = (), removed: Iterable[str] = ()) -> None:
        """Add or replace ``changed`` rows and drop ``removed`` keys, keeping cursor, marks and scroll."""
        rows = self.rows
        resort = False
        removed_any = False
        added: set[str] = set()
        natural = self._natural
        for key in removed:
            if rows.pop(key, None) is not None:
                removed_any = True
                self.marks.discard(key)
        # only columns that can still grow are measured (a column never shows wider than its max_width)
        growable = [i for i, cap in enumerate(self._caps) if natural[i] < cap]
        for row in changed:
            old = rows.get(row.key)
            if old is None:
                added.add(row.key)
                resort = True
            elif old.sort_key != row.sort_key:
                resort = True
            rows[row.key] = row
            if growable:
                cells = row.cells
                for i in growable:
                    w = _cell_width(cells[i])
                    if w > natural[i]:
                        natural[i] = w
                        self._layout = None
        if removed_any:
            self._widths_dirty = True
            resort = True
        if resort:
            self._order = sorted(rows, key=lambda k: rows[k].sort_key)
        self._rebuild_view(added)

    def set_filter(self, predicate: Callable[[Row], bool] | None) -> None:
        self.row_filter = predicate
        self._rebuild_view()

    def set_scope(self, predicate: Callable[[Row], bool] | None) -> None:
        self.scope = predicate
        self._rebuild_view()

    def _rebuild_view(self, added: set[str] | None = None) -> None:
        anchor = self.cursor_key
        old_index = self.cursor_index
        old_top = int(self.scroll_y)
        top_key = self._view[old_top] if 0 <= old_top < len(self._view) else None
        # Rows added by an update: at the very top, while the user has not moved the cursor off the first row,
        # they show there (the user watches the newest); anywhere else the rows in view and the cursor row stay
        # where they are on the screen, and the title counts the new rows above (``new_above``)
        keep_view = old_top > 0 or (added is not None and not self._follow_top)
        filt, scope = self.row_filter, self.scope
        if filt is None and scope is None:
            view = self._order if not self._order else list(self._order)
        else:
            rows = self.rows
            view = [k for k in self._order if (scope is None or scope(rows[k])) and (filt is None or filt(rows[k]))]
        self._view = view
        self._pos = {k: i for i, k in enumerate(view)}
        if self._widths_dirty:
            self._recompute_natural()
        # cursor: same key if still shown, else same index clamped
        if anchor is not None and anchor in self._pos:
            new_index = self._pos[anchor]
        else:
            new_index = min(old_index, max(0, len(view) - 1))
        self.virtual_size = Size(self.size.width, len(view) + 1)
        # keep the first visible row where it was, unless the user follows the top (then show new rows)
        new_top = old_top
        if keep_view and top_key is not None and top_key in self._pos:
            new_top = self._pos[top_key]
            if new_top != old_top:
                self.scroll_to(y=new_top, animate=False, immediate=True)
        if added and new_top > 0:
            self._new_above.update(k for k in view[:new_top] if k in added)
        self._set_cursor(new_index, notify=anchor != (view[new_index] if view else None))
        self._prune_new_above()
        self.refresh()

    @property
    def new_above(self) -> int:
        """New rows above the viewport that the user has not scrolled to yet."""
        return len(self._new_above)

    def _prune_new_above(self) -> None:
        """Forget the new rows that are in view (or above nothing any more, or gone)."""
        if not self._new_above:
            return
        top, pos = int(self.scroll_y), self._pos
        seen = {k for k in self._new_above if k not in pos or pos[k] >= top}
        if seen:
            self._new_above -= seen
            self.post_message(self.NewAboveChanged(self))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._prune_new_above()

    def _recompute_natural(self) -> None:
        natural = [cell_len(c.label) for c in self.columns]
        caps = self._caps
        for i in range(len(natural)):
            for row in self.rows.values():
                if natural[i] >= caps[i]:
                    break
                w = _cell_width(row.cells[i])
                if w > natural[i]:
                    natural[i] = w
        self._natural = natural
        self._widths_dirty = False
        self._layout = None

    # ------------------------------------------------------------------ queries

    @property
    def view_keys(self) -> list[str]:
        return self._view

    @property
    def row_count(self) -> int:
        return len(self._view)

    @property
    def cursor_row(self) -> Row | None:
        if self.cursor_key is None:
            return None
        return self.rows.get(self.cursor_key)

    def selected_rows(self) -> list[Row]:
        """The marked rows (those still present), or the cursor row when nothing is marked."""
        marked = [self.rows[k] for k in self._order if k in self.marks]
        if marked:
            return marked
        row = self.cursor_row
        return [row] if row is not None else []

    def move_cursor_to_key(self, key: str) -> bool:
        if key in self._pos:
            self._move(self._pos[key])
            return True
        return False

    def clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self.post_message(self.MarksChanged(self))
            self.refresh()

    # ------------------------------------------------------------------ cursor

    def _set_cursor(self, index: int, notify: bool = True) -> None:
        n = len(self._view)
        index = max(0, min(index, n - 1)) if n else 0
        key = self._view[index] if n else None
        changed = key != self.cursor_key
        self.cursor_key = key
        self.set_reactive(NodeTable.cursor_index, index)
        self._scroll_cursor_visible()
        self.refresh()
        if changed and notify:
            self.post_message(self.CursorMoved(self, key))

    def _scroll_cursor_visible(self) -> None:
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        idx = self.cursor_index
        if idx < top:
            self.scroll_to(y=idx, animate=False, immediate=True)
        elif idx >= top + visible:
            self.scroll_to(y=idx - visible + 1, animate=False, immediate=True)

    def _move(self, index: int) -> None:
        """The user moves the cursor: on the first row, new rows show at the top again."""
        self._set_cursor(index)
        self._follow_top = self.cursor_index == 0

    def action_cursor_up(self) -> None:
        self._move(self.cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor_index + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor_index - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._move(self.cursor_index + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._view) - 1)

    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        if key in self.marks:
            self.marks.discard(key)
        else:
            self.marks.add(key)
        self.post_message(self.MarksChanged(self))
        self._move(self.cursor_index + 1)
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y >= 1:
            self._move(int(self.scroll_y) + y - 1)

    def on_resize(self, event: events.Resize) -> None:
        self._layout = None
        self.virtual_size = Size(event.size.width, len(self._view) + 1)
        self._scroll_cursor_visible()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def _current_layout(self, width: int) -> list[tuple[int, int]]:
        empty = not self.rows
        if self._layout is None or self._layout_width != width or self._layout_empty != empty:
            natural = self._natural
            if empty:  # no cells to measure: the columns' typical widths, not their labels squashed together
                natural = [max(n, c.min_width) for n, c in zip(natural, self.columns)]
            self._layout = fit_columns(self.columns, natural, width)
            self._layout_width = width
            self._layout_empty = empty
        return self._layout

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        layout = self._current_layout(width)
        if y == 0:
            style = base + self.get_component_rich_style("nodetable--header")
            parts = [fit_cell(self.columns[i].label, w, self.columns[i].align) for i, w in layout]
            line = (" " * GAP).join(parts)
            return Strip([Segment(fit_cell(line, width), style)], width)
        index = int(self.scroll_y) + y - 1
        if index >= len(self._view):
            if index == 0 and y == 1:
                style = base + self.get_component_rich_style("nodetable--empty")
                return Strip([Segment(fit_cell(self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        key = self._view[index]
        row = self.rows[key]
        marked = key in self.marks
        # the mark's partial style: a component's full style carries the widget's background, which painted over
        # the cursor's (a marked row under the cursor looked like any marked row); the cursor background always
        # shows, and a mark keeps its colour on top of it
        if marked:
            base = base + self.get_component_rich_style("nodetable--marked", partial=True)
        if index == self.cursor_index:
            cursor_style = self.get_component_rich_style(
                "nodetable--cursor" if self.has_focus else "nodetable--cursor-blurred"
            )
            row_style = base + (Style(bgcolor=cursor_style.bgcolor) if marked else cursor_style)
        else:
            row_style = base
        segments: list[Segment] = []
        used = 0
        cells = row.cells
        styler = self.style_cell
        cursor = index == self.cursor_index
        for n, (i, w) in enumerate(layout):
            if n:
                segments.append(Segment(" ", row_style))
                used += 1
            text = str(cells[i])
            style = row_style
            if styler is not None and not cursor:
                cls = styler(i, text)
                if cls:
                    style = row_style + self.get_component_rich_style("nodetable--" + cls)
            col = self.columns[i]
            if marked and not n and w > 1:  # the mark is readable without colour: a glyph before the first cell
                # a short id just loses its last digit (an ellipsis would take one more); other text is fitted
                cell = set_cell_size(text, w - 1) if col.key == "id" else fit_cell(text, w - 1, col.align, col.cut)
                segments.append(Segment(MARK + cell, style))
            else:
                segments.append(Segment(fit_cell(text, w, col.align, col.cut), style))
            used += w
        if used < width:
            segments.append(Segment(" " * (width - used), row_style))
        return Strip(segments, width)
