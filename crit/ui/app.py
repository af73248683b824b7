"""The crit Textual app: the live main screen (header, Pods/Containers/Images panels, footer) and the
actions on it.  Entry point: :func:`run_app`.

For other parts of crit: keys and `:` commands are listed in :mod:`crit.ui.keymap`; open a screen with
:meth:`CritApp.open_view`; run a client call with a notification on failure with :meth:`CritApp.run_call`;
select a newly created object with :meth:`CritApp.select`.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import time
import types
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.widgets import Input

from crit.model import Changes, ConnectionState, NodeModel, kinds
from crit.model.kinds import CONTAINERS, KINDS, PODS, ResourceKind, Verb
from crit.model.stats import StatsPoller, StatsTracker
from crit.options import DEFAULT_REFRESH, DEFAULT_STATS_INTERVAL, Options
from crit.render.filters import FilterError, RowFilter, parse_filter
from crit.render.human import short_id
from crit.render.sanitize import sanitize
from crit.stream.portforward import ForwardRegistry
from crit.ui import readonly
from crit.ui.base import Selection
from crit.ui.describe import TextViewScreen, config_yaml, describe_yaml
from crit.ui.dialogs import ConfirmDialog, PullDialog, PullRequest
from crit.ui.footer import RankedFooter
from crit.ui.header import NodeHeader
from crit.ui.help import HelpScreen
from crit.ui.keymap import KEYMAP, Keymap
from crit.ui.keyorder import TypeAhead, split_alt
from crit.ui.linefilter import ControlFilter
from crit.ui.panels import NodeTable, ResourcePanel, Row
from crit.ui.panels.build import RowBuilder
from crit.ui.prompt import PromptBar, PromptInput
from crit.ui.terminal.actions import SessionManager
from crit.ui.textual_private import InternalErrorHook, drop_notification
from crit.ui.themes import DEFAULT_THEME, load_saved_theme, load_themes, save_theme

if TYPE_CHECKING:  # pragma: no cover
    from crit.cri.client import CriClient

log = logging.getLogger(__name__)
CONTROL_FILTER = ControlFilter()

__all__ = ["CritApp", "MainScreen", "run_app"]

MUTATING_ACTIONS = {"stop", "remove", "pull"}

#: the footer's keys per panel, most useful first (a narrow footer drops from the end; unlisted keys go last)
FOOTER_RANKS = {
    "pods": (
        "enter",
        "ext('l')",
        "describe",
        "filter",
        "help",
        "quit",
        "ext('shift+f')",
        "ext('m')",
        "config",
        "stop",
        "remove",
        "ext('n')",
        "ext('r')",
        "pull",
    ),
    "containers": (
        "ext('l')",
        "ext('s')",
        "describe",
        "filter",
        "help",
        "quit",
        "ext('a')",
        "ext('m')",
        "config",
        "stop",
        "remove",
        "ext('shift+s')",
        "ext('r')",
        "ext('n')",
        "pull",
    ),
    "images": ("filter", "describe", "remove", "pull", "help", "quit", "config", "ext('r')", "ext('n')"),
}


def _n(count: int, noun: str) -> str:
    """``1 container`` / ``3 containers``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


#: the `:` commands of the main screen itself (the others are in the keymap: crit.ui.keymap)
BUILTIN_COMMANDS = (*(kind.name for kind in KINDS), "help", "q")


def command_hint(width: int, keymap: Keymap = KEYMAP) -> str:
    """The `:` prompt's placeholder: every command, briefly (the narrow form fits 80 columns)."""
    registered = keymap.command_names
    if width >= 120:
        names = [f"{k.name} [NS]" if k.namespaced else k.name for k in KINDS] + [*registered, "help", "q"]
        return " | ".join(names) + "   tab completes, ⏎ runs, esc cancels"
    firsts = list(dict.fromkeys(name.split()[0] for name in registered))
    by_namespace = "|".join(k.name for k in KINDS if k.namespaced) + " [NS]"
    alone = [k.name for k in KINDS if not k.namespaced]
    return " ".join([by_namespace, *alone, *firsts, "help", "q", "⇥"])


def complete_command(text: str, keymap: Keymap = KEYMAP) -> str | None:
    """Tab in the `:` prompt: the command word completed (``po`` → ``pods``; ``new c`` → ``new container``); with
    several candidates, as far as they agree (``new`` → ``new ``… no further); None when nothing fits."""
    typed = text.lstrip()
    commands = keymap.command_names
    if not typed or (" " in typed.rstrip() and not any(c.startswith(typed.lower()) for c in commands)):
        return None
    names = sorted({*BUILTIN_COMMANDS, *commands})
    matches = [n for n in names if n.startswith(typed.lower())]
    if not matches:
        return None
    if len(matches) == 1:
        return matches[0]
    common = matches[0]
    for m in matches[1:]:
        while not m.startswith(common):
            common = common[:-1]
    return common if len(common) > len(typed) else None


