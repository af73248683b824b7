"""Textual's private names that crit relies on (all of them in crit/ui/textual_private.py) still exist, take the
parameters that module passes and behave as it expects.

A failure here means a Textual release changed one of them: the message names the attribute, the installed Textual
version and the version the module was checked on. Fix crit/ui/textual_private.py (and only it), then its
``TEXTUAL_CHECKED``."""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
import textual
from rich.text import Text
from textual.app import App, ComposeResult
from textual.notifications import Notification
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static

from crit.ui.textual_private import (
    TEXTUAL_CHECKED,
    InternalErrorHook,
    drop_notification,
    screen_strips,
    shown_notifications,
)
from tests.fixed_node import fixed_app, settled
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def changed(name: str, what: str) -> str:
    return (
        f"Textual {textual.__version__} changed {name}: {what}. crit/ui/textual_private.py relies on it and was checked"
        f" on Textual {TEXTUAL_CHECKED}: adapt that module (and only it) to the new Textual."
    )


def parameters(fn: Callable[..., Any]) -> list[tuple[str, Any]]:
    """The parameters after ``self``: (name, default) pairs."""
    return [(p.name, p.default) for p in list(inspect.signature(fn).parameters.values())[1:]]


# ------------------------------------------------------------------------------------------- the names, signatures


def test_fatal_error_hook_is_there():
    fn = getattr(App, "_fatal_error", None)
    assert callable(fn), changed("App._fatal_error", "it is gone (InternalErrorHook overrides it)")
    assert parameters(fn) == [], changed("App._fatal_error", f"its parameters are now {parameters(fn)}")
    handle = getattr(App, "_handle_exception", None)
    assert callable(handle) and [n for n, _ in parameters(handle)] == ["error"], changed(
        "App._handle_exception", "it is gone or takes other parameters (it is what calls App._fatal_error)"
    )
    assert "_exception" in vars(App()), changed("App._exception", "an app no longer has it")


def test_unnotify_and_notifications_are_there():
    fn = getattr(App, "_unnotify", None)
    assert callable(fn), changed("App._unnotify", "it is gone (drop_notification calls it)")
    assert parameters(fn) == [("notification", inspect.Parameter.empty), ("refresh", True)], changed(
        "App._unnotify", f"its parameters are now {parameters(fn)} (drop_notification passes notification, refresh)"
    )
    held = getattr(App(), "_notifications", None)
    assert held is not None and hasattr(held, "__iter__"), changed(
        "App._notifications", "an app no longer holds an iterable of its notifications there"
    )


def test_compositor_render_strips_is_there():
    from textual._compositor import Compositor

    fn = getattr(Compositor, "render_strips", None)
    assert callable(fn), changed("Screen._compositor.render_strips", "it is gone (screen_strips calls it)")
    assert [n for n, _ in parameters(fn)] == ["size"] and parameters(fn)[0][1] is None, changed(
        "Screen._compositor.render_strips", f"its parameters are now {parameters(fn)} (screen_strips passes none)"
    )
    assert isinstance(getattr(Screen(), "_compositor", None), Compositor), changed(
        "Screen._compositor", "a screen no longer holds its Compositor there"
    )


# ------------------------------------------------------------------------------------------------- the behaviour


class Boom(InternalErrorHook[int]):
    """Raises in a callback; its handler panics with one sentence."""

    def __init__(self, handled: bool) -> None:
        super().__init__()
        self.handled = handled
        self.seen: list[BaseException | None] = []

    def compose(self) -> ComposeResult:
        yield Static("x")

    def handle_internal_error(self, error: BaseException | None) -> bool:
        self.seen.append(error)
        if self.handled:
            self.panic(Text("boom: one sentence"))
        return self.handled


