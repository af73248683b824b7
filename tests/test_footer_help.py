"""Issue 10 D: the 80-column footer keeps the most useful keys of the focused panel (it never showed `s` or `l`);
the footer says "Containers" for enter on a pod (was "Its ctrs"); help lists a key bound twice (F / shift+f) once."""

from __future__ import annotations

import pytest

from crit.ui.app import CritApp
from crit.ui.footer import keep_fitting
from crit.ui.help import HelpScreen, help_renderable
from crit.ui.keymap import Keymap, PanelKey
from tests.fixed_node import fixed_app, settled
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def _noop(app, sel):
    return None


def _fwd(app, sel):
    return None


def _exec(app, sel):
    return None


@pytest.fixture
def crit_keys(frozen, monkeypatch):
    """The keys of the other areas, as they are today (fixed here so the pictures do not change with them); the
    app's keymap while the test runs."""
    keymap = Keymap(
        tuple(
            PanelKey(keys, desc, handler, panels)
            for keys, desc, panels, handler in [
                (("shift+f", "F"), "Port-fwd", ("pods",), _fwd),
                (("S", "shift+s"), "Exec cmd", ("containers",), _exec),
                (("a",), "Attach", ("containers",), _noop),
                (("l",), "Logs", ("containers", "pods"), _noop),
                (("m",), "Stats", ("pods", "containers"), _noop),
                (("n",), "New pod", ("pods", "containers", "images"), _noop),
                (("r",), "Run ctr", ("pods", "containers", "images"), _noop),
                (("s",), "Shell", ("containers",), _noop),
            ]
        )
    )
    monkeypatch.setattr(CritApp, "KEYMAP", keymap)
    return keymap


async def _containers(pilot) -> None:
    await settled(pilot)
    await pilot.press("2")
    await pilot.pause()


@SIZES
def test_snap_footer_of_the_containers_panel(crit_keys, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_containers)


async def test_footer_at_80_columns_keeps_logs_and_shell(crit_keys):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        footer = lambda: screen_text(app).split("\n")[-1]  # noqa: E731
        assert "⏎ Containers" in footer() and "l Logs" in footer() and "Its ctrs" not in footer()
        await pilot.press("2")
        await wait_for(lambda: "s Shell" in footer(), 5, "s Shell in the 80-column footer")
        assert "l Logs" in footer() and "? Help" in footer() and "q Quit" in footer()
        await pilot.press("3")
        await wait_for(lambda: "p Pull" in footer() and "l Logs" not in footer(), 5, "the images keys")


def test_keep_fitting():
    items = [(3, 10), (0, 10), (1, 10), (2, 10)]
    assert keep_fitting(items, 32) == {1, 2, 3}
    assert keep_fitting(items, 100) == {0, 1, 2, 3}
    assert keep_fitting([(0, 50), (1, 10)], 40) == {1}


def test_help_lists_a_key_bound_twice_once(crit_keys):
    text = "\n".join(str(row) for row in _help_lines())
    assert text.count("Port-fwd") == 1 and "F / shift+f" in text
    assert text.count("Exec cmd") == 1 and "S / shift+s" in text


def _help_lines() -> list[str]:
    from rich.console import Console

    console = Console(width=160, record=True)
    console.print(help_renderable(keymap=CritApp.KEYMAP))
    return console.export_text().splitlines()


async def _help_more_keys(pilot) -> None:
    await settled(pilot)
    await pilot.press("question_mark")
    await wait_for(lambda: isinstance(pilot.app.screen, HelpScreen), 5, "help")
    await pilot.press("end")
    await pilot.pause()


@SIZES
def test_snap_help_more_keys(crit_keys, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_help_more_keys)
