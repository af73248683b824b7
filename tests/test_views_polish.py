"""Views polish a tester saw at 80x24 in the real crit --demo (issue 10): wording, ages, key help, fitting."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from crit.model import ConnectionState
from crit.options import Options
from crit.render.human import age, age_seconds
from crit.ui.app import CritApp
from crit.ui.header import NodeHeader
from crit.ui.keymap import KEYMAP, Keymap
from crit.ui.prompt import PromptInput
from crit.ui.terminal.actions import SessionsScreen, _detached_name
from tests.fixed_node import NOW, fixed_app, fixed_path_lock, settled
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for


def test_one_age_formatter_for_panels_and_sessions():
    now = 1_000_000.0
    for secs in (0, 21, 119, 600, 3 * 3600, 5 * 86400):
        assert age_seconds(secs) == age(int((now - secs) * 1e9), now)
    assert age_seconds(21) == "21s" and age_seconds(-3) == "0s"
    session = SimpleNamespace(
        state="running",
        number=1,
        container="web",
        pod="p",
        command="shell",
        bytes_in=0,
        started=time.monotonic() - 21.4,
    )
    cells = [str(c) for c in SessionsScreen.row(session)]
    assert cells[-1] in ("21s", "22s"), cells  # was 0m21s while the main screen says 21s


def test_detach_names_the_session_and_the_container():
    def s(kind: str, command: str = "shell") -> SimpleNamespace:
        return SimpleNamespace(kind=kind, container="shell", command=command)

    assert _detached_name(s("shell")) == "the shell in container shell"  # was "shell in shell"
    assert _detached_name(s("exec", "top")) == "the command top in container shell"
    assert _detached_name(s("attach")) == "the main process of container shell"


# ---------------------------------------------------------------------------------------------- the : prompt

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@pytest.fixture
def commands(frozen, monkeypatch):
    """The frozen clock, the main screen's own keys and every `:` command of crit (the hint lists them)."""
    monkeypatch.setattr(CritApp, "KEYMAP", Keymap((), KEYMAP.commands))


async def _command_placeholder(pilot) -> None:
    await settled(pilot)
    await pilot.press("colon")
    await wait_for(lambda: pilot.app.main.query_one("#prompt", PromptInput).is_open, 5, "the command prompt")
    await pilot.pause()


@SIZES
def test_snap_command_prompt_lists_every_command(commands, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_command_placeholder)


async def test_command_prompt_hint_and_tab_completion(commands):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("colon")
        await wait_for(lambda: app.main.query_one("#prompt", PromptInput).is_open, 5, "the command prompt")
        last = screen_text(app).split("\n")[-1]
        for name in ("pods", "containers", "images", "events", "sessions", "forwards", "stats", "new", "run", "help"):
            assert name in last, last
        prompt = app.main.query_one("#prompt", PromptInput)
        await pilot.press(*"po", "tab")
        await wait_for(lambda: prompt.value == "pods", 5, ":po + tab completes to :pods")
        assert app.main.focused is prompt  # tab did not move the focus to a panel
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"new c", "tab")
        await wait_for(lambda: prompt.value == "new container", 5, ":new c + tab completes to :new container")
        await pilot.press("escape")
        await wait_for(lambda: not prompt.is_open, 5, "the prompt closed")


def test_help_of_theme_names_the_themes():
    from crit.cli import build_parser

    text = " ".join(build_parser().format_help().split())
    for name in ("crit-dark", "crit-light", "crit-solarized"):
        assert name.replace("-", "") in text.replace("- ", "").replace("-", ""), text  # (argparse wraps at '-')
    assert "colour theme: crit-dark, crit-high-contrast" in text.replace("crit- ", "crit-"), text


# ---------------------------------------------------------------------------------------------- j/k scroll the text


