"""Issue 10 A1: the filter (`/`), command (`:`) and log-search prompts are visible while open — read on the screen
(snapshots at 80x24 and 160x48, a run of the real crit in tmux), with what was typed."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from crit.ui.logs.screen import LogScreen
from crit.ui.prompt import PromptInput
from tests.conftest import require
from tests.fixed_node import fixed_app, fixed_path_lock, settled
from tests.tmux import TmuxCrit, tmux_missing
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def bottom(app, n: int = 1) -> list[str]:
    return screen_text(app).split("\n")[-n:]


# ---------------------------------------------------------------------------------------------- snapshots


async def _filter_typed(pilot) -> None:
    await settled(pilot)
    await pilot.press("slash", *"web")
    await wait_for(lambda: pilot.app.main.query_one("#prompt", PromptInput).value == "web", 5, "typed filter")
    await pilot.pause()


async def _filter_placeholder(pilot) -> None:
    await settled(pilot)
    await pilot.press("2", "slash")
    await wait_for(lambda: pilot.app.main.query_one("#prompt", PromptInput).is_open, 5, "the filter prompt")
    await pilot.pause()


async def _command_typed(pilot) -> None:
    await settled(pilot)
    await pilot.press("colon", *"pods sh")
    await wait_for(lambda: pilot.app.main.query_one("#prompt", PromptInput).value == "pods sh", 5, "typed command")
    await pilot.pause()


@SIZES
def test_snap_filter_prompt_with_text(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_filter_typed)


@SIZES
def test_snap_filter_prompt_placeholder(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_filter_placeholder)


@SIZES
def test_snap_command_prompt_with_text(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_command_typed)


LOG_DIR = Path(tempfile.gettempdir()) / "crit-test-prompts-log"  # a fixed path: the title shows it


@pytest.fixture
def log_file():
    with fixed_path_lock(LOG_DIR):  # a fixed path: test runs side by side take turns
        yield from _log_file()


def _log_file():
    LOG_DIR.mkdir(exist_ok=True)
    path = LOG_DIR / "web.log"
    lines = [f"2025-11-28T08:5{i}:00.000000000Z stdout F request {i} GET /index.html 200" for i in range(6)]
    lines.insert(3, "2025-11-28T08:53:30.000000000Z stderr F error: upstream timed out (a.b)")
    path.write_text("\n".join(lines) + "\n")
    yield path
    shutil.rmtree(LOG_DIR, ignore_errors=True)


def _log_search_typed(path: Path):
    async def run_before(pilot) -> None:
        await settled(pilot)
        screen = LogScreen(pilot.app, path=str(path))
        pilot.app.open_view(screen)
        await wait_for(screen.loaded.is_set, 10, "the log loaded")
        await pilot.press("slash", *"timed")
        await wait_for(lambda: screen.query_one("#log-search").value == "timed", 5, "typed search")
        await pilot.pause()

    return run_before


@SIZES
def test_snap_log_search_prompt_with_text(frozen, snap_compare, size, log_file):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_log_search_typed(log_file))


async def _describe_search_typed(pilot) -> None:
    from crit.ui.describe import TextViewScreen

    await settled(pilot)
    await pilot.press("2", "d")
    await wait_for(
        lambda: isinstance(pilot.app.screen, TextViewScreen) and "loading" not in screen_text(pilot.app),
        5,
        "the describe view",
    )
    await pilot.press("slash", *"exit.*1")
    await wait_for(lambda: pilot.app.screen.query_one("#search").value == "exit.*1", 5, "typed search")
    await pilot.pause()


@SIZES
def test_snap_describe_search_prompt_with_text(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_describe_search_typed)


# ---------------------------------------------------------------------------------------------- Pilot


async def test_filter_prompt_and_text_on_the_bottom_line(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("slash")
        await wait_for(lambda: "filter pods" in bottom(app)[0], 5, "the placeholder on the bottom line")
        await pilot.press(*"nginx")
        await wait_for(lambda: bottom(app)[0].strip() == "/nginx", 5, "the typed text on the bottom line")
        await pilot.press("escape")
        await wait_for(lambda: "Filter" in bottom(app)[0], 5, "the footer back")


async def test_refused_filter_stays_visibly_open_and_a_new_filter_starts_clean(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("slash", "-", "l", "enter")
        await wait_for(lambda: any("-l" in n for n in notifications(app)), 5, "the refusal")
        await wait_for(lambda: bottom(app)[0].strip() == "/-l", 5, "the refused text shown to be fixed")
        await pilot.press("escape")
        await wait_for(lambda: "Filter" in bottom(app)[0], 5, "the footer back")
        await pilot.press("slash", *"web")
        await wait_for(lambda: bottom(app)[0].strip() == "/web", 5, "only the new text in the prompt")


# ---------------------------------------------------------------------------------------------- tmux


def test_tmux_filter_prompt_is_visible_in_the_real_crit():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait_text("Pods")
        t.keys("/")
        t.wait(lambda s: "filter pods" in s.split("\n")[23], what="the filter placeholder on the bottom line")
        t.keys("redis")
        t.wait(lambda s: s.split("\n")[23].strip() == "/redis", what="'redis' typed on the bottom line")
        t.keys("Escape")  # (ESC and a key in one read is alt+key for any terminal program: wait in between)
        t.wait(lambda s: "Filter" in s.split("\n")[23], what="the footer back after esc")
        t.keys(":")
        t.wait(lambda s: "images events" in s.split("\n")[23], what="the command placeholder on the bottom line")
        t.keys("im")
        t.wait(lambda s: s.split("\n")[23].strip() == ":im", what="'im' typed on the bottom line")
        t.keys("Tab")  # completes the command word
        t.wait(lambda s: s.split("\n")[23].strip() == ":images", what="'images' completed on the bottom line")


async def test_log_search_is_the_panel_matching(frozen, log_file):
    """Issue 10 D: log search finds a regex, and the same text literally (it was plain text only)."""
    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        screen = LogScreen(app, path=str(log_file))
        app.open_view(screen)
        await wait_for(screen.loaded.is_set, 10, "the log loaded")
        assert screen.search("request [24] GET") is not None and screen._match_count() == 2  # a regex
        assert screen.search("(a.b)") is not None and screen._match_count() == 1  # literally (as a regex: 'a.b')
        assert screen.search("[oops") is None  # not a regex: literal only, and no such line
        await pilot.press("slash", *"up.*out", "enter")
        await wait_for(lambda: "match 1 of 1" in screen_text(app), 5, "the regex match counted on screen")


async def test_keys_typed_with_slash_in_a_log_go_into_the_search(frozen, log_file):
    """`/tw` typed at once in a log: the search gets "tw"; t (timestamps) and w (wrap) do nothing."""
    from tests.test_keys_order import press_together

    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        screen = LogScreen(app, path=str(log_file))
        app.open_view(screen)
        await wait_for(screen.loaded.is_set, 10, "the log loaded")
        timestamps, wrap = screen.view.timestamps, screen.view.wrap
        await press_together(pilot, "slash", "t", "w")
        await wait_for(lambda: screen.query_one("#log-search").value == "tw", 5, "'tw' in the search")
        assert (screen.view.timestamps, screen.view.wrap) == (timestamps, wrap)
        assert bottom(app)[0].strip() == "/tw"
        await press_together(pilot, "backspace", "enter", "t")
        await wait_for(
            lambda: screen.search_text == "t" and screen.view.timestamps != timestamps,
            5,
            "the search for 't', then t toggling timestamps",
        )


async def test_keys_typed_with_slash_in_describe_go_into_the_search(frozen):
    from crit.ui.describe import TextViewScreen
    from tests.test_keys_order import press_together

    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("2", "d")
        await wait_for(lambda: isinstance(app.screen, TextViewScreen), 5, "the describe view")
        view = app.screen
        await press_together(pilot, "slash", *"nc", "enter")
        await wait_for(
            lambda: view.pattern is not None and view.pattern.pattern.startswith("(?:nc)"),
            5,
            "the search for 'nc' (n and c not taken as next-match and copy)",
        )
        assert app.clipboard != view.export_text or not view.export_text
