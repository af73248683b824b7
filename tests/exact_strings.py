"""Hostile strings for the exact-export tests: each must survive dump → load byte for byte (B6), while the
screen shows it sanitised."""

from __future__ import annotations

RLO_NAME = "abc\u202etxt.exe"  # shows as "abcexe.txt" when the bidi override is obeyed
ZWJ_EMOJI = "\U0001f469\u200d\U0001f4bb"  # woman + ZWJ + laptop: one glyph, three code points

HOSTILE = [
    RLO_NAME,
    ZWJ_EMOJI,
    "esc\x1b[31mred\x1b[0m",
    "two\nlines",
    "tab\there",
    "\"double\" 'single'",
    "[bold]markup[/]",
    "$(x);`id`",
    "nbsp\u00a0x del\x7f c1\x85 ls\u2028 bom\ufeff",
    "- looks: like yaml #",
    "é plain",
]
NUL = "nul\x00byte"
