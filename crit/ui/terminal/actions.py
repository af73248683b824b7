"""Terminal sessions from the panels (issue 6 point 4): the handlers of these keys and commands (bound in
:mod:`crit.ui.keymap`):

* ``s`` on a running container: an interactive shell (bash when the image has it, else sh — like k9s);
* ``S`` (``shift+s``): a dialog asks for a command line (split like a shell does, with :mod:`shlex`), which then
  runs with a TTY;
* ``a``: attach to the container's main process — only when the container was created with stdin and a tty
  (read from the runtime's verbose ContainerStatus); otherwise one sentence says why not;
* ``:sessions``: the open sessions (container, pod, command, state, bytes received); ``enter`` switches to one,
  ``x`` closes one.

The keys run code in the container, so the keymap marks them ``mutating=True``: hidden and refused under
``--readonly`` (the read-only client refuses Exec and Attach too).

Sessions live in a :class:`SessionManager` on the app (``app.sessions``, created with the app).  Each session is a
:class:`~crit.ui.terminal.TerminalScreen` installed on the app, so detaching (``ctrl+]``) pops it back to the
panels while the process keeps running; ``:sessions`` pushes it again.  When the process ends the screen shows
``[exited with code N]``; the next key returns to the panels, a notification gives the exit code and the session
is dropped.  A session that ends while detached is announced and stays listed (as exited) until it is opened
and dismissed, or closed with ``x``.  An attach that ends reports the container's own exit code (the attach
stream only says it ended).

Closing the stream does not end an exec'd process on containerd, so exec sessions carry ``CRIT_SESSION=<token>``
in their environment (set through sh); ``x`` on a running session, and quitting crit with sessions open, hang up
and then kill every process carrying it (ExecSync).  A session whose connection was lost (no exit status) is ended
the same way as soon as the runtime answers again, or at quit, or at crit's next start (the marker waits in the
state file) — :class:`crit.model.sessions.SessionJanitor`, ``app.sessions.janitor``.  The app's start calls its
``sweep`` (leftovers of an earlier crit) and its end :meth:`SessionManager.end_all_running`.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from crit.cri.states import CONTAINER_EXITED, CONTAINER_RUNNING, container_state
from crit.model.sessions import (
    KILLED,
    UNREACHABLE,
    BadCommand,
    Leftover,
    Marker,
    SessionJanitor,
    SessionKind,
    attach_blocker,
    has_sh,
    marked,
    marked_shell,
    parse_command,
)
from crit.render.human import age_seconds, short_id
from crit.render.human import size as human_size
from crit.render.sanitize import sanitize
from crit.stream.channel import ExecStream
from crit.ui.base import Selection
from crit.ui.listscreen import ListScreen
from crit.ui.readonly import refusal
from crit.ui.terminal.screen import TerminalScreen
from crit.ui.terminal.sessions import attach_session, exec_session
from crit.ui.terminal.view import SessionFactory, TerminalView

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

log = logging.getLogger(__name__)

__all__ = [
    "TerminalSession",
    "SessionManager",
    "CommandDialog",
    "SessionsScreen",
    "sessions_of",
    "open_shell",
    "open_custom",
    "open_attach",
    "attach_blocker",
    "parse_command",
]

#: the longest command line shown in titles and lists
LABEL_MAX = 40

# Closing an exec stream does not end the process on containerd (with a TTY the process keeps its terminal and
# gets no hangup), and neither does losing the connection, so every exec session carries a marker in its
# environment, CRIT_SESSION=<token>, inherited by whatever it starts; closing the session (x in :sessions, or
# quitting crit) hangs up every process carrying it through ExecSync, then kills what is left; a lost session is
# ended as soon as the runtime answers again, or at crit's next start (crit.model.sessions, the SessionJanitor).
# The marker needs sh in the container; without sh a command runs unmarked and a note says that closing it may
# leave it running.


def shell_factory(client: Any, container_id: str, marker: Marker, *, insecure: bool = False) -> SessionFactory:
    inner = exec_session(client, container_id, marked_shell(marker.token), insecure=insecure)

    async def factory() -> ExecStream:
        stream = await inner()
        marker.active = True
        return stream

    return factory


def command_factory(
    client: Any, container_id: str, argv: list[str], marker: Marker, *, insecure: bool = False
) -> SessionFactory:
    """Runs ``argv`` marked when the container has sh (checked with ExecSync), else as it is."""

    async def factory() -> ExecStream:
        marks = await has_sh(client, container_id)
        stream = await exec_session(
            client, container_id, marked(argv, marker.token) if marks else argv, insecure=insecure
        )()
        marker.active = marks
        return stream

    return factory


# ---------------------------------------------------------------------------------------------- sessions


class TerminalSession:
    """One exec/attach session: its screen (and widget) plus what the list shows about it."""

    def __init__(
        self,
        number: int,
        kind: SessionKind,
        container_id: str,
        container: str,
        pod: str,
        command: str,
        screen: TerminalScreen,
        marker: Marker | None = None,
    ) -> None:
        self.number = number
        self.marker = marker  # exec sessions: how to end their processes when closed
        self.kind = kind
        self.container_id = container_id
        self.container = container  # sanitised names
        self.pod = pod
        self.command = command
        self.screen = screen
        self.started = time.monotonic()
        self.announced = False  # the end was notified while detached
        self.lost = False  # the connection ended without an exit status: the processes may still run
        # attach: the stream's end says nothing about the main process (containerd reports Success whatever its
        # exit code), so the container's own state and exit code are read from the runtime when it ends
        self.container_exit: int | None = None
        self.container_running: bool | None = None
        self.resolved = asyncio.Event()

    @property
    def view(self) -> TerminalView:
        return self.screen.view

    @property
    def what(self) -> str:
        """How notifications name it: ``shell in web``, ``top in web``, ``main process of web``."""
        if self.kind == SessionKind.ATTACH:
            return f"main process of {self.container}"
        return f"{self.command} in {self.container}"

    @property
    def ended(self) -> bool:
        return self.view.ended

    @property
    def state(self) -> str:
        view = self.view
        if view.ended:
            if self.kind == SessionKind.ATTACH and self.container_exit is not None:
                return f"exited with code {self.container_exit}"
            return view.end_description or "ended"
        return "running" if view.connected.is_set() else "starting"

    @property
    def bytes_in(self) -> int:
        return self.view.bytes_in

    @property
    def exit_code(self) -> int | None:
        return self.container_exit if self.kind == SessionKind.ATTACH else self.view.exit_code

    def end_sentence(self) -> str:
        """``Shell in web exited with code 0.`` / ``Command top in web exited with code 1.`` / ``… ended: why``"""
        if self.kind == SessionKind.ATTACH:
            if self.container_exit is not None:
                return f"Main process of {self.container} exited with code {self.container_exit}."
            if self.container_running:
                return f"The attach to {self.container} ended; the container is still running."
        what = f"Command {self.what}" if self.kind == SessionKind.EXEC else self.what[:1].upper() + self.what[1:]
        desc = self.view.end_description or "ended"
        if desc.startswith("exited") or desc == "ended":
            return f"{what} {desc}."
        return f"{what} ended: {desc}"


class SessionManager:
    """The app's open terminal sessions (``app.sessions``)."""

    def __init__(self, app: CritApp) -> None:
        self.app = app
        self.sessions: list[TerminalSession] = []
        self._counter = 0
        client = app.client
        endpoint = getattr(client, "runtime_endpoint", None) or app.endpoint_label  # as the state file names it
        # ends the processes of exec sessions, also of lost ones and of those an earlier crit left behind
        self.janitor = SessionJanitor(client, str(endpoint), on_killed=self._leftover_ended)

    def __len__(self) -> int:
        return len(self.sessions)

    def __iter__(self) -> Iterator[TerminalSession]:
        return iter(list(self.sessions))

    def get(self, number: int) -> TerminalSession | None:
        return next((s for s in self.sessions if s.number == number), None)

    def open(
        self,
        factory: SessionFactory,
        *,
        kind: SessionKind | str,
        container_id: str,
        container: str,
        pod: str,
        command: str,
        marker: Marker | None = None,
    ) -> TerminalSession:
        """Start a session and show it."""
        kind = SessionKind(kind)
        app = self.app
        self._counter += 1
        number = self._counter
        detach = "ctrl+]"
        label = (
            f"{command} · container {container} · pod {pod}"
            if kind != SessionKind.ATTACH
            else f"attached to {container} · pod {pod}"
        )
        title = (
            f"{label} · {detach} detaches, :sessions switches"
            if kind != SessionKind.ATTACH
            else f"{label} · no prompt? press enter · {detach} detaches"
        )
        # once it has ended: "exited with code 3 — press any key to close · shell · container web · pod p"
        screen = TerminalScreen(factory, title, detach_key=detach, ended_title=label)
        session = TerminalSession(number, kind, container_id, container, pod, command, screen, marker)
        app.install_screen(screen, self._name(session))
        self.sessions.append(session)
        app.run_worker(self._watch(session), group="terminal-sessions", name=f"session-{number}")
        self.show(session)
        return session

    @staticmethod
    def _name(session: TerminalSession) -> str:
        return f"crit-terminal-session-{session.number}"

    def show(self, session: TerminalSession) -> None:
        """Bring a session to the front (it must still be listed)."""
        if session not in self.sessions or self.app.screen is session.screen:
            return
        self.app.push_screen(session.screen, lambda result: self._returned(session, result))

    def _returned(self, session: TerminalSession, result: Any) -> None:
        app = self.app
        if result == "closed":  # a key after the end: back to the panels with the exit code
            self._drop(session)
            app.run_worker(self._notify_end(session), group="terminal-sessions")
        elif session.ended:
            app.notify(
                f"{session.end_sentence()} It stays listed under :sessions until you open it or close it with x.",
                markup=False,
            )
            session.announced = True
        else:
            app.notify(
                f"Detached from {_detached_name(session)}; it keeps running (:sessions switches back to it).",
                markup=False,
            )

    async def _notify_end(self, session: TerminalSession, suffix: str = "") -> None:
        try:
            await asyncio.wait_for(session.resolved.wait(), 5.0)
        except TimeoutError:
            pass
        sentence = session.end_sentence()
        if session.lost:  # "Shell in web ended: the exec connection was lost; crit ends its processes …"
            sentence = (
                sentence.rstrip(".") + "; crit ends its processes in the container as soon as the runtime answers."
            )
        self.app.notify(
            sentence + suffix, markup=False, severity="information" if session.exit_code == 0 else "warning"
        )

    async def _resolve(self, session: TerminalSession) -> None:
        """For an attach: the container's state and exit code once the stream has ended."""
        if session.kind != SessionKind.ATTACH:
            return
        client = self.app.client
        loop = asyncio.get_running_loop()
        end = loop.time() + 3.0
        while True:
            try:
                status = (await client.container_status(session.container_id)).status
            except Exception:  # noqa: BLE001 - removed meanwhile, runtime gone: the stream's words stand
                return
            if status.state != CONTAINER_RUNNING:
                session.container_running = False
                if status.state == CONTAINER_EXITED:
                    session.container_exit = int(status.exit_code)
                return
            if loop.time() > end:
                session.container_running = True
                return
            await asyncio.sleep(0.1)

    async def _watch(self, session: TerminalSession) -> None:
        view, marker = session.view, session.marker
        if marker is not None:
            waits = [asyncio.ensure_future(view.connected.wait()), asyncio.ensure_future(view.finished.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            if marker.active:  # running with its marker: noted in the state file until it ends
                self.janitor.started(session.container_id, marker.token)
        await view.finished.wait()
        if marker is not None and marker.active:  # ended by itself, not closed by crit
            marker.active = False
            stream = view.stream
            # no exit status at all (a failure status is an answer): the connection was lost, the processes may
            # still run
            if stream is None or getattr(stream, "status", None) is None:
                session.lost = True
                self.janitor.lost(session.container_id, marker.token)
            else:
                self.janitor.exited(marker.token)
        try:
            await self._resolve(session)
        finally:
            session.resolved.set()
        # on screen, the widget itself shows [exited with code N] and the next key returns with a notification
        if session in self.sessions and self.app.screen is not session.screen and not session.announced:
            session.announced = True
            await self._notify_end(session, " :sessions shows its last screen.")

    def _drop(self, session: TerminalSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        self.app.run_worker(self._dispose(session), group="terminal-sessions")

    async def _dispose(self, session: TerminalSession) -> None:
        """Forget the screen once it is off the screen stack (the pop may still be under way)."""
        app = self.app
        for _ in range(200):
            if session.screen not in app.screen_stack:
                break
            await asyncio.sleep(0.01)
        else:  # pragma: no cover - defensive
            log.warning("session %s still on the screen stack; left installed", session.number)
            return
        app.uninstall_screen(session.screen)
        await session.view.close()
        if session.screen.is_attached:
            await session.screen.remove()

    async def end_processes(self, session: TerminalSession, timeout: float = 5.0) -> bool:
        """Hang up (then kill) the processes of a running exec session; False when that is not possible."""
        marker = session.marker
        if marker is None or not marker.active or session.ended:
            return marker is not None and marker.active
        marker.active = False  # once
        if await self.janitor.end(session.container_id, marker.token, timeout) == UNREACHABLE:
            session.lost = True  # the janitor ends them as soon as the runtime answers
            return False
        return True

    async def close(self, session: TerminalSession) -> bool:
        """End a session and forget it: an exec session's processes are hung up and killed, an attach is only
        detached (the main process keeps running).  Returns False when the processes may still run."""
        if session in self.sessions:
            self.sessions.remove(session)
        ended = session.ended or session.kind == SessionKind.ATTACH or await self.end_processes(session)
        await session.view.close()
        await self._dispose(session)
        return ended

    async def end_all_running(self, timeout: float = 3.0) -> None:
        """End the processes of every running exec session, and of lost ones (crit is quitting); what the runtime
        does not take now stays in the state file for crit's next start."""
        for s in self.sessions:
            if not s.ended and s.marker is not None and s.marker.active:
                s.marker.active = False
                self.janitor.lost(s.container_id, s.marker.token)
        left = await self.janitor.shutdown(timeout)
        if left:
            log.info("%d exec session(s) left for the next start to end", left)

    def _leftover_ended(self, entry: Leftover, outcome: str) -> None:
        """A lost session's processes (or an earlier crit's) were ended once the runtime answered."""
        if outcome != KILLED:
            return
        ctr = self.app.model.containers.items.get(entry.container_id)
        name = sanitize(ctr.metadata.name) if ctr is not None else short_id(entry.container_id)
        if entry.marker in self.janitor.adopted:
            self.app.notify(
                f"Ended the processes of an exec session in {name} that an earlier crit left running.", markup=False
            )
        else:
            self.app.notify(
                f"Ended the processes of an exec session in {name} whose connection had been lost.", markup=False
            )

    def sweep(self) -> None:
        """At start: end what an earlier crit left running (markers in the state file, for this runtime)."""
        self.janitor.sweep()

    async def close_all(self) -> None:
        for session in list(self.sessions):
            await self.close(session)


def sessions_of(app: CritApp) -> SessionManager:
    """The app's session manager (``app.sessions``)."""
    return app.sessions


# ---------------------------------------------------------------------------------------------- helpers


class NotPossible(Exception):
    """A user-facing sentence: why the key does nothing here."""


def _names(app: CritApp, ctr: Any, row: Any = None) -> tuple[str, str]:
    name = sanitize(ctr.metadata.name) or short_id(ctr.id)
    pod = ""
    p = app.model.pods.items.get(ctr.pod_sandbox_id)
    if p is not None:
        pod = sanitize(p.metadata.name)
    if not pod and row is not None and len(getattr(row, "cells", ())) > 2:
        pod = sanitize(str(row.cells[2]))
    return name, pod or short_id(ctr.pod_sandbox_id)


def _require_running(ctr: Any, name: str, verb: str) -> None:
    if ctr.state != CONTAINER_RUNNING:
        raise NotPossible(
            f"Container {name} is {container_state(ctr.state).lower()}, not running, so there is "
            f"nothing to {verb}; this works on running containers only."
        )


def _insecure(app: CritApp) -> bool:
    return app.options.stream_insecure


def _label(argv: list[str]) -> str:
    text = sanitize(shlex.join(argv))
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _warn(app: CritApp, exc: NotPossible) -> None:
    app.notify(str(exc), severity="warning", markup=False, timeout=8)


# ---------------------------------------------------------------------------------------------- keys


def open_shell(app: CritApp, sel: Selection) -> None:
    ctr = sel.row.obj
    name, pod = _names(app, ctr, sel.row)
    try:
        _require_running(ctr, name, "open a shell in")
    except NotPossible as exc:
        _warn(app, exc)
        return
    marker = Marker()
    app.sessions.open(
        shell_factory(app.client, ctr.id, marker, insecure=_insecure(app)),
        kind=SessionKind.SHELL,
        container_id=ctr.id,
        container=name,
        pod=pod,
        command="shell",
        marker=marker,
    )


def open_custom(app: CritApp, sel: Selection) -> None:
    ctr = sel.row.obj
    name, pod = _names(app, ctr, sel.row)
    try:
        _require_running(ctr, name, "run a command in")
    except NotPossible as exc:
        _warn(app, exc)
        return

    def answered(argv: list[str] | None) -> None:
        if not argv:
            return
        marker = Marker()
        app.sessions.open(
            command_factory(app.client, ctr.id, argv, marker, insecure=_insecure(app)),
            kind=SessionKind.EXEC,
            container_id=ctr.id,
            container=name,
            pod=pod,
            command=_label(argv),
            marker=marker,
        )

    app.push_screen(CommandDialog(name), answered)


async def open_attach(app: CritApp, sel: Selection) -> None:
    ctr = sel.row.obj
    name, pod = _names(app, ctr, sel.row)
    try:
        _require_running(ctr, name, "attach to")
        resp = await app.client.container_status(ctr.id, verbose=True)
        _require_running(resp.status, name, "attach to")
        why, known = attach_blocker(dict(resp.info), name)
        if why:
            raise NotPossible(why)
    except NotPossible as exc:
        _warn(app, exc)
        return
    if not known:
        app.notify(
            f"The runtime does not say whether {name} was created with stdin and tty; attaching anyway — "
            f"if nothing appears, ctrl+] detaches.",
            markup=False,
            timeout=8,
        )
    app.sessions.open(
        attach_session(app.client, ctr.id, insecure=_insecure(app)),
        kind=SessionKind.ATTACH,
        container_id=ctr.id,
        container=name,
        pod=pod,
        command="attach",
    )


#: the name the app's one :sessions screen is installed under
SESSIONS_SCREEN = "crit-sessions"


def sessions_command(app: CritApp, args: list[str]) -> None:
    """``:sessions``: the open sessions (enter switches to one, x closes one)."""
    # one screen per app, installed, so that leaving it does not tear it down: Textual's app awaits the removal of
    # a popped screen before it reads the next key, and while a session floods that took ~0.5 s — enter on a
    # flooding session then ctrl+] at once waited that long for the detach
    if not app.is_screen_installed(SESSIONS_SCREEN):
        app.install_screen(SessionsScreen(app), SESSIONS_SCREEN)
    screen = app.get_screen(SESSIONS_SCREEN)
    if screen in app.screen_stack:
        return
    app.open_view(screen)


# ---------------------------------------------------------------------------------------------- dialogs / screens


class CommandDialog(ModalScreen[list[str] | None]):
    """Asks for a command line; dismisses with its words (``None`` on escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    DEFAULT_CSS = """
    CommandDialog { align: center middle; }
    CommandDialog > Vertical {
        width: 76; max-width: 95%; height: auto; padding: 1 2;
        border: round $accent; background: $surface;
    }
    CommandDialog #cmd-help { color: $text-muted; }
    CommandDialog #cmd-error { color: $error; height: auto; }
    """

    def __init__(self, container: str) -> None:
        super().__init__()
        self.container = container

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Run a command in {self.container} (with a terminal)", markup=False)
            yield Input(placeholder="e.g. top   or   sh -c 'ls -l /'", id="cmd-input")
            yield Static("", id="cmd-error", markup=False)
            yield Static(
                "enter runs · escape cancels · quote words with spaces, like in a shell", id="cmd-help", markup=False
            )

    def on_mount(self) -> None:
        self.query_one("#cmd-input", Input).focus()

    @on(Input.Submitted, "#cmd-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            argv = parse_command(event.value)
        except BadCommand as exc:
            self.query_one("#cmd-error", Static).update(Text(str(exc)))
            return
        self.dismiss(argv)

    @on(Input.Changed, "#cmd-input")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#cmd-error", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)


def _detached_name(session: TerminalSession) -> str:
    """How detaching names a session: ``the shell in container web``, ``the command top in container web``,
    ``the main process of container web``."""
    if session.kind == SessionKind.ATTACH:
        return f"the main process of container {session.container}"
    if session.kind == SessionKind.SHELL:
        return f"the shell in container {session.container}"
    return f"the command {session.command} in container {session.container}"


def _closed_name(session: TerminalSession) -> str:
    """How closing names a session: ``the session shell in web``, ``the attach session to web``."""
    if session.kind == SessionKind.ATTACH:
        return f"the attach session to {session.container}"
    return f"the session {session.what}"


class SessionsScreen(ListScreen[TerminalSession]):
    """``:sessions`` — the open terminal sessions; enter switches to one, x closes one."""

    PREFIX = "ss"
    COLUMNS = ("#", "CONTAINER", "POD", "COMMAND", "STATE", "RECEIVED", "AGE")
    ACT = ("close_session", "Close session")

    def __init__(self, app: CritApp) -> None:
        super().__init__()
        self.crit = app
        self.manager = app.sessions

    def title_text(self) -> str:
        return "Terminal sessions   (enter switches to one, x closes it, ctrl+] comes back)"  # fits 80

    def empty_text(self) -> str:
        if self.crit.readonly:  # s, S and a are refused: do not send the user to them
            return "No open sessions. " + refusal("opening a shell, running a command or attaching")
        return "No open sessions: select a running container and press s (shell), S (a command) or a (attach)."

    def items(self) -> dict[str, TerminalSession]:
        return {str(s.number): s for s in self.manager.sessions}

    @staticmethod
    def row(session: TerminalSession) -> tuple[Text, ...]:  # static: a row can be read without a screen
        state = session.state
        style = "" if state == "running" else ("green" if state == "exited with code 0" else "yellow")
        age = int(time.monotonic() - session.started)
        return (
            Text(str(session.number)),
            Text(session.container),
            Text(session.pod),
            Text(session.command),
            Text(state, style=style),
            Text(human_size(session.bytes_in)),
            Text(age_seconds(age)),
        )

    @on(DataTable.RowSelected)
    def _switch(self, event: DataTable.RowSelected) -> None:
        event.stop()
        session = self.selected()
        if session is None:
            return
        manager = self.manager
        self.dismiss()
        # after the list has gone, so that detaching returns to the panels
        self.crit.call_later(manager.show, session)

    async def action_close_session(self) -> None:
        session = self.selected()
        if session is None:
            self.notify("No session selected.", severity="warning")
            return
        was_running = not session.ended
        ended = await self.manager.close(session)
        if not was_running:
            self.notify(f"Closed {_closed_name(session)}.", markup=False)
        elif session.kind == SessionKind.ATTACH:
            self.notify(
                f"Closed {_closed_name(session)}; crit detached, and the container's main process keeps running.",
                markup=False,
            )
        elif ended:
            self.notify(f"Closed the session {session.what}; its processes were hung up.", markup=False)
        elif session.lost:
            self.notify(
                f"Closed the session {session.what}; the runtime does not answer, so crit ends its "
                f"processes as soon as it does.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(
                f"Closed the session {session.what}, but its processes could not be ended (the container "
                f"has no sh); they may still be running.",
                severity="warning",
                markup=False,
            )
        self.redraw()
