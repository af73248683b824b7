"""Keys of the main screen that need no real runtime (a scripted client answers like one): quit, copy,
refresh, footer per panel, and the keymap through which other parts of crit add keys and commands."""

from __future__ import annotations

import asyncio

import pytest

from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.keymap import Command, Keymap, PanelKey
from tests.test_model import ScriptedClient
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for


def Opts(readonly: bool = False) -> Options:
    return Options(refresh=30, readonly=readonly, runtime_endpoint="unix:///scripted.sock")


def footer_keys(app) -> dict[str, str]:
    """Key → label of what the footer offers now (shown and not hidden by check_action)."""
    return {
        key: ab.binding.description for key, ab in app.screen.active_bindings.items() if ab.binding.show and ab.enabled
    }


async def started(app, pilot):
    await asyncio.wait_for(app.first_frame.wait(), 10)
    await pilot.pause()


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_keys(key):
    app = CritApp(ScriptedClient(), Opts())
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert app.is_running and app.return_code is None
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running and app.return_code == 0


async def test_copy_refresh_and_footer_per_panel():
    client = ScriptedClient()
    app = CritApp(client, Opts())
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        pods = app.main.panels["pods"].table
        await pilot.press("c")
        assert app.clipboard == pods.cursor_key
        assert any("Copied pod id" in n for n in notifications(app))
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        assert "⏎ Containers" in footer() and "^k Stop" in footer()
        await pilot.press("2")
        await pilot.pause()
        assert "⏎ Containers" not in footer() and "^k Stop" in footer()
        await pilot.press("3")
        await pilot.pause()
        assert "^k Stop" not in footer() and "^d Remove" in footer()
        # ctrl+r refreshes now (the interval is 30 s)
        client.pods.append(type(client.pods[0])(id="n" * 64, created_at=2))
        await pilot.press("ctrl+r")
        await wait_for(lambda: "n" * 64 in pods.rows, 10, what="the refreshed pod")


class Extension(list):
    """The calls of the keymap's handlers; ``keymap``: an app's keymap with two keys and a command."""

    keymap: Keymap


@pytest.fixture
def extension():
    calls = Extension()

    def xray(app, sel):
        calls.append(("x", sel.panel, sel.row.key, [r.key for r in sel.rows]))

    async def explode(app, sel):
        raise RuntimeError("the runtime said no.")

    def hello(app, args):
        calls.append(("hello", args))

    calls.keymap = Keymap(
        (
            PanelKey(("x",), "Xray", xray, ("containers",)),
            PanelKey(
                ("X",),
                "Explode the container",
                explode,
                ("containers",),
                mutating=True,
                help="explode the container with a long sentence",
            ),
        ),
        (Command("hello world", "says hello", hello),),
    )
    return calls


def test_keymap_refuses_main_screen_keys_and_keys_twice():
    def h(app, sel):
        return None

    with pytest.raises(ValueError):
        Keymap((PanelKey(("d",), "clash", h),))
    with pytest.raises(ValueError):
        Keymap((), (Command("pods", "clash", h),))
    with pytest.raises(ValueError):
        Keymap((PanelKey(("x",), "one", h), PanelKey(("y", "x"), "two", h)))


def test_the_keymap_binds_each_key_once():
    """Every key of crit's keymap is in one entry (shift+f and F, S and shift+s are one action each); a mutating key
    has its hidden refusal binding right behind it; the main screen's bindings are static, built from the keymap."""
    from textual.binding import Binding

    from crit.ui.app import MainScreen
    from crit.ui.keymap import KEYMAP

    keys = [key for pk in KEYMAP.keys for key in pk.keys]
    assert len(keys) == len(set(keys))
    assert KEYMAP.key("F") is KEYMAP.key("shift+f") and KEYMAP.key("S") is KEYMAP.key("shift+s")
    assert {"new pod", "run", "new container", "sessions", "events", "forwards", "stats"} == set(KEYMAP.command_names)
    for pk in KEYMAP.keys:
        actions = [b.action for b in KEYMAP.bindings() if b.key == ",".join(pk.keys)]
        assert actions == [f"ext({pk.key!r})"] + ([f"refused({pk.key!r})"] if pk.mutating else [])
    bound = {key for b in MainScreen.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")}
    assert set(keys) <= bound


async def test_extension_keys_and_commands(extension):
    app = CritApp(ScriptedClient(), Opts(), keymap=extension.keymap)
    async with app.run_test(size=(160, 30)) as pilot:
        await started(app, pilot)
        assert "x" not in footer_keys(app)  # only in the containers panel
        await pilot.press("x")
        assert not extension
        await pilot.press("2")
        await pilot.pause()
        assert footer_keys(app)["x"] == "Xray" and footer_keys(app)["X"] == "Explode the c…"
        ctrs = app.main.panels["containers"].table
        await pilot.press("x")
        assert extension == [("x", "containers", ctrs.cursor_key, [ctrs.cursor_key])]
        await pilot.press("X")
        await pilot.pause()
        assert "the runtime said no." in notifications(app)  # an error is a notification, not a crash
        await pilot.press("colon", *"hello world again", "enter")
        await pilot.pause()
        assert extension[-1] == ("hello", ["again"])
        await pilot.resize_terminal(160, 100)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Xray" in text and ":hello world" in text and "explode the container with a long" in text
        await pilot.press("escape")


async def test_readonly_hides_mutating_extension_keys(extension):
    app = CritApp(ScriptedClient(), Opts(readonly=True), keymap=extension.keymap)
    async with app.run_test(size=(160, 30)) as pilot:
        await started(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        keys = footer_keys(app)
        assert keys["x"] == "Xray" and "X" not in keys and "ctrl+d" not in keys and "p" not in keys
        await pilot.press("X")
        await pilot.pause()
        assert not any("said no" in n for n in notifications(app))


async def test_runtime_down_at_start(tmp_path):
    from crit.cri.client import CriClient

    sock = tmp_path / "absent.sock"
    client = CriClient(f"unix://{sock}", timeout=1)
    opts = Opts()
    opts.refresh = 0.5
    opts.runtime_endpoint = f"unix://{sock}"
    app = CritApp(client, opts)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(lambda: app.model.state.failures >= 2, 10, what="two failed refreshes")
        await pilot.pause()
        text = screen_text(app)
        assert "DISCONNECTED" in text and str(sock) in text and "STALE" not in text  # nothing shown yet
        # never connected: the panels do not look like an empty runtime (issue 10 D)
        assert text.count("not connected — see the header") == 3 and "no pods" not in text, text
        await pilot.press("d")  # nothing selected: a sentence, no crash
        await pilot.pause()
        assert any("Nothing selected to describe" in n for n in notifications(app))
    await client.close()
