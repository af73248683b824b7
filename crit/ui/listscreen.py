"""The list views' shared base (``:sessions``, ``:forwards``): a one-line title bar, a sentence while the list is
empty, a table of keyed rows redrawn every second, a footer; ``escape``/``q`` go back and ``x`` (``ctrl+k``,
``delete``) acts on the selected row.

A subclass names its ids (``PREFIX``: ``#<prefix>-title``, ``-empty``, ``-table``), its columns, its action on
``x`` (``ACT``: action name and footer label) and says what is listed (:meth:`ListScreen.items`, keyed by the row
key) and how a row reads (:meth:`ListScreen.row`).  The title bar's look is the ``view-title`` class (crit.tcss).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from crit.ui.guard import unless_torn_down
from crit.ui.keyed_table import cursor_key, sync_rows

__all__ = ["ListScreen"]

T = TypeVar("T")


class ListScreen(Screen[None], Generic[T]):
    """A list of ``T`` (see the module's docstring)."""

    #: ids of the title, the empty sentence and the table: ``#<PREFIX>-title`` …
    PREFIX: ClassVar[str] = "list"
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    #: ``x`` (also ``ctrl+k``, ``delete``): (action name, footer label)
    ACT: ClassVar[tuple[str, str]] = ("act", "Act")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # before Textual's own __init_subclass__, which merges the class's BINDINGS
        action, label = cls.ACT
        bindings: list[BindingType] = [
            Binding("escape,q", "back", "Back", show=True),
            Binding("x,ctrl+k,delete", action, label, show=True),
            Binding("question_mark", "app.view_help", "Help", show=False),
        ]
        cls.BINDINGS = bindings
        p = cls.PREFIX
        cls.DEFAULT_CSS = (
            f"{cls.__name__} #{p}-empty {{ padding: 1 2; color: $text-muted; }}\n"
            f"{cls.__name__} DataTable {{ height: 1fr; }}\n" + cls.EXTRA_CSS
        )
        super().__init_subclass__(**kwargs)

    #: CSS of what a subclass adds (:meth:`compose_below`)
    EXTRA_CSS: ClassVar[str] = ""

    # -- what a subclass says ------------------------------------------------------------------------------------
    def title_text(self) -> str:  # pragma: no cover - overridden
        return ""

    def empty_text(self) -> str:  # pragma: no cover - overridden
        return ""

    def items(self) -> dict[str, T]:  # pragma: no cover - overridden
        """What is listed, by row key, in order."""
        return {}

    def row(self, item: T) -> tuple[Text, ...]:  # pragma: no cover - overridden
        return ()

    def compose_below(self) -> ComposeResult:
        """Widgets between the table and the footer (none by default)."""
        yield from ()

    def redrawn(self) -> None:
        """Called after each redraw."""

    # -- the view ------------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        p = self.PREFIX
        yield Static(self.title_text(), id=f"{p}-title", classes="view-title", markup=False)
        yield Static(self.empty_text(), id=f"{p}-empty", markup=False)
        table: DataTable[Text] = DataTable(id=f"{p}-table", cursor_type="row")
        table.add_columns(*self.COLUMNS)
        yield table
        yield from self.compose_below()
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(f"#{self.PREFIX}-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.redraw()
        self.set_interval(1.0, self._tick)

    def on_screen_resume(self) -> None:
        self.redraw()

    def _tick(self) -> None:
        if self.is_current:  # a hidden list (covered, or installed and off the stack) redraws when shown again
            self.redraw()

    @unless_torn_down
    def redraw(self) -> None:
        items = self.items()
        sync_rows(self.table, {key: self.row(item) for key, item in items.items()})
        self.query_one(f"#{self.PREFIX}-empty", Static).display = not items
        self.redrawn()

    def selected(self) -> T | None:
        """The item under the cursor (None when the list is empty)."""
        key = cursor_key(self.table)
        return None if key is None else self.items().get(key)

    def action_back(self) -> None:
        self.dismiss()
