"""Port-forwards: starting one (``shift+f`` on a pod) and ``:forwards`` — the active forwards with their
connections and byte counts; ``x`` stops the selected one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from crit.render.human import size as human_size
from crit.render.sanitize import sanitize
from crit.stream.portforward import PortForward
from crit.ui.forwards.dialog import ForwardRequest
from crit.ui.guard import unless_torn_down
from crit.ui.keyed_table import cursor_key, sync_rows
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


class ForwardsScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("x,ctrl+k,delete", "stop", "Stop forward", show=True),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]

    DEFAULT_CSS = """
    ForwardsScreen #fw-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    ForwardsScreen #fw-empty { padding: 1 2; color: $text-muted; }
    ForwardsScreen DataTable { height: 1fr; }
    ForwardsScreen #fw-error { height: auto; max-height: 3; padding: 0 1; color: $error; display: none; }
    """

    #: short headers: at 80 columns LAST ERROR starts on screen (the selected one's error is also written in full
    #: under the table)
    COLUMNS = ("LOCAL", "POD", "PORT", "ACT", "CONNS", "IN", "OUT", "FAIL", "LAST ERROR")

    def __init__(self, app: CritApp) -> None:
        super().__init__()
        self.crit = app

    def compose(self) -> ComposeResult:
        if self.crit.readonly:  # shift+f is refused: do not send the user to it
            hint = "x stops the selected one"
            empty = "No active port-forwards. " + refusal("port-forwarding")
        else:
            hint = "x stops the selected one; shift+f on a pod starts one"
            empty = "No active port-forwards: select a pod and press shift+f."
        yield Static(f"Port-forwards   ({hint})", id="fw-title", markup=False)
        yield Static(empty, id="fw-empty", markup=False)
        table = DataTable(id="fw-table", cursor_type="row")
        table.add_columns(*self.COLUMNS)
        yield table
        yield Static("", id="fw-error", markup=False)  # the selected one's last error, in full
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.redraw()
        self.set_interval(1.0, self.redraw)

    @staticmethod
    def key(fwd: PortForward) -> str:
        return f"{fwd.host}:{fwd.local_port}"

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

    @unless_torn_down
    def redraw(self) -> None:
        forwards = {self.key(f): f for f in self.crit.forwards.forwards}
        sync_rows(self.query_one(DataTable), {key: self.row(fwd) for key, fwd in forwards.items()})
        self.query_one("#fw-empty", Static).display = not forwards
        self._show_error()

    def _show_error(self) -> None:
        fwd = self.selected()
        error = self.query_one("#fw-error", Static)
        error.display = bool(fwd is not None and fwd.last_error)
        if error.display:
            error.update(f"Last error of {fwd.address}: {sanitize(fwd.last_error)}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_error()

    def selected(self) -> PortForward | None:
        key = cursor_key(self.query_one(DataTable))
        return next((f for f in self.crit.forwards.forwards if self.key(f) == key), None)

    async def action_stop(self) -> None:
        fwd = self.selected()
        if fwd is None:
            self.notify("No port-forward selected.", severity="warning")
            return
        await self.crit.forwards.remove(fwd)
        self.notify(f"Stopped the port-forward {sanitize(fwd.describe())}.", markup=False)
        self.redraw()

    def action_close(self) -> None:
        self.dismiss()
