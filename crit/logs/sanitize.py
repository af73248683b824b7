"""Neutralising untrusted log text for display: the shared :func:`crit.render.sanitize.sanitize`.

Every control or format character (ESC, CR, BEL, C1 controls, bidi overrides, …) becomes visible text such as
``^[`` so escape sequences never reach the host terminal.  Rich markup needs no escaping here because widgets
render the result as plain ``rich.text.Text`` (``markup=False``): ``[red]`` stays the five characters ``[red]``.
"""

from __future__ import annotations

from crit.render.sanitize import sanitize

__all__ = ["neutralise"]


def neutralise(text: str, tab_size: int = 8) -> str:
    """Return ``text`` (one log line) with tabs expanded and control characters/bidi overrides made visible."""
    if "\t" in text:
        text = text.expandtabs(tab_size)
    return sanitize(text)
