"""Pilot tests of the launch forms (New pod / New container) against the embedded node.

Filling and submitting, every validation message shown next to its field, submit refused with the first error
focused, runtime errors kept in the form, import/export, and markup safety of what is shown.
"""

from __future__ import annotations

import asyncio
from typing import Callable

import pytest
from textual.app import App

from crit.ui.forms import NewContainerScreen, NewPodScreen


# ------------------------------------------------------------------------------------------------------------------
# helpers (also used by tests/test_forms_e2e.py)
# ------------------------------------------------------------------------------------------------------------------


class Host(App):
    """A bare app that opens one launch screen and records what it dismissed with."""

    def __init__(self, make_screen: Callable) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.result = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self._done)

    def _done(self, result) -> None:
        self.result = result


async def wait_for(pilot, cond, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


async def screen_of(app, pilot, kind):
    await wait_for(pilot, lambda: isinstance(app.screen, kind))
    await pilot.pause()
    return app.screen


async def fill(pilot, scr, widget_id: str, text: str) -> None:
    """Focus a field, clear it and type ``text`` key by key, as a user would."""
    w = scr.query_one("#" + widget_id)
    w.focus()
    await pilot.pause()
    w.value = ""
    await pilot.press(*text) if text else None
    await pilot.pause()


async def set_select(pilot, select, value) -> None:
    select.focus()
    select.value = value
    await pilot.pause()


async def submit_and_wait(pilot, app, timeout: float = 20.0):
    scr = app.screen
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen is not scr or (not scr.busy and scr.query_one("#status").has_class(
        "-error")), timeout=timeout)
    if app.screen is scr:
        raise AssertionError(f"form stayed open: {scr.query_one('#status').render()}")
    return app.result


def error_of(scr, path: str) -> str:
    return scr.query_one("#e-" + path.replace(".", "-")).message
