"""Port-forwards (issue 7): ``shift+f`` (or ``F``) on a pod opens :class:`PortForwardDialog` (``dialog.py``) and
starts a forward (``start_forward``); ``:forwards`` lists the active ones and stops them — :class:`ForwardsScreen`
(``screen.py``).  The handlers of the ``shift+f``/``F`` keys (``forward_key``, through
``open_port_forward``) and of the ``:forwards`` command (``forwards_command``) are bound in :mod:`crit.ui.keymap`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crit.cri.states import SANDBOX_READY
from crit.render.sanitize import sanitize
from crit.ui.base import Selection
from crit.ui.forwards.dialog import ForwardRequest, PortForwardDialog
from crit.ui.forwards.screen import ForwardsScreen, start_forward
from crit.ui.logs import NothingToShow

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = [
    "ForwardsScreen",
    "PortForwardDialog",
    "ForwardRequest",
    "start_forward",
    "open_port_forward",
    "forward_key",
    "forwards_command",
]


def forward_key(app: CritApp, sel: Selection) -> None:
    """The ``shift+f`` / ``F`` handler: the port-forward dialog for the selected pod."""
    open_port_forward(app, sel.row.obj)


def open_port_forward(app: CritApp, pod: Any) -> None:
    """The port-forward dialog for ``pod``; on OK the forward starts and is listed by ``:forwards``."""
    if pod.state != SANDBOX_READY:
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


def forwards_command(app: CritApp, args: list[str]) -> None:
    app.open_view(ForwardsScreen(app))