#: the main screen's own keys (the keymap's follow them)
MAIN_BINDINGS: list[Binding] = [
    Binding("tab", "cycle(1)", "Next panel", show=False),
    Binding("shift+tab", "cycle(-1)", "Prev panel", show=False),
    Binding("1", "focus_panel('pods')", "Pods", show=False),
    Binding("2", "focus_panel('containers')", "Containers", show=False),
    Binding("3", "focus_panel('images')", "Images", show=False),
    Binding("enter", "enter", "Containers", show=True),
    Binding("slash", "filter", "Filter", show=True),
    Binding("escape", "escape", "Clear", show=False),
    Binding("colon", "command_line", "Cmd", show=False),
    Binding("d", "describe", "Desc", show=True),
    Binding("y", "config", "YAML", show=True),
    Binding("ctrl+k", "stop", "Stop", show=True),
    Binding("ctrl+d", "remove", "Remove", show=True),
    Binding("p", "pull", "Pull", show=True),
    # --readonly: the three above are hidden and these say why the key does nothing (crit.ui.readonly)
    Binding("ctrl+k", "refused('ctrl+k')", show=False),
    Binding("ctrl+d", "refused('ctrl+d')", show=False),
    Binding("p", "refused('p')", show=False),
    Binding("ctrl+r", "refresh", "Refresh", show=False),
    Binding("c", "copy_id", "Copy id", show=False),
    Binding("question_mark", "help", "Help", show=True),
    Binding("q", "quit", "Quit", show=True),
]

#: the keys --readonly disables among the main screen's own (crit.ui.readonly says why)
REFUSED_MAIN_KEYS = ("ctrl+k", "ctrl+d", "p")


