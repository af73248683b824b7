"""The statistics view (issue 7): ``m`` on a pod or container, or ``:stats``, shows CPU / memory / filesystem use
now with sparklines — :class:`StatsScreen` (``screen.py``).  Importing this package registers the ``m`` key
(``open_stats``) and the ``:stats`` command (``stats_command``).
"""

from __future__ import annotations

from typing import Any

from crit.model.stats import CONTAINER, POD
from crit.ui.logs import NothingToShow
from crit.ui.registry import Selection, command, panel_key
from crit.ui.stats.screen import StatsScreen

__all__ = ["StatsScreen", "open_stats", "stats_command"]


@panel_key("m", "Stats", panels=("pods", "containers"))
def open_stats(app: Any, sel: Selection) -> None:
    kind = POD if sel.panel == "pods" else CONTAINER
    app.open_view(StatsScreen(app, kind, sel.row.key, sel.row.obj.metadata.name))


@command("stats", "CPU / memory / filesystem of the selected pod or container, with sparklines")
def stats_command(app: Any, args: list[str]) -> None:
    main = getattr(app, "main", None)
    if main is None:
        return
    kind = main.prompt_panel if main.prompt_panel in ("pods", "containers") else "containers"
    row = main.panels[kind].table.cursor_row
    if row is None:
        raise NothingToShow(f"Nothing selected: the {kind} panel is empty.")
    app.open_view(StatsScreen(app, POD if kind == "pods" else CONTAINER, row.key, row.obj.metadata.name))