async def test_help_scrolls_with_j_and_k(frozen):
    from textual.containers import VerticalScroll

    from crit.ui.help import HelpScreen

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        scroll = app.screen.query_one(VerticalScroll)
        first = screen_text(app).split("\n")[2]
        await pilot.press("j", "j", "j")
        await wait_for(lambda: scroll.scroll_y == 3, 5, "j j j scrolled the help three lines")
        await wait_for(lambda: first not in screen_text(app).split("\n")[2], 5, "the text moved on screen")
        await pilot.press("k")
        await wait_for(lambda: scroll.scroll_y == 2, 5, "k scrolled back a line")
        await pilot.press("G")
        await wait_for(lambda: scroll.scroll_y == scroll.max_scroll_y > 2, 5, "G at the bottom")
        await pilot.press("g")
        await wait_for(lambda: scroll.scroll_y == 0, 5, "g at the top")


async def _describe_after_jjj(pilot) -> None:
    from crit.ui.describe import TextViewScreen

    app = pilot.app
    await settled(pilot)
    await pilot.press("2", "d")
    await wait_for(lambda: isinstance(app.screen, TextViewScreen) and "id:" in screen_text(app), 10, "describe")
    await pilot.press("j", "j", "j")
    area = app.screen.query_one("#text")
    await wait_for(lambda: area.scroll_y == min(3, area.max_scroll_y), 5, "j j j scrolled (up to) three lines")
    await pilot.pause()


async def _help_after_jjjj(pilot) -> None:
    from textual.containers import VerticalScroll

    await settled(pilot)
    await pilot.press("question_mark", "j", "j", "j", "j")

    def scrolled() -> bool:
        found = pilot.app.screen.query(VerticalScroll)
        return bool(found) and found.first().scroll_y == min(4, found.first().max_scroll_y)

    await wait_for(scrolled, 5, "j j j j scrolled the help (as far as it goes)")
    await pilot.pause()


@SIZES
def test_snap_describe_scrolled_by_j(frozen, snap_compare, size):
    """The kind of view first in the title ("describe — container nginx …"), the text moved three lines."""
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_describe_after_jjj)


@SIZES
def test_snap_help_scrolled_by_j(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_help_after_jjjj)


# ---------------------------------------------------------------------------------------------- log search

LOG_DIR = Path(tempfile.gettempdir()) / "crit-test-polish-log"  # a fixed path: the title shows it


@pytest.fixture
def log_file():
    with fixed_path_lock(LOG_DIR):  # a fixed path: test runs side by side take turns
        yield from _log_file()


def _log_file():
    LOG_DIR.mkdir(exist_ok=True)
    path = LOG_DIR / "web.log"
    lines = [f"2025-11-28T08:5{i}:00.000000000Z stdout F request {i} GET /index.html 200" for i in range(6)]
    path.write_text("\n".join(lines) + "\n")
    yield path
    shutil.rmtree(LOG_DIR, ignore_errors=True)


def _failed_log_search(path: Path):
    async def run_before(pilot) -> None:
        from crit.ui.logs.screen import LogScreen

        await settled(pilot)
        screen = LogScreen(pilot.app, path=str(path))
        pilot.app.open_view(screen)
        await wait_for(screen.loaded.is_set, 10, "the log loaded")
        await pilot.press("slash", *"zzzz", "enter")
        await wait_for(lambda: "No line matches 'zzzz'." in notifications(pilot.app), 5, "the toast")
        await pilot.pause()

    return run_before


@SIZES
def test_snap_failed_log_search_keeps_following(frozen, snap_compare, size, log_file):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_failed_log_search(log_file))


async def test_a_log_search_that_finds_nothing_keeps_following(frozen, log_file):
    from crit.ui.logs.screen import LogScreen

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        screen = LogScreen(app, path=str(log_file))
        app.open_view(screen)
        await wait_for(screen.loaded.is_set, 10, "the log loaded")
        await wait_for(lambda: "FOLLOWING" in screen_text(app), 15, "following at first")
        await pilot.press("slash", *"zzzz", "enter")
        await wait_for(lambda: "No line matches 'zzzz'." in notifications(app), 5, "the toast")
        await pilot.pause()
        assert screen.follow and "FOLLOWING" in screen_text(app) and "paused" not in screen_text(app)
        await pilot.press("slash", *"request 2", "enter")  # a match moves the view: that one pauses
        await wait_for(lambda: "paused (f follows)" in screen_text(app), 5, "paused at the match")
        assert not screen.follow


# ---------------------------------------------------------------------------------------------- fitting 80 columns

