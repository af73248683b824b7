"""A guard for the periodic updaters of a screen (timers, follow loops, preview timers)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from textual.css.query import NoMatches

__all__ = ["unless_torn_down"]

F = TypeVar("F", bound=Callable[..., Any])


def unless_torn_down(fn: F) -> F:
    """Decorate a screen's method that updates its own widgets from a timer or a loop.

    Textual removes a screen's children before it stops the screen's timers and workers, so such a method can run
    once more with its widgets gone (seen in CI: at exit, and right after a form closed).  Its widgets are made by
    the screen's own compose, so a ``NoMatches`` can only mean that: there is nothing left to update.  Without this
    guard the exception ends the whole app.
    """

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except NoMatches:
            return None

    return cast(F, wrapper)  # the same signature: functools.wraps
