"""Issue 10 A2 and A4: keys act on what the user chose, in the order typed.

* A key typed right behind a focus key (1/2/3, tab, enter on a pod, a filter's enter) acts on the panel that key
  chose.  ``pilot.press`` waits for the app to be idle after each key, which hid the bug; :func:`press_together`
  posts all the keys at once, as a fast typist's keys arrive (and the tmux test sends them in one send-keys).
* Esc then q typed together while the prompt is open quits.
* Esc from describe or YAML closes the view only: the panel's filter and pod scope stay (read in the title).
"""

from __future__ import annotations

import pytest
from textual import events

from crit.ui.describe import TextViewScreen
from crit.ui.dialogs import ConfirmDialog
from tests.conftest import require
from tests.fixed_node import fixed_app, settled
from tests.tmux import TmuxCrit, tmux_missing
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

_CHARS = {"slash": "/", "colon": ":", "space": " ", "question_mark": "?", "enter": "\r", "escape": "\x1b", "tab": "\t"}


async def press_together(pilot, *keys: str) -> None:
    """Post every key to the app before it handles the first one (no pause between them), then let it work."""
    for key in keys:
        char = key if len(key) == 1 else _CHARS.get(key)
        pilot.app.post_message(events.Key(key, char))
    await pilot.pause()


def dialog_text(app) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmDialog), f"no confirmation on screen, but {type(screen).__name__}"
    return screen_text(app)


async def _dialog(pilot) -> str:
    await wait_for(lambda: isinstance(pilot.app.screen, ConfirmDialog), 5, "a confirmation dialog")
    await pilot.pause()
    return dialog_text(pilot.app)


async def _view(pilot) -> str:
    await wait_for(lambda: isinstance(pilot.app.screen, TextViewScreen), 5, "the describe view")
    await pilot.pause()
    return pilot.app.screen.view_title.split(" — ", 1)[-1]  # what is shown, after the kind of view ("describe — ")


async def test_3_then_ctrl_d_asks_to_remove_the_image(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "3", "ctrl+d")
        text = await _dialog(pilot)
        assert "image localhost:5000/library/nginx:1.25.3" in text
        assert "pod " not in app.screen.question.lower() and "web-7c9d8f6b5" not in "".join(app.screen.items)


async def test_2_then_d_describes_the_container(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "2", "d")
        assert (await _view(pilot)).startswith("container nginx in pod")


async def test_tab_then_ctrl_d_asks_to_remove_the_container(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "tab", "ctrl+d")
        text = await _dialog(pilot)
        assert "container nginx" in text and "Remove pod" not in text


async def test_shift_tab_then_y_shows_the_image_config(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "shift+tab", "y")
        assert (await _view(pilot)).startswith("image localhost:5000/library/nginx")


async def test_3_1_then_d_describes_the_pod(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "3", "1", "j", "d")
        assert (await _view(pilot)).startswith("pod web-7c9d8f6b5-abcde")


async def test_enter_on_a_pod_then_d_acts_in_its_containers(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        # the first pod has no containers: d right after enter speaks of the (empty) Containers panel
        await press_together(pilot, "enter", "d")
        await wait_for(
            lambda: any("containers panel is empty" in n for n in notifications(app)), 5, "the containers panel named"
        )
        assert isinstance(app.screen, type(app.main))


async def test_filter_enter_then_d_describes_the_filtered_row(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "2", "slash", *"init", "enter", "d")
        assert (await _view(pilot)).startswith("container init in pod")
        assert app.main.panels["containers"].filter.source == "init"  # the d did not go into the prompt


async def test_escape_then_q_in_the_prompt_quits(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await pilot.press("slash", "w")
        await press_together(pilot, "escape", "q")
        await wait_for(lambda: app.return_value == 0, 5, "crit to quit")


async def test_command_enter_then_key_acts_on_the_panel_it_focused(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "colon", *"images", "enter", "ctrl+d")
        text = await _dialog(pilot)
        assert "image localhost:5000/library/nginx:1.25.3" in text


# ---------------------------------------------------------------------------------------------- A4


@pytest.mark.parametrize("key", ["d", "y"])
async def test_escape_from_describe_keeps_the_filter_and_scope(frozen, key):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await pilot.press("2", "slash", *"init", "enter")
        await wait_for(lambda: "Containers [1/2]" in screen_text(app), 5, "the filtered title")
        await pilot.press(key)
        await _view(pilot)
        await pilot.press("escape")
        await wait_for(lambda: app.screen is app.main, 5, "the main screen back")
        await pilot.pause()
        assert "Containers [1/2]" in screen_text(app)
        # and the pod scope: enter on the pod with containers, describe, esc
        await pilot.press("escape", "1", "j", "enter")
        await wait_for(lambda: "Containers of pod web-7c9d8f6b5-abcde [" in screen_text(app), 5, "the scope")
        await pilot.press(key)
        await _view(pilot)
        await pilot.press("escape")
        await wait_for(lambda: app.screen is app.main, 5, "the main screen back")
        await pilot.pause()
        assert "Containers of pod web-7c9d8f6b5-abcde [" in screen_text(app)


# ---------------------------------------------------------------------------------------------- tmux


def test_tmux_3_and_ctrl_d_in_one_send_keys_remove_the_image():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(100, 30)) as t:
        t.wait_text("Images [")
        t.wait(lambda s: "Pods [" in s and not s.split("Pods [")[1].startswith("0]"), what="pods listed")
        t.keys_together("3", "C-d")
        screen = t.wait_text("?", timeout=10)
        screen = t.wait(lambda s: "Remove" in s and "(y)" in s, what="the confirmation")
        assert "image " in screen and "Remove pod" not in screen
        t.keys("n")


async def test_text_typed_with_slash_is_not_selected_and_replaced(frozen):
    """`/we` typed at once, then `b`: the filter is "web" (the prompt's late focus event selected "we", and the
    b replaced it)."""
    from crit.ui.prompt import PromptInput

    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await press_together(pilot, "slash", "w", "e")
        await pilot.pause()
        await pilot.press("b")
        prompt = app.main.query_one("#prompt", PromptInput)
        await wait_for(lambda: prompt.value == "web", 5, "'web' in the prompt")
        await press_together(pilot, "backspace", "enter")
        await wait_for(lambda: app.main.panels["pods"].filter is not None, 5, "the filter applied")
        assert app.main.panels["pods"].filter.source == "we"
