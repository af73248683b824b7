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
from tests.conftest import require
from tests.test_ui_sessions import Opts, Pod, select_container, started, term_text, type_line, wait_main, wait_prompt
from tests.tmux import TmuxCrit, tmux_missing
from tests.ui_helpers import notifications
from tests.waiting import wait_for, wait_for_sync

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
            await wait_for(
                lambda: any(
                    "Ended the processes of an exec session in web whose connection had been lost." in n
                    for n in notifications(app)
                ),
                10,
                "the notification",
            )
            assert MarkerStore().load() == []  # settled: nothing left for a next start

            await pilot.press("space")  # the ended session's screen closes with any key
            await wait_main(app)
            assert (
                "Shell in web ended: the exec connection was lost; crit ends its processes in the container as "
                "soon as the runtime answers."
            ) in notifications(app)
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
            await wait_for(
                lambda: (
                    "Ended the processes of an exec session in web that an earlier crit left running."
                    in notifications(app)
                ),
                10,
                "the notification",
            )
        await client.close()
        left = len(marked_processes(token))
        print(f"leftover processes after quitting while containerd was down: {left}")
        assert left == 0
        assert MarkerStore().load() == []


# ---------------------------------------------------------------------------------------------- the real crit


def tokens_in(state_dir: Path) -> list[str]:
    return [e.marker for e in MarkerStore(state_dir / "crit" / "sessions.json").load()]


def shell_in_tmux(t: TmuxCrit, state_dir: Path, known: set[str]) -> str:
    """``s`` on the selected container, then a child process in the shell: the session's marker token."""
    t.keys("s")
    t.wait_text("/ #", timeout=30)
    new = wait_for_sync(lambda: set(tokens_in(state_dir)) - known, 15, "the session's marker in the state file")
    assert new
    [token] = set(tokens_in(state_dir)) - known
    t.keys("sleep 1000", "Enter")
    wait_for_sync(lambda: len(marked_processes(token)) >= 2, 15, "the shell and its sleep, marked")
    return token


async def test_tmux_the_real_crit_leaves_no_shell_after_a_lost_connection_or_a_quit_while_down(containerd, tmp_path):
    require(tmux_missing(), "the tmux test")
    state_dir = tmp_path / "state"
    # (under pytest crit in tmux was seen with COLUMNS=80 LINES=24 in its environment: the size is given here too)
    env = {"XDG_STATE_HOME": str(state_dir), "COLUMNS": "120", "LINES": "32"}
    async with Pod(containerd, prefix="sess-tmux") as p:
        name = f"lost-{p.name[-6:]}"
        await p.container(name, ["sleep", "3600"])
        with TmuxCrit(["-r", containerd.endpoint], size=(120, 32), env=env) as t:
            t.wait_text(name, timeout=30)
            # the bed's only container (this test's pod is the only one): the containers panel's footer offers s
            t.keys("2")
            t.wait_text("s Shell")

            # 1. the connection is lost (containerd restarts): the shell is ended once containerd answers
            token = shell_in_tmux(t, state_dir, set())
            containerd.restart()
            t.wait_text("connection was lost", timeout=30)
            wait_for_sync(lambda: not marked_processes(token), 30, "crit to end the lost shell")
            left = len(marked_processes(token))
            print(f"leftover processes after the connection-loss test (real crit): {left}")
            assert left == 0
            t.keys("Space")  # closes the ended session
            t.wait_text("Ended the processes of an exec session in", timeout=15)
            assert tokens_in(state_dir) == []

            # 2. crit quits while containerd is down: the shell stays, its marker waits in the state file
            token = shell_in_tmux(t, state_dir, set())
            try:
                containerd.stop_daemon()
                t.wait_text("connection was lost", timeout=30)
                t.keys("Space")
                t.wait_gone("connection was lost]", timeout=15)
                t.keys("q")
                wait_for_sync(t.dead, 15, "crit to quit")
                assert tokens_in(state_dir) == [token]
                path = state_dir / "crit" / "sessions.json"
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
            finally:
                containerd.start_daemon()
            assert len(marked_processes(token)) >= 2

        # 3. crit's next start ends it
        with TmuxCrit(["-r", containerd.endpoint], size=(120, 32), env=env) as t:
            wait_for_sync(lambda: not marked_processes(token), 30, "the next start to end the leftover shell")
            t.wait_text("that an earlier crit left running", timeout=15)
            assert tokens_in(state_dir) == []
        left = len(marked_processes(token))
        print(f"leftover processes after quitting while containerd was down (real crit): {left}")
        assert left == 0
