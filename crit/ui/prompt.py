"""The one-line prompt of a screen (the main screen's `/` filter and `:` command line, the log and describe
searches): visible while open, and in step with the keys typed.

* Visible: the prompt (in a :class:`PromptBar`, after its ``/`` or ``:``) is docked at the bottom like the
  footer; while it is open the screen gets the class ``-prompting`` and its footer is hidden, so the prompt takes
  the footer's line (before, the footer was drawn over it and the user typed blind).  A screen yields
  ``PromptBar(PromptInput(...))``.
* In key order: ``enter`` and ``esc`` are handled by the prompt itself, at once, when it receives them — not by a
  binding that runs after the keys typed behind them have already reached the prompt.  So ``esc`` then ``q``
  typed together closes the prompt and quits, and ``/redis⏎d`` filters, then describes.  Keys that reach the
  prompt after it closed are not typed into it: they go on to the screen's bindings.  A screen opens its prompt
  in its ``on_key`` (not a binding, which runs a turn later) and passes keys to :meth:`PromptInput.take_key`, so
  the keys typed right behind ``/`` go into the prompt, not to the view's keys.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

__all__ = ["PromptBar", "PromptInput"]


class PromptBar(Horizontal):
    """The bottom line holding a :class:`PromptInput` after its prefix (``/`` or ``:``); shown while it is open."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    Screen PromptBar { dock: bottom; display: none; height: 1; }
    Screen PromptBar.-shown { display: block; }
    PromptBar > .prompt-prefix { width: auto; padding: 0 0 0 1; text-style: bold; }
    .-prompting Footer { display: none; }
    """

    def __init__(self, prompt: PromptInput) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        yield Static("/", classes="prompt-prefix", markup=False)
        yield self.prompt


class PromptInput(Input):
    """An :class:`Input` opened with :meth:`open` and closed by enter (``on_submit(value)``) or esc
    (``on_cancel()``); the callbacks run synchronously, in the order of the keys."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    Screen PromptInput, Screen PromptInput:focus { width: 1fr; height: 1; border: none; padding: 0 1 0 0; }
    """

    def __init__(
        self,
        *,
        on_submit: Callable[[str], object],
        on_cancel: Callable[[], object],
        placeholder: str = "",
        id: str | None = None,
        complete: Callable[[str], str | None] | None = None,
    ) -> None:
        """``complete``: tab completes the text with it (it returns the completed text, or None: nothing to do);
        it is called while the prompt is open only when set (the `:` command line sets it)."""
        super().__init__(placeholder=placeholder, id=id)
        self._on_submit = on_submit
        self._on_cancel = on_cancel
        self.complete = complete

    def _complete_now(self) -> None:
        completed = self.complete(self.value) if self.complete is not None else None
        if completed is not None and completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)

    @property
    def is_open(self) -> bool:
        return self.has_class("-shown")

    def open(self, value: str = "", *, select: bool = True, placeholder: str | None = None, prefix: str = "/") -> None:
        """Show the prompt holding ``value`` after ``prefix`` and focus it now; ``select``: the value selected
        (typing replaces it), else the cursor at its end."""
        if placeholder is not None:
            self.placeholder = placeholder
        bar = self.parent
        if isinstance(bar, PromptBar):
            bar.query_one(".prompt-prefix", Static).update(prefix)
            bar.add_class("-shown")
        # selected here, now: the focus event comes a turn later and would select what was typed meanwhile
        self.select_on_focus = False
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
        if isinstance(self.parent, PromptBar):
            self.parent.remove_class("-shown")
        self.screen.remove_class("-prompting")

    def take_key(self, event: events.Key) -> bool:
        """For the screen's ``on_key``: a key that reached the screen while the prompt is open — typed before the
        prompt had the focus, or one the Input leaves to its bindings — is handled as the prompt would, now.
        (Printable keys the prompt itself received never get there: the Input stops them; backspace, an Input
        binding, is done here instead, once.)  Returns whether the key was taken."""
        if not self.is_open:
            return False
        if event.key == "escape":
            self._on_cancel()
        elif event.key == "enter":
            self._on_submit(self.value)
        elif event.key == "backspace":
            self.action_delete_left()
        elif event.key == "tab" and self.complete is not None:
            self._complete_now()
        elif event.is_printable and event.character:
            self.insert_text_at_cursor(event.character)
        else:
            return False
        event.stop()
        event.prevent_default()
        return True

    def search_key(self, event: events.Key, open_search: Callable[[], object]) -> None:
        """For a view's ``on_key`` (describe, logs): a key for the open search goes into it; ``/`` opens the search
        at once, so the keys typed behind it go into it too (not to the view's n, N, c, s, f…)."""
        if self.take_key(event):
            return
        if event.key == "slash":
            event.stop()
            event.prevent_default()
            open_search()

    async def on_key(self, event: events.Key) -> None:
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
        elif event.key == "tab" and self.complete is not None:
            event.stop()
            event.prevent_default()
            self._complete_now()
        elif not event.is_printable:
            # the Input's own keys (backspace, arrows, home/end…) now, not when the key has bubbled up to the app
            # after the keys behind it: backspace then enter searches without the deleted character
            active = self.screen.active_bindings.get(event.key)
            if active is not None and active.node is self and active.enabled:
                event.stop()
                event.prevent_default()
                await self.run_action(active.binding.action)
