"""Keys are handled in the order typed, against what the user saw (issue 10).

Three ways Textual loses that order, and what crit does about each:

* **A widget's own keys run late.** A focused widget gets its keys in order, but the keys it handles through a
  binding (an Input's backspace, left, home; tab to the next field; a checkbox's space) are run only when the key
  has bubbled up, one message queue per ancestor, to the app — after the printable keys typed behind it were
  already inserted: ``BSpace z`` left ``z`` deleted, ``Left z`` typed the z before the move.  The form widgets
  below (:class:`KeysInOrder`) run the binding the key would reach, at once, when they receive the key.
* **Keys typed while a screen opens are dropped.** ``nweb`` typed together: the New pod form takes a moment to
  mount and focus its first field, and the keys behind ``n`` reached a screen with nothing focused.
  :class:`TypeAhead` (fed by the app's key hook) holds every key that arrives while the screen on top is not ready
  (not mounted, or nothing focused yet though it has focusable widgets) and hands them on, in order, once it is.
* **Esc followed at once by a key is read as Alt+key** (the terminal sends ``\\x1b`` ``q`` together, which the input
  parser reads as alt+q).  crit binds no alt key: an alt+KEY nothing binds is delivered as escape, then KEY.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, cast

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select

__all__ = ["KeysInOrder", "OrderedButton", "OrderedCheckbox", "OrderedInput", "OrderedSelect", "TypeAhead", "split_alt"]

MOUNT_TIMEOUT = 5.0  # seconds: the longest the keys wait for the screen on top to mount
FOCUS_TIMEOUT = 0.5  # seconds after its mount: a screen that focuses nothing gets the keys anyway
POLL = 0.02


class KeysInOrder:
    """Mixin (before the widget class) running the binding a key reaches when the widget receives the key, not
    after it has bubbled to the app.  ``TAKES_TEXT``: the widget inserts printable keys itself (an Input)."""

    TAKES_TEXT = False

    async def on_key(self, event: events.Key) -> None:
        widget = cast(Widget, self)  # mixed into a widget class
        focused = widget.screen.focused  # (now: has_focus follows a turn later)
        if focused is not widget:
            if focused is not None and widget in focused.ancestors:
                return  # bubbled up from a part of this widget (a Select's open list): the app runs its binding
            # typed behind a key that moved the focus (tab, a row added), handled after it: the key belongs to the
            # field focused now (the app hands it on; the keys behind it follow, in order)
            event.stop()
            event.prevent_default()
            widget.app.post_message(events.Key(event.key, event.character))
            return
        if self.TAKES_TEXT and event.is_printable:
            return  # the Input inserts it, now
        screen = widget.screen
        active = screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return  # (priority bindings were run by the app when the key arrived)
        event.stop()
        event.prevent_default()
        await widget.app.run_action(active.binding.action, active.node)


class OrderedInput(KeysInOrder, Input):
    TAKES_TEXT = True


class OrderedSelect(KeysInOrder, Select[Any]):
    pass


class OrderedCheckbox(KeysInOrder, Checkbox):
    pass


class OrderedButton(KeysInOrder, Button):
    pass


def split_alt(event: events.Key, is_bound: Callable[[str], bool]) -> list[events.Key]:
    """``alt+KEY`` that nothing binds → [escape, KEY] (esc then KEY typed together); any other key → [it]."""
    key = event.key
    if not key.startswith("alt+") or is_bound(key):
        return [event]
    rest = key[len("alt+") :]
    if not rest or rest.startswith(("alt+", "ctrl+")):
        return [event]
    char = event.character
    if rest.startswith("shift+") and char and len(char) == 1:
        rest = char  # alt+shift+a was "\x1bA"
    return [events.Key("escape", "\x1b"), events.Key(rest, char)]


class TypeAhead:
    """Holds the keys that arrive while the screen on top is not ready, and delivers them in order once it is.

    ``app``: the App; ``deliver(key)``: hands one key on the way Textual would (the app's default key handling).
    """

    def __init__(self, app: App[Any], deliver: Callable[[events.Key], Awaitable[object]]) -> None:
        self.app = app
        self.deliver = deliver
        self.held: list[events.Key] = []
        self._since = 0.0
        self._mounted_at: weakref.WeakKeyDictionary[Screen[Any], float] = weakref.WeakKeyDictionary()
        self._ready: weakref.WeakSet[Screen[Any]] = weakref.WeakSet()  # screens seen ready once stay ready
        self._timer: Timer | None = None

    def ready(self, screen: Screen[Any]) -> bool:
        if screen in self._ready:
            return True
        if not screen.is_mounted:
            return False
        now = time.monotonic()
        mounted_at = self._mounted_at.setdefault(screen, now)
        if screen.focused is not None or not screen.focus_chain or now - mounted_at >= FOCUS_TIMEOUT:
            self._ready.add(screen)
            return True
        return False

    async def key(self, event: events.Key) -> None:
        if self.held or not self.ready(self.app.screen):
            if not self.held:
                self._since = time.monotonic()
            self.held.append(events.Key(event.key, event.character))
            if self._timer is None:
                self._timer = self.app.set_interval(POLL, self._check, name="crit-type-ahead")
            return
        await self.deliver(event)

    async def _check(self) -> None:
        if not self.ready(self.app.screen) and time.monotonic() - self._since < MOUNT_TIMEOUT:
            return
        held, self.held = self.held, []
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        for key in held:
            await self.deliver(key)
