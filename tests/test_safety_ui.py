"""Untrusted text in the views not covered elsewhere: runtime messages in notifications of the launch forms,
the header, the :events list, the :sessions list, the describe view's title and the forms preview.

Strings from the runtime or a container must be shown literally (``[/]`` is three characters, never a markup
tag that could crash the app or style the text) and with every control character made visible."""

from __future__ import annotations

import pytest

from crit.cri.client import CriClient
from crit.options import Options
from tests.test_forms import SHELL, Host, client, fill, node_endpoint, screen_of, set_select, submit_and_wait  # noqa: F401 - fixtures
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

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
    assert not app.return_code


async def test_control_characters_in_a_prefilled_form_never_reach_the_terminal(tmp_path):
    """``crit new pod --from FILE``: a file's values land in Input widgets, which draw their value as it is.
    An ESC there (``\\e]52;…`` writes the clipboard, ``\\e[2J`` clears the screen) must not be drawn raw."""
    from crit.cri import spec
    from crit.node.serve import Node
    from crit.ui.app import CritApp
    from crit.ui.forms import NewPodScreen

    f = tmp_path / "pod.yaml"
    f.write_text(
        "metadata:\n  name: web\n  namespace: default\n  uid: u1\n"
        'hostname: "h\\e[2Jx"\nlabels:\n  app: "a\\e]52;c;cHdu\\ab\\u202ec\\x9b1m"\n'
    )
    cfg = spec.load_pod_config(f)

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as node:
        opts = Options(runtime_endpoint=node.endpoint, refresh=0.5, new_pod=cfg)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, opts)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            await wait_for(lambda: any("\x1b]52" in w.value for w in scr.query("Input")), what="the loaded values")
            await pilot.pause()
            values = [w.value for w in scr.query("Input")]
            assert any("\x1b]52" in v for v in values)  # the value itself is kept as loaded
            text = screen_text(app)
            assert "h[2Jx" in text or "h^[[2Jx" in text
            for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
                assert raw not in text, repr(raw)
        await client.close()


def test_control_filter_deletes_controls_and_keeps_the_width():
    from rich.cells import cell_len
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

    from crit.ui.linefilter import ControlFilter, strip_controls

    f = ControlFilter()
    clean = [Segment("plain text ", Style(bold=True)), Segment("ünïcödé 漢字 [bold]x[/]")]
    assert f.apply(clean, Color(0, 0, 0)) is clean  # nothing to do: the same list, no copy
    dirty = [Segment("a\x1b[2Jb", Style(bold=True)), Segment("\x07"), Segment("c\u202ed\x9b1m\u2028e\x7f")]
    out = f.apply(dirty, Color(0, 0, 0))
    assert "".join(s.text for s in out) == "a[2Jbcd1me"
    assert out[0].style == Style(bold=True) and len(out) == 2  # the segment that was only BEL is dropped
    assert sum(cell_len(s.text) for s in out) == sum(cell_len(s.text) for s in dirty)  # zero-width chars only
    assert strip_controls("tab\there") == "tabhere" and strip_controls("ok ✓") == "ok ✓"
    # what the UI relies on for visibility stays: sanitised text has no control character left to delete
    from crit.render.sanitize import sanitize

    assert strip_controls(sanitize("x\x1b\u202e\x9b")) == sanitize("x\x1b\u202e\x9b")


async def test_preview_shows_imported_values_literally(client, tmp_path):  # noqa: F811
    """The crictl YAML preview of a form holding markup and an ESC: characters, never styles or a raw escape."""
    from crit.ui.forms import NewPodScreen

    f = tmp_path / "pod.yaml"
    f.write_text(
        'metadata:\n  name: web\n  namespace: default\n  uid: u1\nannotations:\n  note: "[/][bold red]x[/] \\e[2J"\n'
    )
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        from tests.test_forms import _dialog

        await _dialog(pilot, scr, "ctrl+o", f)
        await wait_for(lambda: "note" in str(scr.query_one("#preview").render()))
        preview = str(scr.query_one("#preview").render())
        assert "[/][bold red]x[/]" in preview and "\x1b" not in preview
        assert "\\e[2J" in preview or "^[[2J" in preview
    assert not app.return_code
