"""What the main screen hands to the handlers of its keys: :class:`Selection` (the active panel, the cursor row, the
marked rows).  The handlers are listed in :mod:`crit.ui.keymap`; they and the views they open receive the app typed
(``app: CritApp``, the app's parts read directly, never through ``getattr``).  This module imports no other part of
the UI, so every area may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crit.model import kinds
from crit.model.kinds import ResourceKind

__all__ = ["Selection"]


@dataclass(frozen=True)
class Selection:
    """What a panel key acts on: the active panel (``"pods"``, ``"containers"``, ``"images"``), the cursor row
    (a :class:`crit.ui.panels.Row`: ``row.obj`` is the protobuf message, ``row.key`` its id; ``None`` only for a
    key with ``needs_row=False`` on an empty panel) and the marked rows (or ``[row]``)."""

    panel: str
    row: Any  # crit.ui.panels.Row | None (Any: the handlers read the protobuf message of their own panels)
    rows: list[Any] = field(default_factory=list)

    @property
    def kind(self) -> ResourceKind:
        """The kind listed in the panel (:mod:`crit.model.kinds`): the handlers ask it, never the panel's name."""
        return kinds.by_name(self.panel)