class MainScreen(Screen[None]):
    """Header, three panels, the filter / command input and the footer.

    Its bindings are static: its own keys, then those of its :class:`~crit.ui.keymap.Keymap` (``KEYMAP``);
    ``check_action`` decides per active panel and ``--readonly``.  :meth:`with_keymap` makes the main screen of
    another keymap (the app's ``keymap`` argument)."""

    KEYMAP: Keymap = KEYMAP
    BINDINGS = [*MAIN_BINDINGS, *KEYMAP.bindings()]

    DEFAULT_CSS = """
    MainScreen { layout: vertical; }
    """

    @classmethod
    def with_keymap(cls, keymap: Keymap) -> type[MainScreen]:
        """The main screen class whose keys are the main screen's own and ``keymap``'s, in that order (a subclass
        that does not inherit this class's keymap bindings)."""
        if keymap is cls.KEYMAP:
            return cls

        # Screen's own bindings, then ours (one class's list: a key bound in both would run Screen's first)
        own = {key for b in MAIN_BINDINGS for key in b.key.split(",")}
        inherited = [b for b in Screen.BINDINGS if isinstance(b, Binding) and not own & set(b.key.split(","))]

        def body(ns: dict[str, Any]) -> None:
            ns.update(KEYMAP=keymap, BINDINGS=[*inherited, *MAIN_BINDINGS, *keymap.bindings()])

        return types.new_class(cls.__name__, (cls,), {"inherit_bindings": False}, body)

    def __init__(self, app: CritApp) -> None:
        super().__init__()
        self.crit = app
        self.panels = {kind.name: ResourcePanel(kind) for kind in KINDS}
        self.header_widget = NodeHeader(app.endpoint_label, readonly=app.readonly, id="header")
        self.prompt_mode: str | None = None  # "filter" | "command"
        self.prompt_panel: str = "pods"
        # The panel keys act on.  Set at once by the keys that move focus (1/2/3, tab, enter on a pod, :pods…),
        # while Textual moves the focus a turn later: a key typed right behind a focus key acts on the panel
        # that key chose, never on the one focused before (issue 10, A2).
        self.active: str = "pods"
        self.keymap = type(self).KEYMAP

    def compose(self) -> ComposeResult:
        yield self.header_widget
        for kind in KINDS:
            yield self.panels[kind.name]
        yield PromptBar(PromptInput(id="prompt", on_submit=self._submit_prompt, on_cancel=self._cancel_prompt))
        yield RankedFooter(compact=True, show_command_palette=False)

    def footer_rank(self, action: str) -> int:
        """How useful a key is in the footer for the active panel (lower first): a narrow footer keeps the best
        ones (RankedFooter)."""
        ranks = FOOTER_RANKS.get(self.active, ())
        return ranks.index(action) if action in ranks else len(ranks)

    def on_mount(self) -> None:
        self.focus_panel("pods")
        pods = self.crit.model.pods

        def container_namespace(ctr: Any) -> str | None:
            pod = pods.get(ctr.pod_sandbox_id)
            return pod.metadata.namespace if pod is not None else None

        self.panels["containers"].namespace_of = container_namespace

    # ------------------------------------------------------------------ focus helpers

    @property
    def focused_kind(self) -> str:
        """The active panel (see ``self.active``)."""
        return self.active

    @property
    def resource(self) -> ResourceKind:
        """The kind listed in the active panel."""
        return kinds.by_name(self.active)

    def focus_panel(self, kind: str) -> None:
        """Make ``kind`` the active panel and focus its table now (not on a later turn, as ``widget.focus()``
        does), so the keys after this one act on it."""
        self.active = kind
        table = self.panels[kind].table
        if self.is_attached and self.app.screen is self:
            self.set_focus(table)
        else:
            table.focus()
        self.refresh_bindings()

    def table(self, kind: str | None = None) -> NodeTable:
        return self.panels[kind or self.focused_kind].table

    def action_cycle(self, step: int) -> None:
        i = KINDS.index(self.resource)
        self.action_focus_panel(KINDS[(i + step) % len(KINDS)].name)

    def action_focus_panel(self, kind: str) -> None:
        self.focus_panel(kind)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # a panel focused by other means (a click): it becomes the active one.  Read what is focused now, not
        # the event's widget: a focus event arrives after the keys typed behind it.
        for kind, panel in self.panels.items():
            if self.focused is panel.table:
                self.active = kind
        # the footer's keys depend on the active panel
        self.refresh_bindings()

    @on(NodeTable.MarksChanged)
    def _marks_changed(self, event: NodeTable.MarksChanged) -> None:
        for panel in self.panels.values():
            if panel.table is event.table:
                panel.update_title()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refused":  # the keys --readonly disables (and ctrl+k on images): only then do they say so
            key = str(parameters[0]) if parameters else ""
            if key not in REFUSED_MAIN_KEYS:  # a keymap key: hidden and said so under --readonly (if mutating)
                pk = self.keymap.key(key)
                return pk is not None and pk.mutating and self.crit.readonly
            return self.crit.readonly or (key == "ctrl+k" and not self.resource.can_stop)
        kind = self.focused_kind
        if self.prompt_mode:
            # while the filter / command line is open, tab must not move focus away from it
            return action not in ("cycle", "focus_panel")
        if action in MUTATING_ACTIONS and self.crit.readonly:
            return False
        if action == "enter":
            return self.resource is PODS
        if action == "stop":
            return self.resource.can_stop
        if action == "ext":
            pk = self.keymap.key(str(parameters[0])) if parameters else None
            if pk is None or (pk.mutating and self.crit.readonly):
                return False
            return kind in pk.panels
        return True

    # ------------------------------------------------------------------ selection

    def selection(self, kind: str | None = None) -> Selection:
        kind = kind or self.focused_kind
        table = self.table(kind)
        return Selection(kind, table.cursor_row, table.selected_rows())

    # ------------------------------------------------------------------ enter / escape / filter / command

    def action_enter(self) -> None:
        if self.resource is not PODS:
            return
        row = self.table(PODS.name).cursor_row
        if row is None:
            return
        containers = self.panels[CONTAINERS.name]
        if containers.scope_pod is not None and containers.scope_pod[0] == row.key:
            containers.apply_scope(None)
            return
        containers.apply_scope((row.key, row.cells[1]))
        self.focus_panel(CONTAINERS.name)

    def action_escape(self) -> None:
        kind = self.focused_kind
        panel = self.panels[kind]
        if panel.filter is not None:
            panel.apply_filter(None)
        elif self.panels[CONTAINERS.name].scope_pod is not None and self.resource in (PODS, CONTAINERS):
            self.panels[CONTAINERS.name].apply_scope(None)
        elif panel.table.marks:
            panel.table.clear_marks()

    def _open_prompt(self, mode: str, value: str = "", select: bool = True) -> None:
        """Show the prompt with ``value``; ``select``: selected (typing replaces it), else the cursor at its end."""
        prompt = self.query_one("#prompt", PromptInput)
        self.prompt_panel = self.focused_kind
        self.prompt_mode = mode
        if mode == "filter":
            placeholder = f"filter {self.prompt_panel}: regex or text, =name, !not, -l k=v  ⏎ applies, esc cancels"
        else:
            placeholder = command_hint(self.size.width, self.keymap)
        keymap = self.keymap
        prompt.complete = (lambda text: complete_command(text, keymap)) if mode == "command" else None
        prompt.open(value, select=select, placeholder=placeholder, prefix="/" if mode == "filter" else ":")

    def _close_prompt(self) -> None:
        prompt = self.query_one("#prompt", PromptInput)
        prompt.close()
        kind = self.prompt_panel
        self.prompt_mode = None
        self.focus_panel(kind)

    def _cancel_prompt(self) -> None:
        self._close_prompt()

    def action_filter(self) -> None:
        current = self.panels[self.focused_kind].filter
        self._open_prompt("filter", current.source if current else "")

    def action_command_line(self) -> None:
        self._open_prompt("command")

    async def on_key(self, event: events.Key) -> None:
        # Keys typed in one burst with `:` or `/` (a fast typist, a paste) all reach this handler before the app
        # runs the binding of the first one, and focus moves to the prompt only on a later turn of the loop.  So
        # the prompt opens here, at once, and the keys after it go into the prompt — never to the panel's
        # bindings (`:events` must not open the New pod form with its `n`, nor `c` copy an id).
        #
        # Every other key is handled here too, in the order typed (issue 10, A2): Textual runs a key's binding when
        # the key has bubbled back up to the app, after this handler has already seen the keys typed behind it —
        # so `2 /init⏎` filtered Pods and `3 ctrl+d` removed a pod.  Here the binding runs at once, against the
        # active panel (focus keys set it synchronously), and the next key sees its effect.
        if self.app.screen is not self:
            # typed before a view opened, handled after: the key belongs to the view now on top
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if not self.prompt_mode:
            if event.key in ("colon", "slash"):
                self.action_command_line() if event.key == "colon" else self.action_filter()
                event.stop()
                event.prevent_default()
                return
            active = self.active_bindings.get(event.key)
            if active is not None and active.enabled and not active.binding.priority:
                # (an action that skips, e.g. the screen's copy on ctrl+c with nothing selected, lets the key go
                # on to the next binding the usual way)
                if await self.app.run_action(active.binding.action, active.node):
                    event.stop()
                    event.prevent_default()
            return
        self.query_one("#prompt", PromptInput).take_key(event)

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.prompt_mode:
            self._submit_prompt(event.value)

    def _submit_prompt(self, value: str) -> None:
        """Enter in the prompt: apply the filter or run the command (at once: the keys typed behind the enter
        act on the result)."""
        mode, kind = self.prompt_mode, self.prompt_panel
        self._close_prompt()
        if mode == "filter":
            try:
                flt = parse_filter(value)
            except FilterError as exc:
                self.notify(str(exc), severity="error", markup=False)
                self._open_prompt("filter", value, select=False)  # what was typed stays, to be fixed
                return
            self.panels[kind].apply_filter(flt)
        elif mode == "command":
            self.crit.run_command(value)

    # ------------------------------------------------------------------ actions

    def _need_row(self, what: str) -> Row | None:
        row = self.table().cursor_row
        if row is None:
            self.notify(
                f"Nothing selected to {what}: the {self.focused_kind} panel is empty.", severity="warning", markup=False
            )
        return row

    def action_describe(self) -> None:
        kind = self.resource
        row = self._need_row("describe")
        if row is not None:
            self.crit.open_describe(kind, row, config=False)

    def action_config(self) -> None:
        kind = self.resource
        row = self._need_row("show")
        if row is not None:
            self.crit.open_describe(kind, row, config=True)

    def action_stop(self) -> None:
        self.crit.confirm_and_run("stop", self.resource, self.table().selected_rows())

    def action_remove(self) -> None:
        self.crit.confirm_and_run("remove", self.resource, self.table().selected_rows())

    def action_pull(self) -> None:
        self.crit.open_pull()

    def action_refresh(self) -> None:
        self.crit.model.request_refresh()
        self.notify("Refreshing…", timeout=1)

    def action_copy_id(self) -> None:
        row = self._need_row("copy")
        if row is not None:
            self.app.copy_to_clipboard(row.key)
            self.notify(f"Copied {self.resource.singular} id {row.key} to the clipboard.", markup=False)

    def action_help(self) -> None:
        self.crit.open_view(HelpScreen(readonly=self.crit.readonly, keymap=self.keymap))

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_refused(self, key: str) -> None:
        """A key --readonly disables: one sentence saying so (the same wording everywhere: crit.ui.readonly)."""
        if not self.crit.readonly:  # ctrl+k on the Images panel: there is nothing to stop
            self.crit.confirm_and_run("stop", self.resource, [])
            return
        pk = self.keymap.key(key)
        self.notify(readonly.key_refusal(key, pk.description if pk else ""), severity="warning", markup=False)

    async def action_ext(self, key: str) -> None:
        pk = self.keymap.key(key)
        if pk is None:
            return
        if pk.mutating and self.crit.readonly:
            self.action_refused(key)
            return
        sel = self.selection()
        if pk.needs_row and sel.row is None:
            self.notify(f"Nothing selected: the {sel.panel} panel is empty.", severity="warning", markup=False)
            return
        await self.crit.call_handler(pk.handler, self.crit, sel)


