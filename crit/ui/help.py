"""`?` help: every key of the main screen (the contract of issue 4), plus the keys and commands the areas of crit
add to it (:mod:`crit.ui.keymap`), and in a view that view's keys first."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from crit.ui.keymap import KEYMAP, Keymap

__all__ = ["HelpScreen", "MAIN_KEYS", "COMMAND_LINE", "view_keys"]

#: (keys, what, mutating) — the main screen's key contract, in help and README order
MAIN_KEYS: list[tuple[str, str, bool]] = [
    ("tab / shift+tab", "next / previous panel", False),
    ("1  2  3", "focus Pods / Containers / Images", False),
    ("j k ↑ ↓", "move (pgup/pgdn, home/end, g/G jump)", False),
    ("enter", "on a pod: show only its containers (enter again, or esc, shows all)", False),
    (
        "/",
        "filter the focused panel: regex over the visible columns and the ID, also tried as plain text "
        "(escapes as shown, e.g. \\u202e, find hidden characters); =name a name exactly; a leading ! inverts; "
        "-l key=value,… by labels; -n NS by namespace; enter applies",
        False,
    ),
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
    (":pods [NS]", "focus the Pods panel (with NS: only the pods of namespace NS, esc shows all)"),
    (":containers [NS]", "focus the Containers panel (with NS: only those of namespace NS)"),
    (":images", "focus the Images panel"),
    (":q", "quit"),
]


#: how help names a view (by its screen class); a screen may also set HELP_NAME.  A view opens this help with
#: ``Binding("question_mark", "app.view_help", "Help", show=False)`` in its BINDINGS (CritApp.action_view_help).
VIEW_NAMES = {
    "TextViewScreen": "the describe / YAML view",
    "LogScreen": "the logs view",
    "StatsScreen": "the stats view",
    "EventsScreen": "the events view",
    "SessionsScreen": "the sessions view",
    "ForwardsScreen": "the port-forwards view",
}

#: keys a view handles without a screen binding (a table's enter), by screen class
VIEW_EXTRA_KEYS = {
    "SessionsScreen": [("enter", "switch to the selected session")],
}

_KEY_NAMES = {
    "escape": "esc",
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "space": "space",
    "pageup": "pgup",
    "pagedown": "pgdn",
    "delete": "del",
}


def view_name(view: object) -> str:
    return str(getattr(view, "HELP_NAME", "") or VIEW_NAMES.get(type(view).__name__, "this view"))


def view_keys(view: object) -> list[tuple[str, str]]:
    """(keys, what) of a view: its screen bindings, then how it moves (its HELP_MOVES, or a table's keys)."""
    keys: list[tuple[str, str]] = []
    for binding in getattr(type(view), "BINDINGS", []):
        if not isinstance(binding, Binding) or binding.action in ("app.view_help", "help"):
            continue
        names = "  ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))
        keys.append((names, binding.description or binding.action))
    keys.extend(VIEW_EXTRA_KEYS.get(type(view).__name__, []))
    keys.append(("?", "this help (esc closes it)"))
    moves = getattr(view, "HELP_MOVES", None)
    if moves is None:
        try:
            from textual.widgets import DataTable

            has_table = bool(view.query(DataTable))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - not mounted: no table to move in
            has_table = False
        moves = [("↑ ↓  pgup pgdn  home end", "move in the table")] if has_table else []
    keys.extend(moves)
    return keys


def help_renderable(readonly: bool = False, view: object | None = None, keymap: Keymap = KEYMAP) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    if view is not None:
        name = view_name(view)
        table.add_row(Text(f"Keys of {name}", style="bold underline"), "")
        for keys, what in view_keys(view):
            table.add_row(Text(keys), Text(what))
        table.add_row("", "")
    table.add_row(Text("Main screen", style="bold underline"), "")
    for keys, what, mutating in MAIN_KEYS:
        desc = Text(what)
        if mutating and readonly:
            desc = Text(what + "  (disabled: --readonly)", style="dim")
        table.add_row(Text(keys), desc)
    if keymap.keys:
        table.add_row("", "")
        table.add_row(Text("More keys", style="bold underline"), "")
        # one line per action: an action bound to two keys (shift+f and F) is listed once, with both keys
        for pk in sorted(keymap.keys, key=lambda pk: min(pk.keys)):
            bound = sorted(pk.keys, key=lambda k: (len(k), k))
            desc = Text(f"{pk.help or pk.description}  ({', '.join(pk.panels)})")
            if pk.mutating and readonly:
                desc.append("  (disabled: --readonly)", style="dim")
            table.add_row(Text(" / ".join(bound)), desc)
    table.add_row("", "")
    table.add_row(Text("Command line", style="bold underline"), "")
    for cmd, what in COMMAND_LINE:
        table.add_row(Text(cmd), Text(what))
    for name in keymap.command_names:
        command = keymap.command(name)
        if command is not None:
            table.add_row(Text(f":{name}"), Text(command.help))
    return table


class HelpScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", show=True),
        # like the views and the panels (the text scrolls; ↑ ↓ pgup pgdn home end are the scroll area's own)
        Binding("j", "line(1)", "Down", show=False),
        Binding("k", "line(-1)", "Up", show=False),
        Binding("g", "edge(0)", "Top", show=False),
        Binding("G", "edge(1)", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen #title { background: $panel; text-style: bold; padding: 0 1; height: 1; }
    HelpScreen VerticalScroll { padding: 1 2; }
    """

    def __init__(self, readonly: bool = False, view: Screen[Any] | None = None, keymap: Keymap = KEYMAP) -> None:
        """``view``: the view ``?`` was pressed in; its keys come first, then the general help; ``keymap``: the
        main screen's (the app's)."""
        super().__init__()
        self.readonly = readonly
        self.view = view
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        title = "crit — keys" if self.view is None else f"crit — keys of {view_name(self.view)}, then all keys"
        yield Static(title, id="title", markup=False)
        with VerticalScroll():
            yield Static(help_renderable(self.readonly, self.view, self.keymap), id="keys", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_line(self, delta: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=delta, animate=False, immediate=True)

    def action_edge(self, bottom: int) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_end(animate=False, immediate=True) if bottom else scroll.scroll_home(
            animate=False, immediate=True
        )

    def action_close(self) -> None:
        self.dismiss()
