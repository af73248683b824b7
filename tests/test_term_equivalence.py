"""crit's fast screen must be cell-for-cell identical to stock pyte.

Two comparisons on every corpus (recorded busybox vi/top/less/sh sessions, synthesized SGR-heavy ls output,
wrapping, scroll regions, erase, insert/delete, unicode and wide characters, random fuzz), fed in chunks of many
sizes so that escape sequences and UTF-8 characters are split across ``feed`` calls:

1. stock ``pyte.ByteStream`` + ``pyte.Screen``  vs  ``FastStream`` + ``FastScreen(alternate_screen=False)``
   (stock pyte has no alternate screen, so that one feature is off here);
2. ``TermStream`` + ``TermScreen`` (crit's features on stock pyte code paths)  vs  ``FastStream`` + ``FastScreen``
   (the same features with every speed-up) — this covers the alternate screen and scrollback too.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyte
import pytest

from crit.term.screen import FastScreen, FastStream, Terminal, TermScreen, TermStream

DATA = Path(__file__).parent / "data" / "term"

RECORDED = {  # name: (columns, lines) the session was recorded with
    "vi": (80, 24),
    "top": (100, 30),
    "less": (80, 24),
    "shell_ls": (90, 28),
}


def snapshot(screen: pyte.Screen) -> tuple:
    cells = tuple(tuple(screen.buffer[y][x] for x in range(screen.columns)) for y in range(screen.lines))
    cur = screen.cursor
    return cells, (cur.x, cur.y, cur.attrs, cur.hidden), screen.title, screen.icon_name, frozenset(screen.mode)


def feed_all(stream: pyte.ByteStream, data: bytes, chunks: list[int]) -> None:
    pos, i = 0, 0
    while pos < len(data):
        size = chunks[i % len(chunks)]
        stream.feed(data[pos : pos + size])
        pos += size
        i += 1


CHUNKINGS = [[1 << 20], [1], [7, 13, 64], [4096], [3, 1, 2, 200, 5]]


def compare_with_stock(data: bytes, columns: int, lines: int, chunks: list[int]) -> None:
    ref = pyte.Screen(columns, lines)
    ref_stream = pyte.ByteStream(ref)
    feed_all(ref_stream, data, chunks)
    for defer in (False, True):  # with defer_flush a flood may stay pending across chunks until flushed
        fast = FastScreen(columns, lines, alternate_screen=False, scrollback=100)
        fast_stream = FastStream(fast)
        fast_stream.defer_flush = defer
        feed_all(fast_stream, data, chunks)
        fast_stream.flush_pending()
        assert snapshot(fast) == snapshot(ref)


def compare_with_features(data: bytes, columns: int, lines: int, chunks: list[int]) -> None:
    ref = TermScreen(columns, lines, scrollback=500)
    ref_stream = TermStream(ref)
    term = Terminal(columns, lines, scrollback=500)  # deferred floods, applied when the screen is read
    fast_stream = term.stream
    feed_all(ref_stream, data, chunks)
    feed_all(fast_stream, data, chunks)
    fast = term.screen
    assert snapshot(fast) == snapshot(ref)
    assert fast.in_alternate_screen == ref.in_alternate_screen
    assert (fast.cursor_shape, fast.keypad_application, fast.bell_count) == (
        ref.cursor_shape,
        ref.keypad_application,
        ref.bell_count,
    )
    assert fast.replies == ref.replies
    assert [fast.history_cells(h, columns) for h in fast.history] == [
        ref.history_cells(h, columns) for h in ref.history
    ]


# --- corpora ---------------------------------------------------------------------------------------------------


def synth_ls(n: int = 400, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    colors = ["01;34", "01;32", "0", "01;36", "38;5;208", "38;2;10;20;30", "1;4;7", "31;42", "", "00", "40;33;01"]
    out = []
    for _ in range(n):
        entries = [
            f"\x1b[{rnd.choice(colors)}mfile{rnd.randint(0, 10 ** rnd.randint(1, 9))}\x1b[0m"
            for _ in range(rnd.randint(1, 9))
        ]
        out.append("  ".join(entries))
    return ("\r\n".join(out) + "\r\n").encode()


def synth_plain(n: int = 300) -> bytes:
    return "".join(f"{i:06d} " + "lorem ipsum dolor sit amet " * (i % 7) + "\r\n" for i in range(n)).encode()


def synth_flood(n: int = 2500, seed: int = 3) -> bytes:
    """Many lines through the bottom row: empty, exactly full-width, too long (wrap), colored, LF-only, a prompt."""
    rnd = random.Random(seed)
    out = ["$ cat file\r\n"]
    for i in range(n):
        k = rnd.random()
        if k < 0.1:
            line = ""
        elif k < 0.2:
            line = "F" * 80
        elif k < 0.3:
            line = "W" * rnd.randint(81, 200)
        elif k < 0.7:
            line = "".join(
                f"\x1b[{rnd.choice(['1;31', '0', '38;5;33', '7', ''])}m{'x' * rnd.randint(0, 20)}"
                for _ in range(rnd.randint(1, 6))
            )
        else:
            line = f"{i:05d} plain text line " + "." * rnd.randint(0, 50)
        out.append(line + ("\r\n" if rnd.random() < 0.95 else "\n"))
    out.append("$ ")
    return "".join(out).encode()


def synth_flood_fitting(n: int = 3000, seed: int = 5, columns: int = 80, reverse_video: bool = False) -> bytes:
    """A flood where every line fits the width (the whole-run path): attributes carried across many lines (no
    reset for a while), plain resets in every form (``0``, ``00``, empty), lines exactly full-width, empty lines."""
    rnd = random.Random(seed)
    sgrs = ["1;31", "38;5;33", "7", "4", "42", "38;2;1;2;3", "22;27", "39;49", "1;4;7", "9", "5;35"]
    out = ["\x1b[?5h" if reverse_video else "", "$ cat file\r\n"]
    for _ in range(n):
        k = rnd.random()
        if k < 0.08:
            line = ""
        elif k < 0.16:
            line = f"\x1b[{rnd.choice(sgrs)}m" + "F" * columns
        elif k < 0.2:
            line = "\x1b[" + rnd.choice(["0", "00", ""]) + "m" + "r" * rnd.randint(0, columns)
        else:
            parts, width = [], 0
            for _ in range(rnd.randint(1, 6)):
                w = rnd.randint(0, max(0, min(15, columns - width)))
                width += w
                reset = rnd.random() < 0.05
                parts.append(f"\x1b[{'0' if reset else rnd.choice(sgrs)}m" + "x" * w)
            line = "".join(parts)
        out.append(line + "\r\n")
    out.append("\x1b[0m$ ")
    return "".join(out).encode()


def synth_flood_edges(n: int = 1500, seed: int = 7, only: int | None = None) -> bytes:
    """Floods that look like one run of text, SGR and CR LF but are not: an SGR between CR and LF, an escape
    that only ends like SGR, DEL, a lone CR or LF, a non-SGR CSI, non-ASCII text."""
    rnd = random.Random(seed)
    odd = ["\r\x1b[0m\n", "\x1b[1;2\x1b[0m", "\x7f", "\r", "\n", "\x1b[2K", "é", "\x1b[31;m", "\x1b[38;5m"]
    if only is not None:
        odd = [odd[only]]
    out = []
    for i in range(n):
        line = f"\x1b[{rnd.choice(['1;31', '0', '', '7'])}m{i:05d} " + "y" * rnd.randint(0, 60)
        if rnd.random() < 0.03:
            line += rnd.choice(odd) + "z" * rnd.randint(0, 9)
        out.append(line + "\r\n")
    return "".join(out).encode()


def synth_controls() -> bytes:
    parts = [
        "\x1b[2J\x1b[H",
        "A" * 250,
        "\r\n",  # wrap
        "\x1b[5;20r\x1b[20;1H",
        "scroll\n" * 30,
        "\x1b[r",  # scrolling region
        "\x1b[3;3H\x1b[1K\x1b[2K\x1b[0K",
        "\x1b[10;10Habcdef\x1b[10;12H\x1b[2@\x1b[3P\x1b[2X",
        "\x1b[12;1H\x1b[3L\x1b[2M",
        "\x1b[1J\x1b[0J\x1b[2J",
        "\x1bM" * 5,
        "\x1bD" * 5,
        "\x1bE",
        "\x1b7\x1b[15;15Hsaved\x1b8restored",
        "\x1b[4hinsert mode\x1b[4l",
        "\x1b[?7lno wrap " + "x" * 120 + "\x1b[?7h",
        "\x1b[20;70Hwide: 日本語漢字テスト and more wide 漢字漢字漢字",
        "\x1b[21;1Hcombining: e\u0301 a\u0308 \u200b zero width \u0301 at start",
        "\x1b[22;1H\x1b[1;3;4;5;7;9mall\x1b[22;23;24;25;27;29moff\x1b[38;5;196m\x1b[48;2;1;2;3mcolor\x1b[39;49m",
        "\x1b[90;100mbright\x1b[m\x1b[38;5m\x1b[38;2;1m",
        "\x07\x07",
        "\t\ttabs\x1b[3g\x1bH\t",
        "\x1b]0;title one\x07\x1b]2;title two\x1b\\\x1b]1;icon\x07",
        "\x1b[?25l\x1b[?25h\x1b[?25l",
        "\x1b[2 q\x1b[5 q",
        "\x1b=\x1b>\x1b=",
        "\x1b[?1h\x1b[?2004h",
        "\x1b(0lqqk\x1b(B",
        "\x0e\x0f",
        "ctrl\x01after",
        "\x1b[?5h\x1b[?5l",
        "\x1b[6n\x1b[5n\x1b[c",
        "\x1b[999;999H\x1b[H\x1b[0;0H\x1b[100G\x1b[100d\x1b[A\x1b[B\x1b[C\x1b[D\x1b[E\x1b[F",
        "\x1b[3;2;1;4m",
        "\x1b[>4;2m",
        "\x1b[=5h",
        "\x1b[1$p",
        "\x1b%G",
        "\x1b#8",
        "\x1bc",
        "after reset\r\n",
        "é\x9b31mC1 csi\x9b0m",
        "\x18cancel\x1b[1\x18m",
    ]
    return "".join(parts).encode("utf-8") + b"bad utf8 \xff\xfe\xc3 end"


def synth_alt_screen() -> bytes:
    return (
        "before alt\r\nline two\r\n"
        + "\x1b[?1049h\x1b[H\x1b[2Jin alt\r\n"
        + "x\r\n" * 40
        + "\x1b[?1049lback\r\n"
        + "\x1b[?47hold alt\x1b[?47l"
        + "\x1b[?1047h1047\x1b[?1047l"
        + "end\r\n"
        + "\x1b[?1049h\x1b[?1049h\x1b[?1049l\x1b[?1049l"
    ).encode()


TOKENS = [
    lambda r: "".join(r.choice("abcdefgh XYZ0123") for _ in range(r.randint(1, 120))),
    lambda r: (
        "\x1b["
        + r.choice(
            [
                "",
                "0",
                "1",
                "4",
                "7",
                "31",
                "1;32",
                f"38;5;{r.randint(0, 255)}",
                f"48;2;{r.randint(0, 255)};{r.randint(0, 255)};{r.randint(0, 255)}",
                "22;24;27",
                "39;49",
            ]
        )
        + "m"
    ),
    lambda r: "\r\n",
    lambda r: "\n",
    lambda r: "\r",
    lambda r: "\b",
    lambda r: "\t",
    lambda r: f"\x1b[{r.randint(0, 30)};{r.randint(0, 100)}H",
    lambda r: f"\x1b[{r.choice(['', '0', '1', '2'])}{r.choice('JK')}",
    lambda r: f"\x1b[{r.randint(0, 5)}{r.choice('@PXLMABCDEFGd')}",
    lambda r: f"\x1b[{r.randint(0, 12)};{r.randint(0, 30)}r",
    lambda r: r.choice(["\x1bM", "\x1bD", "\x1bE", "\x1b7", "\x1b8", "\x1b[s", "\x1b[u"]),
    lambda r: r.choice(["日本", "é", "e\u0301", "\u200b", "✓", "🙂", "ｱ", "\u0301"]),
    lambda r: r.choice(
        [
            "\x1b[?1049h",
            "\x1b[?1049l",
            "\x1b[?47h",
            "\x1b[?47l",
            "\x1b[4h",
            "\x1b[4l",
            "\x1b[?7l",
            "\x1b[?7h",
            "\x1b[?6h",
            "\x1b[?6l",
            "\x1b[20h",
            "\x1b[20l",
            "\x1b[?25l",
        ]
    ),
    lambda r: r.choice(["\x1b]2;t\x07", "\x1b]0;x\x1b\\", "\x07", "\x1b[3 q", "\x1b=", "\x1b>"]),
]


def synth_fuzz(seed: int, n: int = 3000) -> bytes:
    r = random.Random(seed)
    return "".join(r.choice(TOKENS)(r) for _ in range(n)).encode("utf-8")


SYNTH = {
    "ls": (synth_ls, 80, 24),
    "plain": (synth_plain, 80, 24),
    "flood": (synth_flood, 80, 24),
    "flood_narrow": (lambda: synth_flood(1500, seed=4), 33, 7),
    "flood_fitting": (synth_flood_fitting, 80, 24),
    "flood_edges": (synth_flood_edges, 80, 24),
    "flood_edges_cr_sgr_lf": (lambda: synth_flood_edges(only=0), 80, 24),
    "flood_edges_esc_in_sgr": (lambda: synth_flood_edges(only=1), 80, 24),
    "flood_fitting_narrow_reverse": (lambda: synth_flood_fitting(2000, seed=6, columns=33, reverse_video=True), 33, 7),
    "controls": (synth_controls, 80, 24),
    "alt_screen": (synth_alt_screen, 40, 10),
}


# --- tests -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RECORDED))
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=lambda c: "chunks" + "-".join(map(str, c)))
def test_recorded_sessions_match_stock_pyte(name: str, chunks: list[int]) -> None:
    data = (DATA / f"{name}.bin").read_bytes()
    assert len(data) > 500
    compare_with_stock(data, *RECORDED[name], chunks)
    compare_with_features(data, *RECORDED[name], chunks)


@pytest.mark.parametrize("name", sorted(SYNTH))
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=lambda c: "chunks" + "-".join(map(str, c)))
def test_synthesized_streams_match_stock_pyte(name: str, chunks: list[int]) -> None:
    make, columns, lines = SYNTH[name]
    data = make()
    compare_with_stock(data, columns, lines, chunks)
    compare_with_features(data, columns, lines, chunks)


@pytest.mark.parametrize("seed", range(12))
def test_random_streams_match_stock_pyte(seed: int) -> None:
    data = synth_fuzz(seed)
    r = random.Random(seed)
    chunks = [r.randint(1, 300) for _ in range(20)]
    columns, lines = r.choice([(80, 24), (20, 5), (132, 40), (7, 3)])
    compare_with_stock(data, columns, lines, chunks)
    compare_with_features(data, columns, lines, chunks)


def test_the_comparison_can_fail() -> None:
    """The snapshot really sees attributes and cursor: a different stream gives a different snapshot."""
    a = pyte.Screen(20, 4)
    b = FastScreen(20, 4)
    pyte.ByteStream(a).feed(b"\x1b[1mbold")
    FastStream(b).feed(b"\x1b[4mbold")
    assert snapshot(a) != snapshot(b)
    a2, b2 = pyte.Screen(20, 4), FastScreen(20, 4)
    pyte.ByteStream(a2).feed(b"ab")
    FastStream(b2).feed(b"ab\x1b[D")
    assert snapshot(a2) != snapshot(b2)


def test_recorded_vi_session_uses_the_alternate_screen() -> None:
    """The vi recording really switches screens; crit restores the shell's screen afterwards."""
    data = (DATA / "vi.bin").read_bytes()
    assert b"\x1b[?1049h" in data
    screen = FastScreen(80, 24)
    stream = FastStream(screen)
    stream.feed(b"$ vi notes.txt\r\n")
    stream.feed(data)
    assert not screen.in_alternate_screen
    assert screen.display[0].startswith("$ vi notes.txt")


