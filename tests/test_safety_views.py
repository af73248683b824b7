"""Untrusted names in the views opened from the panels, on the embedded node (a real CRI server in a subprocess):
:events rows, the :sessions list, the logs view title, the describe view title, the stats view title and the
header.  A hostile pod/container name carries markup (``[/]`` would crash a markup parser, ``[bold]`` would
style), an escape sequence, BEL and a bidi override: each view must show it as characters, with every control
character made visible, and nothing raw may reach the terminal."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from crit.cri.client import CriClient
from crit.model import ConnectionState
from crit.model.poller import Condition
from crit.ui.app import CritApp
from crit.ui.events import EventsScreen
from crit.ui.header import NodeHeader
from crit.ui.terminal.actions import SessionsScreen, sessions_of
from tests.bed import specs
from tests.test_ui_sessions import Opts, command_line, select_container, started, wait_for, wait_main, wait_prompt
from tests.ui_helpers import notifications, screen_text

pytestmark = [pytest.mark.timeout(120)]

POD = "[/]pod[bold]x\x1b[2J\x07\u202e"
POD_SHOWN = "[/]pod[bold]x^[[2J^G\\u202e"
CTR = "[/]ctr[@click=app.quit]q\x9b1m"
CTR_SHOWN = "[/]ctr[@click=app.quit]q\\x9b1m"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def assert_clean(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text)


class HostilePod:
    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.client = CriClient(runtime.endpoint, timeout=30)
        logs = Path(runtime.log_dir) / f"hostile-{uuid.uuid4().hex[:6]}"
        self.cfg = specs.pod_config(POD, namespace="crit-safety", log_dir=logs)
        self.pod_id = ""

    async def __aenter__(self) -> HostilePod:
        self.pod_id = await self.client.run_pod_sandbox(self.cfg)
        return self

    async def container(self) -> str:
        ccfg = specs.container_config(CTR, self.runtime.shell_image, ["sleep", "3600"], log_path="c.log")
        cid = await self.client.create_container(self.pod_id, ccfg, self.cfg)
        await self.client.start_container(cid)
        return cid

    async def __aexit__(self, *exc) -> None:
        try:
            await self.client.stop_pod_sandbox(self.pod_id)
            await self.client.remove_pod_sandbox(self.pod_id)
        finally:
            await self.client.close()


async def test_events_and_sessions_show_hostile_names_literally(node):
    async with HostilePod(node) as p:
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(200, 40), notifications=True) as pilot:
            await started(app, pilot)
            await command_line(pilot, "events")
            await wait_for(lambda: isinstance(app.screen, EventsScreen) and app.screen.mode != "connecting", 10)
            cid = await p.container()
            await wait_for(lambda: any(e.obj_id == cid for e in app.screen.events), 10, "the container's events")
            await wait_for(
                lambda: POD_SHOWN in screen_text(app) and CTR_SHOWN in screen_text(app), 10, "the events drawn"
            )
            text = screen_text(app)
            assert POD_SHOWN in text and CTR_SHOWN in text, text
            assert_clean(text)
            await pilot.press("escape")
            await wait_main(app)

            # a shell in it, detached: the notification and the :sessions list name it literally
            await select_container(app, pilot, cid)
            await pilot.press("s")
            await wait_prompt(app)
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            await wait_for(
                lambda: any(f"Detached from the shell in container {CTR_SHOWN}" in n for n in notifications(app)),
                5,
                "the detach notification",
            )
            text = screen_text(app)
            assert_clean(text)
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            await wait_for(lambda: CTR_SHOWN in screen_text(app), 5, "the session listed")
            text = screen_text(app)
            assert CTR_SHOWN in text and POD_SHOWN[:12] in text, text
            assert_clean(text)
            # close it (x): the notification names it literally too
            await pilot.press("x")
            await wait_for(lambda: len(sessions_of(app)) == 0, 10, "the session to close")
            await wait_for(
                lambda: any(f"Closed the session shell in {CTR_SHOWN}" in n for n in notifications(app)),
                10,
                "the closing notification",
            )
            assert_clean(screen_text(app))
        assert not app.return_code
        await client.close()


async def test_logs_describe_and_stats_titles_show_hostile_names_literally(node):
    async with HostilePod(node) as p:
        cid = await p.container()
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(200, 40), notifications=True) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            for key in ("l", "d", "m"):
                await pilot.press(key)
                await wait_for(lambda: app.screen is not app.main, 10, f"the view of {key}")
                await wait_for(lambda: CTR_SHOWN in screen_text(app), 10, f"the name in the view of {key}")
                text = screen_text(app)
                assert CTR_SHOWN in text, (key, text)
                assert_clean(text)
                await pilot.press("escape")
                await wait_main(app)
        assert not app.return_code
        await client.close()


def test_header_shows_runtime_strings_literally():
    """The runtime's name, version and condition reasons (the node's are fixed, so the header is drawn directly)."""
    header = NodeHeader("unix:///run/[/]x\x1b.sock")
    st = ConnectionState()
    st.connected, st.last_ok, st.refresh_interval = True, time.time(), 2.0
    st.runtime_name, st.runtime_version, st.api_version = "[/]rt\x1b]0;pwn\x07", "[bold]1\u202e", "v1[/]"
    st.conditions = (Condition("Ready[/]", False, "[red]r\x1b[31m", "m\x9b2J[link=http://x]y"),)
    header.state = st
    first, second = header.render_state(400).renderables
    assert "[/]rt^[]0;pwn^G [bold]1\\u202e (CRI v1[/])" in first.plain
    assert "Ready[/]" in second.plain and "[red]r^[[31m: m\\x9b2J[link=http://x]y" in second.plain
    assert_clean(first.plain + second.plain)
    st.connected, st.reason = False, "dial unix /x[/]: \x1b[2Jconnection refused"
    _, second = header.render_state(400).renderables
    assert "dial unix /x[/]: ^[[2Jconnection refused" in second.plain
