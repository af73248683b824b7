"""B8: a launch form never drops input without asking.

``esc`` on a form with something typed or imported asks "Discard the changes to this form?" (default no: ``n``,
``esc`` or ``enter`` on the focused Cancel keep the form with every value); an untouched form closes at once;
``ctrl+o`` of an empty file is refused in one sentence and leaves every field as it was."""

from __future__ import annotations

import uuid

import pytest

from crit.ui.dialogs.confirm import ConfirmDialog
from crit.ui.forms import NewContainerScreen, NewPodScreen
from tests import test_forms
from tests.fixed_node import fixed_app, settled, steady_cursor
from tests.test_forms import SHELL, Host, _dialog, add_row, fill, screen_of
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)

node_endpoint = test_forms.node_endpoint  # fixtures: the embedded node and a client on it
client = test_forms.client


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
QUESTION = "Discard the changes to this form?"


async def _escape_asks(pilot, scr) -> ConfirmDialog:
    app = scr.app
    await pilot.press("escape")
    await wait_for(lambda: isinstance(app.screen, ConfirmDialog), 10, "the discard question")
    await pilot.pause()
    assert QUESTION in screen_text(app)
    return app.screen


async def _answer(pilot, scr, *keys: str) -> None:
    app = scr.app
    await pilot.press(*keys)
    await wait_for(lambda: not isinstance(app.screen, ConfirmDialog), 10, "the question answered")
    await pilot.pause()


async def test_escape_on_a_filled_pod_form_asks_and_no_keeps_every_value(client):
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        await fill(pilot, scr, "f-namespace", "prod")
        await add_row(pilot, scr, "labels")
        await fill(pilot, scr, "f-labels-0", "app=web")
        for keys in (("n",), ("escape",), ("enter",)):  # every way of saying no keeps the form
            await _escape_asks(pilot, scr)
            await _answer(pilot, scr, *keys)
            assert app.screen is scr and app.result == "pending"
            form = scr.section.read()
            assert (form.name, form.namespace, form.labels) == ("web", "prod", ["app=web"])
        await _escape_asks(pilot, scr)
        await _answer(pilot, scr, "y")
        await wait_for(lambda: app.result is None, 10, "the form closed")


async def test_escape_on_a_filled_container_form_asks(client):
    app = Host(lambda: NewContainerScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await fill(pilot, scr, "f-image", SHELL)
        await _escape_asks(pilot, scr)
        await _answer(pilot, scr, "n")
        assert app.screen is scr and scr.section.read().image == SHELL


async def test_escape_on_an_untouched_form_closes_at_once(client):
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        await fill(pilot, scr, "f-name", "")  # typed and taken back: nothing to lose
        await pilot.press("escape")
        await wait_for(lambda: app.result is None, 10, "the form closed")


async def test_escape_after_an_import_asks(client, tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text("metadata:\n  name: imported\n  namespace: default\n  uid: u1\n")
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await _dialog(pilot, scr, "ctrl+o", f)
        await _escape_asks(pilot, scr)
        await _answer(pilot, scr, "n")
        assert scr.section.read().name == "imported"


@pytest.mark.parametrize(
    "content", ["", "# nothing here\n", "{}\n", "---\n"], ids=["empty", "comment", "braces", "document"]
)
async def test_import_of_an_empty_file_is_refused_and_the_form_unchanged(client, tmp_path, content):
    f = tmp_path / "empty.yaml"
    f.write_text(content)
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "typed")
        await fill(pilot, scr, "f-namespace", "prod")
        before = scr.section.read()
        await _dialog(pilot, scr, "ctrl+o", f)
        status = scr.query_one("#status")
        assert str(status.render()) == f"Not imported: {f} holds no pod config (it is empty); the form is unchanged."
        assert status.has_class("-error")
        assert f"Not imported: {f}" in screen_text(app)
        after = scr.section.read()
        assert after == before and (after.name, after.namespace) == ("typed", "prod")


@SIZES
def test_discard_question_on_screen(frozen, snap_compare, monkeypatch, size):
    """The question over the form, as the user sees it (the form's generated uid is fixed for the picture)."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        scr = await screen_of(app, pilot, NewPodScreen)
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await fill(pilot, scr, "f-name", "web")
        await wait_for(lambda: scr._preview_text is not None and "name: web" in scr._preview_text, 10, "the preview")
        await _escape_asks(pilot, scr)
        assert QUESTION in screen_text(app)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


def test_tmux_escape_asks_and_export_asks_before_overwriting(tmp_path):
    """The real crit in a terminal: esc on a typed form asks, n keeps the typed name; ctrl+e proposes web.yaml,
    a second export of the same name asks before overwriting; y on the discard question closes the form."""
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24), cwd=tmp_path) as t:
        t.wait(lambda s: "Pods [" in s and "Pods [0]" not in s, 60, what="the demo node's pods")
        t.keys("n")
        t.wait_text("New pod")
        t.keys("web")
        t.wait_text("web")
        t.keys("Escape")
        t.wait_text(QUESTION)
        t.keys("n")
        screen = t.wait_gone(QUESTION)
        assert "New pod" in screen and "web" in screen  # the form, with what was typed
        t.keys("C-e")
        t.wait_text("web.yaml")
        t.keys("Enter")
        t.wait_text("Exported the pod config to web.yaml.")
        assert (tmp_path / "web.yaml").exists()
        (tmp_path / "web.yaml").write_text("keep: me\n")
        t.keys("C-e")
        t.wait_text("Export to file")
        t.keys("Enter")
        t.wait_text("already exists. Overwrite it?")  # after the full path of web.yaml (the directory used last)
        t.keys("n")
        t.wait_text("Export to file")
        assert (tmp_path / "web.yaml").read_text() == "keep: me\n"
        t.keys("Escape")
        t.wait_gone("Export to file")
        t.keys("Escape")
        t.wait_text(QUESTION)
        t.keys("y")
        t.wait(lambda s: "New pod" not in s and "Pods [" in s, what="the form closed, the panels back")


@SIZES
def test_empty_import_refused_on_screen(frozen, snap_compare, monkeypatch, tmp_path, size):
    """The refusal is one sentence under the form, which keeps what was typed."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("")

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        scr = await screen_of(app, pilot, NewPodScreen)
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await fill(pilot, scr, "f-name", "web")
        await _dialog(pilot, scr, "ctrl+o", "empty.yaml")
        await wait_for(lambda: scr._preview_text is not None and "name: web" in scr._preview_text, 10, "the preview")
        await steady_cursor(pilot)
        shown = screen_text(app)
        # one sentence (wrapped at 80 columns)
        assert "Not imported: empty.yaml holds no pod config (it is empty); the form is unchanged." in " ".join(
            shown.split()
        )
        assert scr.section.read().name == "web"

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
