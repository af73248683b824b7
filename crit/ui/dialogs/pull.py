"""Pull an image: reference, optional user and password."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

__all__ = ["PullDialog", "PullRequest"]


@dataclass(frozen=True)
class PullRequest:
    image: str
    username: str = ""
    password: str = ""


class PullDialog(ModalScreen[PullRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    DEFAULT_CSS = """
    PullDialog { align: center middle; }
    PullDialog > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 2;
    }
    PullDialog #pull-title { text-style: bold; margin-bottom: 1; }
    PullDialog #error { color: $error; height: auto; }
    PullDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PullDialog Button { margin-left: 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Pull an image", id="pull-title", markup=False)  # (fits 24 rows, with an error line)
            yield Label("Image reference (e.g. localhost:5000/busybox:1.36)")
            yield Input(placeholder="registry/name:tag", id="image")
            yield Label("Username (optional)")
            yield Input(id="username")
            yield Label("Password (optional)")
            yield Input(password=True, id="password")
            yield Static("", id="error", markup=False)
            with Horizontal():
                yield Button("Pull", variant="primary", id="pull")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#image", Input).focus()

    def _submit(self) -> None:
        image = self.query_one("#image", Input).value.strip()
        user = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        error = self.query_one("#error", Static)
        if not image:
            error.update("Type an image reference first, e.g. localhost:5000/busybox:1.36.")
            self.query_one("#image", Input).focus()
            return
        if any(c.isspace() for c in image):
            error.update("An image reference cannot contain spaces.")
            return
        if password and not user:
            error.update("A password needs a username too.")
            self.query_one("#username", Input).focus()
            return
        self.dismiss(PullRequest(image, user, password))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pull":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
