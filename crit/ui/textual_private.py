"""The only place crit touches Textual's private API (names starting with ``_`` on Textual objects).

Each use below says why no public API does the job. All were checked on Textual :data:`TEXTUAL_CHECKED` (the
pin in pyproject.toml is ``textual>=8.2.8,<9``); ``tests/test_textual_private.py`` fails loudly, naming the
attribute and the installed version, when a Textual release renames one or changes its signature or behaviour.

* :class:`InternalErrorHook` — the app's hook for a bug inside it (``App._fatal_error``); the app prints its
  sentence with the public :meth:`textual.app.App.panic`.
* :func:`drop_notification` — removes one toast (``App._unnotify``), for the app's cap on toasts shown.
* :func:`shown_notifications`, :func:`screen_strips` — what the tests read (``tests/ui_helpers.py``): the
  notifications held by the app (``App._notifications``) and the screen as drawn (``Screen._compositor``).
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App, ReturnType
from textual.notifications import Notification
from textual.strip import Strip

__all__ = ["TEXTUAL_CHECKED", "InternalErrorHook", "drop_notification", "screen_strips", "shown_notifications"]

#: the Textual version every private name used here was checked on
TEXTUAL_CHECKED = "8.2.8"


class InternalErrorHook(App[ReturnType]):
    """An app base: :meth:`handle_internal_error` sees an unhandled exception before Textual prints its report.

    Textual's ``App._handle_exception`` sets the return code to 1 and calls ``App._fatal_error``, which prints a
    rich traceback (with the exception's text raw) and exits. No public hook runs there: ``App.panic`` and
    ``App.exit`` are what a handler calls, not something Textual calls on an error. So ``_fatal_error`` is
    overridden here and nowhere else, and the exception is taken from ``sys.exc_info()`` (Textual calls the hook
    inside its ``except`` block) or, failing that, from ``App._exception`` (the first unhandled exception, which
    ``run_test`` re-raises).
    """

    def handle_internal_error(self, error: BaseException | None) -> bool:
        """Called once on an unhandled exception (``None`` when Textual did not record one). Return True when it
        was handled (typically by calling :meth:`~textual.app.App.panic` with a message), False to keep Textual's
        own report (the traceback)."""
        return False

    def _fatal_error(self) -> None:
        error: BaseException | None = sys.exc_info()[1] or self._exception
        if not self.handle_internal_error(error):
            super()._fatal_error()


def drop_notification(app: App[Any], notification: Notification) -> None:
    """Remove one notification (its toast goes at the next refresh of the toasts; nothing is redrawn here).

    Textual's public API removes all of them (``App.clear_notifications``) or lets them time out; clearing all and
    posting the newest ones again left stale toasts drawn, as the toast rack mounts them later. ``App._unnotify``
    with ``refresh=False`` removes one, before Textual's own ``Notify`` handler adds the next and refreshes. A
    notification removed already (dismissed by a click) is no error."""
    app._unnotify(notification, refresh=False)


def shown_notifications(app: App[Any]) -> list[Notification]:
    """The notifications the app holds now, oldest first, without the expired ones (``App._notifications``: Textual
    has no public read of them; the ``Toast`` widgets are drawn later and only on the current screen)."""
    return list(app._notifications)


def screen_strips(app: App[Any]) -> list[Strip]:
    """The current screen as the terminal shows it, one :class:`~textual.strip.Strip` per line, every layer
    composed (``Screen._compositor.render_strips()``; the public ``App.export_screenshot`` gives the same as SVG
    only, not text and styles per line)."""
    return app.screen._compositor.render_strips()
