"""Small dialogs of the log view: pick a container of a pod, save a log."""

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

__all__ = ["ContainerPicker", "SaveDialog", "SaveRequest", "DIALOG_CSS"]

DIALOG_CSS = """
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
        DIALOG_CSS.format(name="ContainerPicker")
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
    DEFAULT_CSS = DIALOG_CSS.format(name="SaveDialog")

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
