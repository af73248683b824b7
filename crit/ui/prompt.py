"""The one-line prompt of a screen (the main screen's `/` filter and `:` command line, the log and describe
searches): visible while open, and in step with the keys typed.

* Visible: the prompt is docked at the bottom like the footer; while it is open the screen gets the class
  ``-prompting`` and its footer is hidden, so the prompt takes the footer's line (before, the footer was drawn
  over it and the user typed blind).
* In key order: ``enter`` and ``esc`` are handled by the prompt itself, at once, when it receives them — not by a
  binding that runs after the keys typed behind them have already reached the prompt.  So ``esc`` then ``q``
  typed together closes the prompt and quits, and ``/redis⏎d`` filters, then describes.  Keys that reach the
  prompt after it closed are not typed into it: they go on to the screen's bindings.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.widgets import Input

__all__ = ["PromptInput"]


class PromptInput(Input):
    """An :class:`Input` opened with :meth:`open` and closed by enter (``on_submit(value)``) or esc
    (``on_cancel()``); the callbacks run synchronously, in the order of the keys."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    Screen PromptInput, Screen PromptInput:focus {
        dock: bottom; display: none; height: 1; border: none; padding: 0 1;
    }
    Screen PromptInput.-shown { display: block; }
    .-prompting Footer { display: none; }
    """

    def __init__(self, *, on_submit: Callable[[str], object], on_cancel: Callable[[], object],
                 placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self._on_submit = on_submit
        self._on_cancel = on_cancel

    @property
    def is_open(self) -> bool:
        return self.has_class("-shown")

    def open(self, value: str = "", *, select: bool = True, placeholder: str | None = None) -> None:
        """Show the prompt holding ``value`` and focus it now; ``select``: the value selected (typing replaces
        it), else the cursor at its end."""
        if placeholder is not None:
            self.placeholder = placeholder
        self.select_on_focus = select
        self.value = value
        self.add_class("-shown")
        self.screen.add_class("-prompting")
        self.screen.set_focus(self)  # now: the keys after this one are the prompt's
        self.cursor_position = len(value)
        if select and value:
            self.select_all()

    def close(self) -> None:
        """Hide the prompt (the caller moves the focus)."""
        self.remove_class("-shown")
        self.screen.remove_class("-prompting")

    def on_key(self, event: events.Key) -> None:
        if not self.is_open:
            # typed before the prompt closed, handled after: not text for the prompt, a key for the screen
            event.prevent_default()
            return
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self._on_cancel()
        elif event.key == "enter":
            event.stop()
            event.prevent_default()
            self._on_submit(self.value)