@pytest.mark.parametrize("handled", [True, False], ids=["handled", "textual-report"])
async def test_the_hook_sees_the_exception_and_the_app_exits(capsys, handled):
    app = Boom(handled)
    error = ValueError("an internal bug")

    def boom() -> None:
        raise error

    with pytest.raises(ValueError):  # run_test re-raises it (from App._exception) when the app has ended
        async with app.run_test() as pilot:
            app.call_later(boom)
            await wait_for(lambda: app.seen, 10, "the hook")
            await pilot.pause()
    assert app.seen == [error], changed("App._fatal_error", f"the hook got {app.seen!r}, not the exception raised")
    assert app.return_code == 1, changed("App._handle_exception", f"the return code is {app.return_code}, not 1")
    err = capsys.readouterr().err
    if handled:
        assert err == "boom: one sentence\n", changed("App._fatal_error", f"the exit printed {err!r}")
    else:
        assert "ValueError" in err and "an internal bug" in err, changed("App._fatal_error", "no report printed")


class Toasts(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("toasts")


async def test_drop_notification_removes_one():
    app = Toasts()
    async with app.run_test(notifications=True) as pilot:
        app.notify("first", markup=False)
        app.notify("second", markup=False)
        await wait_for(lambda: len(shown_notifications(app)) == 2, 10, "two notifications")
        held = shown_notifications(app)
        assert all(isinstance(n, Notification) for n in held), changed("App._notifications", f"it holds {held!r}")
        assert [n.message for n in held] == ["first", "second"], changed("App._notifications", "not oldest first")
        drop_notification(app, held[0])
        assert [n.message for n in shown_notifications(app)] == ["second"], changed("App._unnotify", "not removed")
        drop_notification(app, held[0])  # removed already (as by a click): no error
        app.notify("third", markup=False)  # Textual's own handler refreshes the toasts: the dropped one goes
        await wait_for(lambda: len(app.screen.query("Toast")) == 2, 10, "two toasts drawn")
        await pilot.pause()
        drawn = [str(t.render()) for t in app.screen.query("Toast")]
        assert not any("first" in d for d in drawn), changed("App._unnotify", f"the dropped toast is drawn: {drawn}")


async def test_screen_strips_is_the_screen_as_drawn():
    app = Toasts()
    async with app.run_test(size=(30, 4)):
        strips = screen_strips(app)
        assert len(strips) == 4 and all(isinstance(s, Strip) for s in strips), changed(
            "Screen._compositor.render_strips", f"it returned {strips!r}"
        )
        assert strips[0].text.startswith("toasts") and len(strips[0].text) == 30, changed(
            "Screen._compositor.render_strips", f"the first line is {strips[0].text!r}"
        )


# ----------------------------------------------------------------------------------- crit's app on these hooks


async def test_crit_caps_its_toasts_and_stops_on_a_bug_with_one_sentence(capsys, monkeypatch, tmp_path):
    """The toast cap (CritApp.on_notify) and the internal-error sentence with its private report file."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app = fixed_app()

    def boom() -> None:
        raise ValueError("an internal bug [/] \x1b[2J")

    with pytest.raises(ValueError):
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await settled(pilot)
            for i in range(app.MAX_TOASTS + 3):
                app.notify(f"note {i}", markup=False)
            await wait_for(lambda: any("note" in str(n.message) for n in shown_notifications(app)), 10, "the notes")
            await pilot.pause()
            notes = [str(n.message) for n in shown_notifications(app) if "note" in str(n.message)]
            assert len(shown_notifications(app)) <= app.MAX_TOASTS and notes[-1] == f"note {app.MAX_TOASTS + 2}"
            app.call_later(boom)
            await wait_for(lambda: app.return_code == 1, 10, "the app to stop")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err and "\x1b" not in err, err
    assert lines[0].startswith("crit: stopped on an internal error (ValueError: an internal bug [/] ^[[2J);"), err
    reports = list(tmp_path.glob("crit-error-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in lines[0], (reports, lines)
    assert "in boom" in reports[0].read_text() and reports[0].stat().st_mode & 0o077 == 0
