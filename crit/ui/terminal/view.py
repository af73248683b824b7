"""The terminal widget: an exec/attach session rendered inside crit.

``TerminalView(session_factory, title)`` — ``session_factory`` is an async callable returning a connected
:class:`crit.stream.channel.ExecStream` (interactive exec: ``tty=True, stdin=True``). The widget

* receives output into a bounded inbox (a pump task) and feeds everything that arrived meanwhile to crit's fast
  pyte screen in one batch, in slices, yielding to the event loop every ``FEED_BUDGET`` so the UI never blocks;
* renders only dirty lines (Line API, a strip cache): output asks for a frame, frames are capped at ``fps``
  (30 by default) and at ``flood_fps`` (15) while more than 128 KB arrive between two frames; sparse small
  output (typing, echo) is drawn at once;
* keeps the PTY size equal to its own size (a resize message on every change);
* sends every key to the process except the detach key (``ctrl+]`` by default) and the scrollback keys
  (``shift+pageup``/``shift+pagedown``; the mouse wheel scrolls back too);
* selects with the mouse (drag) and copies the selection to the clipboard on release (:class:`Copied`);
* when the process ends, shows ``[exited with code N]`` and its title says so and that any key closes it
  (``exited with code N — press any key to close · ended_title``; ``ended_title`` is the title without the hints
  that no longer apply, e.g. the detach key); the next key posts :class:`TerminalView.Closed`.

Messages: :class:`Detached` (detach key; the session keeps running while the widget stays mounted),
:class:`Exited` (process ended), :class:`Closed` (a key after the end), :class:`TitleChanged`.

Text from the container is untrusted: cells become ``Segment`` objects with our own styles (never markup), any
control character left in a cell is replaced, and the terminal title is sanitised before display.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from itertools import groupby
from operator import itemgetter
from typing import Any

from pyte.screens import Char
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from crit.render.sanitize import sanitize
from crit.stream.channel import ExecStream, StreamError
from crit.term.keys import key_to_bytes, normalize_key, paste_to_bytes
from crit.term.screen import DEFAULT_SCROLLBACK, Terminal

log = logging.getLogger(__name__)

__all__ = ["TerminalView", "SessionFactory"]

SessionFactory = Callable[[], Awaitable[ExecStream]]

_ANSI = {"black": 0, "red": 1, "green": 2, "brown": 3, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7}
_HEX = re.compile(r"[0-9a-fA-F]{6}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: feed at most this many bytes before checking the time budget
SLICE = 32 * 1024
#: the pump stops receiving while this many bytes wait to be fed (bounds memory; the runtime waits meanwhile)
INBOX_LIMIT = 1 << 20
#: yield to the event loop after this long of continuous feeding (seconds): keys wait at most about this long per
#: turn of the loop (a key to the detach action takes a few turns)
FEED_BUDGET = 0.002
#: while the view is not on screen (detached) or its screen has just come back, the feed pauses this long (seconds)
#: instead of one turn of the loop after each ``FEED_BUDGET``: it takes a small share of the loop, and the app's own
#: work (switching screens: mounting the footer and toasts, painting the panels) goes through its many turns quickly
EASE_PAUSE = 0.006
#: how long after its screen comes back the feed eases (seconds)
EASE_AFTER_RESUME = 0.5
#: output smaller than this since the last frame (typing, echo) is rendered at once, not at the capped rate
SMALL_OUTPUT = 2048
#: …but never more often than this (seconds)
MIN_FRAME_GAP = 0.004
#: more output than this since the last frame is a flood: frames are then capped at ``flood_fps``
FLOOD_BYTES = 128 * 1024


def _color(name: str) -> str | None:
    if name == "default":
        return None
    if name in _ANSI:
        return f"color({_ANSI[name]})"
    if name.startswith(("bright", "bfight")):
        base = name[6:]
        if base in _ANSI:
            return f"color({_ANSI[base] + 8})"
        return None
    if _HEX.fullmatch(name):
        return "#" + name.lower()
    return None


_style_cache: dict[tuple[Any, ...], Style] = {}


def cell_style(key: tuple[Any, ...]) -> Style:
    """Rich style for a pyte ``Char`` without its data: (fg, bg, bold, italics, underscore, strike, reverse, blink)."""
    style = _style_cache.get(key)
    if style is None:
        fg, bg, bold, italics, underscore, strike, reverse, blink = key
        style = Style(
            color=_color(fg),
            bgcolor=_color(bg),
            bold=bold or None,
            italic=italics or None,
            underline=underscore or None,
            strike=strike or None,
            reverse=reverse or None,
            blink=blink or None,
        )
        if len(_style_cache) > 4096:
            _style_cache.clear()
        _style_cache[key] = style
    return style


_BLANK_KEY = ("default", "default", False, False, False, False, False, False)
_BLANK_CELL = Char(" ")
_attrs_key = itemgetter(1, 2, 3, 4, 5, 6, 7, 8)
_data = itemgetter(0)


def _runs_to_segments(cells: list[Any], out: list[Segment]) -> None:
    for key, group in groupby(cells, _attrs_key):
        text = "".join(map(_data, group))
        if _UNSAFE.search(text):  # never let a control character reach the host terminal
            text = _UNSAFE.sub("?", text)
        out.append(Segment(text, cell_style(key)))


def cells_to_segments(cells: list[Any], cursor_x: int | None = None, cursor_shape: str = "block") -> list[Segment]:
    """Group cells (pyte ``Char``; ``None`` = blank) into styled segments; the cell at ``cursor_x`` shows the
    cursor: reversed (block, bar) or underlined (underline)."""
    if None in cells:
        cells = [_BLANK_CELL if c is None else c for c in cells]
    segments: list[Segment] = []
    if cursor_x is None or not 0 <= cursor_x < len(cells):
        _runs_to_segments(cells, segments)
        return segments
    if cursor_x:
        _runs_to_segments(cells[:cursor_x], segments)
    cell = cells[cursor_x]
    fg, bg, b, i, u, st, r, bl = _attrs_key(cell)
    data = _UNSAFE.sub("?", cell[0]) or " "
    if cursor_shape == "underline":
        segments.append(Segment(data, cell_style((fg, bg, b, i, not u, st, r, bl))))
    else:
        segments.append(Segment(data, cell_style((fg, bg, b, i, u, st, not r, bl))))
    if cursor_x + 1 < len(cells):
        _runs_to_segments(cells[cursor_x + 1 :], segments)
    return segments


#: the id of the detach key's binding in the app's keymap (``App.update_keymap``)
DETACH_BINDING_ID = "crit.terminal.detach"
_DEFAULT_DETACH = "ctrl+right_square_bracket"  # ctrl+]


class TerminalView(Widget, can_focus=True):
    """A live terminal for one exec/attach session (see the module docstring)."""

    #: the detach key is a priority binding: the App runs it as soon as it reads the key, before routing the key down
    #: to the widget (a flood of output never delays it). Another key than ctrl+] is set through the app's keymap
    #: when the view is mounted (Textual's public way to change a binding's key): one detach key per app.
    BINDINGS = [Binding(_DEFAULT_DETACH, "detach", "Detach", show=False, priority=True, id=DETACH_BINDING_ID)]

    DEFAULT_CSS = """
    TerminalView {
        width: 1fr;
        height: 1fr;
        background: $background;
        color: $foreground;
    }
    TerminalView.-bell {
        background: $warning 20%;
    }
    """

    class Detached(Message):
        """The user pressed the detach key; the session keeps running."""

        def __init__(self, view: TerminalView) -> None:
            super().__init__()
            self.view = view

    class Exited(Message):
        """The process ended (``exit_code`` may be None when the runtime reported another failure)."""

        def __init__(self, view: TerminalView, exit_code: int | None, description: str) -> None:
            super().__init__()
            self.view = view
            self.exit_code = exit_code
            self.description = description

    class Closed(Message):
        """A key was pressed after the process ended: return to the panels."""

        def __init__(self, view: TerminalView) -> None:
            super().__init__()
            self.view = view

    class Copied(Message):
        """The mouse selection was copied to the clipboard."""

        def __init__(self, view: TerminalView, text: str) -> None:
            super().__init__()
            self.view = view
            self.text = text

    class TitleChanged(Message):
        def __init__(self, view: TerminalView, title: str) -> None:
            super().__init__()
            self.view = view
            self.title = title

    def __init__(
        self,
        session_factory: SessionFactory,
        title: str = "",
        *,
        detach_key: str = "ctrl+]",
        scrollback: int = DEFAULT_SCROLLBACK,
        fps: float = 30.0,
        flood_fps: float = 15.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        ended_title: str | None = None,
        on_detach: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: called at once by the detach key instead of posting :class:`Detached` (see :meth:`action_detach`)
        self.detach_hook = on_detach
        self.session_factory = session_factory
        self.session_title = sanitize(title)
        self.ended_title = sanitize(ended_title) if ended_title is not None else self.session_title
        self.detach_key = normalize_key(detach_key)
        self.fps = max(1.0, float(fps))
        self.term = Terminal(80, 24, scrollback=scrollback)
        self.stream: ExecStream | None = None
        self.exit_code: int | None = None
        self.ended = False
        self.end_description = ""
        self.bytes_in = 0
        self.scroll_back = 0  # lines scrolled back into the history (0 = live)
        self._history_mark = 0
        self._strips: dict[int, Strip] = {}
        self._last_cursor: tuple[int, int, bool] | None = None
        # to the process: bytes for its stdin, or (columns, rows) for a terminal resize
        self._outgoing: asyncio.Queue[bytes | tuple[int, int]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._bell_seen = 0
        self._title_seen = ""
        self._size_sent: tuple[int, int] | None = None
        self.connected = asyncio.Event()
        self.finished = asyncio.Event()
        self.frames = 0  # frames that refreshed something (for benchmarks and tests)
        self.last_render = 0.0  # monotonic time of the last line rendered by the compositor
        self.lines_rendered = 0  # lines rendered into strips (for benchmarks and tests)
        self.finished_at = 0.0  # monotonic time the session ended (every byte fed)
        self.last_fed = 0.0  # monotonic time the last batch of output was fed (a frame is requested right after)
        self._frame_interval = 1.0 / self.fps
        self._flood_interval = 1.0 / max(1.0, min(float(flood_fps), self.fps))
        self._last_frame = 0.0
        self._frame_pending = False
        self._bytes_since_frame = 0
        self._sel_anchor: tuple[int, int] | None = None  # (row, column) in view coordinates
        self._sel_end: tuple[int, int] | None = None
        self._selecting = False
        self._last_chunk = 0.0
        self._compacted_mark = 0
        self._interactive = True  # output arrives in sparse small pieces (typing, prompts), not a flood
        self._ease_until = 0.0  # monotonic time until which the feed eases (see EASE_PAUSE)

    # -- lifecycle --------------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.detach_key != _DEFAULT_DETACH:
            self.app.update_keymap({DETACH_BINDING_ID: self.detach_key})
        self.border_title = Content(self.session_title)  # plain text, never markup
        self._sync_size()
        self.set_interval(0.25, self._tick, name="terminal-safety-frame")  # output normally requests frames
        self._tasks.append(asyncio.create_task(self._run(), name="terminal-session"))

    async def on_unmount(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.stream is not None:
            await self.stream.close()

    async def close(self) -> None:
        """Close the stream. (containerd 1.6 leaves an exec'd process running when its stream closes: ending the
        process itself is up to the caller, see crit/ui/terminal/actions.py.)"""
        if self.stream is not None:
            await self.stream.close()

    async def _run(self) -> None:
        try:
            try:
                self.stream = await self.session_factory()
            except StreamError as exc:
                self._finish(None, f"could not start the session: {exc}")
                return
            except Exception as exc:  # noqa: BLE001 - the factory calls the runtime: any failure is one sentence
                self._finish(None, f"could not start the session: {sanitize(str(exc)) or type(exc).__name__}")
                return
            self.connected.set()
            self._tasks.append(asyncio.create_task(self._writer(), name="terminal-writer"))
            cols, rows = self.term.columns, self.term.lines
            self._size_sent = (cols, rows)
            await self.stream.resize(cols, rows)
            await self._reader()
        except asyncio.CancelledError:
            raise
        except StreamError as exc:
            self._finish(None, str(exc))
        except Exception as exc:  # pragma: no cover - defensive: never a traceback in the UI
            log.exception("terminal session failed")
            self._finish(None, f"the session failed: {type(exc).__name__}")

    async def _reader(self) -> None:
        """Feed the output to the screen. A pump task receives messages into an inbox while the screen is being
        fed; each turn here takes everything that arrived meanwhile in one go (a flood is fed in big batches, so
        per-feed costs are paid once per batch, not once per ~4 KB WebSocket message; typing still comes through
        at once, one small batch). The inbox is bounded: the pump waits while it holds ``INBOX_LIMIT`` bytes,
        so the runtime is held back by TCP flow control instead of memory growing."""
        stream = self.stream
        assert stream is not None
        term = self.term
        loop_time = time.monotonic
        inbox: list[bytes] = []
        held = [0]  # bytes in the inbox
        arrived = asyncio.Event()
        space = asyncio.Event()
        outcome: list[BaseException | None] = []

        async def pump() -> None:
            try:
                while True:
                    chunk = await stream.read()
                    if chunk is None:
                        break
                    inbox.append(chunk)
                    held[0] += len(chunk)
                    arrived.set()
                    while held[0] >= INBOX_LIMIT:
                        space.clear()
                        await space.wait()
                outcome.append(None)
            except asyncio.CancelledError:
                outcome.append(None)
                raise
            except BaseException as exc:  # noqa: BLE001 - any failure of the stream goes to the reader, shown last
                outcome.append(exc)
            finally:
                arrived.set()

        self._tasks.append(asyncio.create_task(pump(), name="terminal-pump"))
        last_yield = loop_time()
        while True:
            if not inbox:
                if outcome:
                    break
                arrived.clear()
                await arrived.wait()
                continue
            data = inbox[0] if len(inbox) == 1 else b"".join(inbox)
            inbox.clear()
            held[0] = 0
            space.set()
            size = len(data)
            self._bytes_since_frame += size
            now = loop_time()
            self._interactive = now - self._last_chunk > 0.005 and size < SMALL_OUTPUT
            self._last_chunk = now
            view = memoryview(data)
            for start in range(0, size, SLICE):
                piece = view[start : start + SLICE]
                term.feed(bytes(piece))
                self.bytes_in += len(piece)
                now = loop_time()
                if now - last_yield > FEED_BUDGET:
                    # let keys, timers and rendering run (and the pump fill the inbox)
                    await asyncio.sleep(EASE_PAUSE if self.easing(now) else 0)
                    last_yield = loop_time()
            replies = term.take_replies()
            if replies:
                self._outgoing.put_nowait(replies)
            self.last_fed = loop_time()
            self._request_frame()
        error = outcome[0]
        if error is not None:
            raise error
        self._finish(stream.exit_code, stream.describe_end())

    def ease(self, seconds: float = EASE_AFTER_RESUME) -> None:
        """Let the app's work go first for a while (the host calls it when the view's screen comes back)."""
        self._ease_until = max(self._ease_until, time.monotonic() + seconds)

    def easing(self, now: float) -> bool:
        """Whether the feed makes way for the app now (hidden, or its screen came back less than the ease ago)."""
        if now < self._ease_until:
            return True
        try:
            return not self.screen.is_current  # detached: the session runs on, at a small share of the loop
        except Exception:  # noqa: BLE001 - not mounted (yet or any more): nothing on screen to make way for
            return False

    async def _writer(self) -> None:
        stream = self.stream
        assert stream is not None
        while True:
            item = await self._outgoing.get()
            try:
                if isinstance(item, bytes):
                    await stream.send(item)
                else:
                    await stream.resize(*item)
            except StreamError:
                return  # the session ended; the reader reports how

    def _finish(self, exit_code: int | None, description: str) -> None:
        if self.ended:
            return
        self.ended = True
        self.finished_at = time.monotonic()
        self.exit_code = exit_code
        self.end_description = sanitize(description)
        self.scroll_back = 0
        self.term.feed(b"\x1b[0m\r\n[" + self.end_description.encode("utf-8", "replace") + b"]")
        self.finished.set()
        self._tick()
        # the title no longer offers what the view cannot do any more (detach): it says how it ended and that a
        # key closes it — first, so that a narrow terminal cuts the names, not that
        ended = f"{self.end_description or 'ended'} — press any key to close"
        self.border_title = Content(f"{ended} · {self.ended_title}" if self.ended_title else ended)
        self.post_message(self.Exited(self, exit_code, self.end_description))

    # -- size -------------------------------------------------------------------------------------------------------
    def _sync_size(self) -> None:
        width, height = self.size.width, self.size.height
        if width <= 0 or height <= 0:
            return
        if (width, height) != (self.term.columns, self.term.lines):
            self.term.resize(width, height)
            self._strips.clear()
            self.refresh()
        if self.stream is not None and self._size_sent != (width, height) and not self.ended:
            self._size_sent = (width, height)
            self._outgoing.put_nowait((width, height))

    def on_resize(self, event: events.Resize) -> None:
        self._sync_size()

    # -- rendering --------------------------------------------------------------------------------------------------
    def _request_frame(self) -> None:
        """Render now if the last frame is old enough, else once at the next allowed time (the fps cap).

        Typing gets its echo on screen at once; a flood is rendered at most ``fps`` times per second.
        """
        now = time.monotonic()
        if now >= self._ease_until and self.easing(now):
            return  # not on screen: the safety frame (4 a second) keeps the state; the screen repaints when shown
        if self._bytes_since_frame > FLOOD_BYTES:
            due = self._last_frame + self._flood_interval
        else:
            due = self._last_frame + self._frame_interval
        if self._interactive and self._bytes_since_frame < SMALL_OUTPUT:
            due = min(due, self._last_frame + MIN_FRAME_GAP)
        if now >= due:
            self._tick()
        elif not self._frame_pending:
            self._frame_pending = True
            self.set_timer(due - now, self._timer_frame)

    def _timer_frame(self) -> None:
        self._frame_pending = False
        self._request_frame()  # re-evaluated: the output may have turned into a flood meanwhile

    def _tick(self) -> None:
        """One frame: refresh the lines that changed since the last frame."""
        self._last_frame = time.monotonic()
        self._bytes_since_frame = 0
        screen = self.term.screen
        if screen.history_added != self._history_mark:
            if self.scroll_back:
                self.scroll_back = min(
                    self.scroll_back + screen.history_added - self._history_mark, len(screen.history)
                )
            self._history_mark = screen.history_added
        cursor = screen.cursor
        cur = (cursor.x, cursor.y, cursor.hidden)
        dirty = screen.dirty
        if self._last_cursor != cur:
            if self._last_cursor is not None:
                dirty.add(self._last_cursor[1])
            dirty.add(cursor.y)
            self._last_cursor = cur
        if dirty:
            self.frames += 1
            width = self.size.width
            if self.scroll_back or len(dirty) >= screen.lines:
                self._strips.clear()
                self.refresh()
            else:
                for y in dirty:
                    self._strips.pop(y, None)
                    self.refresh(Region(0, y, width, 1))
            dirty.clear()
        if screen.history_added != self._compacted_mark and self._last_frame - self._last_chunk > 0.5:
            screen.compact_history()  # idle: scrollback lines kept as pyte dicts become compact tuples
            self._compacted_mark = screen.history_added
        if screen.bell_count != self._bell_seen:
            self._bell_seen = screen.bell_count
            self.add_class("-bell")
            self.set_timer(0.15, lambda: self.remove_class("-bell"))
        if screen.title != self._title_seen:
            self._title_seen = screen.title
            shown = sanitize(screen.title)[:200]
            base = self.session_title
            self.border_title = Content(f"{base} — {shown}" if shown and base else (shown or base))
            self.post_message(self.TitleChanged(self, shown))

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is not None:
            return strip
        screen = self.term.screen
        width = self.size.width
        columns = screen.columns
        cursor_x: int | None = None
        if self.scroll_back:
            history = screen.history
            index = len(history) - self.scroll_back + y
            if index < 0:
                cells: list[Any] = [None] * columns
            elif index < len(history):
                cells = screen.history_cells(history[index], columns)
            else:
                cells = screen.line_cells(index - len(history)) if index - len(history) < screen.lines else []
        elif y < screen.lines:
            cells = screen.line_cells(y)
            cur = screen.cursor
            if y == cur.y and not cur.hidden and self.has_focus and not self.ended:
                cursor_x = min(cur.x, columns - 1)
        else:
            cells = []
        span = self._selected_columns(y)
        if span is not None and cells:
            cells = list(cells)
            for x in range(span[0], min(span[1], len(cells))):
                cell = cells[x] or _BLANK_CELL
                cells[x] = cell._replace(reverse=not cell.reverse)
        strip = Strip(cells_to_segments(cells, cursor_x, screen.cursor_shape)).adjust_cell_length(width)
        self._strips[y] = strip
        self.lines_rendered += 1
        self.last_render = time.monotonic()
        return strip

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def on_focus(self) -> None:
        self._last_cursor = None  # the cursor is drawn only while focused: redraw its line now
        self._tick()

    def on_blur(self) -> None:
        self._last_cursor = None
        self._tick()

    # -- input ------------------------------------------------------------------------------------------------------
    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """Every key except the detach key goes to the container (even app-level shortcuts like ctrl+c)."""
        return key != self.detach_key

    def send_bytes(self, data: bytes) -> None:
        """Queue bytes for the process's stdin."""
        if data and not self.ended:
            self._outgoing.put_nowait(data)

    def _scroll(self, delta: int) -> None:
        screen = self.term.screen
        new = max(0, min(self.scroll_back + delta, len(screen.history)))
        if new != self.scroll_back:
            self.scroll_back = new
            self._history_mark = screen.history_added
            self._strips.clear()
            self.refresh()
        self.border_subtitle = Content(f"scrollback −{new}" if new else "")

    def action_detach(self) -> None:
        if self.detach_hook is not None:
            # the host leaves at once, from the app's key handling: a message would wait in the screen's queue,
            # which is busy right after the screen comes back (its footer and toasts being mounted)
            self.detach_hook()
            return
        # posted straight to the screen (it bubbles on to the app): one hop less than via this widget's queue
        target = self.screen if self.is_attached else self
        target.post_message(self.Detached(self))

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key == self.detach_key:  # normally taken by the priority binding first
            self.post_message(self.Detached(self))
            return
        if self.ended:
            self.post_message(self.Closed(self))
            return
        if event.key == "shift+pageup":
            self._scroll(max(1, self.term.lines - 1))
            return
        if event.key == "shift+pagedown":
            self._scroll(-max(1, self.term.lines - 1))
            return
        data = key_to_bytes(event.key, event.character, app_cursor=self.term.screen.application_cursor)
        if data:
            self.clear_selection()
            if self.scroll_back:
                self._scroll(-self.scroll_back)
            self.send_bytes(data)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if not self.ended:
            self.send_bytes(paste_to_bytes(event.text, bracketed=self.term.screen.bracketed_paste))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(-3)

    # -- selection and copy -------------------------------------------------------------------------------------------
    def _selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self._sel_anchor is None or self._sel_end is None or self._sel_anchor == self._sel_end:
            return None
        a, b = sorted((self._sel_anchor, self._sel_end))
        return a, b

    def _selected_columns(self, y: int) -> tuple[int, int] | None:
        """Selected column range ``[start, end)`` on view row ``y`` (reading order, like a terminal)."""
        sel = self._selection()
        if sel is None:
            return None
        (y0, x0), (y1, x1) = sel
        if not y0 <= y <= y1:
            return None
        return (x0 if y == y0 else 0, x1 if y == y1 else self.term.columns)

    def _view_cells(self, y: int) -> list[Any]:
        screen = self.term.screen
        if self.scroll_back:
            history = screen.history
            index = len(history) - self.scroll_back + y
            if 0 <= index < len(history):
                return screen.history_cells(history[index], screen.columns)
            index -= len(history)
            return screen.line_cells(index) if 0 <= index < screen.lines else []
        return screen.line_cells(y) if 0 <= y < screen.lines else []

    def selected_text(self) -> str:
        """The selected text (what was on screen), lines joined with newlines, trailing blanks removed."""
        sel = self._selection()
        if sel is None:
            return ""
        (y0, _), (y1, _) = sel
        lines = []
        for y in range(y0, y1 + 1):
            start, end = self._selected_columns(y) or (0, 0)
            cells = self._view_cells(y)[start:end]
            lines.append(_UNSAFE.sub("?", "".join((c or _BLANK_CELL)[0] for c in cells).rstrip()))
        return "\n".join(lines)

    def _refresh_selection(self) -> None:
        self._strips.clear()
        self.refresh()

    def clear_selection(self) -> None:
        if self._sel_anchor is not None:
            self._sel_anchor = self._sel_end = None
            self._refresh_selection()

    def _cell_at(self, event: events.MouseEvent) -> tuple[int, int]:
        offset = event.get_content_offset_capture(self)
        row = max(0, min(offset.y, self.size.height - 1))
        col = max(0, min(offset.x, self.term.columns))
        return row, col

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        event.stop()
        self.clear_selection()
        self._sel_anchor = self._sel_end = self._cell_at(event)
        self._selecting = True
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._selecting:
            event.stop()
            end = self._cell_at(event)
            if end != self._sel_end:
                self._sel_end = end
                self._refresh_selection()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if not self._selecting:
            return
        event.stop()
        self._selecting = False
        self.capture_mouse(False)
        self._sel_end = self._cell_at(event)
        self._refresh_selection()
        text = self.selected_text()
        if text:
            self.app.copy_to_clipboard(text)
            self.post_message(self.Copied(self, text))

    # -- inspection (tests, status lines) ------------------------------------------------------------------------------
    @property
    def display_lines(self) -> list[str]:
        """The live screen as text lines (wide-character stubs dropped)."""
        return self.term.screen.display

    @property
    def size_sent(self) -> tuple[int, int] | None:
        return self._size_sent
