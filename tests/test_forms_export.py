"""B7: ctrl+e proposes ``<name>.yaml`` (the object's name) in the last directory used — remembered for the app's
life and across runs in ``$XDG_STATE_HOME/crit/export-dir`` — and asks before overwriting a file (default no: back
to the path, the file untouched)."""

from __future__ import annotations

import os
import uuid

import pytest

from crit.cri import spec
from crit.model import export_place
from crit.ui.dialogs.confirm import ConfirmDialog
from crit.ui.forms import NewContainerScreen, NewPodScreen, PathDialog
from tests import test_forms
from tests.fixed_node import fixed_app, settled, steady_cursor
from tests.test_forms import Host, fill, screen_of, set_select
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)

node_endpoint = test_forms.node_endpoint  # fixtures: the embedded node and a client on it
client = test_forms.client


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


async def _open_export(pilot, scr) -> PathDialog:
    app = scr.app
    await pilot.press("ctrl+e")
    await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the export dialog")
    await pilot.pause()
    return app.screen


async def _enter_path(pilot, dlg, path) -> None:
    field = dlg.query_one("#path")
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await wait_for(lambda: dlg.app.screen is not dlg, 10, "the dialog answered")
    await pilot.pause()


async def test_export_proposes_the_name_and_remembers_the_directory(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # crit's start directory
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == "web.yaml"  # nothing remembered yet: the start directory
        assert "web.yaml" in screen_text(app)
        await _enter_path(pilot, dlg, out_dir / "first.yaml")
        assert app.screen is scr and (out_dir / "first.yaml").exists()
        await fill(pilot, scr, "f-name", "api")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == str(out_dir / "api.yaml")  # the directory used last time
        assert "exports/api.yaml" in screen_text(app)  # the end of the path, where the cursor is
        await pilot.press("escape")
    assert export_place.state_file().read_text() == f"{out_dir}\n"
    # the next run (a fresh process remembers nothing but the state file) proposes the same directory
    export_place._memory.clear()
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "db")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == str(out_dir / "db.yaml")


async def test_export_asks_before_overwriting_and_no_keeps_the_file(client, tmp_path):
    target = tmp_path / "web.yaml"
    target.write_text("keep: me\n")
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        for no in ("enter", "n", "escape"):  # Cancel is focused: enter says no, as do n and esc
            dlg = await _open_export(pilot, scr)
            await _enter_path(pilot, dlg, target)
            assert isinstance(app.screen, ConfirmDialog)
            assert f"{target} already exists. Overwrite it?" in screen_text(app)
            await pilot.press(no)
            # back to the path, to choose another name
            await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the export dialog again")
            assert app.screen.query_one("#path").value == str(target)
            assert target.read_text() == "keep: me\n"
            await pilot.press("escape")
            await wait_for(lambda: app.screen is scr, 10, "the form")
        dlg = await _open_export(pilot, scr)
        await _enter_path(pilot, dlg, target)
        await pilot.press("y")
        await wait_for(lambda: app.screen is scr, 10, "the form")
        assert spec.load_pod_config(target).metadata.name == "web"
        assert str(scr.query_one("#status").render()) == f"Exported the pod config to {target}."
        # said once: no toast repeating the status line over it (issue 10 D)
        assert not any("Exported" in n for n in notifications(app)), notifications(app)


async def test_export_into_a_directory_is_refused_in_one_sentence(client, tmp_path):
    tmp_path = tmp_path / "empty"
    tmp_path.mkdir()
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        dlg = await _open_export(pilot, scr)
        await _enter_path(pilot, dlg, tmp_path)
        assert str(scr.query_one("#status").render()) == (
            f"Not exported: {tmp_path} is a directory; add a file name such as web.yaml."
        )
    assert os.listdir(tmp_path) == []


async def test_container_and_pod_proposals_follow_the_kind(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = Host(lambda: NewContainerScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await wait_for(lambda: scr.has_pod_section, 10, "the new pod's fields")
        await fill(pilot, scr, "f-name", "app")
        await fill(pilot, scr, "f-pod-name", "web")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == "app.yaml"
        await set_select(pilot, dlg.query_one("#kind"), "pod")
        assert dlg.query_one("#path").value == "web.yaml"
        await set_select(pilot, dlg.query_one("#kind"), "container")
        assert dlg.query_one("#path").value == "app.yaml"


def test_file_names_from_object_names():
    assert export_place.file_name("web-1.prod", "pod") == "web-1.prod.yaml"
    assert export_place.file_name("", "pod") == "pod.yaml"
    assert export_place.file_name("../../etc/passwd", "pod") == "etc_passwd.yaml"
    assert export_place.file_name("abc\u202etxt.exe", "container") == "abc_txt.exe.yaml"


@SIZES
def test_overwrite_question_on_screen(frozen, snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "web.yaml").write_text("keep: me\n")

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        scr = await screen_of(app, pilot, NewPodScreen)
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await fill(pilot, scr, "f-name", "web")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == "web.yaml"
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmDialog), 10, "the overwrite question")
        await pilot.pause()
        assert "web.yaml already exists. Overwrite it?" in screen_text(app)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@SIZES
def test_export_dialog_proposes_the_name_on_screen(frozen, snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        scr = await screen_of(app, pilot, NewPodScreen)
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await fill(pilot, scr, "f-name", "web")
        dlg = await _open_export(pilot, scr)
        assert dlg.query_one("#path").value == "web.yaml"
        assert "web.yaml" in screen_text(app)
        await steady_cursor(pilot)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@SIZES
def test_exported_is_said_once_on_screen(frozen, snap_compare, monkeypatch, tmp_path, size):
    # issue 10 D: the status line "Exported the pod config to x." was cut off by a toast repeating it
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot):
        from crit.ui.forms.entry import open_new_pod

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        scr = await screen_of(app, pilot, NewPodScreen)
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await fill(pilot, scr, "f-name", "web")
        await _open_export(pilot, scr)
        await pilot.press("enter")
        await wait_for(lambda: app.screen is scr and (tmp_path / "web.yaml").exists(), 10, "the export")
        await pilot.pause()
        text = screen_text(app)
        assert text.count("Exported the pod config to web.yaml.") == 1, text
        await steady_cursor(pilot)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
