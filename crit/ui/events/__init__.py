"""The events timeline (issue 7): ``:events`` shows the container lifecycle events the model has seen since crit
started, then live — :class:`EventsScreen` (``screen.py``).  The handler of the ``:events``
command (``events_command``) is bound in :mod:`crit.ui.keymap`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crit.ui.events.screen import EventsScreen

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["EventsScreen", "events_command"]


def events_command(app: CritApp, args: list[str]) -> None:
    app.open_view(EventsScreen(app))
