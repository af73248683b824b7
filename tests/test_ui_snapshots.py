"""The help screen and a describe view as the user sees them, at 80x24 and 160x48 (SVG pictures via snap_compare,
from the fixed node with a frozen clock, in tests/__snapshots__/test_ui_snapshots/).

The main screen these open from is tests/test_snap_main.py's picture. After an intended change of picture:
``pytest tests/test_ui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.fixed_node import fixed_app, settled
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@SIZES
def test_help_screen(frozen, snap_compare, size):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await wait_for(lambda: type(pilot.app.screen).__name__ == "HelpScreen", 10, "the help screen")
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@SIZES
def test_describe_of_an_exited_container(frozen, snap_compare, size):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("2", "j", "d")  # the second container: init, exited with code 1
        await wait_for(lambda: pilot.app.screen.query("TextArea"), 10, "the describe view")
        area = pilot.app.screen.query_one("TextArea")
        await wait_for(lambda: "exit_code" in area.text, 10, "the describe text")
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
