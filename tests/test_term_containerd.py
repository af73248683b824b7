"""End-to-end: crit's terminal widget on real containerd (Exec/Attach → WebSocket channel protocol → fast screen).

A host-network pod with a busybox container; the TerminalView is driven by Textual's Pilot.
"""

from __future__ import annotations

import uuid

import pytest
from textual.app import App, ComposeResult

from crit.cri.client import CriClient
from crit.stream.channel import V4, ExecStream, StreamError
from crit.ui.terminal import TerminalView, attach_session, exec_session, shell_session
from tests.bed import specs
from tests.waiting import wait_for

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]


class TermApp(App):
    def __init__(self, factory) -> None:
        super().__init__()
        self.factory = factory
        self.events: list = []

    def compose(self) -> ComposeResult:
        yield TerminalView(self.factory, "e2e")

    def on_mount(self) -> None:
        self.query_one(TerminalView).focus()

    def on_terminal_view_exited(self, message: TerminalView.Exited) -> None:
        self.events.append(("exited", message.exit_code, message.description))

    def on_terminal_view_closed(self, message: TerminalView.Closed) -> None:
        self.events.append(("closed",))


def text(view: TerminalView) -> str:
    return "\n".join(line.rstrip() for line in view.display_lines)


async def type_line(pilot, line: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in line])
    await pilot.press("enter")


async def start_container(client: CriClient, containerd, *, command, tty=False, stdin=False) -> str:
    name = f"term-{uuid.uuid4().hex[:8]}"
    pod_cfg = specs.pod_config(name, namespace="crit-term", log_dir=containerd.log_dir / name)
    pod_id = await client.run_pod_sandbox(pod_cfg)
    cfg = specs.container_config(
        "box", containerd.shell_image, command=command, tty=tty, stdin=stdin, log_path="box.log"
    )
    cid = await client.create_container(pod_id, cfg, pod_cfg)
    await client.start_container(cid)
    return cid


async def test_exec_shell_echo_resize_vi_and_exit_code(containerd):
    async with CriClient(containerd.endpoint, timeout=20) as client:
        cid = await start_container(client, containerd, command=["sleep", "3600"])
        app = TermApp(shell_session(client, cid))
        async with app.run_test(size=(100, 30)) as pilot:
            view = app.query_one(TerminalView)
            await wait_for(lambda: "#" in text(view) or "$" in text(view), what="a prompt")

            await type_line(pilot, "echo $((6*7))")
            await wait_for(lambda: "\n42" in text(view), what="42")

            await type_line(pilot, "stty size")
            await wait_for(lambda: "30 100" in text(view), what="stty size 30 100")
            await pilot.resize_terminal(90, 20)
            await wait_for(lambda: view.size_sent == (90, 20), what="the resize")
            # the shell waits until the runtime has passed the resize on (no fixed pause before stty)
            await type_line(pilot, "until [ \"$(stty size)\" = '20 90' ]; do sleep 0.1; done; echo size-ok-$((1+1))")
            await wait_for(lambda: "size-ok-2" in text(view), what="stty size 20 90 after the resize")

            await type_line(pilot, "echo before-vi")
            await wait_for(lambda: "\nbefore-vi" in text(view), what="the marker")
            await type_line(pilot, "vi /tmp/hello.txt")
            screen = view.term.screen
            await wait_for(lambda: screen.in_alternate_screen, what="vi to enter the alternate screen")
            await wait_for(lambda: "~" in text(view), what="vi's empty-line markers")
            await pilot.press("i", "h", "i", "escape")
            await wait_for(lambda: text(view).startswith("hi"), what="the typed text in vi")
            # vi waits briefly after ESC for the rest of an escape sequence (":" right behind it would be eaten);
            # once it has taken the ESC alone it leaves insert mode and moves the cursor back onto the "i"
            await wait_for(lambda: (screen.cursor.y, screen.cursor.x) == (0, 1), what="vi to leave insert mode")
            await pilot.press("colon", "w", "q", "enter")
            await wait_for(lambda: not screen.in_alternate_screen, what="vi to leave the alternate screen")
            await wait_for(lambda: "\nbefore-vi" in text(view), what="the shell screen restored")
            await type_line(pilot, "cat /tmp/hello.txt")
            await wait_for(lambda: "\nhi" in text(view), what="the file vi wrote")

            await type_line(pilot, "exit 3")
            await wait_for(lambda: app.events and app.events[-1][0] == "exited", what="the exit")
            assert app.events[-1][1] == 3
            assert "[exited with code 3]" in text(view)
            await pilot.press("space")
            await wait_for(lambda: app.events[-1] == ("closed",), what="closed on a key")


async def test_attach_to_a_container_created_with_stdin_and_tty(containerd):
    async with CriClient(containerd.endpoint, timeout=20) as client:
        cid = await start_container(client, containerd, command=["sh"], tty=True, stdin=True)
        app = TermApp(attach_session(client, cid))
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(TerminalView)
            await wait_for(lambda: view.connected.is_set(), what="the attach")
            # typed until the main process answers (no fixed pause for the attach's stdin to be wired)
            for attempt in range(10):
                await type_line(pilot, "echo attached-$((40+2))")
                try:
                    await wait_for(
                        lambda: "attached-42" in text(view).replace("$((40+2))", ""),
                        timeout=2,
                        what="output from the main process",
                    )
                    break
                except AssertionError:
                    if attempt == 9:
                        raise
            await type_line(pilot, "exit 5")
            await wait_for(lambda: view.ended, what="the end of the main process")


async def test_exec_stream_against_containerd_directly(containerd):
    async with CriClient(containerd.endpoint, timeout=20) as client:
        cid = await start_container(client, containerd, command=["sleep", "3600"])
        url = await client.exec(cid, ["sh", "-c", "exit 7"], tty=True, stdin=True)
        stream = await ExecStream.connect(url, tty=True, size=(80, 24))
        assert stream.protocol == V4  # containerd 1.6 takes v4 from our v5+v4 offer
        assert [c async for c in stream] == []
        assert stream.exit_code == 7

        url = await client.exec(cid, ["no-such-command"], tty=True, stdin=True)
        stream = await ExecStream.connect(url, tty=True)
        assert [c async for c in stream] == []
        assert stream.exit_code is None
        assert 'exec: "no-such-command": executable file not found' in stream.failure
        assert stream.describe_end().startswith("failed: ")

        # a used URL is rejected with one sentence
        url = await client.exec(cid, ["true"], tty=True, stdin=True)
        first = await ExecStream.connect(url)
        [c async for c in first]
        with pytest.raises(StreamError, match="token used or expired"):
            await ExecStream.connect(url)

        # a program that asks for the size after a moment sees the first resize
        factory = exec_session(client, cid, ["sh", "-c", "sleep 0.5; stty size"])
        stream = await factory()
        await stream.resize(77, 21)
        out = b"".join([c async for c in stream])
        assert b"21 77" in out
