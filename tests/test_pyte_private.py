"""pyte's internals that crit/term/screen.py builds on still exist and behave as it expects.

crit's fast screen and stream (crit/term/screen.py) subclass pyte and reach below its documented API: the stream's
parser (``_initialize_parser``, ``_send_to_parser``, ``_taking_plain_text``, ``_text_pattern``), its dispatch tables,
and the screen's buffer, cursor, modes and charsets as pyte keeps them. pyte is pinned ``<0.9``; these were checked on
pyte :data:`PYTE_CHECKED`. A failure names what changed: adapt crit/term/screen.py to the new pyte
(tests/test_term_equivalence.py then proves the fast paths still draw cell for cell like stock pyte)."""

from __future__ import annotations

import inspect
from collections import defaultdict
from importlib.metadata import version
from typing import Any

import pyte
from pyte import modes as mo
from pyte.screens import Char, Cursor, Margins, StaticDefaultDict, wcwidth

from crit.term.screen import FastScreen, FastStream, Terminal

PYTE_CHECKED = "0.8.2"


def changed(name: str, what: str) -> str:
    return (
        f"pyte {version('pyte')} changed {name}: {what}. crit/term/screen.py relies on it and was checked on pyte"
        f" {PYTE_CHECKED}: adapt it to the new pyte."
    )


def parameters(fn: Any) -> list[str]:
    """The parameter names after ``self`` (``*name``/``**name`` for variadic ones)."""
    out = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        out.append(prefix + p.name)
    return out


# ------------------------------------------------------------------------------------------------ the stream


def test_stream_parser_internals():
    for name, params in (("_initialize_parser", []), ("_send_to_parser", ["data"]), ("_parser_fsm", [])):
        fn = getattr(pyte.ByteStream, name, None)
        assert callable(fn), changed(f"Stream.{name}", "it is gone")
        assert parameters(fn) == params, changed(f"Stream.{name}", f"its parameters are now {parameters(fn)}")
    pattern = getattr(pyte.ByteStream, "_text_pattern", None)
    assert pattern is not None and pattern.match("ab\x1b[m").group() == "ab", changed(
        "Stream._text_pattern", "it no longer matches the plain text before an escape"
    )
    stream = pyte.ByteStream(pyte.Screen(10, 2))
    assert stream._taking_plain_text is True, changed("Stream._taking_plain_text", "not True on a fresh stream")
    # inside a sequence the parser says it is not taking plain text, and again after the final byte
    assert [bool(stream._send_to_parser(c)) for c in "\x1b[1m"] == [False, False, False, True], changed(
        "Stream._send_to_parser", "it no longer answers whether the parser takes plain text next"
    )
    for name in ("use_utf8", "utf8_decoder", "listener"):
        assert hasattr(stream, name), changed(f"ByteStream.{name}", "a stream no longer has it")


def test_stream_dispatch_tables():
    for name, keys in (("escape", {"7", "8", "D", "E", "H", "M", "c"}), ("csi", {"m", "H", "J", "K"})):
        table = getattr(pyte.ByteStream, name, None)
        assert isinstance(table, dict) and keys <= set(table), changed(f"Stream.{name}", "not a dict of the sequences")
    assert isinstance(pyte.ByteStream.basic, dict), changed("Stream.basic", "not a dict")
    assert isinstance(pyte.ByteStream.events, frozenset | set), changed("Stream.events", "not a set")
    assert "set_cursor_style" not in pyte.ByteStream.events, changed("Stream.events", "pyte now has DECSCUSR")


def test_attaching_initialises_the_fast_parser():
    """FastStream builds its dispatch tables in ``_initialize_parser``, which pyte calls on attach (and after an
    error in a sequence)."""
    screen = FastScreen(10, 2)
    stream = FastStream(screen)
    assert getattr(stream, "_csi_table", None) is not None, changed(
        "Stream.attach", "it no longer calls _initialize_parser"
    )
    stream.feed(b"\x1b[1mab\x1b[")
    stream.feed(b"0mc")
    assert "".join(screen.buffer[0][x].data for x in range(3)) == "abc" and screen.buffer[0][0].bold, changed(
        "the stream parser", "a sequence split across two feeds is drawn differently"
    )


