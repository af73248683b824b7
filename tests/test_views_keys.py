"""Views move like the panels and `?` opens help in every view (issue 10 D).

* describe / YAML: j/k a line, pgup/pgdn a page, g/home the top, G/end the bottom (they did nothing);
* `?` in describe/YAML, logs, stats, events, sessions and forwards opens help with that view's keys first
  (it did nothing); typed into a view's search prompt it is just a character.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from crit.ui.describe import TextViewScreen
from crit.ui.help import HelpScreen
from tests.fixed_node import fixed_app, settled
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
LONG = "\n".join(f"line {i:03d}: {'x' * (i % 7)}" for i in range(200))


async def open_long_view(pilot) -> TextViewScreen:
    app = pilot.app
    await settled(pilot)
    view = TextViewScreen("a long text", LONG)
    app.open_view(view)
    await wait_for(lambda: app.screen is view and "line 000" in screen_text(app), 10, "the long text shown")
    await pilot.pause()
    return view


def shown(app) -> list[int]:
    """The numbers of the text lines on screen."""
    out = []
    for row in screen_text(app).splitlines():
        row = row.strip()
        if row.startswith("line ") and row[5:8].isdigit():
            out.append(int(row[5:8]))
    return out


async def test_describe_view_moves_like_the_panels(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_long_view(pilot)
        area = view.query_one("#text")
        assert shown(app)[0] == 0

        # j/k and the arrows scroll the text like less (the text moves; they moved an invisible cursor)
        await pilot.press("j", "j", "j")
        await wait_for(lambda: shown(app) and shown(app)[0] == 3, 5, "j j j scrolled three lines")
        await pilot.press("k")
        await wait_for(lambda: shown(app) and shown(app)[0] == 2, 5, "k scrolled back a line")
        await pilot.press("down", "down")
        await wait_for(lambda: shown(app) and shown(app)[0] == 4, 5, "↓ ↓ scrolled two lines")
        await pilot.press("up")
        await wait_for(lambda: shown(app) and shown(app)[0] == 3, 5, "↑ scrolled back a line")
        assert area.cursor_location == (3, 0)  # n/N search on from the first line shown
        await pilot.press("k", "k", "k", "k")
        await wait_for(lambda: shown(app) and shown(app)[0] == 0, 5, "k stops at the top")

        await pilot.press("G")
        await wait_for(lambda: 199 in shown(app), 5, "G shows the last line")
        assert 0 not in shown(app) and area.cursor_location[0] == 199

        await pilot.press("g")
        await wait_for(lambda: shown(app) and shown(app)[0] == 0, 5, "g shows the first line")
        assert area.cursor_location == (0, 0)

        await pilot.press("end")
        await wait_for(lambda: 199 in shown(app), 5, "end shows the last line")
        await pilot.press("home")
        await wait_for(lambda: shown(app) and shown(app)[0] == 0, 5, "home shows the first line")

        page = len(shown(app))
        await pilot.press("pagedown")
        await wait_for(lambda: shown(app) and shown(app)[0] > 0, 5, "pgdn moves a page")
        assert area.cursor_location[0] >= page - 2
        await pilot.press("pageup")
        await wait_for(lambda: shown(app) and shown(app)[0] == 0, 5, "pgup moves back")


async def _press_help_in(pilot, view, name: str, also: str = "") -> None:
    app = pilot.app
    app.open_view(view)
    await wait_for(lambda: app.screen is view, 10, f"the {name} view")
    await pilot.pause()
    await pilot.press("question_mark")
    await wait_for(lambda: isinstance(app.screen, HelpScreen), 5, f"? opens help in the {name} view")
    text = screen_text(app)
    assert f"Keys of {name}" in text and also in text, text
    await pilot.press("escape")
    await wait_for(lambda: app.screen is view, 5, f"esc closes help, back in the {name} view")
    view.dismiss()
    await wait_for(lambda: app.screen is app.main, 5, "back on the main screen")


async def test_question_mark_opens_help_in_every_view(tmp_path):
    from crit.ui.events.screen import EventsScreen
    from crit.ui.forwards.screen import ForwardsScreen
    from crit.ui.logs.screen import LogScreen
    from crit.ui.stats.screen import StatsScreen
    from crit.ui.terminal.actions import SessionsScreen

    log = tmp_path / "0.log"
    log.write_text("2025-11-28T09:00:00.000000000Z stdout F hello\n")
    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await _press_help_in(pilot, TextViewScreen("t", "some: text\n"), "the describe / YAML view")
        await _press_help_in(pilot, LogScreen(app, path=str(log)), "the logs view")
        await _press_help_in(pilot, StatsScreen(app, "containers", "c" * 64, "nginx"), "the stats view")
        await _press_help_in(pilot, EventsScreen(app), "the events view")
        await _press_help_in(pilot, SessionsScreen(app), "the sessions view", "switch to the selected session")
        await _press_help_in(pilot, ForwardsScreen(app), "the port-forwards view")


async def test_question_mark_in_a_search_prompt_is_a_character(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_long_view(pilot)
        await pilot.press("slash")
        search = view.query_one("#search", Input)
        await wait_for(lambda: search.has_focus, 5, "the search prompt")
        await pilot.press("l", "question_mark")
        assert search.value == "l?"
        assert app.screen is view


async def _describe_help(pilot) -> None:
    await open_long_view(pilot)
    await pilot.press("question_mark")
    await wait_for(lambda: isinstance(pilot.app.screen, HelpScreen), 5, "help over the describe view")
    await pilot.pause()


async def _describe_bottom(pilot) -> None:
    await open_long_view(pilot)
    await pilot.press("G")
    await wait_for(lambda: 199 in shown(pilot.app), 5, "G shows the last line")
    await pilot.pause()


@SIZES
def test_snap_help_in_the_describe_view(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_describe_help)


@SIZES
def test_snap_describe_view_after_G(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_describe_bottom)


# ---------------------------------------------------------------------------------------------- the real crit


def _text_rows(screen: str) -> list[str]:
    """The describe text's rows, left part (a notification toast may come and go at the bottom right)."""
    return [row[:40] for row in screen.split("\n")[1:18]]


def test_tmux_describe_moves_and_question_mark_opens_its_help():
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait(lambda s: "Pods [" in s and "Pods [0]" not in s, 60, what="the demo node's pods")
        t.keys("d")
        top = _text_rows(t.wait(lambda s: "describe — " in s and "id:" in s, what="the describe view with its text"))
        t.keys("G")
        bottom = _text_rows(t.wait(lambda s: _text_rows(s) != top and "describe — " in s, what="G at the bottom"))
        t.keys("g")
        t.wait(lambda s: _text_rows(s) == top, what="g back at the top")
        t.keys("End")
        t.wait(lambda s: _text_rows(s) == bottom, what="end at the bottom")
        t.keys("Home")
        t.wait(lambda s: _text_rows(s) == top, what="home back at the top")
        t.keys("j", "j", "PageDown")
        t.wait(lambda s: _text_rows(s) != top, what="pgdn moved a page")
        t.keys("PageUp", "Home")
        t.wait(lambda s: _text_rows(s) == top, what="back at the top")
        t.keys("?")
        t.wait_text("Keys of the describe / YAML view")
        t.keys("Escape")
        t.wait(lambda s: "describe — " in s and _text_rows(s) == top, what="esc closes the help, back in the view")
        t.keys("Escape")
        t.wait(lambda s: "describe — " not in s and "Pods" in s, what="esc closes the view")
