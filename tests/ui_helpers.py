"""Helpers for the UI tests: the screen as plain text lines."""

from __future__ import annotations


def screen_text(app) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def notifications(app) -> list[str]:
    """The messages of the notifications currently shown."""
    return [str(n.message) for n in app._notifications]
