"""Logs, statistics, events and port-forwards in the UI (issue 7).  Importing this package registers:

* ``l`` on a container: its log (on a pod: pick one of its containers) — :class:`LogScreen`;
* ``m`` on a pod or container: CPU / memory / filesystem now, with sparklines — :class:`StatsScreen`;
* ``shift+f`` (or ``F``) on a pod: port-forward a local port to a pod port — ``:forwards`` lists and stops them;
* ``:events``: live container lifecycle timeline (GetContainerEvents, or transitions seen by polling).
"""

from __future__ import annotations

from typing import Any

from crit.cri.errors import CriError
from crit.model.stats import CONTAINER, POD
from crit.render.human import short_id
from crit.render.rows import container_state
from crit.render.sanitize import sanitize
from crit.ui.logs.dialogs import ContainerPicker, ForwardRequest, PortForwardDialog
from crit.ui.logs.events import EventsScreen
from crit.ui.logs.forwards import ForwardsScreen, start_forward
from crit.ui.logs.screen import LogScreen
from crit.ui.logs.stats import StatsScreen
from crit.ui.registry import Selection, command, panel_key

__all__ = [
    "LogScreen",
    "StatsScreen",
    "EventsScreen",
    "ForwardsScreen",
    "open_logs",
    "open_stats",
    "open_port_forward",
    "start_forward",
]


class NothingToShow(CriError):
    """A user-facing sentence (shown as a notification)."""


def _pod_containers(app: Any, pod_id: str) -> list[Any]:
    ctrs = [c for c in app.model.containers.items.values() if c.pod_sandbox_id == pod_id]
    # running first, then the newest
    return sorted(ctrs, key=lambda c: (c.state != 1, -c.created_at))


@panel_key("l", "Logs", panels=("containers", "pods"))
def open_logs(app: Any, sel: Selection) -> None:
    if sel.panel == "containers":
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


@panel_key("m", "Stats", panels=("pods", "containers"))
def open_stats(app: Any, sel: Selection) -> None:
    kind = POD if sel.panel == "pods" else CONTAINER
    app.open_view(StatsScreen(app, kind, sel.row.key, sel.row.obj.metadata.name))


def _forward_handler(app: Any, sel: Selection) -> None:
    open_port_forward(app, sel.row.obj)


def open_port_forward(app: Any, pod: Any) -> None:
    """The port-forward dialog for ``pod``; on OK the forward starts and is listed by ``:forwards``."""
    if pod.state != 0:
        raise NothingToShow(
            f"Pod {sanitize(pod.metadata.name)} is not ready, so nothing in it can be reached; "
            f"port-forward needs a running pod."
        )

    def answered(req: ForwardRequest | None) -> None:
        if req is None:
            return

        async def run() -> None:
            try:
                fwd = await start_forward(app, pod.id, pod.metadata.name, req)
            except Exception as exc:  # noqa: BLE001 - one sentence, never a traceback
                app.notify(sanitize(str(exc)) or type(exc).__name__, severity="error", markup=False, timeout=10)
                return
            app.notify(f"Forwarding {sanitize(fwd.describe())}; :forwards lists and stops it.", markup=False)

        app.run_worker(run(), group="forwards")

    app.push_screen(PortForwardDialog(pod.metadata.name), answered)


# PortForward is refused by a read-only client (crit.cri.client.MUTATING_RPCS): hidden under --readonly
panel_key("shift+f", "Port-fwd", panels=("pods",), mutating=True)(_forward_handler)
panel_key("F", "Port-fwd (shift+f)", panels=("pods",), mutating=True, show=False)(_forward_handler)


@command("events", "live timeline of container events (GetContainerEvents, or changes seen by polling)")
def events_command(app: Any, args: list[str]) -> None:
    app.open_view(EventsScreen(app))


@command("forwards", "the active port-forwards with byte counts; x stops one")
def forwards_command(app: Any, args: list[str]) -> None:
    app.open_view(ForwardsScreen(app))


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
