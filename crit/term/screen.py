"""Terminal emulation on pyte: the features crit needs, and fast hot paths.

Layers (each a thin subclass/mixin over stock pyte, nothing forked):

* :class:`TermFeatures` (mixin for a ``pyte.Screen``): bounded scrollback, alternate screen (``?1049``/``?47``/
  ``?1047``), title (OSC 0/2, via pyte), bell → a flag, cursor shape (DECSCUSR), keypad mode (DECKPAM/DECKPNM),
  replies to device queries, mode helpers (application cursor ``?1``, bracketed paste ``?2004``, DECTCEM).
* :class:`FastScreen` = ``TermFeatures`` + speed-ups: whole-run drawing of printable ASCII, cached ``Char`` cells
  and cached SGR results. Cell-for-cell identical to stock pyte (``tests/test_term_equivalence.py``).
* :class:`TermStream` (a ``pyte.ByteStream``) routes the extra sequences; :class:`FastStream` adds a fast feed
  that handles text runs, SGR, common CSI/ESC sequences and line endings with one regex per token, and falls back
  to pyte's own parser for everything else (and for sequences split across chunks).
* :class:`Terminal` bundles a screen and a stream: ``feed(bytes)``, ``resize``, replies, title, modes.

pyte has no "dim" attribute in its ``Char``; SGR 2 is ignored exactly like stock pyte does.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any, cast

import pyte
from pyte import modes as mo
from pyte.screens import Char, Cursor, Margins, StaticDefaultDict, wcwidth

__all__ = [
    "DEFAULT_SCROLLBACK",
    "TermFeatures",
    "TermScreen",
    "FastScreen",
    "TermStream",
    "FastStream",
    "Terminal",
    "DECCKM",
    "BRACKETED_PASTE",
]

DEFAULT_SCROLLBACK = 10_000

#: private modes as pyte stores them (shifted left by 5)
DECCKM = 1 << 5
BRACKETED_PASTE = 2004 << 5
_ALT_MODES = (1049, 47, 1047)
_LAT1 = pyte.charsets.LAT1_MAP

CURSOR_SHAPES = {0: "block", 1: "block", 2: "block", 3: "underline", 4: "underline", 5: "bar", 6: "bar"}

_SGR_SPLIT = re.compile(r"\x1b\[([0-9;]*)m")
_SGR_FIND = _SGR_SPLIT.findall
_SGR_STRIP = re.compile(r"\x1b\[[0-9;]*m").sub  # no group: about twice as fast as a substitution with one
_PURE_RESET = frozenset(("", "0", "00"))

_scratch = {False: pyte.Screen(1, 1), True: pyte.Screen(1, 1)}
_scratch[True].mode.add(mo.DECSCNM)
_resolved: dict[tuple[Char, str, bool], Char] = {}


def resolve_sgr(attrs: Char, params: str, reverse: bool) -> Char:
    """Stock pyte's SGR result for cursor attributes ``attrs`` and a raw parameter string, with or without DECSCNM
    (pyte's default character depends on it). Computed by a scratch stock screen, cached."""
    key = (attrs, params, reverse)
    result = _resolved.get(key)
    if result is None:
        scratch = _scratch[reverse]
        scratch.cursor.attrs = attrs
        scratch.select_graphic_rendition(*[min(int(p or 0), 9999) for p in params.split(";")])
        result = scratch.cursor.attrs
        if len(_resolved) > 8192:
            _resolved.clear()
        _resolved[key] = result
    return result


_RESETS = ("\x1b[m", "\x1b[0m", "\x1b[00m")  # the SGR sequences in ``_PURE_RESET`` as they appear


def after_last_reset(text: str) -> int:
    """Index just after the last plain SGR reset in ``text`` (printable ASCII and SGR sequences), or -1."""
    best = -1
    for seq in _RESETS:
        i = text.rfind(seq)
        if i >= 0 and i + len(seq) > best:
            best = i + len(seq)
    return best


def sgr_end_attrs(start: Char, text: str, reverse: bool) -> Char:
    """Cursor attributes after ``text`` (printable ASCII and SGR sequences) when they were ``start`` before."""
    if "\x1b" not in text:
        return start
    attrs = start
    cut = after_last_reset(text)  # everything before the last plain reset does not matter
    if cut >= 0:
        attrs = _BLANK_REVERSE if reverse else _BLANK
        text = text[cut:]
        if "\x1b" not in text:
            return attrs
    for params in _SGR_FIND(text):
        attrs = resolve_sgr(attrs, params, reverse)
    return attrs


def sgr_runs(start: Char, text: str, reverse: bool) -> list[tuple[Char, str]]:
    """``text`` (printable ASCII and SGR sequences) as ``(attrs, text)`` runs."""
    if "\x1b" not in text:
        return [(start, text)] if text else []
    parts = _SGR_SPLIT.split(text)
    attrs = start
    runs = [(attrs, parts[0])] if parts[0] else []
    for i in range(1, len(parts), 2):
        attrs = resolve_sgr(attrs, parts[i], reverse)
        if parts[i + 1]:
            runs.append((attrs, parts[i + 1]))
    return runs


class LazyLine(tuple[Char, str, bool]):
    """A line that scrolled through during a flood, kept as it came: ``(start attrs, text with SGR, DECSCNM)``.

    Cells are computed only when the line is shown (``history_cells``) — most flood lines never are.
    """

    __slots__ = ()

    def runs(self) -> list[tuple[Char, str]]:
        return sgr_runs(self[0], self[1], self[2])


class LazyBlock:
    """Complete lines that scrolled through together during a flood, kept as they came (text with SGR, each
    fitting the width). The screen keeps blocks by number (``TermFeatures.blocks``) and the scrollback holds one
    int per line, ``number << BLOCK_SHIFT | i``, made in C by ``range``: ints are not tracked by the garbage
    collector, so a flood neither triggers young collections by the thousand (which promote the widget's
    rendered strips) nor fills the old generation with objects to scan (full collections, each a pause of tens
    of milliseconds here, would otherwise run every few seconds).

    ``start`` is the cursor attributes at the start of line 0; the attributes at the start of a later line are
    computed when asked (:meth:`start_of`), from the last plain reset before it — most lines are never shown.
    """

    __slots__ = ("start", "lines", "reverse", "_starts", "_esc")

    def __init__(self, start: Char, lines: list[str], reverse: bool) -> None:
        self.start = start
        self.lines = lines
        self.reverse = reverse
        self._starts: dict[int, Char] = {}
        self._esc: list[int] | None = None  # indices of the lines with an SGR sequence, ascending (made once)

    def _sgr_lines(self) -> list[int]:
        esc = self._esc
        if esc is None:
            lines = self.lines
            # one scan in C for the usual plain flood (``yes``: a block of thousands of one-letter lines)
            esc = [j for j, text in enumerate(lines) if "\x1b" in text] if "\x1b" in "".join(lines) else []
            self._esc = esc
        return esc

    def start_of(self, i: int) -> Char:
        """Cursor attributes at the start of line ``i`` (``i == len(lines)``: after the last line).

        Only the lines with SGR sequences matter (each line holds whole sequences): the ones after the last plain
        reset before line ``i``, found by bisecting their indices — not by walking back over every line, which
        cost O(block) per call, and a frame asks for a screenful of lines of a block of ~10,000."""
        attrs = self._starts.get(i)
        if attrs is not None:
            return attrs
        lines = self.lines
        esc = self._sgr_lines()
        end = bisect_left(esc, i)  # esc[:end]: the lines before i with a sequence
        k = end - 1
        while k >= 0:
            cut = after_last_reset(lines[esc[k]])
            if cut >= 0:
                break
            k -= 1
        if k < 0:
            attrs = sgr_end_attrs(self.start, "".join([lines[j] for j in esc[:end]]), self.reverse)
        else:
            attrs = sgr_end_attrs(
                _BLANK_REVERSE if self.reverse else _BLANK,
                lines[esc[k]][cut:] + "".join([lines[j] for j in esc[k + 1 : end]]),
                self.reverse,
            )
        if len(self._starts) > 64:
            self._starts.clear()
        self._starts[i] = attrs
        return attrs

    def line(self, i: int) -> LazyLine:
        return LazyLine((self.start_of(i), self.lines[i], self.reverse))


#: a flood line in the scrollback is ``block number << BLOCK_SHIFT | line index in the block``
BLOCK_SHIFT = 32
_LINE_MASK = (1 << BLOCK_SHIFT) - 1


def is_block_line(entry: Any) -> bool:
    """Whether a scrollback entry is a flood line of a :class:`LazyBlock` (an int)."""
    return type(entry) is int


#: a scrollback entry: the line dict as it left the screen, a flood line (:class:`LazyLine` or an int, see
#: :class:`LazyBlock`),
#: or (after :meth:`TermFeatures.compact_history`) a tuple of ``Char | None`` (``None`` = blank cell)
HistoryLine = Any


class TermFeatures:
    """Mixin adding crit's terminal features to a ``pyte.Screen`` (list it before the pyte class)."""

    if TYPE_CHECKING:  # what the pyte.Screen this is mixed into provides (as pyte declares it)
        buffer: dict[int, StaticDefaultDict[int, Char]]  # a defaultdict
        cursor: Cursor
        mode: set[int]
        dirty: set[int]
        lines: int
        columns: int
        margins: Margins | None

        def cursor_down(self, count: int | None = None) -> None: ...
        def ensure_hbounds(self) -> None: ...
        def ensure_vbounds(self, use_margins: bool | None = None) -> None: ...

    # the attributes are set before pyte's __init__ because pyte calls reset() from it
    def __init__(
        self, columns: int, lines: int, *, scrollback: int = DEFAULT_SCROLLBACK, alternate_screen: bool = True
    ) -> None:
        self.scrollback_limit = max(0, int(scrollback))
        self.history: deque[HistoryLine] = deque(maxlen=self.scrollback_limit or 1)
        self.history_added = 0  # total lines ever added (lets a viewer keep its place while history grows)
        self.alternate_screen_enabled = alternate_screen
        self.in_alternate_screen = False
        self._main_buffer: Any = None
        self._alt_saved: tuple[Cursor, Any] | None = None
        self.bell_count = 0
        self.cursor_shape = "block"
        self.cursor_blink = True
        self.keypad_application = False
        self.replies: list[str] = []
        self.blocks: dict[int, LazyBlock] = {}  # flood blocks by number, oldest first (see LazyBlock)
        self.next_block = 0
        super().__init__(columns, lines)  # type: ignore[call-arg]  # pyte.Screen's, next in the MRO

    # -- modes ----------------------------------------------------------------------------------------------
    @property
    def application_cursor(self) -> bool:
        return DECCKM in self.mode

    @property
    def bracketed_paste(self) -> bool:
        return BRACKETED_PASTE in self.mode

    @property
    def cursor_visible(self) -> bool:
        return mo.DECTCEM in self.mode

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and self.alternate_screen_enabled:
            for m in modes:
                if m in _ALT_MODES:
                    self._enter_alternate(m)
        super().set_mode(*modes, **kwargs)  # type: ignore[misc]  # pyte.Screen's, next in the MRO

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        super().reset_mode(*modes, **kwargs)  # type: ignore[misc]  # pyte.Screen's, next in the MRO
        if kwargs.get("private") and self.alternate_screen_enabled:
            for m in modes:
                if m in _ALT_MODES:
                    self._leave_alternate(m)

    # -- alternate screen ---------------------------------------------------------------------------------------
    def _enter_alternate(self, mode: int) -> None:
        if self.in_alternate_screen:
            return
        if mode == 1049:
            cur = self.cursor
            saved = Cursor(cur.x, cur.y, cur.attrs)
            saved.hidden = cur.hidden
            self._alt_saved = (saved, None)
        self._main_buffer = self.buffer
        self.buffer = defaultdict(self._main_buffer.default_factory)
        self.in_alternate_screen = True
        self.dirty.update(range(self.lines))

    def _leave_alternate(self, mode: int) -> None:
        if not self.in_alternate_screen:
            return
        self.buffer = self._main_buffer
        self._main_buffer = None
        self.in_alternate_screen = False
        columns = self.columns
        for line in self.buffer.values():  # the size may have changed meanwhile
            for x in [x for x in line if x >= columns]:
                del line[x]
        if mode == 1049 and self._alt_saved is not None:
            saved = self._alt_saved[0]
            self.cursor.x, self.cursor.y, self.cursor.attrs = saved.x, saved.y, saved.attrs
            self.ensure_hbounds()
            self.ensure_vbounds()
        self._alt_saved = None
        self.dirty.update(range(self.lines))

    # -- scrollback ---------------------------------------------------------------------------------------------
    def index(self) -> None:
        """Stock ``index`` semantics; a line leaving the top of a full-width scroll goes to the scrollback."""
        cursor = self.cursor
        margins = self.margins
        lines = self.lines
        if margins is None:
            top, bottom = 0, lines - 1
        else:
            top, bottom = margins
        if cursor.y != bottom:
            self.cursor_down()
            return
        buffer = self.buffer
        if self.scrollback_limit and top == 0 and not self.in_alternate_screen:
            # the line object leaves the screen and is never written again: keep it as is (compacted later)
            self.history.append(buffer[0])
            self.history_added += 1
        self.dirty.update(range(lines))
        if bottom > top:
            buffer.update(zip(range(top, bottom), [buffer[y] for y in range(top + 1, bottom + 1)]))
        buffer.pop(bottom, None)

    def compact_history(self, limit: int = 100_000) -> int:
        """Turn up to ``limit`` scrollback lines into compact tuples (call when idle); returns how many."""
        history = self.history
        done = 0
        for i in range(len(history) - 1, -1, -1):
            line = history[i]
            if type(line) is not StaticDefaultDict:
                continue
            history[i] = tuple(map(line.get, range(max(line, default=-1) + 1))) if line else ()
            done += 1
            if done >= limit:
                break
        return done

    def history_cells(self, line: Any, columns: int) -> list[Char | None]:
        """Cells (``None`` = blank) of one scrollback entry, ``columns`` long."""
        lazy = self.lazy_line(line)
        cells: list[Char | None]
        if lazy is not None:
            cells = cast(
                list[Char | None], [attrs._replace(data=ch) for attrs, text in lazy.runs() for ch in text][:columns]
            )
            if len(cells) < columns:
                cells.extend([None] * (columns - len(cells)))
            return cells
        if type(line) is tuple:
            cells = list(line[:columns])
            if len(cells) < columns:
                cells.extend([None] * (columns - len(cells)))
            return cells
        return list(map(line.get, range(columns)))

    def lazy_line(self, entry: Any) -> LazyLine | None:
        """The :class:`LazyLine` for a flood scrollback entry (a LazyLine or an int), else None."""
        if type(entry) is LazyLine:
            return entry
        if type(entry) is int:
            return self.blocks[entry >> BLOCK_SHIFT].line(entry & _LINE_MASK)
        return None

    def add_block(self, block: LazyBlock) -> int:
        number = self.next_block
        self.next_block += 1
        self.blocks[number] = block
        return number

    def drop_unused_blocks(self) -> None:
        """Forget the blocks no scrollback line refers to (call when no flood is pending). Lines leave the
        scrollback oldest first, and blocks are numbered in order: the ones kept are those from the oldest to the
        newest block referred to (floods in the alternate screen or without scrollback refer to none)."""
        oldest = newest = None
        for entry in self.history:
            if type(entry) is int:
                oldest = entry >> BLOCK_SHIFT
                break
        if oldest is not None:
            for entry in reversed(self.history):
                if type(entry) is int:
                    newest = entry >> BLOCK_SHIFT
                    break
        blocks = self.blocks
        for number in [n for n in blocks if oldest is None or n < oldest or n > newest]:  # type: ignore[operator]
            del blocks[number]

    def clear_history(self) -> None:
        self.history.clear()
        self.blocks.clear()

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        super().erase_in_display(how, *args, **kwargs)  # type: ignore[misc]  # pyte.Screen's, next in the MRO
        if how == 3:
            self.clear_history()

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        super().resize(lines, columns)  # type: ignore[misc]  # pyte.Screen's, next in the MRO
        self.dirty.update(range(self.lines))

    # -- title, bell, cursor shape, keypad, replies ---------------------------------------------------------------
    def bell(self, *args: Any) -> None:
        self.bell_count += 1

    def set_cursor_style(self, *params: int, **kwargs: Any) -> None:
        n = params[0] if params else 0
        if n in CURSOR_SHAPES:
            self.cursor_shape = CURSOR_SHAPES[n]
            self.cursor_blink = n in (0, 1, 3, 5)

    def set_keypad_application(self) -> None:
        self.keypad_application = True

    def set_keypad_numeric(self) -> None:
        self.keypad_application = False

    def write_process_input(self, data: str) -> None:
        """Replies to device queries (DA, DSR); the terminal owner sends them to the process."""
        self.replies.append(data)

    def reset(self) -> None:
        super().reset()  # type: ignore[misc]  # pyte.Screen's, next in the MRO
        if self.in_alternate_screen:
            self._main_buffer = None
            self.in_alternate_screen = False
        self.cursor_shape = "block"
        self.keypad_application = False

    # -- reading the screen ---------------------------------------------------------------------------------------
    def line_cells(self, y: int) -> list[Char]:
        """Cells of screen line ``y`` (defaults filled in), ``columns`` long."""
        line = self.buffer[y]
        return [line[x] for x in range(self.columns)]


class TermScreen(TermFeatures, pyte.Screen):
    """Feature screen without the speed-ups (the reference for the equivalence tests)."""


class _CharCache(dict[str, Char]):
    """``cache[ch]`` → ``attrs._replace(data=ch)``, computed once per character."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: Char) -> None:
        super().__init__()
        self.attrs = attrs

    def __missing__(self, ch: str) -> Char:
        value = self[ch] = self.attrs._replace(data=ch)
        return value


_BLANK = Char(" ")
_BLANK_REVERSE = Char(" ", reverse=True)


class FastScreen(TermScreen):
    """:class:`TermScreen` with fast hot paths; behaves cell-for-cell like stock pyte."""

    @property
    def default_char(self) -> Char:
        return _BLANK_REVERSE if mo.DECSCNM in self.mode else _BLANK

    def __init__(self, columns: int, lines: int, **kwargs: Any) -> None:
        self._char_caches: dict[Char, _CharCache] = {}
        # keys: (attrs, SGR parameters) as the screen gets them, or as the fast stream finds them (text)
        self._sgr_cache: dict[tuple[Char, tuple[int, ...] | str], Char] = {}
        super().__init__(columns, lines, **kwargs)

    # cached Char objects per attribute set (Chars are immutable named tuples: sharing them is safe)
    def _cache_for(self, attrs: Char) -> _CharCache:
        cache = self._char_caches.get(attrs)
        if cache is None:
            if len(self._char_caches) > 512:
                self._char_caches.clear()
            cache = self._char_caches[attrs] = _CharCache(attrs)
        return cache

    def draw(self, data: str) -> None:
        if self.charset or self.g0_charset is not _LAT1 or mo.IRM in self.mode or mo.DECAWM not in self.mode:
            return super().draw(data)
        if data.isascii() and data.isprintable():
            self._draw_ascii(data)
        else:
            self._draw_mixed(data)
        self.dirty.add(self.cursor.y)

    def _draw_ascii(self, data: str) -> None:
        """Draw printable ASCII (width 1 each) with auto-wrap, a whole line segment at a time."""
        cursor = self.cursor
        columns = self.columns
        buffer = self.buffer
        cache = self._cache_for(cursor.attrs)
        start, end = 0, len(data)
        while start < end:
            if cursor.x >= columns:
                self.dirty.add(cursor.y)
                self.carriage_return()
                self.linefeed()
            x = cursor.x
            k = columns - x
            if k > end - start:
                k = end - start
            buffer[cursor.y].update(zip(range(x, x + k), map(cache.__getitem__, data[start : start + k])))
            cursor.x = x + k
            start += k

    _ASCII_RUN = re.compile(r"[\x20-\x7e]+")

    def _draw_mixed(self, data: str) -> None:
        """Same per-character rules as stock ``Screen.draw`` (DECAWM set, IRM reset, identity charset)."""
        pos, n = 0, len(data)
        match = self._ASCII_RUN.match
        cursor = self.cursor
        while pos < n:
            m = match(data, pos)
            if m is not None:
                self._draw_ascii(m.group())
                pos = m.end()
                continue
            char = data[pos]
            pos += 1
            width = wcwidth(char)
            if cursor.x == self.columns:
                self.dirty.add(cursor.y)
                self.carriage_return()
                self.linefeed()
            line = self.buffer[cursor.y]
            if width == 1:
                line[cursor.x] = cursor.attrs._replace(data=char)
            elif width == 2:
                line[cursor.x] = cursor.attrs._replace(data=char)
                if cursor.x + 1 < self.columns:
                    line[cursor.x + 1] = cursor.attrs._replace(data="")
            elif width == 0 and unicodedata.combining(char):
                if cursor.x:
                    last = line[cursor.x - 1]
                    line[cursor.x - 1] = last._replace(data=unicodedata.normalize("NFC", last.data + char))
                elif cursor.y:
                    prev = self.buffer[cursor.y - 1]
                    last = prev[self.columns - 1]
                    prev[self.columns - 1] = last._replace(data=unicodedata.normalize("NFC", last.data + char))
            else:
                return  # unprintable: stock pyte drops the rest of this text run
            if width > 0:
                cursor.x = min(cursor.x + width, self.columns)

    def _materialize(self, start: Char, text: str, reverse: bool) -> Any:
        """A fresh pyte line dict with ``text`` (ASCII + SGR) drawn from column 0."""
        line = self.buffer.default_factory()  # type: ignore[attr-defined]  # pyte declares a dict, makes a defaultdict
        x = 0
        for attrs, chunk in sgr_runs(start, text, reverse):
            cache = self._char_caches.get(attrs) or self._cache_for(attrs)
            end = x + len(chunk)
            line.update(zip(range(x, end), map(cache.__getitem__, chunk)))
            x = end
        return line

    def _apply_flood(self, done: list[LazyLine | int], start: Char, text: str, attrs: Char, length: int) -> None:
        """Rebuild the screen after the complete lines ``done`` (LazyLines) and a partial line ``text``.

        Same result as drawing and scrolling them one by one from column 0 of a fresh bottom row.
        """
        buffer = self.buffer
        bottom = self.lines - 1
        reverse = mo.DECSCNM in self.mode
        k = len(done)
        if k:
            old = [buffer[y] for y in range(bottom)]  # rows 0 .. bottom-1; the bottom row was fresh
            if self.scrollback_limit and not self.in_alternate_screen:
                # lines leave in order: the old rows 0 .. bottom-1, then done[0 .. k-bottom-1]; older ones than
                # the scrollback holds would drop out anyway
                history = self.history
                first = max(0, k - (history.maxlen or 0))
                if first < bottom:
                    history.extend(old[first : min(k, bottom)])
                if k > bottom:
                    history.extend(done[max(0, first - bottom) : k - bottom])
                self.history_added += k
            for r in range(bottom):
                s = k + r
                if s < bottom:
                    buffer[r] = old[s]
                else:
                    line = done[s - bottom]
                    if not isinstance(line, LazyLine):  # a block line (an int)
                        line = self.blocks[line >> BLOCK_SHIFT].line(line & _LINE_MASK)
                    buffer[r] = self._materialize(line[0], line[1], reverse)
            self.dirty.update(range(self.lines))
            buffer.pop(bottom, None)
        if text:
            buffer[bottom] = self._materialize(start, text, reverse)
        if len(self.blocks) > 32:
            self.drop_unused_blocks()
        self.cursor.x = length
        self.cursor.attrs = attrs
        self.dirty.add(bottom)

    def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
        if kwargs:  # private SGR (CSI ? … m): stock pyte would raise TypeError; ignore it instead
            return
        key = (self.cursor.attrs, attrs)
        result = self._sgr_cache.get(key)
        if result is None:
            super().select_graphic_rendition(*attrs)
            if len(self._sgr_cache) > 4096:
                self._sgr_cache.clear()
            self._sgr_cache[key] = self.cursor.attrs
        else:
            self.cursor.attrs = result

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        self._sgr_cache.clear()  # the default char depends on DECSCNM
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        self._sgr_cache.clear()
        super().reset_mode(*modes, **kwargs)

    def report_device_status(self, mode: int = 0, *args: Any, **kwargs: Any) -> None:
        if not kwargs and not args:
            super().report_device_status(mode)


class TermStream(pyte.ByteStream):
    """pyte's byte stream plus the sequences crit's screens understand (keypad mode, cursor shape)."""

    escape = dict(pyte.ByteStream.escape)
    escape["="] = "set_keypad_application"
    escape[">"] = "set_keypad_numeric"
    csi = dict(pyte.ByteStream.csi)
    csi["q"] = "set_cursor_style"
    events = pyte.ByteStream.events | {"set_keypad_application", "set_keypad_numeric", "set_cursor_style"}


_TOKEN = re.compile(
    r"([\x20-\x7e]+)"  # 1: printable ASCII run
    r"|\x1b\[([0-9;]*)m([\x20-\x7e]*)"  # 2, 3: SGR and the (maybe empty) printable ASCII run after it
    r"|(\r\n)"  # 4: CR LF
    r"|([\r\n\x08\x07\t])"  # 5: other common controls
    r"|\x1b\[(\?)?([0-9;]*)([A-Za-z@`])"  # 6, 7, 8: CSI with plain numeric parameters
    r"|\x1b([78DEHMc=>])"  # 9: two-byte ESC sequences
)
# ``m.lastindex`` tells the alternative: 1, 3 (SGR), 4, 5, 8 (CSI), 9.

#: the end of a chunk that may continue as an SGR sequence or CR LF in the next one
_TAIL = re.compile(r"(?:\x1b(?:\[[0-9;]*)?|\r)\Z")

#: a run made only of printable ASCII, SGR sequences and CR LF: split in one go and drawn without regex matches
_RUN = re.compile(r"(?:[\x20-\x7e]++|\x1b\[[0-9;]*+m|\r\n)++")


#: a flood taken but not yet applied to the screen: complete lines (LazyLines or block lines), the partial line's
#: start attributes, text and end attributes, and its width
_Pending = tuple[list[LazyLine | int], Char, str, Char, int]


class FastStream(TermStream):
    """A ``TermStream`` whose ``feed`` handles common tokens with one regex match each.

    ``defer_flush``: when True, a flood of whole lines may be left pending at the end of ``feed`` (so the visible
    rows are built once per frame, not once per chunk); call :meth:`flush_pending` before reading the screen.
    :class:`Terminal` does that for you.

    Anything not matched (OSC, charsets, odd CSI forms, non-ASCII text, sequences split across chunks) goes through
    pyte's own parser, so behaviour is the same as stock pyte.
    """

    defer_flush = False

    def _initialize_parser(self) -> None:
        if getattr(self, "_pending", None) is not None:
            self._apply_pending()
        self._carry = ""
        super()._initialize_parser()
        listener = self.listener
        assert listener is not None
        debug = listener.debug

        def table(mapping: dict[str, str]) -> dict[str, Any]:
            return defaultdict(lambda: debug, {k: getattr(listener, v, debug) for k, v in mapping.items()})

        self._pending: _Pending | None = None
        self._carry = ""
        self._csi_table = table(self.csi)
        self._esc_table = table(self.escape)
        self._basic_table = table(self.basic)

    def feed(self, data: bytes) -> None:  # type: ignore[override]  # pyte's ByteStream.feed takes bytes too
        if self.use_utf8:
            text = self.utf8_decoder.decode(data)
        else:
            text = "".join(map(chr, data))
        self.feed_text(text)

    def feed_text(self, data: str) -> None:
        if isinstance(self.listener, FastScreen):
            self._feed_fast(data)
        else:
            self._feed_generic(data)

    def _feed_generic(self, data: str) -> None:
        listener = self.listener
        if listener is None:
            raise RuntimeError("Listener is not set")
        send = self._send_to_parser
        draw = listener.draw
        cr = listener.carriage_return
        lf = listener.linefeed
        sgr = listener.select_graphic_rendition
        csi = self._csi_table
        esc = self._esc_table
        basic = self._basic_table
        match = _TOKEN.match
        match_text = self._text_pattern.match
        taking = self._taking_plain_text
        offset, length = 0, len(data)
        while offset < length:
            if not taking:  # pyte's parser is inside a sequence: let it finish
                taking = send(data[offset])
                offset += 1
                continue
            m = match(data, offset)
            if m is None:
                t = match_text(data, offset)
                if t is not None:
                    offset = t.end()
                    draw(t.group())
                else:
                    taking = send(data[offset])
                    offset += 1
                continue
            offset = m.end()
            kind = m.lastindex
            if kind == 3:
                sgr(*[min(int(p or 0), 9999) for p in m.group(2).split(";")])
                if m.group(3):
                    draw(m.group(3))
            elif kind == 1:
                draw(m.group(1))
            elif kind == 4:
                cr()
                lf()
            elif kind == 5:
                basic[m.group(5)]()
            elif kind == 8:
                params = [min(int(p or 0), 9999) for p in m.group(7).split(";")]
                if m.group(6):
                    csi[m.group(8)](*params, private=True)
                else:
                    csi[m.group(8)](*params)
            else:  # 9: ESC x
                esc[m.group(9)]()
        self._taking_plain_text = taking

    def _flood(self, screen: FastScreen, pieces: list[str], k: int, visible: list[str] | None = None) -> int:
        """Whole lines scrolling through the bottom row (the flood fast path); see :meth:`_flood_lines`.
        ``visible``: ``pieces`` without their SGR sequences when the caller knows them.

        When every piece fits the width (the usual case), the whole run is taken at once: printable widths from
        one regex substitution over the run, the complete lines kept as one :class:`LazyBlock`, and only the
        attributes at the end computed (from the last plain reset). Otherwise line by line (:meth:`_flood_lines`).
        """
        columns = screen.columns
        if self._pending is not None:
            done, start, text, attrs, length = self._pending
        else:
            done, start, text, attrs, length = [], screen.cursor.attrs, "", screen.cursor.attrs, 0
        tail = pieces[k:] if k else pieces
        if visible is not None:  # the pieces without their SGR sequences, already known
            lens = list(map(len, visible[k:] if k else visible))
        else:
            joined = "\r\n".join(tail)
            if "\x1b" in joined:
                lens = list(map(len, _SGR_STRIP("", joined).split("\r\n")))
            else:
                lens = list(map(len, tail))
        if lens[0] + length > columns or max(lens) > columns:
            return self._flood_lines(screen, pieces, k)
        reverse = mo.DECSCNM in screen.mode
        piece = tail[0]
        if piece:
            text = text + piece if text else piece
            attrs = sgr_end_attrs(attrs, piece, reverse)
            length += lens[0]
        if len(tail) > 1:  # a CR LF follows tail[0]: that line is complete
            done.append(LazyLine((start, text, reverse)))
            middle = tail[1:-1]
            if middle:
                block = LazyBlock(attrs, middle, reverse)
                first = screen.add_block(block) << BLOCK_SHIFT
                done.extend(range(first, first + len(middle)))
                attrs = block.start_of(len(middle))
            start = attrs
            text = tail[-1]
            attrs = sgr_end_attrs(start, text, reverse)
            length = lens[-1]
        self._pending = (done, start, text, attrs, length)
        return -1

    def _flood_lines(self, screen: FastScreen, pieces: list[str], k: int) -> int:
        """Whole lines scrolling through the bottom row (the flood fast path).

        Precondition: the cursor is at column 0 of a fresh bottom row with full-screen scrolling (or a flood is
        pending from the previous chunk). ``pieces`` is a run of printable ASCII and SGR split at CR LF;
        ``pieces[k]`` starts the (current) line. Each complete line that fits the width is kept as it came
        (a :class:`LazyLine`) with only its final attributes computed; the screen is rebuilt once, by
        ``flush_pending`` (deferred to when the screen is read if ``defer_flush``). The result is the same as drawing
        and scrolling line by line (tests/test_term_equivalence.py).

        Returns -1 when every piece was taken, else the index of a piece that does not fit the width: the screen
        is then up to date with the cursor at the end of the partial line, and that piece must be drawn normally.
        """
        columns = screen.columns
        reverse = mo.DECSCNM in screen.mode
        if self._pending is not None:
            done, start, text, attrs, length = self._pending
            self._pending = None
        else:
            done, start, text, attrs, length = [], screen.cursor.attrs, "", screen.cursor.attrs, 0
        last = len(pieces) - 1
        blank = _BLANK_REVERSE if reverse else _BLANK
        find = _SGR_FIND
        for i in range(k, last + 1):
            piece = pieces[i]
            if piece:
                if "\x1b" in piece:
                    params = find(piece)
                    count = len(params)
                    n = len(piece) - 3 * count - sum(map(len, params))  # printable cells: minus "ESC [ … m"
                    if length + n > columns:
                        screen._apply_flood(done, start, text, attrs, length)
                        return i
                    # the attributes at the end of the piece: only SGRs after the last plain reset matter
                    q = count - 1
                    while q >= 0 and params[q] not in _PURE_RESET:
                        q -= 1
                    if q >= 0:
                        attrs = blank
                    for j in range(q + 1, count):
                        attrs = resolve_sgr(attrs, params[j], reverse)
                else:
                    n = len(piece)
                    if length + n > columns:
                        screen._apply_flood(done, start, text, attrs, length)
                        return i
                text = text + piece if text else piece
                length += n
            if i < last:  # a CR LF follows: the line is complete
                done.append(LazyLine((start, text, reverse)))
                start, text, length = attrs, "", 0
        self._pending = (done, start, text, attrs, length)
        return -1

    def _apply_pending(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            self.listener._apply_flood(*pending)  # type: ignore[union-attr]  # a FastScreen: only it floods

    def flush_pending(self) -> None:
        """Apply a pending flood, and the held-back end of the last chunk, to the screen (see :attr:`defer_flush`)."""
        self._apply_pending()
        carry = self._carry
        if carry:
            self._carry = ""
            self._feed_fast(carry, final=True)

    @property
    def pending_lines(self) -> int:
        return len(self._pending[0]) if self._pending is not None else 0

    def _feed_fast(self, data: str, final: bool = False) -> None:
        """The generic loop with the screen's hot paths inlined (FastScreen only).

        With ``defer_flush``, an incomplete SGR sequence or a lone CR at the very end of ``data`` is held back and
        prepended to the next chunk (``final`` processes it instead), so a flood is not interrupted by a chunk
        boundary inside a sequence.

        Local copies of screen state (cursor, buffer, columns, "simple drawing" flag) are refreshed after every
        token that may change them (CSI, ESC, pyte's parser), never after text, SGR or CR LF.
        """
        screen = self.listener
        assert isinstance(screen, FastScreen)
        send = self._send_to_parser
        draw = screen.draw
        index = screen.index
        sgr = screen.select_graphic_rendition
        sgr_cache = screen._sgr_cache
        char_caches = screen._char_caches
        cache_for = screen._cache_for
        dirty_add = screen.dirty.add
        csi = self._csi_table
        esc = self._esc_table
        basic = self._basic_table
        match = _TOKEN.match
        match_text = self._text_pattern.match
        match_run = _RUN.match
        split_sgr = _SGR_SPLIT.split
        taking = self._taking_plain_text
        IRM, DECAWM = mo.IRM, mo.DECAWM

        def state() -> tuple[Cursor, dict[int, StaticDefaultDict[int, Char]], int, bool]:
            mode = screen.mode
            simple = not screen.charset and screen.g0_charset is _LAT1 and DECAWM in mode and IRM not in mode
            return screen.cursor, screen.buffer, screen.columns, simple

        if self._carry:
            data = self._carry + data
            self._carry = ""
        if self.defer_flush and not final and taking:
            tail = _TAIL.search(data, max(0, len(data) - 40))
            if tail is not None:
                self._carry = tail.group()
                data = data[: tail.start()]
        cursor, buffer, columns, simple = state()
        offset, length = 0, len(data)
        # a flood chunk is usually one run (printable ASCII, SGR, CR LF) from start to end: checked with one SGR
        # strip and a few whole-string tests instead of the run regex; ``whole`` = the visible text of its lines
        # (same number of pieces: no CR LF was made by removing an SGR between CR and LF; printable pieces: no
        # lone CR or LF, no other control character)
        whole: list[str] | None = None
        whole_pieces: list[str] = []  # used only with ``whole``
        if taking and simple and length > 256:
            visible_text = _SGR_STRIP("", data) if "\x1b" in data else data
            if "\x1b" not in visible_text and visible_text.isascii():
                visible_lines = visible_text.split("\r\n")
                all_pieces = visible_lines if visible_text is data else data.split("\r\n")
                if len(visible_lines) == len(all_pieces) and "".join(visible_lines).isprintable():
                    whole, whole_pieces = visible_lines, all_pieces
        while offset < length:
            if not taking:
                if self._pending is not None:
                    self._apply_pending()
                taking = send(data[offset])
                offset += 1
                if taking:
                    cursor, buffer, columns, simple = state()
                continue
            r: Any  # a regex match, or ``whole`` (then ``visible`` is set and ``r`` is only tested for None)
            pieces: list[str]
            visible: list[str] | None
            if whole is not None and offset == 0 and simple:  # the whole chunk is one run (checked above)
                r = whole
                offset = length
                pieces = whole_pieces
                visible = whole
            else:
                r = match_run(data, offset)
                visible = None
            if r is not None and simple:
                if visible is None:
                    offset = r.end()
                    pieces = r.group().split("\r\n")
                npieces = len(pieces)
                bottom_row = screen.lines - 1
                p = 0
                if self._pending is not None:
                    p = self._flood(screen, pieces, 0, visible)
                    if p < 0:
                        continue
                while True:
                    # draw pieces[p] (ASCII text and SGR) from the cursor, the normal way
                    parts = split_sgr(pieces[p])
                    for q in range(0, len(parts), 2):
                        if q:
                            params = parts[q - 1]
                            key = (cursor.attrs, params)
                            attrs = sgr_cache.get(key)
                            if attrs is None:
                                sgr(*[min(int(v or 0), 9999) for v in params.split(";")])
                                attrs = sgr_cache[key] = cursor.attrs
                            else:
                                cursor.attrs = attrs
                        text = parts[q]
                        if text:
                            x = cursor.x
                            end = x + len(text)
                            if end <= columns:
                                attrs = cursor.attrs
                                cache = char_caches.get(attrs)
                                if cache is None:
                                    cache = cache_for(attrs)
                                buffer[cursor.y].update(zip(range(x, end), map(cache.__getitem__, text)))
                                cursor.x = end
                                dirty_add(cursor.y)
                            else:
                                draw(text)
                    p += 1
                    if p >= npieces:
                        break
                    cursor.x = 0  # CR LF (LF = index, plus CR under LNM: a no-op right after CR)
                    index()
                    if cursor.y == bottom_row and (screen.margins is None or screen.margins == (0, bottom_row)):
                        p = self._flood(screen, pieces, p, visible)
                        if p < 0:
                            break
                continue
            if self._pending is not None:
                self._apply_pending()
            m = match(data, offset)
            if m is None:
                t = match_text(data, offset)
                if t is not None:
                    offset = t.end()
                    draw(t.group())
                else:
                    taking = send(data[offset])
                    offset += 1
                    if taking:
                        cursor, buffer, columns, simple = state()
                continue
            offset = m.end()
            kind = m.lastindex
            if kind == 3 or kind == 1:
                if kind == 3:
                    key = (cursor.attrs, m.group(2))
                    attrs = sgr_cache.get(key)
                    if attrs is None:
                        sgr(*[min(int(p or 0), 9999) for p in m.group(2).split(";")])
                        attrs = sgr_cache[key] = cursor.attrs
                    else:
                        cursor.attrs = attrs
                    text = m.group(3)
                    if not text:
                        continue
                else:
                    text = m.group(1)
                    attrs = cursor.attrs
                x = cursor.x
                end = x + len(text)
                if simple and end <= columns:
                    cache = char_caches.get(attrs)
                    if cache is None:
                        cache = cache_for(attrs)
                    buffer[cursor.y].update(zip(range(x, end), map(cache.__getitem__, text)))
                    cursor.x = end
                    dirty_add(cursor.y)
                else:
                    draw(text)
            elif kind == 4:
                cursor.x = 0
                index()  # linefeed = index (+ CR under LNM, a no-op right after CR)
            elif kind == 5:
                basic[m.group(5)]()
            elif kind == 8:
                params = [min(int(p or 0), 9999) for p in m.group(7).split(";")]
                if m.group(6):
                    csi[m.group(8)](*params, private=True)
                else:
                    csi[m.group(8)](*params)
                cursor, buffer, columns, simple = state()
            else:  # 9: ESC x
                esc[m.group(9)]()
                cursor, buffer, columns, simple = state()
        self._taking_plain_text = taking
        if self._pending is not None and not self.defer_flush:
            self._apply_pending()


class Terminal:
    """A screen + stream pair: ``feed(bytes)``, then read ``screen``; ``take_replies()`` for device answers.

    Floods are applied lazily: reading :attr:`screen` first applies whatever the last feeds left pending, so
    a burst of chunks between two frames builds the visible rows once.
    """

    #: apply a pending flood anyway beyond this many lines (bounds the memory it holds)
    MAX_PENDING_LINES = 20_000

    def __init__(
        self, columns: int = 80, lines: int = 24, *, scrollback: int = DEFAULT_SCROLLBACK, fast: bool = True
    ) -> None:
        screen_cls = FastScreen if fast else TermScreen
        stream_cls = FastStream if fast else TermStream
        self._screen: TermScreen = screen_cls(columns, lines, scrollback=scrollback)
        self.stream = stream_cls(self._screen)
        self._deferred = isinstance(self.stream, FastStream)
        if self._deferred:
            self.stream.defer_flush = True  # type: ignore[attr-defined]  # a FastStream when _deferred
        self.errors = 0

    @property
    def screen(self) -> TermScreen:
        if self._deferred:
            self.stream.flush_pending()  # type: ignore[attr-defined]  # a FastStream when _deferred
        return self._screen

    @property
    def columns(self) -> int:
        return self._screen.columns

    @property
    def lines(self) -> int:
        return self._screen.lines

    def feed(self, data: bytes) -> None:
        try:
            self.stream.feed(data)
            if self._deferred and self.stream.pending_lines > self.MAX_PENDING_LINES:  # type: ignore[attr-defined]  # a FastStream when _deferred
                self.stream._apply_pending()  # type: ignore[attr-defined]  # a FastStream when _deferred
        except Exception:  # noqa: BLE001 - a sequence pyte cannot digest must never break the session
            self.errors += 1
            self.stream._initialize_parser()

    def resize(self, columns: int, lines: int) -> None:
        self.screen.resize(lines=max(1, lines), columns=max(1, columns))

    def take_replies(self) -> bytes:
        replies = self._screen.replies  # replies never depend on a pending flood
        if not replies:
            return b""
        data = "".join(replies).encode()
        replies.clear()
        return data

    @property
    def title(self) -> str:
        return self._screen.title