class CritApp(InternalErrorHook[int]):
    """The crit application on ``client`` with the command line's ``options``.

    ``keymap``: the keys and `:` commands the areas add to the main screen (default :attr:`KEYMAP`, every one of
    them; :data:`crit.ui.keymap.MAIN_ONLY` for the main screen's own keys alone).  Its lifecycle: :meth:`on_mount`
    starts the model, the statistics and the sweep of exec sessions an earlier crit left; :meth:`on_unmount` ends
    the sessions' processes, the port-forwards and the polling."""

    #: the keymap of an app built without one
    KEYMAP: Keymap = KEYMAP

    TITLE = "crit"
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False)]
    #: crit's own stylesheet: what several views share (their title bars)
    CSS_PATH = "crit.tcss"
    CSS = """
    Screen { background: $background; }
    """
    # the newest few notifications are shown; older ones make room (a burst piled toasts up over the whole screen)
    MAX_TOASTS = 5

    def __init__(
        self,
        client: CriClient,
        options: Options | None = None,
        *,
        fetch_details: bool = True,
        keymap: Keymap | None = None,
    ) -> None:
        super().__init__()
        self._toasts: list[Notification] = []  # the notifications shown, oldest first (see on_notify)
        self.client = client
        self.options = options = options if options is not None else Options()
        self.keymap: Keymap = keymap if keymap is not None else self.KEYMAP
        # (a test double of the client may lack the attributes a CriClient has)
        self.readonly = options.readonly or bool(getattr(client, "readonly", False))
        self.refresh_interval = float(options.refresh or DEFAULT_REFRESH)
        label = options.runtime_endpoint or getattr(client, "runtime_endpoint", "")
        self.endpoint_label = str(label)
        loaded = load_themes()
        self.theme_errors = loaded.errors
        for theme in loaded.themes.values():
            self.register_theme(theme)
        if DEFAULT_THEME in loaded.themes:
            # crit offers exactly the themes --theme accepts (the palette listed Textual's 20-odd built-ins too)
            for name in list(self.available_themes):
                if name not in loaded.themes:
                    self.unregister_theme(name)
        # --theme wins; else the theme last chosen in the palette (remembered in the state dir); else the default
        flag_theme = options.theme
        saved = None if flag_theme else load_saved_theme()
        self.requested_theme = flag_theme or (saved if saved in self.available_themes else None) or DEFAULT_THEME
        self._theme_note = (
            f"The remembered theme {saved!r} is not available any more; using {DEFAULT_THEME}."
            if saved and saved not in self.available_themes
            else None
        )
        self._theme_shown = self.requested_theme if self.requested_theme in self.available_themes else DEFAULT_THEME
        self.theme = self._theme_shown  # before the first frame: the default "textual-dark" is no longer registered
        self.model = NodeModel(
            client,
            self.refresh_interval,
            on_change=self._on_change,
            on_state=self._on_state,
            endpoint=self.endpoint_label,
            fetch_details=fetch_details,
        )
        self.builder = RowBuilder(self.model)
        # issue 7: statistics on their own cadence (CPU / MEM / FS columns), the session's port-forwards, and
        # listeners of model changes (views that follow the lists; :events listens to self.model.events instead)
        self.stats = StatsPoller(
            client,
            interval=float(options.stats_interval or DEFAULT_STATS_INTERVAL),
            on_update=self._on_stats,
            pod_of=self._pod_of,
        )
        self.builder.stats = self.stats.tracker
        self.forwards = ForwardRegistry()
        self.change_listeners: list[Callable[[Changes], None]] = []
        self.main: MainScreen | None = None
        self.first_frame = asyncio.Event()  # set once all three lists are shown (benchmarks, tests)
        self._pending_select: tuple[str, str] | None = None
        self._changes_since_freeze = 0
        self._frozen_base = 0
        # the exec / attach sessions (crit.ui.terminal): their processes are ended in on_unmount
        self.sessions: SessionManager = SessionManager(self)

    # ------------------------------------------------------------------ lifecycle

    async def on_event(self, event: events.Event) -> None:
        """Keys from the terminal, in the order typed (issue 10, crit.ui.keyorder): an alt+KEY nothing binds is
        esc then KEY typed together; keys arriving while the screen on top is still opening wait for it."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            type_ahead = self.__dict__.get("type_ahead")
            if type_ahead is None:
                type_ahead = self.type_ahead = TypeAhead(self, super().on_event)
            for key in split_alt(event, lambda k: k in self.screen.active_bindings):
                await type_ahead.key(key)
            return
        await super().on_event(event)

    def handle_internal_error(self, exc: BaseException | None) -> bool:
        """A bug inside the app (never something the user did): instead of Textual's traceback on the terminal
        (which also wrote the exception's text raw), one sentence naming a file that holds the traceback, printed
        by :meth:`panic` (see :class:`~crit.ui.textual_private.InternalErrorHook`). ``--debug`` keeps Textual's
        own report."""
        if self.options.debug:
            return False
        import tempfile
        import traceback

        from rich.text import Text

        where = "a report could not be written"
        try:
            fd, path = tempfile.mkstemp(prefix="crit-error-", suffix=".txt")  # 0600: it may hold runtime data
            with open(fd, "w", encoding="utf-8", errors="replace") as f:
                f.write("".join(traceback.format_exception(exc)) if exc is not None else "no exception recorded\n")
            where = f"the traceback is in {path}"
        except OSError:
            pass
        what = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        self.bell()
        self.error_console.soft_wrap = True  # one line, not folded at 80 columns
        sentence = (
            f"crit: stopped on an internal error ({sanitize(' '.join(what.split()))}); {where}; please report it."
        )
        self.panic(Text(sentence, no_wrap=True, overflow="ignore"))  # rendered now at the app's width: not folded
        return True

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then :class:`~crit.ui.linefilter.ControlFilter` (no raw control character is ever
        drawn, whatever a widget holds)."""
        return [*super().get_line_filters(), CONTROL_FILTER]

    def get_default_screen(self) -> MainScreen:
        self.main = MainScreen.with_keymap(self.keymap)(self)
        return self.main

    def on_mount(self) -> None:
        if self.requested_theme in self.available_themes:
            self.theme = self.requested_theme
        else:
            self.theme = DEFAULT_THEME
            self.notify(
                f"There is no theme named {self.requested_theme!r}; using {DEFAULT_THEME}.",
                severity="warning",
                markup=False,
            )
        if self._theme_note:
            self.notify(self._theme_note, severity="warning", markup=False)
        for error in self.theme_errors:
            self.notify(error, severity="warning", markup=False, timeout=8)
        self.run_worker(self.model.run(), group="model", exclusive=True, name="poller")
        # statistics start once the panels are drawn: the first frame should not wait behind them
        self.run_worker(self._start_stats(), group="stats-start")
        self.set_interval(1.0, self._tick)
        if not self.readonly:  # exec sessions an earlier crit lost: ended once the runtime answers (issue 10)
            self.call_after_refresh(self.sessions.sweep)
        # `crit new pod|container --from FILE`: open the launch form prefilled (crit.ui.forms)
        if self.options.new_pod is not None or self.options.new_container is not None:
            from crit.ui.forms import open_from_options

            self.run_worker(open_from_options(self), group="commands")

    async def run_async(self, *, headless: bool = False, **kwargs: Any) -> Any:
        """Textual's ``run_async`` with crit's shutdown safety nets while it runs (:mod:`crit.ui.shutdown`):
        SIGTERM and SIGHUP quit the way q does, and in a terminal a vanished terminal quits too, and a shutdown
        that does not return (Textual's writer blocked on a dead terminal) is ended by the watchdog within 2 s."""
        from crit.ui import shutdown

        loop = asyncio.get_running_loop()
        fds = [] if headless else shutdown.terminal_fds()
        self._in_terminal = bool(fds)
        restore = self._quit_on_signals(loop, self._in_terminal)
        watch = None
        if fds:
            shutdown.WATCHDOG.terminal_fd = fds[-1]
            shutdown.WATCHDOG.terminal_attrs = shutdown.save_terminal(fds[0])

            def hung_up() -> None:  # the hang-up watch's thread
                shutdown.WATCHDOG.arm(shutdown.SIGNAL_DEADLINE, 129, "the terminal closed")
                loop.call_soon_threadsafe(self.exit, 129)

            watch = shutdown.HangupWatch(fds, hung_up).start()
        try:
            return await super().run_async(headless=headless, **kwargs)
        finally:
            if watch is not None:
                watch.stop()
            restore()

    def _quit_on_signals(self, loop: asyncio.AbstractEventLoop, terminal: bool) -> Callable[[], None]:
        """SIGTERM and SIGHUP quit the way q does (status 128+signal): the terminal is restored and sessions are
        ended, where the default action killed crit outright and left the terminal in the alternate screen.
        Plain signal handlers, not the loop's: they run even while the main thread is blocked inside Textual's
        driver (then the loop's handler never ran and crit ignored SIGTERM); in a terminal each arms the
        watchdog.  Returns the function that puts the previous handlers back."""
        import signal

        from crit.ui import shutdown

        def quit_on(sig: int) -> None:
            if terminal:
                shutdown.WATCHDOG.arm(shutdown.SIGNAL_DEADLINE, 128 + sig, signal.Signals(sig).name)
            try:
                loop.call_soon_threadsafe(self.exit, 128 + sig)
            except RuntimeError:  # the loop is closed: the watchdog ends it
                pass

        return shutdown.install_signal_handlers(quit_on)

    def exit(self, result: Any = None, return_code: int = 0, message: Any = None) -> None:
        """Textual's ``exit``; in a terminal it also arms the watchdog, so no quit ever hangs (q, ctrl+c, a signal,
        a vanished terminal: :mod:`crit.ui.shutdown`)."""
        if getattr(self, "_in_terminal", False):
            from crit.ui import shutdown

            status = return_code or (result if isinstance(result, int) else 0)
            shutdown.WATCHDOG.arm(shutdown.QUIT_DEADLINE, status, "quit")
        super().exit(result, return_code, message)

    async def _start_stats(self) -> None:
        await self.first_frame.wait()
        self.stats.start()

    async def on_unmount(self) -> None:
        """crit quits (the screens are gone, the client still open): end the processes of the exec sessions still
        running (the runtime would leave them running in their containers), then the forwards and the polling."""
        await self.sessions.end_all_running(timeout=3.0)
        await self.stats.stop()
        await self.forwards.stop_all()
        await self.model.close()

    def _tick(self) -> None:
        # ages are computed when drawn: repaint the visible rows once a second
        # (during shutdown the screen stack may already be empty: self.screen would raise)
        if self.main is not None and self.screen_stack and self.screen is self.main:
            for panel in self.main.panels.values():
                panel.table.refresh()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Refresh", "Refresh the panels now", self.model.request_refresh)
        yield SystemCommand(
            "Help", "Show the keys of crit", lambda: self.open_view(HelpScreen(self.readonly, keymap=self.keymap))
        )

    def watch_theme(self, name: str) -> None:
        """A theme chosen in the command palette is remembered for the next start (``--theme`` still wins)."""
        if name == getattr(self, "_theme_shown", name):
            return
        self._theme_shown = name
        problem = save_theme(name)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def action_view_help(self) -> None:
        """`?` in a view (describe, logs, stats, events, sessions, forwards): help with that view's keys first."""
        if isinstance(self.screen, HelpScreen):
            return
        self.open_view(HelpScreen(self.readonly, view=self.screen, keymap=self.keymap))

    # ------------------------------------------------------------------ model → UI

    def _on_change(self, changes: Changes) -> None:
        main = self.main
        if main is None:
            return
        pods, containers, images = self.builder.build(changes)
        for kind, (changed, removed) in zip(KINDS, (pods, containers, images)):
            if changed or removed or changes.full:
                main.panels[kind.name].update_rows(changed, removed)
        if self._pending_select is not None:
            name, key = self._pending_select
            if main.panels[name].table.move_cursor_to_key(key):
                main.focus_panel(name)
                self._pending_select = None
        if changes.full:
            self.call_after_refresh(self.first_frame.set)
        self._changes_since_freeze += 1
        if changes.full or self._changes_since_freeze >= 5:
            # Tens of thousands of long-lived rows and messages make every full garbage collection a pause of
            # 100-350 ms on a large node.  Collect what is young (cheap: frozen objects are not scanned), then
            # freeze the survivors, so later collections only look at what is new; refcounting still frees
            # frozen rows and messages when they are replaced.
            self._changes_since_freeze = 0
            self.call_after_refresh(self._gc_maintenance)  # after the frame is drawn, not before
        for listener in list(self.change_listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("change listener failed")

    def _pod_of(self) -> dict[str, str]:
        return {cid: c.pod_sandbox_id for cid, c in self.model.containers.items.items()}

    def _on_stats(self, tracker: StatsTracker) -> None:
        main = self.main
        if main is None:
            return
        for kind in KINDS:
            if kind.stats_kind is None:
                continue
            panel = main.panels[kind.name]
            changed = self.builder.usage_updates(kind, panel.table.rows)
            if changed:
                panel.update_rows(changed, set())

    def _gc_maintenance(self) -> None:
        """Collect young garbage and freeze the survivors.  Objects that become cyclic garbage after being
        frozen are not collected while frozen, so once the frozen set has grown by half since the last full
        collection, unfreeze and collect everything once: that bounds the leak at one full pause per step."""
        full = self._frozen_base == 0 or gc.get_freeze_count() > 1.5 * self._frozen_base + 10_000
        if full:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if full:
            self._frozen_base = gc.get_freeze_count()

    def _on_state(self, state: ConnectionState) -> None:
        main = self.main
        if main is None:
            return
        main.header_widget.update_state(state)
        for panel in main.panels.values():
            panel.set_connection(state.connected, state.ever_connected)

    def on_notify(self, event: Notify) -> None:
        """At most MAX_TOASTS notifications show: this runs before Textual's own handler adds one, and removes the
        oldest to make room (:func:`~crit.ui.textual_private.drop_notification`: Textual has no public way to remove
        one toast)."""
        shown = [n for n in self._toasts if not n.has_expired]
        for old in shown[: max(0, len(shown) - self.MAX_TOASTS + 1)]:
            drop_notification(self, old)  # one dismissed already (a click) is no error
            shown.remove(old)
        shown.append(event.notification)
        self._toasts = shown

    # ------------------------------------------------------------------ API for other parts of crit

    def open_view(self, screen: Screen[Any], callback: Callable[[Any], Any] | None = None) -> None:
        """Show a full screen view (logs, terminal, forms, …) on top of the main screen."""
        self.push_screen(screen, callback)

    def select(self, kind: str, key: str) -> None:
        """Focus ``kind``'s panel and put the cursor on ``key`` (now, or when it first appears)."""
        if self.main is not None and self.main.panels[kind].table.move_cursor_to_key(key):
            self.main.focus_panel(kind)
            return
        self._pending_select = (kind, key)
        self.model.request_refresh()

    def notify_error(self, exc: BaseException) -> None:
        self.notify(sanitize(str(exc)) or type(exc).__name__, severity="error", markup=False, timeout=10)

    def run_call(self, coro: Awaitable[Any], done: str | None = None) -> None:
        """Run a client call in the background; failure → one-sentence notification; then refresh."""

        async def runner() -> None:
            try:
                await coro
            except Exception as exc:  # noqa: BLE001
                self.notify_error(exc)
            else:
                if done:
                    self.notify(done, markup=False)
            finally:
                self.model.request_refresh()

        self.run_worker(runner(), group="actions")

    async def call_handler(self, handler: Callable[..., Any], *args: Any) -> None:
        """Run a keymap handler (sync or async): what it raises is one notification (``str(exc)``), never a
        traceback on the screen (the traceback goes to the log)."""
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log.exception("key or command handler failed")
            self.notify_error(exc)

    def run_command(self, text: str) -> None:
        words = text.strip().lstrip(":").split()
        if not words:
            return
        name = words[0].lower()
        if name in ("q", "quit", "q!"):
            self.exit(0)
            return
        kind = kinds.lookup(name)
        if kind is not None:
            if self.main is None:
                return
            args = words[1:]
            flt = None
            if args:
                # `:pods NS` / `:containers NS`: that namespace only, as the panel's filter (seen, esc clears)
                flt = self._namespace_filter(kind, args)
                if flt is None:
                    return
            if self.screen is not self.main:
                self.switch_to_main()
            if flt is not None:
                self.main.panels[kind.name].apply_filter(flt)
            self.main.action_focus_panel(kind.name)
            return
        if name == "help":
            self.open_view(HelpScreen(self.readonly, keymap=self.keymap))
            return
        for n in (2, 1):
            cmd = self.keymap.command(" ".join(words[:n]).lower()) if len(words) >= n else None
            if cmd is not None:
                if cmd.mutating and self.readonly:
                    self.notify(readonly.command_refusal(cmd.name), severity="warning", markup=False)
                    return
                self.run_worker(self.call_handler(cmd.handler, self, words[n:]), group="commands")
                return
        known = ", ".join([f":{k.name}" for k in KINDS] + [":q"] + [f":{c}" for c in self.keymap.command_names])
        self.notify(f"Unknown command :{sanitize(' '.join(words))}; known: {known}.", severity="error", markup=False)

    def _namespace_filter(self, kind: ResourceKind, args: list[str]) -> RowFilter | None:
        """The ``-n NS`` filter for ``:pods NS`` / ``:containers NS``, or None after one sentence saying why not."""
        if not kind.namespaced or len(args) != 1:
            usage = (
                f"{kind.name} have no namespace: type :{kind.name} alone"
                if not kind.namespaced
                else f"type one namespace, e.g. :{kind.name} kube-system"
            )
            self.notify(f":{kind.name} takes at most one namespace; {usage}.", severity="error", markup=False)
            return None
        ns = args[0]
        namespaces = {p.metadata.namespace for p in self.model.pods.items.values()}
        if ns not in namespaces and sanitize(ns) not in {sanitize(n) for n in namespaces}:
            known = ", ".join(sorted(sanitize(n) for n in namespaces)) or "none"
            self.notify(
                f"No pod is in the namespace {sanitize(ns)}; the namespaces are: {known}.",
                severity="error",
                markup=False,
            )
            return None
        return parse_filter(f"-n {ns}")

    def switch_to_main(self) -> None:
        while len(self.screen_stack) > 1 and self.screen is not self.main:
            self.pop_screen()

    # ------------------------------------------------------------------ describe / config

    def open_describe(self, kind: ResourceKind, row: Row, config: bool) -> None:
        client = self.client
        key = row.key

        async def load() -> str:
            resp = await kind.status(client, key, verbose=True)
            return config_yaml(kind, resp) if config else describe_yaml(kind, resp)

        what = "config (crictl YAML)" if config else "describe"
        name = kind.file_name(row.obj)
        self.open_view(
            TextViewScreen(
                f"{what} — {kind.describe_row(row)}",
                load,  # the kind of view first: cut last
                save_name=name if config else f"{name}-status",
            )
        )

    # ------------------------------------------------------------------ stop / remove / pull

    def confirm_and_run(self, verb: Verb, kind: ResourceKind, rows: list[Row]) -> None:
        if self.readonly:
            self.notify(
                readonly.key_refusal({"stop": "ctrl+k", "remove": "ctrl+d"}[verb]), severity="warning", markup=False
            )
            return
        if verb == "stop" and not kind.can_stop:
            self.notify(
                f"{kind.title} cannot be stopped; ctrl+d removes {kind.indefinite}.", severity="warning", markup=False
            )
            return
        if not rows:
            self.notify(
                f"Nothing selected to {verb}: the {kind.name} panel is empty.", severity="warning", markup=False
            )
            return
        idle = kind.nothing_to_stop(rows) if verb == "stop" and isinstance(kind, kinds.Stopper) else None
        if idle is not None:  # nothing to confirm: no dialog offering a Stop that would do nothing
            self.notify(idle, severity="warning", markup=False)
            return
        question, items, note, warning = kind.confirmation(
            verb, rows, self.builder.counts, self.builder.in_use, self.builder.sandbox_users
        )

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._bulk(verb, kind, rows), group="actions")

        # the answer defaults to no: the dialog focuses its Cancel button (enter, n and esc keep everything)
        self.push_screen(ConfirmDialog(question, items, verb=verb.capitalize(), note=note, warning=warning), answered)

    async def _bulk(self, verb: Verb, kind: ResourceKind, rows: list[Row]) -> None:
        sem = asyncio.Semaphore(8)

        async def guarded(row: Row) -> BaseException | None:
            async with sem:
                try:
                    await kind.act(verb, self.client, row.obj)
                except Exception as exc:  # noqa: BLE001 - each failure is reported, naming its row
                    return exc
                return None

        results = await asyncio.gather(*(guarded(r) for r in rows))
        failed = [(r, e) for r, e in zip(rows, results) if e is not None]
        done = len(rows) - len(failed)
        past = {"stop": "Stopped", "remove": "Removed"}[verb]
        if done:
            noun = kind.describe_row(rows[0]) if len(rows) == 1 else _n(done, kind.singular)
            self.notify(f"{past} {noun}.", markup=False)
        named = self.MAX_TOASTS - 2  # the result, the failures named, "… and N more": all shown at once
        for row, exc in failed[:named]:
            self.notify(
                f"Could not {verb} {kind.describe_row(row)}: {sanitize(str(exc))}",
                severity="error",
                markup=False,
                timeout=10,
            )
        if len(failed) > named:
            self.notify(f"… and {_n(len(failed) - named, 'more failure')}.", severity="error", markup=False)
        if self.main is not None:
            panel = self.main.panels[kind.name]
            panel.table.marks.difference_update(r.key for r, e in zip(rows, results) if e is None)
            panel.update_title()
        self.model.request_refresh()

    def open_pull(self) -> None:
        if self.readonly:
            self.notify(readonly.key_refusal("p"), severity="warning", markup=False)
            return

        def answered(req: PullRequest | None) -> None:
            if req is not None:
                self.run_worker(self._pull(req), group="actions")

        self.push_screen(PullDialog(), answered)

    async def _pull(self, req: PullRequest) -> None:
        started = time.monotonic()
        self.notify(f"Pulling {sanitize(req.image)}…", markup=False)
        auth = (req.username, req.password) if req.username else None
        try:
            ref = await self.client.pull_image(req.image, auth)
        except Exception as exc:  # noqa: BLE001
            self.notify_error(exc)
            return
        finally:
            self.model.request_refresh()
        self.notify(
            f"Pulled {sanitize(req.image)} in {time.monotonic() - started:.1f}s ({short_id(str(ref))}).", markup=False
        )
        self.select("images", str(ref))


def run_app(client: CriClient, options: Options) -> int:
    """Run the TUI on ``client`` until the user quits; returns the exit status."""
    theme = options.theme
    if theme:
        available = load_themes().themes
        if theme not in available:
            import sys

            print(
                f"crit: there is no theme named {theme!r}; choose one of {', '.join(sorted(available))} "
                f"(or add {theme}.yaml to $XDG_CONFIG_HOME/crit/themes).",
                file=sys.stderr,
            )
            return 2
    app = CritApp(client, options)
    result = app.run()
    if app.return_code:  # an internal error ended it (see CritApp.handle_internal_error)
        return app.return_code
    return int(result or 0) if isinstance(result, int) else 0
