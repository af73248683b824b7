"""Helpers for the UI tests: the screen as plain text lines, the notifications shown."""

from __future__ import annotations

from crit.ui.textual_private import screen_strips, shown_notifications


def screen_text(app) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    return "\n".join(strip.text for strip in screen_strips(app))


def notifications(app) -> list[str]:
    """The messages of the notifications currently shown."""
    return [str(n.message) for n in shown_notifications(app)]