MISSING_SOCKET = (
    "The container runtime socket /tmp/nope/crit.sock does not exist (nor does its directory "
    "/tmp/nope): is the runtime installed and running? If it listens elsewhere, fix the "
    "-r/--runtime-endpoint flag."
)


class HeaderApp(App):
    """The header alone, in a fixed state (the poller's retry interval grows with time: not for a picture)."""

    def __init__(self, state: ConnectionState, endpoint: str = "unix:///tmp/nope/crit.sock") -> None:
        super().__init__()
        self.state = state
        self.endpoint = endpoint

    def compose(self) -> ComposeResult:
        yield NodeHeader(self.endpoint)
        yield Static("(the panels)")

    def on_mount(self) -> None:
        self.query_one(NodeHeader).update_state(self.state)


def _disconnected() -> ConnectionState:
    return ConnectionState(
        endpoint="unix:///tmp/nope/crit.sock", connected=False, reason=MISSING_SOCKET, next_retry=4.0
    )


@SIZES
def test_snap_missing_socket_header_ends_its_sentence(frozen, snap_compare, size):
    assert snap_compare(HeaderApp(_disconnected()), terminal_size=size)


async def test_missing_socket_header_shows_the_whole_sentence_at_80_columns():
    app = HeaderApp(_disconnected())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "fix the -r/--runtime-endpoint flag." in text, text  # was cut after "runtime-endpoint"
        assert "retrying every ≤4s" in text


def ReadOnlyOpts() -> Options:
    return Options(readonly=True, theme="crit-dark", runtime_endpoint="unix:///tmp/crit-demo-abcdef12/crit-node.sock")


@SIZES
def test_snap_readonly_header_keeps_the_time(frozen, snap_compare, size):
    assert snap_compare(fixed_app(opts=ReadOnlyOpts()), terminal_size=size, run_before=settled)


async def test_readonly_header_keeps_the_time_at_80_columns(frozen):
    app = fixed_app(opts=ReadOnlyOpts())
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        first = screen_text(app).split("\n")[0]
        assert "READ-ONLY" in first and "updated 09:00:00" in first and "…/crit-node.sock" in first, first


async def _pull_with_error(pilot) -> None:
    from crit.ui.dialogs import PullDialog

    await settled(pilot)
    await pilot.press("p")
    await wait_for(lambda: isinstance(pilot.app.screen, PullDialog), 5, "the pull dialog")
    await pilot.press("enter")  # no reference: the error line shows too
    await wait_for(lambda: "Type an image reference first" in screen_text(pilot.app), 5, "the error line")
    await pilot.pause()


@SIZES
def test_snap_pull_dialog_fits(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_pull_with_error)


async def test_pull_dialog_fits_24_rows_with_its_error(frozen):
    from textual.containers import Vertical

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _pull_with_error(pilot)
        box = app.screen.query_one(Vertical)
        assert box.region.y >= 1 and box.region.bottom <= 23, box.region  # bottom border shown
        assert not box.show_vertical_scrollbar
        assert "Cancel" in screen_text(app)


async def test_sessions_and_forwards_titles_fit_80_columns(frozen):
    from crit.ui.forwards.screen import ForwardsScreen
    from crit.ui.terminal.actions import SessionsScreen

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        for screen_class, end in ((SessionsScreen, "ctrl+] comes back)"), (ForwardsScreen, "on a pod starts one)")):
            app.open_view(screen_class(app))
            await wait_for(lambda: isinstance(app.screen, screen_class), 5, screen_class.__name__)
            await pilot.pause()
            lines = screen_text(app).split("\n")
            assert lines[0].rstrip().endswith(end), lines[0]
            if screen_class is ForwardsScreen:
                assert any("LAST ERROR" in line for line in lines), lines  # the column starts on screen
            await pilot.press("escape")
            await wait_for(lambda: app.screen is app.main, 5, "back on the main screen")


