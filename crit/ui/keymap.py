"""The keys and `:` commands the areas of crit add to the main screen, assembled explicitly in one place.

:data:`KEYMAP` is a plain, ordered list: each :class:`PanelKey` names its keys, footer label, the panels it works
in, whether it changes the node (``mutating``: hidden and refused under ``--readonly``), and the handler, imported
here from its area (forms, terminal, logs, stats, forwards, events); each :class:`Command` a ``:`` command.
Nothing registers itself at import time.  :class:`crit.ui.app.MainScreen` builds its static ``BINDINGS`` from a
keymap (:meth:`Keymap.bindings`) and decides per panel and ``--readonly`` in ``check_action``; the help screen
(:mod:`crit.ui.help`) and the `:` prompt's completion and hint read the same keymap.

A handler is ``handler(app, selection)`` for a key (:class:`crit.ui.base.Selection`) and ``handler(app, words)``
for a command (the words after the command's name); sync or async; an exception it raises is shown as a
notification (``str(exc)``), never a traceback.  The keys of the main screen itself (:data:`RESERVED_KEYS`) and
its own commands cannot be used: building a :class:`Keymap` that does raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.binding import Binding

from crit.model.kinds import KINDS
from crit.ui.base import Selection
from crit.ui.events import events_command
from crit.ui.forms.entry import key_new_pod, key_run, new_container_command, new_pod_command, run_command
from crit.ui.forwards import forward_key, forwards_command
from crit.ui.logs import open_logs
from crit.ui.stats import open_stats, stats_command
from crit.ui.terminal.actions import open_attach, open_custom, open_shell, sessions_command

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = [
    "PanelKey",
    "Command",
    "Keymap",
    "KEYMAP",
    "MAIN_ONLY",
    "RESERVED_KEYS",
    "FOOTER_MAX",
    "Selection",
]

KeyHandler = Callable[["CritApp", Selection], Awaitable[None] | None]
CommandHandler = Callable[["CritApp", list[str]], Awaitable[None] | None]

ALL_PANELS = tuple(kind.name for kind in KINDS)

#: keys of the main screen itself (issue 4); a keymap must use others
RESERVED_KEYS = frozenset(
    {
        *("tab", "shift+tab", "1", "2", "3", "j", "k", "up", "down", "enter", "slash", "escape", "colon"),
        *("d", "y", "ctrl+k", "ctrl+d", "space", "p", "ctrl+r", "c", "question_mark", "q", "ctrl+c"),
        *("pageup", "pagedown", "home", "end", "g", "G", "ctrl+p"),
    }
)


_BUILTIN_NAMES = frozenset({*ALL_PANELS, "q", "quit", "help"})

FOOTER_MAX = 14  # a footer label longer than this is cut: the footer must fit 80 columns


@dataclass(frozen=True)
class PanelKey:
    """One action on the panels, bound to ``keys`` (the first one is its name: the footer shows it, ``--readonly``
    names it).  ``description`` is the short footer label; ``help`` the sentence for the help screen."""

    keys: tuple[str, ...]
    description: str
    handler: KeyHandler
    panels: tuple[str, ...] = ALL_PANELS
    mutating: bool = False
    needs_row: bool = True
    show: bool = True
    help: str = ""

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def footer_label(self) -> str:
        text = self.description
        return text if len(text) <= FOOTER_MAX else text[: FOOTER_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Command:
    """``:name words…`` calls ``handler(app, words)``; a multi-word name like ``"new pod"`` works."""

    name: str
    help: str
    handler: CommandHandler
    mutating: bool = False


@dataclass(frozen=True)
class Keymap:
    """The panel keys (in footer order) and the `:` commands of one main screen."""

    keys: tuple[PanelKey, ...] = ()
    commands: tuple[Command, ...] = ()
    _by_key: dict[str, PanelKey] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, Command] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, PanelKey] = {}
        for pk in self.keys:
            for key in pk.keys:
                if key in RESERVED_KEYS:
                    raise ValueError(f"The key {key!r} is already used by the main screen.")
                if key in by_key:
                    raise ValueError(f"The key {key!r} is in the keymap twice.")
                by_key[key] = pk
        by_name: dict[str, Command] = {}
        for cmd in self.commands:
            if cmd.name in _BUILTIN_NAMES:
                raise ValueError(f"The command :{cmd.name} is already used by the main screen.")
            if cmd.name in by_name:
                raise ValueError(f"The command :{cmd.name} is in the keymap twice.")
            by_name[cmd.name] = cmd
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_name", by_name)

    def key(self, key: str) -> PanelKey | None:
        """The entry bound to ``key`` (any of its keys)."""
        return self._by_key.get(key)

    def command(self, name: str) -> Command | None:
        return self._by_name.get(name)

    @property
    def command_names(self) -> list[str]:
        """The `:` command names, sorted."""
        return sorted(self._by_name)

    def bindings(self) -> list[Binding]:
        """The Textual bindings of these keys: ``ext(KEY)`` shows the label; for a mutating key a second, hidden
        ``refused(KEY)`` binding that ``check_action`` enables only under ``--readonly`` (then it says why the key
        does nothing).  One binding per entry, all its keys on it (``"S,shift+s"``)."""
        out: list[Binding] = []
        for pk in self.keys:
            keys = ",".join(pk.keys)
            out.append(Binding(keys, f"ext({pk.key!r})", pk.footer_label, show=pk.show))
            if pk.mutating:
                out.append(Binding(keys, f"refused({pk.key!r})", show=False))
        return out


#: a main screen with only its own keys (the pictures of the main screen do not change as the areas grow)
MAIN_ONLY = Keymap()


def _keys() -> tuple[PanelKey, ...]:
    shell_help = "a shell in the running container (bash if it has one, else sh); ctrl+] detaches"
    return (
        # the launch forms (crit.ui.forms): they create pods and containers
        PanelKey(("n",), "New pod", key_new_pod, ALL_PANELS, mutating=True, needs_row=False),
        PanelKey(("r",), "Run ctr", key_run, ALL_PANELS, mutating=True, needs_row=False),
        # Exec and Attach run code in the container and the read-only client refuses them (crit.ui.terminal)
        PanelKey(("s",), "Shell", open_shell, ("containers",), mutating=True, help=shell_help),
        PanelKey(
            ("S", "shift+s"),
            "Exec cmd",
            open_custom,
            ("containers",),
            mutating=True,
            help="run a command you type in the running container, with a terminal",
        ),
        PanelKey(
            ("a",),
            "Attach",
            open_attach,
            ("containers",),
            mutating=True,
            help="attach to the main process of a container created with stdin and tty",
        ),
        PanelKey(("l",), "Logs", open_logs, ("containers", "pods")),
        PanelKey(("m",), "Stats", open_stats, ("pods", "containers")),
        # PortForward is refused by a read-only client (crit.cri.client.MUTATING_RPCS)
        PanelKey(("shift+f", "F"), "Port-fwd", forward_key, ("pods",), mutating=True),
    )


def _commands() -> tuple[Command, ...]:
    return (
        Command("new pod", "open the New pod form", new_pod_command, mutating=True),
        Command(
            "run",
            "open the New container form (into the selected pod; `:run new` for a new pod)",
            run_command,
            mutating=True,
        ),
        Command("new container", "open the New container form", new_container_command, mutating=True),
        Command(
            "sessions", "the open shell / exec / attach sessions: enter switches to one, x closes one", sessions_command
        ),
        Command(
            "events",
            "live timeline of container events (GetContainerEvents, or changes seen by polling)",
            events_command,
        ),
        Command("forwards", "the active port-forwards with byte counts; x stops one", forwards_command),
        Command("stats", "CPU / memory / filesystem of the selected pod or container, with sparklines", stats_command),
    )


#: every key and command of crit's main screen
KEYMAP = Keymap(_keys(), _commands())
