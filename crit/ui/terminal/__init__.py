"""Terminal sessions inside crit: :class:`TerminalView` (the widget) and :class:`TerminalScreen` (a full screen
hosting one view, which dismisses itself on detach or after the process ended and a key was pressed)."""

from crit.ui.terminal.screen import TerminalScreen
from crit.ui.terminal.sessions import attach_session, exec_session, shell_session
from crit.ui.terminal.view import SessionFactory, TerminalView

__all__ = ["TerminalView", "TerminalScreen", "SessionFactory", "exec_session", "shell_session", "attach_session"]