def test_scrollback_compaction_keeps_the_cells() -> None:
    """Lines that reach the scrollback as pyte dicts (not a flood) read the same after compact_history()."""
    screen = FastScreen(30, 5, scrollback=50)
    stream = FastStream(screen)
    data = synth_controls() + b"\r\n".join(b"\x1b[3%dmline %d\x1b[0m\x1b[K\x1b[5G*" % (i % 8, i) for i in range(40))
    stream.feed(data)
    stream.feed(synth_fuzz(5, 400))
    before = [screen.history_cells(h, 30) for h in screen.history]
    assert any(type(h) is not tuple for h in screen.history)
    assert screen.compact_history() > 0
    assert all(type(h) is not dict and not isinstance(h, dict) for h in screen.history)
    assert [screen.history_cells(h, 30) for h in screen.history] == before


def test_flood_blocks_stay_bounded() -> None:
    """Flood lines in the scrollback refer to their block by number (ints: nothing for the garbage collector to
    track), and blocks no line refers to any more are forgotten (also for floods in the alternate screen)."""
    from crit.term.screen import BLOCK_SHIFT, is_block_line

    data = synth_flood_fitting(4000, seed=8)
    term = Terminal(80, 24, scrollback=300)
    for alternate in (False, True):
        if alternate:
            term.feed(b"\x1b[?1049h")
        for i in range(0, len(data), 4096):
            term.feed(data[i : i + 4096])
            if i % (4 * 4096) == 0:
                term.screen
        screen = term.screen
        refs = {e >> BLOCK_SHIFT for e in screen.history if is_block_line(e)}
        assert refs or alternate
        assert refs <= set(screen.blocks)
        assert len(screen.blocks) <= len(refs) + 33
    assert sum(map(is_block_line, term.screen.history)) > 100


