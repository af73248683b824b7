"""Terminal sessions inside crit (exec / attach on the runtime's streaming connection).

* :class:`TerminalView` — the widget: ``TerminalView(session_factory, title, detach_key="ctrl+]", scrollback=10_000,
  fps=30, flood_fps=15)``. ``session_factory`` is an async callable returning a connected
  :class:`crit.stream.channel.ExecStream`; the widget sends the first resize itself and keeps the PTY size equal
  to its own size. Messages: ``TerminalView.Detached``, ``.Exited(exit_code, description)``, ``.Closed`` (a key
  after the end), ``.TitleChanged``.
* :class:`TerminalScreen` — a full screen hosting one view; it dismisses itself with ``"detached"`` (detach key)
  or ``"closed"`` (process ended, then any key).
* Factories over ``CriClient``: :func:`shell_session` (bash, else sh — like k9s), :func:`exec_session` (any
  command), :func:`attach_session` (the main process; the container must have ``stdin`` and ``tty``). They take
  ``insecure=True`` for ``--stream-insecure``.

Mounting from the app (e.g. the ``s`` key on a container)::

    from crit.ui.terminal import TerminalScreen, shell_session

    screen = TerminalScreen(shell_session(app.client, container_id), f"sh · {name}")
    app.install_screen(screen, name=f"session-{n}")   # installed: survives detach, listable under :sessions
    app.push_screen(f"session-{n}", on_done)          # on_done("detached" | "closed")
    # back to a detached session: app.push_screen(f"session-{n}", on_done)
    # after "closed": app.uninstall_screen(f"session-{n}")

A screen that is pushed without being installed is removed when dismissed, which closes its session.
"""

from crit.ui.terminal.screen import TerminalScreen
from crit.ui.terminal.sessions import SHELL_COMMAND, attach_session, exec_session, shell_session
from crit.ui.terminal.view import SessionFactory, TerminalView

__all__ = [
    "TerminalView",
    "TerminalScreen",
    "SessionFactory",
    "exec_session",
    "shell_session",
    "attach_session",
    "SHELL_COMMAND",
]

from crit.ui.terminal import actions as actions
