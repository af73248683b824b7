"""Neutralising untrusted log text for display.

Minimal local version (used until/unless ``crit.render`` provides a shared sanitiser): every C0/C1 control
character except TAB becomes a visible symbol, so escape sequences (colours, cursor moves, OSC titles,
hyperlinks, clears) are shown as text and never reach the host terminal; bidirectional overrides become U+FFFD.
Rich markup needs no escaping here because widgets render the result as plain ``rich.text.Text``
(``markup=False``): ``[red]`` stays the four characters ``[red]``.
"""

from __future__ import annotations

__all__ = ["neutralise"]


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if code != 0x09:
            table[code] = chr(0x2400 + code)  # ␀ … ␟ (ESC -> ␛, CR -> ␍, LF -> ␊)
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for code in (0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = "\ufffd"
    return table


_TABLE = _build_table()


def neutralise(text: str) -> str:
    """Return ``text`` with control characters and bidi overrides made visible/harmless."""
    if text.isprintable():
        return text
    return text.translate(_TABLE)
