"""Port-forwards: starting one (``shift+f`` on a pod) and ``:forwards`` — the active forwards with their
connections and byte counts; ``x`` stops the selected one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from crit.render.human import size as human_size
from crit.render.sanitize import sanitize
from crit.stream.portforward import PortForward
from crit.ui.forwards.dialog import ForwardRequest
from crit.ui.listscreen import ListScreen
from crit.ui.readonly import refusal

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["ForwardsScreen", "start_forward"]


async def start_forward(app: CritApp, pod_id: str, pod_name: str, req: ForwardRequest) -> PortForward:
    """Listen on ``req.address:req.local_port`` and relay every connection to the pod's port through a fresh
    PortForward URL (via ``app.client``).  Errors from the error channel become notifications."""
    client = app.client
    port = req.pod_port
    label = sanitize(pod_name) or pod_id[:13]

    async def url() -> str:
        return await client.port_forward(pod_id, [port])

    def on_error(message: str) -> None:
        app.notify(f"{label}:{port}: {sanitize(message)}", severity="error", markup=False, timeout=8)

    insecure = app.options.stream_insecure
    fwd = PortForward(
        url,
        port,
        req.local_port,
        host=req.address,
        pod_id=pod_id,
        pod_name=pod_name,
        insecure=insecure,
        on_error=on_error,
    )
    await app.forwards.add(fwd)
    return fwd


class ForwardsScreen(ListScreen[PortForward]):
    """``:forwards`` — the active port-forwards with their byte counts; x stops one."""

    PREFIX = "fw"
    #: short headers: at 80 columns LAST ERROR starts on screen (the selected one's error is also written in full
    #: under the table)
    COLUMNS = ("LOCAL", "POD", "PORT", "ACT", "CONNS", "IN", "OUT", "FAIL", "LAST ERROR")
    ACT = ("stop", "Stop forward")
    EXTRA_CSS = (
        "ForwardsScreen #fw-error { height: auto; max-height: 3; padding: 0 1; color: $error; display: none; }\n"
    )

    def __init__(self, app: CritApp) -> None:
        super().__init__()
        self.crit = app

    def title_text(self) -> str:
        if self.crit.readonly:  # shift+f is refused: do not send the user to it
            return "Port-forwards   (x stops the selected one)"
        return "Port-forwards   (x stops the selected one; shift+f on a pod starts one)"

    def empty_text(self) -> str:
        if self.crit.readonly:
            return "No active port-forwards. " + refusal("port-forwarding")
        return "No active port-forwards: select a pod and press shift+f."

    def compose_below(self) -> ComposeResult:
        yield Static("", id="fw-error", markup=False)  # the selected one's last error, in full

    @staticmethod
    def key(fwd: PortForward) -> str:
        return f"{fwd.host}:{fwd.local_port}"

    def items(self) -> dict[str, PortForward]:
        return {self.key(f): f for f in self.crit.forwards.forwards}

    def row(self, fwd: PortForward) -> tuple[Text, ...]:
        return (
            Text(fwd.address),
            Text(sanitize(fwd.pod_name) or fwd.pod_id[:13]),
            Text(str(fwd.remote_port)),
            Text(str(fwd.active)),
            Text(str(fwd.connections_total)),
            Text(human_size(fwd.bytes_in)),
            Text(human_size(fwd.bytes_out)),
            Text(str(fwd.failures), style="red" if fwd.failures else ""),
            Text(sanitize(fwd.last_error)),
        )

    def redrawn(self) -> None:
        self._show_error()

    def _show_error(self) -> None:
        fwd = self.selected()
        error = self.query_one("#fw-error", Static)
        error.display = bool(fwd is not None and fwd.last_error)
        if fwd is not None and error.display:
            error.update(f"Last error of {fwd.address}: {sanitize(fwd.last_error)}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_error()

    async def action_stop(self) -> None:
        fwd = self.selected()
        if fwd is None:
            self.notify("No port-forward selected.", severity="warning")
            return
        await self.crit.forwards.remove(fwd)
        self.notify(f"Stopped the port-forward {sanitize(fwd.describe())}.", markup=False)
        self.redraw()
