"""Pilot tests of the terminal keys in the panels (s, S, a) and of session management (:sessions), against the
embedded CRI node (a real gRPC server in a subprocess; Exec and Attach really run processes on this host, served
over the channel protocol)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.terminal import TerminalScreen
from crit.ui.terminal.actions import (
    CommandDialog,
    Marker,
    SessionsScreen,
    attach_blocker,
    command_factory,
    parse_command,
    sessions_of,
    shell_factory,
)
from tests.bed import specs
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(120)]


def Opts(endpoint: str, readonly: bool = False) -> Options:
    return Options(runtime_endpoint=endpoint, readonly=readonly, refresh=0.5, stats_interval=5.0)


class Pod:
    """A host-network pod on a runtime (the embedded node or containerd), removed at the end."""

    def __init__(self, runtime, prefix: str = "sess") -> None:
        self.runtime = runtime
        self.name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.cfg = specs.pod_config(self.name, namespace="crit-sessions", log_dir=Path(runtime.log_dir) / self.name)
        self.client = CriClient(runtime.endpoint, timeout=30)
        self.pod_id = ""

    async def __aenter__(self) -> Pod:
        self.pod_id = await self.client.run_pod_sandbox(self.cfg)
        return self

    async def container(
        self,
        name: str,
        command: list[str],
        *,
        tty: bool = False,
        stdin: bool = False,
        start: bool = True,
        wait: bool = True,
    ) -> str:
        ccfg = specs.container_config(
            name, self.runtime.shell_image, command, tty=tty, stdin=stdin, log_path=f"{name}.log"
        )
        cid = await self.client.create_container(self.pod_id, ccfg, self.cfg)
        if start:
            await self.client.start_container(cid)
            if wait:
                await self.wait_state(cid, pb.CONTAINER_RUNNING)
        return cid

    async def wait_state(self, cid: str, state: int, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (await self.client.container_status(cid)).status.state != state:
            if loop.time() > end:
                raise AssertionError(f"container {cid[:13]} did not reach state {state}")
            await asyncio.sleep(0.1)

    async def __aexit__(self, *exc) -> None:
        try:
            if self.pod_id:
                await self.client.stop_pod_sandbox(self.pod_id)
                await self.client.remove_pod_sandbox(self.pod_id)
        finally:
            await self.client.close()


async def started(app, pilot) -> None:
    await asyncio.wait_for(app.first_frame.wait(), 15)
    await pilot.pause()


async def select_container(app, pilot, cid: str) -> None:
    table = app.main.panels["containers"].table
    await wait_for(lambda: cid in table.rows, 15, "the container row")
    await pilot.press("2")
    assert table.move_cursor_to_key(cid)
    await pilot.pause()


def term_text(app) -> str:
    assert isinstance(app.screen, TerminalScreen), type(app.screen)
    return "\n".join(line.rstrip() for line in app.screen.view.display_lines)


async def type_line(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space", "'": "apostrophe"}.get(c, c) for c in text])
    await pilot.press("enter")


async def command_line(pilot, text: str) -> None:
    await pilot.press("colon")
    await type_line(pilot, text)


async def wait_prompt(app) -> None:
    await wait_for(
        lambda: isinstance(app.screen, TerminalScreen) and app.screen.view.connected.is_set(),
        15,
        "the session to connect",
    )
    view = app.screen.view
    await wait_for(lambda: any(c in term_text(app) for c in "$#>"), 15, "a prompt")
    assert not view.ended, view.end_description


async def wait_main(app) -> None:
    await wait_for(lambda: app.screen is app.main, 10, "the panels")


# -------------------------------------------------------------------------------------------- pure helpers


def test_parse_command_splits_like_a_shell_and_explains_bad_input():
    assert parse_command("sh -c 'echo a b; exit 3'") == ["sh", "-c", "echo a b; exit 3"]
    assert parse_command('echo "x y" z') == ["echo", "x y", "z"]
    with pytest.raises(Exception, match="quote that is never closed"):
        parse_command("echo 'oops")
    with pytest.raises(Exception, match="lone backslash"):
        parse_command("echo \\")
    with pytest.raises(Exception, match="Type a command"):
        parse_command("   ")


def test_attach_blocker_reads_the_creation_config():
    import json

    def info(cfg, spec=None):
        data = {"config": cfg}
        if spec is not None:
            data["runtimeSpec"] = spec
        return {"info": json.dumps(data)}

    assert attach_blocker(info({"tty": True, "stdin": True}), "web") == (None, True)
    why, known = attach_blocker(info({}), "web")
    assert known and why.startswith("Container web was created without stdin and tty")
    why, _ = attach_blocker(info({"stdin": True}), "web")
    assert "without a tty" in why
    why, _ = attach_blocker(info({"tty": True}), "web")
    assert "without stdin" in why
    # the OCI spec's process.terminal counts as the tty when the config omits it
    assert attach_blocker(info({"stdin": True}, {"process": {"terminal": True}}), "web") == (None, True)
    assert attach_blocker({}, "web") == (None, False)
    assert attach_blocker({"info": "not json"}, "web") == (None, False)


class _Refused(Exception):
    pass


class _RecordingClient:
    """Records the command an exec session asks the runtime for (then refuses, so nothing connects)."""

    def __init__(self, has_sh: bool) -> None:
        self.has_sh = has_sh
        self.cmds: list[list[str]] = []

    async def exec_sync(self, cid, cmd, timeout=0):
        if not self.has_sh:
            raise _Refused('exec: "sh": executable file not found in $PATH')
        return pb.ExecSyncResponse(exit_code=0)

    async def exec(self, cid, cmd, **kwargs):
        self.cmds.append(list(cmd))
        raise _Refused("stop here")


async def test_commands_are_marked_for_closing_only_when_the_container_has_sh():
    for has_sh in (True, False):
        client = _RecordingClient(has_sh)
        marker = Marker()
        with pytest.raises(_Refused):
            await command_factory(client, "c1", ["top", "-d", "1"], marker)()
        (cmd,) = client.cmds
        if has_sh:
            assert cmd[:2] == ["sh", "-c"] and f"CRIT_SESSION={marker.token}" in cmd[2]
            assert cmd[-3:] == ["top", "-d", "1"]
        else:
            assert cmd == ["top", "-d", "1"]
    client = _RecordingClient(True)
    marker = Marker()
    with pytest.raises(_Refused):
        await shell_factory(client, "c1", marker)()
    (cmd,) = client.cmds
    assert cmd[:2] == ["sh", "-c"] and f"CRIT_SESSION={marker.token};" in cmd[2] and "exec bash || exec sh" in cmd[2]


# -------------------------------------------------------------------------------------------- Pilot, embedded node


async def test_shell_detach_sessions_reopen_and_exit_code(node):
    async with Pod(node) as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(120, 36)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            await pilot.press("s")
            await wait_prompt(app)
            screen = app.screen
            await type_line(pilot, "echo $((6*7))")
            await wait_for(lambda: "\n42" in term_text(app), 10, "42")

            # the PTY has the widget's size
            await type_line(pilot, "stty size")
            view = screen.view
            rows, cols = view.size.height, view.size.width
            await wait_for(lambda: f"{rows} {cols}" in term_text(app), 10, f"stty size {rows} {cols}")

            # detach: back to the panels, the session keeps running
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            assert len(sessions_of(app)) == 1
            session = next(iter(sessions_of(app)))
            assert not session.ended and session.state == "running"
            assert any(
                "Detached from the shell in container web; it keeps running (:sessions" in n for n in notifications(app)
            )

            # :sessions lists it; enter switches back to the same live screen
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            listing = screen_text(app)
            assert "web" in listing and p.name in listing and "shell" in listing and "running" in listing
            await pilot.press("enter")
            await wait_for(lambda: app.screen is screen, 5, "the session screen again")
            assert "\n42" in term_text(app)  # the same terminal, its output kept
            await type_line(pilot, "echo again-$((2+3))")
            await wait_for(lambda: "again-5" in term_text(app).replace("$((2+3))", ""), 10, "again-5")

            # exit: [exited with code N], any key → the panels with the exit code, the session dropped
            await type_line(pilot, "exit 0")
            await wait_for(lambda: view.ended, 10, "the end")
            assert "[exited with code 0]" in term_text(app)
            await pilot.press("space")
            await wait_main(app)
            assert "Shell in web exited with code 0." in notifications(app)
            await wait_for(lambda: len(sessions_of(app)) == 0, 5, "the session to be dropped")
            await wait_for(lambda: not screen.is_attached, 5, "the screen to be removed")
        await client.close()


async def test_detach_right_after_reentering_a_flooding_session(node):
    """ctrl+] the instant a flooding session is back (through :sessions) detaches at once.  It used to wait ~0.5-1 s:
    the list screen was torn down on leaving it, and Textual's app awaits that removal (dozens of event-loop turns,
    each long during a flood) before it reads the next key.  Asserted: the :sessions screen is the same one each
    time (installed, never torn down), and a generous bound on the measured latency, for two re-entries."""
    import time

    async with Pod(node) as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(100, 30)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            await pilot.press("s")
            await wait_prompt(app)
            screen = app.screen
            view = screen.view
            await type_line(pilot, "yes")
            await wait_for(lambda: view.bytes_in > 300_000, 15, "yes to flood the session")
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            lists = []
            for _ in range(2):
                await command_line(pilot, "sessions")
                await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
                lists.append(app.screen)
                await pilot.press("enter")
                await wait_for(lambda: app.screen is screen, 5, "the flooding session again")
                at_entry = view.bytes_in
                await wait_for(lambda at_entry=at_entry: view.bytes_in > at_entry, 10, "more of the flood")
                left: list[float] = []

                async def watch(
                    left: list[float],
                ) -> None:  # Pilot.press waits for the app to settle (a flood delays it)
                    while app.screen is not app.main:
                        await asyncio.sleep(0.002)
                    left.append(time.monotonic())

                watcher = asyncio.create_task(watch(left))
                pressed = time.monotonic()
                await pilot.press("ctrl+right_square_bracket")
                await asyncio.wait_for(watcher, 10)
                latency = left[0] - pressed
                assert not view.ended
                assert latency < 0.5, f"the detach waited {latency:.2f}s right after re-entering the session"
            assert lists[0] is lists[1] and lists[0].is_attached, "the :sessions screen was torn down and made again"
            session = next(iter(sessions_of(app)))
            await sessions_of(app).close(session)
        await client.close()


async def test_two_sessions_at_once_switch_and_close(node):
    async with Pod(node) as p:
        one = await p.container("one", ["sleep", "3600"])
        two = await p.container("two", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(120, 36)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, one)
            await pilot.press("s")
            await wait_prompt(app)
            await type_line(pilot, "ONE=first-$((1+0))")
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)

            await select_container(app, pilot, two)
            await pilot.press("s")
            await wait_prompt(app)
            await type_line(pilot, "echo second-$((1+1))")
            await wait_for(lambda: "second-2" in term_text(app).replace("$((1+1))", ""), 10, "second-2")
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)

            s1, s2 = list(sessions_of(app))
            assert (s1.container, s2.container) == ("one", "two")
            assert s1.container_id == one and s2.container_id == two
            assert s1.screen is not s2.screen and not s1.ended and not s2.ended

            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            listing = screen_text(app)
            assert "one" in listing and "two" in listing
            # the first session still has its shell variable: it is the same process
            await pilot.press("enter")
            await wait_for(lambda: app.screen is s1.screen, 5, "session one")
            await type_line(pilot, "echo $ONE")
            await wait_for(lambda: "\nfirst-1" in term_text(app), 10, "the variable set earlier")
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)

            # close the second one from the list
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            await pilot.press("down", "x")
            await wait_for(lambda: len(sessions_of(app)) == 1, 5, "the close")
            assert list(sessions_of(app)) == [s1]
            assert any("Closed the session shell in two" in n for n in notifications(app))
            await wait_for(lambda: s2.view.ended, 10, "the closed session's stream to end")
            await pilot.press("escape")
            await wait_main(app)
            assert not s1.ended
        await client.close()


async def test_custom_command_exit_code_bad_quoting_and_background_exit(node):
    async with Pod(node) as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(120, 36)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)

            # bad quoting: one sentence in the dialog, which stays open; escape cancels
            await pilot.press("S")
            await wait_for(lambda: isinstance(app.screen, CommandDialog), 5, "the command dialog")
            await type_line(pilot, "echo 'oops")
            assert isinstance(app.screen, CommandDialog)
            assert "The command has a quote that is never closed" in screen_text(app)
            await pilot.press("escape")
            await wait_main(app)
            assert len(sessions_of(app)) == 0

            # a command with a TTY and its exit code
            await pilot.press("S")
            await wait_for(lambda: isinstance(app.screen, CommandDialog), 5, "the command dialog")
            await type_line(pilot, "sh -c 'echo in-tty; test -t 0 && echo is-a-tty; exit 3'")
            await wait_for(lambda: isinstance(app.screen, TerminalScreen), 5, "the terminal")
            view = app.screen.view
            await wait_for(lambda: view.ended, 10, "the command to end")
            text = term_text(app)
            assert "in-tty" in text and "is-a-tty" in text and "[exited with code 3]" in text
            assert view.exit_code == 3
            await pilot.press("enter")
            await wait_main(app)
            label = "Command sh -c 'echo in-tty; test -t 0 && echo i… in web"  # cut at 40 characters
            assert any(n.endswith("exited with code 3.") and n.startswith(label) for n in notifications(app)), (
                notifications(app)
            )
            await wait_for(lambda: len(sessions_of(app)) == 0, 5, "the session to be dropped")

            # a command that ends while detached: announced, then listed as exited until closed
            await pilot.press("S")
            await wait_for(lambda: isinstance(app.screen, CommandDialog), 5, "the command dialog")
            await type_line(pilot, "sh -c 'sleep 1; exit 4'")
            await wait_for(lambda: isinstance(app.screen, TerminalScreen), 5, "the terminal")
            session = next(iter(sessions_of(app)))
            await wait_for(lambda: session.view.connected.is_set(), 10, "the connection")
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            await wait_for(lambda: session.ended, 10, "the background end")
            await wait_for(
                lambda: any("exited with code 4. :sessions shows its last screen." in n for n in notifications(app)),
                5,
                "the announcement",
            )
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            assert "exited with code 4" in screen_text(app)
            await pilot.press("enter")
            await wait_for(lambda: app.screen is session.screen, 5, "the ended session")
            assert "[exited with code 4]" in term_text(app)
            await pilot.press("q")
            await wait_main(app)
            await wait_for(lambda: len(sessions_of(app)) == 0, 5, "the session to be dropped")
        await client.close()


async def test_attach_explains_non_tty_and_attaches_to_tty(node):
    async with Pod(node) as p:
        plain = await p.container("plain", ["sleep", "3600"])
        tty = await p.container("console", ["sh"], tty=True, stdin=True)
        done = await p.container("done", ["true"], wait=False)
        await p.wait_state(done, pb.CONTAINER_EXITED)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(120, 36)) as pilot:
            await started(app, pilot)

            await select_container(app, pilot, plain)
            await pilot.press("a")
            await wait_for(
                lambda: any("was created without stdin and tty" in n for n in notifications(app)), 5, "the explanation"
            )
            assert app.screen is app.main and len(sessions_of(app)) == 0

            # not running: s, S and a say why
            table = app.main.panels["containers"].table
            await wait_for(
                lambda: done in table.rows and table.rows[done].obj.state == pb.CONTAINER_EXITED, 10, "the exited row"
            )
            await select_container(app, pilot, done)

            def said() -> list[str]:
                return [n for n in notifications(app) if "Container done is exited, not running" in n]

            for n, key in enumerate(("s", "S", "a"), 1):
                await pilot.press(key)
                await wait_for(lambda: len(said()) >= n, 5, f"the explanation for {key}")
            texts = said()
            assert len(texts) == 3, notifications(app)
            assert app.screen is app.main and len(sessions_of(app)) == 0

            await select_container(app, pilot, tty)
            await pilot.press("a")
            await wait_for(lambda: isinstance(app.screen, TerminalScreen), 5, "the attach")
            view = app.screen.view
            await wait_for(lambda: view.connected.is_set(), 10, "the attach to connect")
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
            await pilot.press("ctrl+right_square_bracket")
            await wait_main(app)
            (session,) = list(sessions_of(app))
            assert session.kind == "attach" and session.what == "main process of console"
            await command_line(pilot, "sessions")
            await wait_for(lambda: isinstance(app.screen, SessionsScreen), 5, ":sessions")
            assert "console" in screen_text(app) and "attach" in screen_text(app)
            await pilot.press("enter")
            await wait_for(lambda: app.screen is session.screen, 5, "the attach again")
            await type_line(pilot, "exit 5")
            await wait_for(lambda: view.ended, 10, "the main process to end")
            await pilot.press("space")
            await wait_main(app)
            # the container's exit code (the attach stream itself only reports that it ended)
            await wait_for(
                lambda: "Main process of console exited with code 5." in notifications(app),
                10,
                "the exit code of the main process",
            )
            await wait_for(lambda: len(sessions_of(app)) == 0, 5, "the session dropped")
        await client.close()


async def test_readonly_hides_and_refuses_the_terminal_keys(node):
    async with Pod(node) as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10, readonly=True)
        app = CritApp(client, Opts(node.endpoint, readonly=True))
        async with app.run_test(size=(160, 36)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            footer = screen_text(app).splitlines()[-1]
            assert "Shell" not in footer and "Attach" not in footer and "Exec cmd" not in footer
            for key in ("s", "S", "a"):
                assert app.main.check_action("ext", (key,)) is False
                await pilot.press(key)
                await pilot.pause()
            assert app.screen is app.main and len(sessions_of(app)) == 0
            # even when invoked directly, the action is refused with one sentence
            await app.main.action_ext("s")
            await wait_for(lambda: any("read-only" in n for n in notifications(app)), 5, "the refusal")
            assert app.screen is app.main and len(sessions_of(app)) == 0
            # and the client itself refuses Exec and Attach before sending them
            with pytest.raises(E.ReadOnlyError):
                await client.exec(cid, ["sh"], tty=True, stdin=True)
            with pytest.raises(E.ReadOnlyError):
                await client.attach(cid, tty=True, stdin=True)
        await client.close()


async def test_keys_are_shown_in_the_footer_of_the_containers_panel(node):
    async with Pod(node) as p:
        cid = await p.container("web", ["sleep", "3600"])
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(200, 36)) as pilot:
            await started(app, pilot)
            await select_container(app, pilot, cid)
            footer = screen_text(app).splitlines()[-1]
            assert "Shell" in footer and "Attach" in footer and "Exec cmd" in footer
            assert app.main.check_action("ext", ("s",)) is True
            await pilot.press("1")  # not on pods
            await pilot.pause()
            assert app.main.check_action("ext", ("s",)) is False
        await client.close()
