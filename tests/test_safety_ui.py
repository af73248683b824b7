"""Untrusted text in the views not covered elsewhere: runtime messages in notifications of the launch forms,
the header, the :events list, the :sessions list, the describe view's title and the forms preview.

Strings from the runtime or a container must be shown literally (``[/]`` is three characters, never a markup
tag that could crash the app or style the text) and with every control character made visible."""

from __future__ import annotations

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from tests.test_forms import SHELL, Host, fill, screen_of, set_select, submit_and_wait, wait_for
from tests.test_forms import client, node_endpoint  # noqa: F401 - fixtures
from tests.ui_helpers import notifications

pytestmark = pytest.mark.timeout(120)

HOSTILE = "[/][bold red]x[/]\x1b[2J\x07\u202e"


def toasts(app) -> list[str]:
    """The text of the notifications as drawn (Toast widgets on the current screen)."""
    return [str(t.render()) for t in app.screen.query("Toast")]


async def test_start_failure_message_with_markup_is_notified_literally(client):  # noqa: F811
    """The runtime's StartContainer error names the command: ``exec: "[/]x": executable file not found``.
    That sentence goes into a notification; parsed as markup, ``[/]`` raised MarkupError and crashed the app."""
    from crit.ui.forms import NewContainerScreen

    app = Host(lambda: NewContainerScreen(client))
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await fill(pilot, scr, "f-name", "broken")
        await fill(pilot, scr, "f-image", SHELL)
        await fill(pilot, scr, "f-command", "[/]x[bold]y")
        await fill(pilot, scr, "f-pod-name", "bp")
        await set_select(pilot, scr.query_one("#f-pod-network"), "node")
        result = await submit_and_wait(pilot, app)
        assert result.severity == "error" and "[/]x[bold]y" in result.message
        await pilot.pause(0.3)
        shown = [n for n in notifications(app) if "failed to start" in n]
        assert shown and "[/]x[bold]y" in shown[0]
        drawn = " ".join(toasts(app))
        assert "[/]x[bold]y" in drawn
    assert app._exception is None
