"""Wording (issue 10, B10 and D): ``:sessions`` and ``:forwards`` under ``--readonly`` do not send the user to keys
that are refused; closing an attach session is named in a clear sentence."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crit.options import Options
from crit.ui.forwards.screen import ForwardsScreen
from crit.ui.terminal.actions import SessionsScreen
from tests.fixed_node import FixedNode, Opts, fixed_app, settled
from tests.test_ui_readonly import toast_text
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def ReadOnlyOpts() -> Options:
    return Opts(readonly=True)


def flat(app) -> str:
    return " ".join(screen_text(app).split())


async def _show(pilot, screen_class) -> None:
    app = pilot.app
    app.open_view(screen_class(app))
    await wait_for(lambda: isinstance(app.screen, screen_class), 5, screen_class.__name__)
    await pilot.pause()


@pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "readwrite"])
async def test_sessions_hint_names_no_refused_key(readonly):
    app = fixed_app(FixedNode(), ReadOnlyOpts() if readonly else Opts())
    async with app.run_test(size=(160, 30)) as pilot:
        await settled(pilot)
        await pilot.press("colon", *"sessions", "enter")
        await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
        await pilot.pause()
        text = flat(app)
        if readonly:
            assert (
                "No open sessions. crit is read-only (--readonly): opening a shell, running a command or "
                "attaching is disabled."
            ) in text
            assert "press s" not in text
        else:
            assert "press s (shell), S (a command) or a (attach)" in text


@pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "readwrite"])
async def test_forwards_hint_names_no_refused_key(readonly):
    app = fixed_app(FixedNode(), ReadOnlyOpts() if readonly else Opts())
    async with app.run_test(size=(160, 30)) as pilot:
        await settled(pilot)
        await pilot.press("colon", *"forwards", "enter")
        await wait_for(lambda: isinstance(app.screen, ForwardsScreen), 5, ":forwards")
        await pilot.pause()
        text = flat(app)
        if readonly:
            assert "No active port-forwards. crit is read-only (--readonly): port-forwarding is disabled." in text
            assert "shift+f" not in text
        else:
            assert "shift+f on a pod starts one" in text and "press shift+f" in text


@pytest.mark.parametrize(
    "was_running,expected",
    [
        (True, "Closed the attach session to ttybox; crit detached, and the container's main process keeps running."),
        (False, "Closed the attach session to ttybox."),
    ],
    ids=["running", "ended"],
)
async def test_closing_an_attach_session_is_one_clear_sentence(was_running, expected):
    app = fixed_app()
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        await settled(pilot)
        await _show(pilot, SessionsScreen)
        screen = app.screen
        session = SimpleNamespace(
            kind="attach", container="ttybox", what="main process of ttybox", ended=not was_running, lost=False
        )

        async def close(s):
            return True

        screen.selected = lambda: session
        screen.manager.close = close
        await pilot.press("x")
        await wait_for(lambda: expected in notifications(app), 5, "the sentence")
        await wait_for(lambda: expected in toast_text(app), 5, "the sentence on the screen")
        assert not any("session main process" in n for n in notifications(app))


@SIZES
def test_snapshot_sessions_readonly(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _show(pilot, SessionsScreen)

    assert snap_compare(fixed_app(FixedNode(), ReadOnlyOpts()), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_forwards_readonly(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _show(pilot, ForwardsScreen)

    assert snap_compare(fixed_app(FixedNode(), ReadOnlyOpts()), terminal_size=size, run_before=run_before)
