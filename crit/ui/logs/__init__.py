"""The log view (issue 7): ``l`` on a container shows its log (on a pod: pick one of its containers) in
:class:`LogScreen` — the screen (``screen.py``), the scrolling line view (``logview.py``) and its dialogs
(``dialogs.py``: the container picker, save).  ``open_logs`` is the ``l`` key's handler (bound in
:mod:`crit.ui.keymap`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crit.cri.errors import CriError
from crit.cri.states import CONTAINER_RUNNING, container_state
from crit.model.kinds import CONTAINERS
from crit.render.human import short_id
from crit.render.sanitize import sanitize
from crit.ui.logs.dialogs import ContainerPicker
from crit.ui.logs.screen import LogScreen

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp
from crit.ui.base import Selection

__all__ = ["LogScreen", "NothingToShow", "open_logs"]


class NothingToShow(CriError):
    """A user-facing sentence (shown as a notification)."""


def _pod_containers(app: CritApp, pod_id: str) -> list[Any]:
    ctrs = [c for c in app.model.containers.items.values() if c.pod_sandbox_id == pod_id]
    # running first, then the newest
    return sorted(ctrs, key=lambda c: (c.state != CONTAINER_RUNNING, -c.created_at))


def open_logs(app: CritApp, sel: Selection) -> None:
    if sel.kind is CONTAINERS:
        app.open_view(LogScreen(app, sel.row.key))
        return
    pod = sel.row.obj
    ctrs = _pod_containers(app, pod.id)
    if not ctrs:
        raise NothingToShow(f"Pod {sanitize(pod.metadata.name)} has no containers, so there is no log to show.")
    if len(ctrs) == 1:
        app.open_view(LogScreen(app, ctrs[0].id))
        return
    choices = [
        (c.id, f"{c.metadata.name}   {container_state(c.state)}   attempt {c.metadata.attempt}   {short_id(c.id)}")
        for c in ctrs
    ]

    def picked(cid: str | None) -> None:
        if cid:
            app.open_view(LogScreen(app, cid))

    app.push_screen(ContainerPicker(f"Logs of which container of pod {pod.metadata.name}?", choices), picked)
