"""`?` help: every key of the main screen (the contract of issue 4), plus keys and commands registered by
other parts of crit (crit.ui.registry)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from crit.ui import registry

__all__ = ["HelpScreen", "MAIN_KEYS", "COMMAND_LINE"]

#: (keys, what, mutating) — the main screen's key contract, in help and README order
MAIN_KEYS: list[tuple[str, str, bool]] = [
    ("tab / shift+tab", "next / previous panel", False),
    ("1  2  3", "focus Pods / Containers / Images", False),
    ("j k ↑ ↓", "move (pgup/pgdn, home/end, g/G jump)", False),
    ("enter", "on a pod: show only its containers (enter again, or esc, shows all)", False),
    ("/", "filter the focused panel: regex over the visible columns and the ID (plain text if not a valid "
          "regex); a leading ! inverts; -l key=value,… filters by labels; enter applies", False),
    ("esc", "clear the filter / pod scope, or close a view", False),
    (":", "command line (:pods  :containers  :images  :q  and more below)", False),
    ("d", "describe: full status with verbose info as YAML (/ search, n/N next/previous)", False),
    ("y", "the object's config as crictl YAML", False),
    ("ctrl+k", "stop the selected (or marked) pods / containers — asks first", True),
    ("ctrl+d", "remove the selected (or marked) pods / containers / images — asks first", True),
    ("space", "mark / unmark the row for bulk actions", False),
    ("p", "pull an image (reference, optional user and password)", True),
    ("ctrl+r", "refresh now", False),
    ("c", "copy the id to the clipboard", False),
    ("ctrl+p", "command palette (themes, screenshot, …)", False),
    ("?", "this help", False),
    ("q / ctrl+c", "quit", False),
]

COMMAND_LINE: list[tuple[str, str]] = [
    (":pods", "focus the Pods panel"),
    (":containers", "focus the Containers panel"),
    (":images", "focus the Images panel"),
    (":q", "quit"),
]


def help_renderable(readonly: bool = False) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row(Text("Main screen", style="bold underline"), "")
    for keys, what, mutating in MAIN_KEYS:
        desc = Text(what)
        if mutating and readonly:
            desc = Text(what + "  (disabled: --readonly)", style="dim")
        table.add_row(Text(keys), desc)
    if registry.PANEL_KEYS:
        table.add_row("", "")
        table.add_row(Text("More keys", style="bold underline"), "")
        for key, pk in sorted(registry.PANEL_KEYS.items()):
            desc = Text(f"{pk.help or pk.description}  ({', '.join(pk.panels)})")
            if pk.mutating and readonly:
                desc.append("  (disabled: --readonly)", style="dim")
            table.add_row(Text(key), desc)
    table.add_row("", "")
    table.add_row(Text("Command line", style="bold underline"), "")
    for cmd, what in COMMAND_LINE:
        table.add_row(Text(cmd), Text(what))
    for name, cmd in sorted(registry.COMMANDS.items()):
        table.add_row(Text(f":{name}"), Text(cmd.help))
    return table


class HelpScreen(Screen):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", show=True)]

    DEFAULT_CSS = """
    HelpScreen #title { background: $panel; text-style: bold; padding: 0 1; height: 1; }
    HelpScreen VerticalScroll { padding: 1 2; }
    """

    def __init__(self, readonly: bool = False) -> None:
        super().__init__()
        self.readonly = readonly

    def compose(self) -> ComposeResult:
        yield Static("crit — keys", id="title", markup=False)
        with VerticalScroll():
            yield Static(help_renderable(self.readonly), id="keys", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss()
