"""Snapshot tests: the main screen, the help screen and a describe view drawn at 80x24 and 160x48 from fixed
data and a frozen clock, compared with the text in tests/snapshots/ (and exported as SVG alongside, to look at).

Regenerate after an intended change with:  CRIT_UPDATE_SNAPSHOTS=1 pytest tests/test_ui_snapshots.py
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from crit.ui.app import CritApp
from tests.fixed_node import FixedNode, Opts
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SNAPSHOTS = Path(__file__).parent / "snapshots"


_SCROLLBAR = str.maketrans({c: " " for c in "▁▂▃▄▅▆▇█▔▏▎▍▌▋▊▉"})


def check(name: str, text: str, app) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    # scrollbar thumbs move with timing: blank them out (borders drawn with the same glyphs go too)
    lines = [line.translate(_SCROLLBAR).rstrip() for line in text.splitlines()]
    text = "\n".join(lines) + "\n"
    if os.environ.get("CRIT_UPDATE_SNAPSHOTS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
        app.save_screenshot(filename=f"{name}.svg", path=str(SNAPSHOTS))
        if not os.environ.get("CRIT_UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {path.name} was missing and has been written; run again")
    assert text == path.read_text(), f"screen differs from {path} (CRIT_UPDATE_SNAPSHOTS=1 to accept)"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_main_help_describe_snapshots(frozen, size):
    app = CritApp(FixedNode(), Opts())
    stats = getattr(app, "stats", None)
    if stats is not None:  # resource statistics arrive on their own clock: keep them out of the picture
        stats.start = lambda *a, **k: None
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.first_frame.wait(), 10)
        ctrs = app.main.panels["containers"].table
        await wait_for(
            lambda: ctrs.rows["d" * 64].cells[7] == "1" and app.model.pod_ip.get("a" * 64),
            10,
            what="the exit code and the pod IP",
        )
        await pilot.pause()
        tag = f"{size[0]}x{size[1]}"
        check(f"main-{tag}", screen_text(app), app)
        await pilot.press("question_mark")
        await pilot.pause()
        check(f"help-{tag}", screen_text(app), app)
        await pilot.press("escape", "2", "j", "d")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: "exit_code" in area.text, 10, what="the describe text")
        await pilot.pause()
        check(f"describe-{tag}", screen_text(app), app)
