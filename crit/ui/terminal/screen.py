"""A screen hosting one :class:`TerminalView`.

``app.push_screen(TerminalScreen(factory, "sh in web/nginx"), callback)`` — the callback receives ``"detached"``
(the session keeps running as long as the screen object is kept and not dismissed with a close) or ``"closed"``
(the process ended and the user pressed a key). To keep several sessions, install the screens
(``app.install_screen``) or keep references and push them again; :attr:`TerminalScreen.view` is the widget.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen

from crit.ui.terminal.view import SessionFactory, TerminalView

__all__ = ["TerminalScreen"]


class TerminalScreen(Screen[str]):
    DEFAULT_CSS = """
    TerminalScreen TerminalView {
        border: round $accent;
        border-title-align: left;
        border-subtitle-align: right;
    }
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        title: str = "",
        *,
        detach_key: str = "ctrl+]",
        scrollback: int = 10_000,
        fps: float = 30.0,
        flood_fps: float = 15.0,
        name: str | None = None,
        ended_title: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.view = TerminalView(
            session_factory,
            title,
            detach_key=detach_key,
            scrollback=scrollback,
            fps=fps,
            flood_fps=flood_fps,
            ended_title=ended_title,
            on_detach=self._detach_key,
        )

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.focus()

    def on_screen_resume(self) -> None:
        self.view.focus()
        self.view.ease()  # the app mounts this screen's footer and toasts again: its output waits a little

    def _detach_key(self) -> None:
        """The detach key (run by the app as it reads the key: not queued behind this screen's messages)."""
        if self.is_current:
            self.dismiss("detached")

    def on_terminal_view_detached(self, message: TerminalView.Detached) -> None:
        message.stop()
        self.dismiss("detached")

    def on_terminal_view_closed(self, message: TerminalView.Closed) -> None:
        message.stop()
        self.dismiss("closed")