# ------------------------------------------------------------------------------------------------ the screen


def test_screen_methods_crit_overrides():
    expected = {
        "__init__": ["columns", "lines"],
        "set_mode": ["*modes", "**kwargs"],
        "reset_mode": ["*modes", "**kwargs"],
        "erase_in_display": ["how", "*args", "**kwargs"],
        "resize": ["lines", "columns"],
        "bell": ["*args"],
        "select_graphic_rendition": ["*attrs"],
        "report_device_status": ["mode"],
        "write_process_input": ["data"],
        "draw": ["data"],
        "index": [],
        "reset": [],
        "debug": ["*args", "**kwargs"],
    }
    for name, params in expected.items():
        fn = getattr(pyte.Screen, name, None)
        assert callable(fn), changed(f"Screen.{name}", "it is gone")
        assert parameters(fn) == params, changed(f"Screen.{name}", f"its parameters are now {parameters(fn)}")
    assert isinstance(inspect.getattr_static(pyte.Screen, "default_char"), property), changed(
        "Screen.default_char", "no longer a property"
    )


def test_screen_state_as_crit_reads_it():
    screen = pyte.Screen(10, 3)
    buffer = screen.buffer
    assert isinstance(buffer, defaultdict) and isinstance(buffer[0], StaticDefaultDict), changed(
        "Screen.buffer", "no longer a defaultdict of StaticDefaultDict lines"
    )
    assert buffer.default_factory is not None and buffer[0].default == screen.default_char, changed(
        "Screen.buffer", "its lines no longer default to default_char"
    )
    assert isinstance(screen.cursor, Cursor) and {"x", "y", "attrs", "hidden"} <= set(Cursor.__slots__), changed(
        "Screen.cursor", "no longer a Cursor with x, y, attrs, hidden"
    )
    assert Char._fields == ("data", "fg", "bg", "bold", "italics", "underscore", "strikethrough", "reverse", "blink"), (
        changed("Char", f"its fields are now {Char._fields}")
    )
    assert screen.mode == {mo.DECAWM, mo.DECTCEM} and isinstance(screen.dirty, set), changed(
        "Screen.mode/dirty", "not the sets crit reads"
    )
    assert screen.charset == 0 and screen.g0_charset is pyte.charsets.LAT1_MAP, changed(
        "Screen.g0_charset", "not pyte.charsets.LAT1_MAP itself after reset (FastScreen compares by identity)"
    )
    assert screen.margins is None and Margins._fields == ("top", "bottom"), changed("Screen.margins", "changed")
    assert (mo.DECAWM, mo.DECTCEM, mo.DECSCNM, mo.IRM) == (7 << 5, 25 << 5, 5 << 5, 4), changed(
        "pyte.modes", "the mode numbers moved (crit.term.screen also stores ?1 and ?2004 as pyte does: shifted by 5)"
    )
    assert wcwidth("a") == 1 and wcwidth("漢") == 2, changed("pyte.screens.wcwidth", "different widths")


def test_the_terminal_on_this_pyte():
    """One end-to-end check of the whole stack on the installed pyte."""
    term = Terminal(20, 3, scrollback=10)
    term.feed(b"\x1b]2;title\x07\x1b[31mred\x1b[0m plain\r\n\xe6\xbc\xa2")
    assert term.screen.title == "title", changed("Screen.set_title", "the title is not kept")
    line = term.screen.buffer[0]
    assert line[0].fg == "red" and line[4].fg == "default" and line[4].data == "p", changed("SGR", "drawn otherwise")
    assert term.screen.buffer[1][0].data == "漢" and term.screen.cursor.x == 2, changed("draw", "wide characters")
