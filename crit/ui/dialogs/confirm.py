"""Yes/no confirmation naming exactly what will go; the answer defaults to no (Cancel has the focus: enter, n and
esc cancel; y, or tab to the action button and enter, confirms)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from crit.render.sanitize import sanitize

__all__ = ["ConfirmDialog"]

MAX_LISTED = 12


class ConfirmDialog(ModalScreen[bool]):
    """``ConfirmDialog("Remove 3 containers?", ["web (1a2b…)", …], verb="Remove")`` → True/False.

    ``note``: what else happens ("Its 2 running containers stop too."); ``warning``: what may break, shown in the
    warning colour ("It is pinned …")."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=True),
        Binding("n,escape", "answer(False)", "No", show=True),
    ]

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: auto; min-width: 40; max-width: 90%;
        height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmDialog #question { text-style: bold; margin-bottom: 1; }
    ConfirmDialog #note { margin-bottom: 1; }
    ConfirmDialog #warning { color: $warning; text-style: bold; margin-bottom: 1; }
    ConfirmDialog #items { color: $text; margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    def __init__(
        self, question: str, items: Sequence[str] = (), verb: str = "Yes", *, note: str = "", warning: str = ""
    ) -> None:
        super().__init__()
        self.question = question
        self.items = list(items)
        self.verb = verb
        self.note = note
        self.warning = warning

    def compose(self) -> ComposeResult:
        # one row per item, hang-indented: a long item wraps under its text, not back to the left edge
        body = Table.grid()
        body.add_column(no_wrap=True)
        body.add_column(overflow="fold")
        for item in self.items[:MAX_LISTED]:
            body.add_row(Text("  • "), Text(sanitize(item)))
        if len(self.items) > MAX_LISTED:
            body.add_row(Text("  … "), Text(f"and {len(self.items) - MAX_LISTED} more"))
        with Vertical():
            yield Static(Text(sanitize(self.question)), id="question")
            if self.note:
                yield Static(Text(sanitize(self.note)), id="note")
            if self.warning:
                yield Static(Text(sanitize(self.warning)), id="warning")
            if self.items:
                yield Static(body, id="items", markup=False)
            with Horizontal():
                yield Button(Text(f"{self.verb} (y)"), variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
