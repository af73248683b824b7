"""The port-forward dialog (``shift+f`` on a pod): pod port, local port and local address."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from crit.render.sanitize import sanitize
from crit.ui.logs.dialogs import DIALOG_CSS

__all__ = ["PortForwardDialog", "ForwardRequest", "parse_port"]


def parse_port(text: str, what: str, *, allow_zero: bool = False) -> int:
    """A port number from user input; ``ValueError`` with one sentence otherwise."""
    text = text.strip()
    low = 0 if allow_zero else 1
    if not text.isdigit() or not low <= int(text) <= 65535:
        extra = " (0 picks a free one)" if allow_zero else ""
        shown = sanitize(text) or "nothing"
        raise ValueError(f"The {what} must be a number from {low} to 65535{extra}, not {shown}.")
    return int(text)


@dataclass(frozen=True)
class ForwardRequest:
    pod_port: int
    local_port: int
    address: str = "127.0.0.1"


class PortForwardDialog(ModalScreen[ForwardRequest | None]):
    """Pod port, local port (default: the same number) and local address (default 127.0.0.1)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = DIALOG_CSS.format(name="PortForwardDialog")

    def __init__(self, pod_label: str, *, suggested_port: int | None = None) -> None:
        super().__init__()
        self.pod_label = pod_label
        self.suggested_port = suggested_port

    def compose(self) -> ComposeResult:
        suggested = str(self.suggested_port) if self.suggested_port else ""
        with Vertical():
            yield Static(Text("Port-forward to pod " + sanitize(self.pod_label)), classes="title")
            yield Static("Pod port", classes="label")
            yield Input(suggested, id="pod-port", placeholder="e.g. 8080")
            yield Static("Local port (empty: the same as the pod port; 0: any free port)", classes="label")
            yield Input("", id="local-port", placeholder="same as the pod port")
            yield Static("Local address", classes="label")
            yield Input("127.0.0.1", id="address")
            yield Static("", classes="error", id="error", markup=False)
            with Horizontal():
                yield Button("Forward", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pod-port", Input).focus()

    def request(self) -> ForwardRequest:
        pod_port = parse_port(self.query_one("#pod-port", Input).value, "pod port")
        local_text = self.query_one("#local-port", Input).value.strip()
        local = pod_port if not local_text else parse_port(local_text, "local port", allow_zero=True)
        address = self.query_one("#address", Input).value.strip() or "127.0.0.1"
        return ForwardRequest(pod_port, local, address)

    def _submit(self) -> None:
        try:
            req = self.request()
        except ValueError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.dismiss(req)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pod-port" and event.value.strip():
            self.query_one("#local-port", Input).focus()
            return
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
