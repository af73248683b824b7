"""End-to-end acceptance of issue 6 in crit itself: CritApp with a CriClient on the test bed's containerd, driven
by Textual's Pilot — ``s`` on a running busybox container gives a prompt, typed commands run, ``stty size`` equals
the widget's rows and columns (also after a resize), ``exit`` returns to the panels with the exit code; ``a``
attaches to a container created with stdin and tty, and is explained for one without; a session closed with x,
or left open when crit quits, does not leave its processes running in the container (containerd itself would)."""

from __future__ import annotations

import asyncio

import pytest

from crit.cri.client import CriClient
from crit.ui.app import CritApp
from crit.ui.terminal import TerminalScreen
from crit.ui.terminal.actions import SessionsScreen, sessions_of
from tests.test_ui_sessions import (
    Opts,
    Pod,
    command_line,
    select_container,
    started,
    term_text,
    type_line,
    wait_for,
    wait_main,
    wait_prompt,
)
from tests.ui_helpers import notifications, screen_text

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]


async def test_shell_in_crit_on_containerd_prompt_stty_size_exit_code(containerd):
    async with Pod(containerd, prefix="sess-e2e") as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(containerd.endpoint, timeout=20)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(110, 34)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            await pilot.press("s")
            await wait_prompt(app)
            screen = app.screen
            view = screen.view

            await type_line(pilot, "echo $((6*7))")
            await wait_for(lambda: "\n42" in term_text(app), 15, "42")
            # busybox has no bash: the shell fell back to sh
            await type_line(pilot, "readlink /proc/$$/exe; command -v bash || echo no-bash")
            await wait_for(lambda: "\nno-bash" in term_text(app), 15, "no bash in busybox")

            rows, cols = view.size.height, view.size.width
            await type_line(pilot, "stty size")
            await wait_for(lambda: f"\n{rows} {cols}" in term_text(app), 15, f"stty size {rows} {cols}")

            await pilot.resize_terminal(96, 28)
            await wait_for(
                lambda: (
                    view.size_sent == (view.size.width, view.size.height)
                    and (view.size.width, view.size.height) != (cols, rows)
                ),
                10,
                "the resize",
            )
            rows, cols = view.size.height, view.size.width
            # the shell waits until the runtime has passed the resize on (no fixed pause before stty)
            await type_line(
                pilot, f"until [ \"$(stty size)\" = '{rows} {cols}' ]; do sleep 0.1; done; echo size-ok-$((1+1))"
            )
            await wait_for(lambda: "size-ok-2" in term_text(app), 15, f"stty size {rows} {cols} after resize")

            # detach and come back through :sessions
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            assert "web" in screen_text(app) and "running" in screen_text(app)
            await pilot.press("enter")
            await wait_for(lambda: app.screen is screen, 5, "the session again")

            await type_line(pilot, "exit 0")
            await wait_for(lambda: view.ended, 15, "the exit")
            assert "[exited with code 0]" in term_text(app)
            await pilot.press("space")
            await wait_main(app)
            assert "Shell in web exited with code 0." in notifications(app)
            await wait_for(lambda: len(sessions_of(app)) == 0, 5, "the session dropped")
        await client.close()


async def test_attach_in_crit_on_containerd(containerd):
    async with Pod(containerd, prefix="sess-e2e") as p:
        console = await p.container("console", ["sh"], tty=True, stdin=True)
        plain = await p.container("plain", ["sleep", "3600"])
        client = CriClient(containerd.endpoint, timeout=20)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(110, 34)) as pilot:
            await started(app, pilot)

            # containerd's verbose ContainerStatus tells a container without stdin/tty: explained, not attached
            await select_container(app, pilot, plain)
            await pilot.press("a")
            await wait_for(
                lambda: any("Container plain was created without stdin and tty" in n for n in notifications(app)),
                10,
                "the explanation",
            )
            assert app.screen is app.main and len(sessions_of(app)) == 0

            await select_container(app, pilot, console)
            await pilot.press("a")
            await wait_for(lambda: isinstance(app.screen, TerminalScreen), 10, "the attach screen")
            view = app.screen.view
            await wait_for(lambda: view.connected.is_set(), 15, "the attach to connect")
            # typed until the main process answers (no fixed pause for the attach's stdin to be wired)
            for attempt in range(10):
                await type_line(pilot, "echo attached-$((40+2))")
                try:
                    await wait_for(
                        lambda: "attached-42" in term_text(app).replace("$((40+2))", ""),
                        2,
                        "output of the main process",
                    )
                    break
                except AssertionError:
                    if attempt == 9:
                        raise
            await type_line(pilot, "exit 5")
            await wait_for(lambda: view.ended, 15, "the main process to end")
            await pilot.press("space")
            await wait_main(app)
            # the exit code is the container's (the attach stream itself only says it ended)
            await wait_for(
                lambda: "Main process of console exited with code 5." in notifications(app),
                10,
                "the main process's exit code",
            )
        await client.close()


async def _shells(client: CriClient, cid: str, marker: str) -> list[str]:
    """Lines of `ps` in the container naming processes that carry ``marker`` in their command line."""
    resp = await client.exec_sync(cid, ["ps", "-o", "pid,args"], timeout=10)
    return [line for line in resp.stdout.decode().splitlines() if marker in line]


async def test_closed_and_abandoned_sessions_end_their_processes(containerd):
    async with Pod(containerd, prefix="sess-e2e") as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(containerd.endpoint, timeout=20)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(110, 34)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            for marker in ("closed-one", "left-open"):
                await pilot.press("S")
                await wait_for(
                    lambda: not isinstance(app.screen, TerminalScreen) and app.screen is not app.main,
                    5,
                    "the command dialog",
                )
                await type_line(pilot, f"sh -c 'exec sleep 1000 # {marker}'")
                await wait_for(lambda: isinstance(app.screen, TerminalScreen), 10, "the terminal")
                view = app.screen.view
                await wait_for(lambda: view.connected.is_set(), 15, "the connection")
                await pilot.press("ctrl+right_square_bracket")
                await wait_main(app)
            assert len(await _shells(client, cid, "sleep 1000")) == 2
            assert len(sessions_of(app)) == 2

            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            await pilot.press("x")  # the first row: closed-one
            await wait_for(lambda: len(sessions_of(app)) == 1, 5, "the close")
            await pilot.press("escape")
            await wait_main(app)
        # the app has exited with one session still open
        await client.close()
        async with CriClient(containerd.endpoint, timeout=20) as check:
            loop = asyncio.get_running_loop()
            end = loop.time() + 15
            while (left := await _shells(check, cid, "sleep 1000")) and loop.time() < end:
                await asyncio.sleep(0.3)
            assert left == [], f"processes of closed sessions still run in the container: {left}"