def _with_a_failed_forward(app) -> None:
    from crit.stream.portforward import PortForward

    async def no_url() -> str:
        raise AssertionError("never connected in this test")

    fwd = PortForward(no_url, 80, 18080, host="127.0.0.1", pod_id="a" * 64, pod_name="web-7c9d8f6b5-abcde")
    fwd.connections_total, fwd.failures, fwd.bytes_in, fwd.bytes_out = 3, 1, 1200, 300
    fwd.last_error = "error forwarding port 80 to pod: dial tcp4 127.0.0.1:80: connect: connection refused"
    app.forwards.forwards.append(fwd)  # listed, never started: nothing to stop


async def _forwards_with_error(pilot) -> None:
    from crit.ui.forwards.screen import ForwardsScreen

    await settled(pilot)
    _with_a_failed_forward(pilot.app)
    pilot.app.open_view(ForwardsScreen(pilot.app))
    await wait_for(
        lambda: isinstance(pilot.app.screen, ForwardsScreen) and "connection refused" in screen_text(pilot.app),
        5,
        ":forwards with the error",
    )
    await pilot.pause()


@SIZES
def test_snap_forwards_show_the_last_error(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_forwards_with_error)


async def test_forwards_last_error_is_read_in_full_at_80_columns(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _forwards_with_error(pilot)
        text = " ".join(screen_text(app).split())
        assert (
            "Last error of 127.0.0.1:18080: error forwarding port 80 to pod: dial tcp4 127.0.0.1:80: connect: "
            "connection refused" in text
        ), text


# ---------------------------------------------------------------------------------------------- stats


class FakeTracker:
    """Two minutes of samples of one container: memory and the writable layer vary a little (long scales)."""

    generation = 1

    def __init__(self) -> None:
        from crit.model.stats import StatPoint, Usage

        self.usage = Usage(id="c" * 64, name="nginx", cpu=12.5, memory=3_775_000, fs=3_774_000, at=NOW)
        for i in range(120):
            self.usage.history.append(
                StatPoint(at=NOW - 600 + 5 * i, cpu=10.0 + i % 7, memory=3_770_000 + 97 * i, fs=3_765_000 + 81 * i)
            )

    def supported(self, kind: str) -> bool:
        return True

    def get(self, kind: str, obj_id: str):
        return self.usage

    def state(self, kind: str) -> str:
        return "ok"

    def message(self, kind: str) -> str:
        return ""


def _stats_view(pilot):
    from crit.ui.stats.screen import StatsScreen

    async def run_before(pilot) -> None:
        app = pilot.app
        await settled(pilot)
        app.stats.tracker = FakeTracker()
        app.stats.poke = lambda: None
        app.open_view(StatsScreen(app, "container", "c" * 64, "nginx"))
        await wait_for(lambda: "writable layer" in screen_text(app), 5, "the stats view")
        await pilot.pause()

    return run_before(pilot)


@SIZES
def test_snap_stats_scales_stay_beside_their_sparklines(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_stats_view)


async def test_stats_fs_scale_is_not_wrapped_at_80_columns(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _stats_view(pilot)
        await pilot.resize_terminal(80, 24)
        lines = screen_text(app).split("\n")
        scales = [line for line in lines if "–" in line and "MB" in line and "min" not in line]
        assert len(scales) == 2, lines  # MEM and FS: each on its sparkline's line ("3.77MB–3.78MB" alone before)
        assert all("▁" in line or "█" in line or "▅" in line for line in scales), scales


# ---------------------------------------------------------------------------------------------- stop, import, bulk


async def _ctrl_k_on_the_exited_container(pilot) -> None:
    app = pilot.app
    await settled(pilot)
    await pilot.press("2")
    await pilot.pause()
    assert app.main.panels["containers"].table.move_cursor_to_key("d" * 64)  # init, exited
    await pilot.press("ctrl+k")
    await wait_for(lambda: any("nothing to stop" in n for n in notifications(app)), 5, "the notification")
    await pilot.pause()


@SIZES
def test_snap_stop_of_an_exited_container_is_a_notification(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_ctrl_k_on_the_exited_container)


async def test_stop_of_an_exited_container_opens_no_confirmation(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _ctrl_k_on_the_exited_container(pilot)
        assert app.screen is app.main  # no dialog with a Stop button
        assert any(
            n.startswith(
                "Container init in pod web-7c9d8f6b5-abcde (id ddddddddddddd) is not running: there is nothing to stop."
            )
            for n in notifications(app)
        ), notifications(app)


def _import_dialog(monkeypatch):
    import uuid

    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))

    async def run_before(pilot) -> None:
        from crit.ui.forms import NewPodScreen
        from crit.ui.forms.entry import open_new_pod
        from crit.ui.forms.screens import PathDialog
        from tests.fixed_node import steady_cursor

        app = pilot.app
        await settled(pilot)
        open_new_pod(app)
        await wait_for(lambda: isinstance(app.screen, NewPodScreen), 10, "the New pod form")
        scr = app.screen
        await wait_for(lambda: scr._network_default is not None, 10, "the runtime's network default")
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, PathDialog), 5, "the import dialog")
        await steady_cursor(pilot)

    return run_before


