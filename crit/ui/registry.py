"""How other parts of crit add keys, `:` commands and views to the main screen.

Register at import time of your module, e.g. in ``crit/ui/logs/__init__.py``::

    from crit.ui.registry import panel_key, command

    @panel_key("l", "Logs", panels=("containers", "pods"), help="logs of the container (on a pod: pick one)")
    async def open_logs(app, sel):            # sel: crit.ui.registry.Selection
        app.open_view(LogScreen(app.client, sel.row.obj))

    @command("events", "live event timeline")
    def events(app, args):                    # args: the words after ":events"
        app.open_view(EventsScreen(app))

The app imports :data:`EXTENSION_MODULES` (those that exist) before it builds its screen.  Keys registered
with ``mutating=True`` are hidden and refused under ``--readonly``.  Keys already used by the main screen
(see crit/ui/help.py) cannot be registered.  A handler may be sync or async; an exception it raises is shown
as a notification (``str(exc)``), never a traceback.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PanelKey",
    "Command",
    "Selection",
    "panel_key",
    "command",
    "PANEL_KEYS",
    "COMMANDS",
    "EXTENSION_MODULES",
    "load_extensions",
    "RESERVED_KEYS",
]

log = logging.getLogger(__name__)

#: packages of other areas that register keys/commands when imported (missing ones are skipped)
EXTENSION_MODULES = (
    "crit.ui.forms",
    "crit.ui.terminal",
    "crit.ui.logs",
    "crit.ui.stats",
    "crit.ui.forwards",
    "crit.ui.events",
)

#: keys of the main screen itself (issue 4); extensions must use others
RESERVED_KEYS = frozenset(
    {
        "tab",
        "shift+tab",
        "1",
        "2",
        "3",
        "j",
        "k",
        "up",
        "down",
        "enter",
        "slash",
        "escape",
        "colon",
        "d",
        "y",
        "ctrl+k",
        "ctrl+d",
        "space",
        "p",
        "ctrl+r",
        "c",
        "question_mark",
        "q",
        "ctrl+c",
        "pageup",
        "pagedown",
        "home",
        "end",
        "g",
        "G",
        "ctrl+p",
    }
)


@dataclass(frozen=True)
class Selection:
    """What a key acts on: the focused panel (``"pods"``, ``"containers"``, ``"images"``), the cursor row
    (``row.obj`` is the protobuf message, ``row.key`` its id) and the marked rows (or ``[row]``)."""

    panel: str
    row: Any
    rows: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class PanelKey:
    key: str
    description: str  # short: the footer shows it (cut to FOOTER_MAX characters)
    handler: Callable[..., Any]
    panels: tuple[str, ...] = ("pods", "containers", "images")
    mutating: bool = False
    needs_row: bool = True
    show: bool = True
    help: str = ""  # longer text for the help screen (defaults to description)

    @property
    def footer_label(self) -> str:
        text = self.description
        return text if len(text) <= FOOTER_MAX else text[: FOOTER_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Callable[..., Any]
    mutating: bool = False


FOOTER_MAX = 14  # a footer label longer than this is cut: the footer must fit 80 columns

PANEL_KEYS: dict[str, PanelKey] = {}
COMMANDS: dict[str, Command] = {}


def panel_key(
    key: str,
    description: str,
    *,
    panels: Sequence[str] = ("pods", "containers", "images"),
    mutating: bool = False,
    needs_row: bool = True,
    show: bool = True,
    help: str = "",
) -> Callable:
    """Decorator: bind ``key`` in the given panels to ``handler(app, selection)``.  ``description`` is the
    short footer label (one or two words, e.g. "Logs"); ``help`` the sentence for the help screen."""
    if key in RESERVED_KEYS:
        raise ValueError(f"The key {key!r} is already used by the main screen.")

    def deco(handler: Callable[..., Any]) -> Callable[..., Any]:
        PANEL_KEYS[key] = PanelKey(key, description, handler, tuple(panels), mutating, needs_row, show, help)
        return handler

    return deco


def command(name: str, help: str, *, mutating: bool = False) -> Callable:
    """Decorator: ``:name args…`` calls ``handler(app, args)``; a multi-word name like ``"new pod"`` works."""
    if name in {"pods", "containers", "images", "q", "quit", "help"}:
        raise ValueError(f"The command :{name} is already used by the main screen.")

    def deco(handler: Callable[..., Any]) -> Callable[..., Any]:
        COMMANDS[name] = Command(name, help, handler, mutating)
        return handler

    return deco


def load_extensions() -> list[str]:
    """Import the extension packages that exist; returns the names loaded."""
    loaded = []
    for mod in EXTENSION_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == mod or mod.startswith(exc.name + ".")):
                continue
            raise
        loaded.append(mod)
    return loaded
