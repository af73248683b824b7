"""The statistics view (issue 7): ``m`` on a pod or container, or ``:stats``, shows CPU / memory / filesystem use
now with sparklines — :class:`StatsScreen` (``screen.py``).  The handlers of the ``m`` key
(``open_stats``) and the ``:stats`` command (``stats_command``) are bound in :mod:`crit.ui.keymap`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crit.model import kinds
from crit.model.stats import CONTAINER
from crit.ui.base import Selection
from crit.ui.logs import NothingToShow
from crit.ui.stats.screen import StatsScreen

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["StatsScreen", "open_stats", "stats_command"]


def open_stats(app: CritApp, sel: Selection) -> None:
    stats_kind = sel.kind.stats_kind or CONTAINER
    app.open_view(StatsScreen(app, stats_kind, sel.row.key, sel.row.obj.metadata.name))


def stats_command(app: CritApp, args: list[str]) -> None:
    main = app.main
    if main is None:
        return
    kind = kinds.by_name(main.prompt_panel)
    if kind.stats_kind is None:  # the images panel: the containers' statistics
        kind = kinds.CONTAINERS
    row = main.panels[kind.name].table.cursor_row
    if row is None:
        raise NothingToShow(f"Nothing selected: the {kind.name} panel is empty.")
    app.open_view(StatsScreen(app, kind.stats_kind or CONTAINER, row.key, row.obj.metadata.name))
