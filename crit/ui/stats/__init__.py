"""The statistics view (issue 7): ``m`` on a pod or container, or ``:stats``, shows CPU / memory / filesystem use
now with sparklines — :class:`StatsScreen` (``screen.py``).  Importing this package registers the ``m`` key
(``open_stats``) and the ``:stats`` command (``stats_command``).
"""

from __future__ import annotations

from typing import Any

from crit.model import kinds
from crit.model.stats import CONTAINER
from crit.ui.logs import NothingToShow
from crit.ui.registry import Selection, command, panel_key
from crit.ui.stats.screen import StatsScreen

__all__ = ["StatsScreen", "open_stats", "stats_command"]


@panel_key("m", "Stats", panels=("pods", "containers"))
def open_stats(app: Any, sel: Selection) -> None:
    stats_kind = kinds.by_name(sel.panel).stats_kind or CONTAINER
    app.open_view(StatsScreen(app, stats_kind, sel.row.key, sel.row.obj.metadata.name))


@command("stats", "CPU / memory / filesystem of the selected pod or container, with sparklines")
def stats_command(app: Any, args: list[str]) -> None:
    main = getattr(app, "main", None)
    if main is None:
        return
    kind = kinds.by_name(main.prompt_panel)
    if kind.stats_kind is None:  # the images panel: the containers' statistics
        kind = kinds.CONTAINERS
    row = main.panels[kind.name].table.cursor_row
    if row is None:
        raise NothingToShow(f"Nothing selected: the {kind.name} panel is empty.")
    app.open_view(StatsScreen(app, kind.stats_kind or CONTAINER, row.key, row.obj.metadata.name))
