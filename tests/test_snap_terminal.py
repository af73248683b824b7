"""The terminal view as the user sees it (snap_compare, 80x24 and 160x48): after the shell exits, the title no longer
offers "ctrl+] detaches" but says how it ended and that any key closes it (issue 10, D)."""

from __future__ import annotations

import asyncio

import pytest

from crit.ui.terminal import TerminalScreen
from crit.ui.terminal.actions import sessions_of
from tests.fixed_node import fixed_app, settled
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


class ScriptedStream:
    """An exec stream that prints a few lines, then ends with exit code 3 (shaped like crit.stream.ExecStream)."""

    def __init__(self, chunks: list[bytes], exit_code: int) -> None:
        self.chunks = list(chunks)
        self.exit_code = exit_code
        self.sent: list[bytes] = []
        self.go = asyncio.Event()  # output starts (once the view has its size, like a real connection)
        self.release = asyncio.Event()

    async def read(self) -> bytes | None:
        await self.go.wait()
        if self.chunks:
            return self.chunks.pop(0)
        await self.release.wait()  # ends when the test says so (after the screen shows the output)
        return None

    async def resize(self, cols: int, rows: int) -> None:
        pass

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def close(self) -> None:
        self.release.set()

    def describe_end(self) -> str:
        return f"exited with code {self.exit_code}"


def exited_shell(exit_code: int = 3):
    """run_before: a shell session in nginx (pod web-…) that printed a little and exited with ``exit_code``."""

    async def run_before(pilot) -> None:
        await settled(pilot)
        app = pilot.app
        stream = ScriptedStream([b"/ # echo bye\r\nbye\r\n/ # exit 3\r\n"], exit_code)

        async def factory():
            return stream

        sessions_of(app).open(
            factory, kind="shell", container_id="c" * 64, container="nginx", pod="web-7c9d8f6b5-abcde", command="shell"
        )
        await wait_for(
            lambda: isinstance(app.screen, TerminalScreen) and app.screen.view.connected.is_set(),
            10,
            "the session screen",
        )
        view = app.screen.view
        await wait_for(lambda: view.size_sent == (view.size.width, view.size.height), 10, "the terminal size")
        stream.go.set()
        await wait_for(lambda: any("bye" in line for line in view.display_lines), 10, "the output")
        stream.release.set()
        await wait_for(lambda: view.ended, 10, "the end of the session")
        await pilot.pause()
        await wait_for(lambda: view.last_render >= view.finished_at, 10, "the frame after the end")
        await pilot.pause()

    return run_before


@SIZES
def test_title_after_the_shell_exited_says_any_key_closes(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=exited_shell(3))


async def test_title_while_running_offers_detach_then_after_exit_any_key(frozen):
    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        stream = ScriptedStream([b"/ # "], 3)
        stream.go.set()

        async def factory():
            return stream

        sessions_of(app).open(
            factory, kind="shell", container_id="c" * 64, container="nginx", pod="web-7c9d8f6b5-abcde", command="shell"
        )
        await wait_for(
            lambda: isinstance(app.screen, TerminalScreen) and app.screen.view.connected.is_set(),
            10,
            "the session screen",
        )
        view = app.screen.view
        assert str(view.border_title) == (
            "shell · container nginx · pod web-7c9d8f6b5-abcde · ctrl+] detaches, :sessions switches"
        )
        stream.release.set()
        await wait_for(lambda: view.ended, 10, "the end")
        assert str(view.border_title) == (
            "exited with code 3 — press any key to close · shell · container nginx · pod web-7c9d8f6b5-abcde"
        )
        await pilot.press("x")
        await wait_for(lambda: app.screen is app.main, 10, "any key closes it")
