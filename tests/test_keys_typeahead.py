"""Issue 10, "keys are processed in order against the state the user saw" (crit.ui.keyorder):

1. the New pod form applies its editing keys (backspace, left, home, tab) in the order typed, with the letters
   typed behind them (they were Input bindings run after the key bubbled up to the app: late);
2. keys typed right behind the key that opens a screen go to that screen once it is ready (type-ahead);
3. esc followed at once by a key (read by the input parser as alt+key) is esc, then the key.

The keys of each sequence are posted together (``press_together``: none is handled before the last arrives), as
a fast typist's or one tmux send-keys' keys arrive; the tmux tests run the real ``crit --demo``.
"""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.screen import Screen
from textual.widgets import Input

from crit.ui.forms.screens import NewPodScreen
from crit.ui.keyorder import OrderedInput
from crit.ui.prompt import PromptInput
from tests.conftest import require
from tests.fixed_node import fixed_app, settled, steady_cursor
from tests.test_keys_order import press_together
from tests.tmux import TmuxCrit, tmux_missing
from tests.waiting import wait_for, wait_for_sync

SIZE = (120, 30)


def _name(app) -> Input:
    return app.screen.query_one("#f-name", Input)


async def _open_form(pilot) -> NewPodScreen:
    app = pilot.app
    await pilot.press("n")
    await wait_for(
        lambda: isinstance(app.screen, NewPodScreen) and app.screen.focused is not None, 10, "the New pod form focused"
    )
    return app.screen


# ---------------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize(
    ("keys", "expected", "cursor"),
    [
        (("backspace", "z"), "abz", 3),
        (("x", "backspace", "y"), "abcy", 4),
        (("left", "z"), "abzc", 3),
        (("home", "1"), "1abc", 1),
        (("home", "right", "backspace", "q"), "qbc", 1),
    ],
)
async def test_form_editing_keys_apply_in_order(keys, expected, cursor):
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await _open_form(pilot)
        await pilot.press(*"abc")
        await wait_for(lambda: _name(app).value == "abc", 5, "abc in Name")
        await press_together(pilot, *keys)
        await pilot.pause()
        assert (_name(app).value, _name(app).cursor_position) == (expected, cursor)


async def test_form_tab_then_letters_go_to_the_next_field():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        scr = await _open_form(pilot)
        await press_together(pilot, *"web", "tab", *"shop")
        await pilot.pause()
        assert _name(app).value == "web"
        # as when typed slowly: tab selects the field's text ("default"), the letters replace it
        assert scr.query_one("#f-namespace", Input).value == "shop"


# ---------------------------------------------------------------------------------------------- 2


async def test_keys_typed_with_n_fill_the_name():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await press_together(pilot, "n", *"web")
        await wait_for(lambda: isinstance(app.screen, NewPodScreen) and app.screen.is_mounted, 10, "the form")
        await wait_for(lambda: _name(app).value == "web", 5, "web in Name")


class _SlowScreen(Screen):
    """A screen that takes its time to mount (held at a gate), then focuses its field — as the forms do."""

    AUTO_FOCUS = None

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate

    def compose(self):
        yield OrderedInput(id="field")

    async def on_mount(self) -> None:
        await self.gate.wait()
        self.query_one("#field", Input).focus()


async def test_keys_typed_while_a_screen_mounts_reach_its_field_in_order():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        gate = asyncio.Event()
        slow = _SlowScreen(gate)
        app.open_view(slow)
        for key, char in (("w", "w"), ("e", "e"), ("left", None)):  # while it mounts: before, they were lost
            app.post_message(events.Key(key, char))
        assert not slow.is_mounted
        gate.set()
        await wait_for(lambda: slow.focused is not None, 5, "the slow screen's field focused")
        await pilot.press("b")
        await pilot.pause()
        field = slow.query_one("#field", Input)
        await wait_for(lambda: field.value == "wbe", 5, f"wbe in the field ({field.value!r})")


# ---------------------------------------------------------------------------------------------- 3


async def test_escape_then_q_in_the_filter_prompt_is_esc_and_q():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("slash", *"abc")
        await press_together(pilot, "alt+q")  # what the parser makes of "\x1bq" arriving together
        await wait_for(lambda: app.return_value == 0, 5, "crit to quit")


async def test_escape_then_2_on_the_main_screen_focuses_containers():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("slash", *"zz", "enter")  # a filter, that esc clears
        await wait_for(lambda: app.main.panels["pods"].filter is not None, 5, "the filter applied")
        await press_together(pilot, "alt+2")
        await wait_for(lambda: app.main.focused_kind == "containers", 5, "the containers panel focused")
        assert app.main.panels["pods"].filter is None


async def test_escape_then_q_in_the_command_prompt():
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("colon")
        await press_together(pilot, "alt+q")
        await wait_for(lambda: app.return_value == 0, 5, "crit to quit")
        assert app.main.query_one("#prompt", PromptInput).value == ""


# ---------------------------------------------------------------------------------------------- tmux: the real crit


def _name_line(screen: str) -> str:
    """The Name row of the form, its words joined by one space ("Name web"; the placeholder while empty)."""
    rows = (" ".join(line.strip(" │").split()) for line in screen.split("\n"))
    return next((row for row in rows if row.startswith("Name ")), "")


def _demo(t: TmuxCrit) -> None:
    t.wait(lambda s: "Pods [" in s and "Pods [0]" not in s and "connecting" not in s, what="pods listed")


def test_tmux_form_left_then_z_in_one_send_keys():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(100, 30)) as t:
        _demo(t)
        t.keys("n")
        t.wait(lambda s: _name_line(s).startswith("Name DNS-1123"), what="the New pod form")
        t.keys("abc")
        t.wait(lambda s: _name_line(s) == "Name abc", what="abc in Name")
        t.keys_together("Left", "z", "Home", "1")
        t.wait(lambda s: _name_line(s) == "Name 1abzc", what="1abzc in Name")


def test_tmux_n_and_name_in_one_send_keys():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(100, 30)) as t:
        _demo(t)
        t.keys_together("n", "w", "e", "b")
        t.wait(lambda s: _name_line(s) == "Name web", what="web in Name")


def test_tmux_escape_q_in_one_send_keys_closes_the_prompt_and_quits():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(100, 30)) as t:
        _demo(t)
        t.keys("/", "abc")
        t.wait_text("/abc")
        t.keys_together("Escape", "q")
        wait_for_sync(t.dead, 10, "crit to quit")


# ---------------------------------------------------------------------------------------------- the picture


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_form_after_keys_typed_together_on_screen(frozen, snap_compare, monkeypatch, size):
    """The New pod form after `abc`, then `Left z Home 1` typed together: Name reads 1abzc (and the preview)."""
    import uuid

    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        await wait_for(
            lambda: isinstance(app.screen, NewPodScreen) and app.screen.focused is not None,
            10,
            "the New pod form focused",
        )
        scr = app.screen
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await pilot.press(*"abc")
        await press_together(pilot, "left", "z", "home", "1")
        await wait_for(lambda: scr._preview_text is not None and "name: 1abzc" in scr._preview_text, 10, "the preview")
        await steady_cursor(pilot)  # the field's cursor drawn steadily: the picture must not catch a blink
        assert _name(app).value == "1abzc"

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
