"""How the screens, widgets and key handlers of crit reach the running app, typed: :func:`crit_app` (the
:class:`~crit.ui.app.CritApp` a node belongs to) and :class:`Selection` (what a panel key acts on).

Textual types ``node.app`` as a plain ``App``; crit has one app class, so :func:`crit_app` says so once (a
``cast``, checked by nothing at run time) instead of each screen reading the app's parts through ``getattr``.
This module imports no other part of the UI at run time, so every area may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from crit.model import kinds
from crit.model.kinds import ResourceKind

if TYPE_CHECKING:  # pragma: no cover
    from textual.dom import DOMNode

    from crit.ui.app import CritApp

__all__ = ["Selection", "crit_app"]


def crit_app(node: DOMNode) -> CritApp:
    """The crit app ``node`` (a screen or widget, mounted) belongs to."""
    return cast("CritApp", node.app)


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
        """The kind listed in the panel (:mod:`crit.model.kinds`)."""
        return kinds.by_name(self.panel)
