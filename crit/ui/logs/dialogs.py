"""Small dialogs of the logs / port-forward area: pick a container of a pod, save a log, set up a port-forward."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from crit.render.sanitize import sanitize

__all__ = ["ContainerPicker", "SaveDialog", "SaveRequest", "PortForwardDialog", "ForwardRequest", "parse_port"]

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 76; max-width: 95%; height: auto; max-height: 95%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .label {{ color: $text-muted; }}
{name} .error {{ color: $error; height: auto; }}
{name} Horizontal {{ height: auto; width: 100%; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
{name} Input {{ width: 100%; }}
"""


class ContainerPicker(ModalScreen[str | None]):
    """Pick one of a pod's containers: ``ContainerPicker("web", [(id, "name  Running  attempt 0"), …])``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ContainerPicker")
        + """
    ContainerPicker OptionList { height: auto; max-height: 20; width: 70; }
    """
    )

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(sanitize(self.title_text)), classes="title")
            yield OptionList(*[Option(Text(sanitize(label)), id=cid) for cid, label in self.choices], id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SaveRequest:
    path: str
    raw: bool = False  # the whole CRI log file as it is on disk, not the lines shown
    timestamps: bool = False


class SaveDialog(ModalScreen[SaveRequest | None]):
    """Ask where to save the log (path prefilled), whether to copy the raw file and include timestamps."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]
    DEFAULT_CSS = _DIALOG_CSS.format(name="SaveDialog")

    def __init__(self, default_path: str, *, lines: int, timestamps: bool) -> None:
        super().__init__()
        self.default_path = default_path
        self.lines = lines
        self.timestamps = timestamps

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Save the log to a file", classes="title")
            yield Static(
                f"The {self.lines} lines loaded, as shown (original text, no escapes neutralised).",
                classes="label",
                markup=False,
            )
            yield Input(self.default_path, id="path", placeholder="file path")
            yield Checkbox("with timestamps", self.timestamps, id="timestamps")
            yield Checkbox("the whole log file instead (raw CRI format, every line on disk)", False, id="raw")
            yield Static("", classes="error", id="error", markup=False)
            with Horizontal():
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#error", Static).update("Type the path of the file to write.")
            return
        self.dismiss(
            SaveRequest(path, self.query_one("#raw", Checkbox).value, self.query_one("#timestamps", Checkbox).value)
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


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
    DEFAULT_CSS = _DIALOG_CSS.format(name="PortForwardDialog")

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
