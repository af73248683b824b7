"""Issue 10 C11 on a real containerd: an exec session whose connection is lost (containerd restarted) leaves no
shell in the container — crit ends the processes carrying its CRIT_SESSION marker as soon as containerd answers
again; and when crit quits while containerd is down, its next start ends them (the marker waited in
$XDG_STATE_HOME/crit/sessions.json).

containerd 1.6 itself leaves an exec'd process running when its stream drops.  The processes are counted from the
host's /proc (their environment holds the marker), which works while containerd is down too."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from crit.cri.client import CriClient
from crit.model.sessions import MARK_ENV, MarkerStore, state_file
from crit.ui.app import CritApp
from crit.ui.terminal import TerminalScreen
from crit.ui.terminal.actions import sessions_of
from tests.test_ui_sessions import Opts, Pod, select_container, started, term_text, type_line, wait_main, wait_prompt
from tests.ui_helpers import notifications
from tests.waiting import wait_for

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(240)]


def marked_processes(token: str) -> list[int]:
    """Host pids of the processes whose environment carries ``CRIT_SESSION=token``."""
    needle = f"{MARK_ENV}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            env = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            found.append(int(entry))
    return found


async def open_marked_shell(app, pilot, cid: str) -> tuple[str, object]:
    """``s`` on the container, then a child process in the shell: (marker token, the terminal view)."""
    await select_container(app, pilot, cid)
    await pilot.press("s")
    await wait_prompt(app)
    [session] = sessions_of(app).sessions
    token = session.marker.token
    await type_line(pilot, "sleep 1000")  # a child of the shell carries the marker too
    await wait_for(lambda: len(marked_processes(token)) >= 2, 15, "the shell and its sleep, marked")
    return token, app.screen.view


async def test_the_bed_restarts_containerd_with_its_containers_running(containerd):
    """The bed's restart (the session fixture is shared: it must leave containerd fully working)."""
    async with Pod(containerd, prefix="sess-bed") as p:
        cid = await p.container("web", ["sleep", "3600"])
        pid = containerd.process.pid
        await asyncio.to_thread(containerd.restart)
        assert containerd.process.pid != pid and containerd.process.poll() is None
        with containerd.raw() as cri:
            assert cri.version()["runtime_name"] == "containerd"
            states = {c["id"]: c["state"] for c in cri.list_containers()}
        assert states[cid] == 1  # CONTAINER_RUNNING
        resp = await p.client.exec_sync(cid, ["echo", "still-here"], timeout=10)
        assert resp.stdout == b"still-here\n"


async def test_a_lost_shell_is_ended_once_containerd_answers_again(containerd):
    async with Pod(containerd, prefix="sess-lost") as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(containerd.endpoint, timeout=20)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(110, 34)) as pilot:
            await started(app, pilot)
            token, view = await open_marked_shell(app, pilot, cid)

            # containerd restarts: the stream drops, the shell stays (containerd 1.6 does not end it)
            await asyncio.to_thread(containerd.restart)
            await wait_for(lambda: view.ended, 30, "the session to see the connection lost")
            assert view.exit_code is None and "lost" in term_text(app)

            await wait_for(lambda: not marked_processes(token), 30, "crit to end the lost shell")
            left = len(marked_processes(token))
            print(f"leftover processes after the connection-loss test: {left}")
            assert left == 0
            await wait_for(lambda: any("Ended the processes of an exec session in web whose connection had been "
                                       "lost." in n for n in notifications(app)), 10, "the notification")
            assert MarkerStore().load() == []  # settled: nothing left for a next start

            await pilot.press("space")  # the ended session's screen closes with any key
            await wait_main(app)
            assert any("crit ends its processes in the container as soon as the runtime answers." in n
                       for n in notifications(app))
        await client.close()


async def test_crit_quits_while_containerd_is_down_and_its_next_start_ends_the_shell(containerd):
    async with Pod(containerd, prefix="sess-lost") as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(containerd.endpoint, timeout=5)
        app = CritApp(client, Opts(containerd.endpoint))
        try:
            async with app.run_test(size=(110, 34)) as pilot:
                await started(app, pilot)
                token, view = await open_marked_shell(app, pilot, cid)
                await asyncio.to_thread(containerd.stop_daemon)
                await wait_for(lambda: view.ended, 30, "the session to see the connection lost")
            # crit has quit with containerd down: the shell is still there, its marker is in the state file
            await client.close()
            assert len(marked_processes(token)) >= 2
            path = state_file()
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            [entry] = MarkerStore().load()
            assert (entry.endpoint, entry.container_id, entry.marker) == (containerd.endpoint, cid, token)
        finally:
            await asyncio.to_thread(containerd.start_daemon)
        assert len(marked_processes(token)) >= 2  # containerd back: nothing has ended it yet

        # the next start of crit (another app; its runtime answers) ends it
        client = CriClient(containerd.endpoint, timeout=20)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(110, 34)) as pilot:
            await started(app, pilot)
            await wait_for(lambda: not marked_processes(token), 30, "the next start to end the leftover shell")
            assert not isinstance(app.screen, TerminalScreen)
        await client.close()
        left = len(marked_processes(token))
        print(f"leftover processes after quitting while containerd was down: {left}")
        assert left == 0
        assert MarkerStore().load() == []