def test_lazy_block_start_of_is_the_attributes_after_every_line_before() -> None:
    """``LazyBlock.start_of(i)`` looks only at the lines with SGR sequences after the last plain reset (found by
    bisection): the same attributes as resolving every line before ``i`` in order (its definition), for plain
    lines, SGR without a reset, resets in every form, with and without DECSCNM."""
    from crit.term.screen import _BLANK, LazyBlock, sgr_end_attrs

    rnd = random.Random(12)
    start = _BLANK._replace(fg="red", bold=True)
    pieces = [
        "plain",
        "",
        "\x1b[32mgreen",
        "\x1b[1;4mbold",
        "\x1b[0mreset",
        "a\x1b[mb",
        "\x1b[00m",
        "\x1b[7mrev",
        "x\x1b[44my\x1b[0m",
        "\x1b[0m\x1b[35mm",
    ]
    for reverse in (False, True):
        for weights in ((50, 1, 1, 1, 1, 1, 1, 1, 1, 1), (1,) * 10, (1, 1, 5, 5, 0, 0, 0, 5, 0, 0)):
            lines = rnd.choices(pieces, weights=weights, k=400)
            block = LazyBlock(start, lines, reverse)
            for i in [*range(0, 401, 7), 400, 1, 399]:
                assert block.start_of(i) == sgr_end_attrs(start, "".join(lines[:i]), reverse), (i, reverse)
    assert LazyBlock(start, ["y"] * 10_000, False).start_of(10_000) == start
