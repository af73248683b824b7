"""The events timeline (issue 7): ``:events`` shows the container lifecycle events the model has seen since crit
started, then live — :class:`EventsScreen` (``screen.py``).  Importing this package registers the ``:events``
command (``events_command``).
"""

from __future__ import annotations

from typing import Any

from crit.ui.events.screen import EventsScreen
from crit.ui.registry import command

__all__ = ["EventsScreen", "events_command"]


@command("events", "live timeline of container events (GetContainerEvents, or changes seen by polling)")
def events_command(app: Any, args: list[str]) -> None:
    app.open_view(EventsScreen(app))