@SIZES
def test_snap_import_dialog_says_how_it_reads_the_file(frozen, snap_compare, monkeypatch, size):
    """The Import dialog does not say "a name ending in .json means JSON" (the Export dialog's words)."""
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_import_dialog(monkeypatch))


async def test_import_dialog_wording(frozen, monkeypatch):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _import_dialog(monkeypatch)(pilot)
        text = " ".join(screen_text(app).split())
        assert "YAML or JSON, whatever the name" in text and "means JSON" not in text, text


# ---------------------------------------------------------------------------------------------- checkboxes


def _new_container_form(monkeypatch):
    import uuid

    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x1234))

    async def run_before(pilot) -> None:
        from crit.ui.forms import NewContainerScreen
        from crit.ui.forms.entry import open_new_container
        from tests.fixed_node import steady_cursor

        app = pilot.app
        await settled(pilot)
        open_new_container(app, pod_id="a" * 64)
        await wait_for(
            lambda: isinstance(app.screen, NewContainerScreen) and "Pull image if missing" in screen_text(app),
            10,
            "the New container form",
        )
        await steady_cursor(pilot)

    return run_before


@SIZES
def test_snap_checkboxes_read_on_and_off(frozen, snap_compare, monkeypatch, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_new_container_form(monkeypatch))


async def test_an_off_checkbox_draws_no_x(frozen, monkeypatch):
    from textual.widgets import Checkbox

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_container_form(monkeypatch)(pilot)
        boxes = list(app.screen.query(Checkbox))
        off = next(b for b in boxes if not b.value)
        off_style = off.get_component_rich_style("toggle--button")
        assert off_style.color is not None and off_style.color == off_style.bgcolor, off_style  # the X unseen
        off.value = True
        await pilot.pause()
        on_style = off.get_component_rich_style("toggle--button")
        assert on_style.color != on_style.bgcolor and on_style.bold, on_style  # a bold X


# ---------------------------------------------------------------------------------------------- the real crit


def _rows(screen: str) -> list[str]:
    """The view's text rows, left part (a toast may come and go at the bottom right)."""
    return [row[:40].rstrip() for row in screen.split("\n")[1:18]]


def test_tmux_views_scroll_with_j_and_a_failed_log_search_keeps_following():
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait(lambda s: "Pods [" in s and "Pods [0]" not in s, 60, what="the demo node's pods")
        # describe: j scrolls the text (the second row comes up to the top)
        t.keys("d")
        top = _rows(t.wait(lambda s: s.startswith(" describe — ") and "id:" in s, what="the describe view"))
        t.keys("j")
        t.wait(lambda s: _rows(s)[0] == top[1], what="j scrolled the text a line")
        t.keys("j", "j")
        t.wait(lambda s: _rows(s)[0] == top[3], what="j j scrolled two more lines")
        t.keys("k")
        t.wait(lambda s: _rows(s)[0] == top[2], what="k scrolled back a line")
        t.keys("Escape")
        t.wait(lambda s: "describe — " not in s and "Pods [" in s, what="back on the panels")
        # logs: a search that finds nothing says so and keeps following
        t.keys("2")
        t.keys("l")
        t.wait(lambda s: "FOLLOWING" in s, 20, what="the logs, following")
        t.keys("/")
        t.keys("zzzz")
        t.keys("Enter")
        screen = t.wait(lambda s: "No line matches 'zzzz'." in s, what="the toast")
        assert "FOLLOWING" in screen and "paused" not in screen, screen
