"""The last line of defence against raw control characters on the host terminal.

Untrusted text is made visible by :func:`crit.render.sanitize.sanitize` before it reaches a widget.  A few widgets
draw a value exactly as it is held, though: an ``Input`` prefilled from a spec file (``crit new pod --from FILE``)
or given a paste keeps the original characters (they must be submitted unchanged), and Textual draws them as they
are, so an ESC in a label value reached the terminal as an escape sequence.  :class:`ControlFilter`, installed
by :class:`crit.ui.app.CritApp` as a line filter, deletes every C0/C1 control character, DEL, bidirectional
control and line/paragraph separator from each drawn line.  All of these are zero cells wide, so the line keeps
its width; lines without them (nearly all) are passed through after one ``isprintable()`` check per segment.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

__all__ = ["ControlFilter", "strip_controls"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def strip_controls(text: str) -> str:
    """``text`` without the characters a terminal would interpret (or that reorder what it shows)."""
    return text if text.isprintable() else _UNSAFE.sub("", text)


class ControlFilter(LineFilter):
    """Deletes control characters from every segment drawn (see the module docstring)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        index = next(
            (
                i
                for i, segment in enumerate(segments)
                if not segment.text.isprintable() and not segment.control and _UNSAFE.search(segment.text)
            ),
            None,
        )
        if index is None:
            return segments
        out = list(segments[:index])
        for segment in segments[index:]:
            text = segment.text
            if not segment.control and not text.isprintable():
                text = _UNSAFE.sub("", text)
                if not text:
                    continue
                segment = Segment(text, segment.style, segment.control)
            out.append(segment)
        return out
