"""Pilot tests of the logs screen against the embedded CRI node (a real gRPC server in a subprocess, whose
containers created with a command run as host processes writing real CRI log files).

Also the shared helpers of the issue-7 UI tests (test_ui_stats, test_ui_events, test_ui_forwards)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.logs import LogRecord
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.logs import LogScreen
from crit.ui.logs.dialogs import SaveDialog
from crit.ui.logs.logview import LogView
from tests.bed import specs
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(120)]


def Opts(endpoint: str, refresh: float = 0.5, stats_interval: float = 0.5) -> Options:
    return Options(runtime_endpoint=endpoint, refresh=refresh, stats_interval=stats_interval)


async def started(app, pilot) -> None:
    await asyncio.wait_for(app.first_frame.wait(), 15)
    await pilot.pause()


async def select_row(app, pilot, kind: str, key: str) -> None:
    """Focus ``kind``'s panel with the cursor on ``key`` (waits for the row to appear)."""
    table = app.main.panels[kind].table
    await wait_for(lambda: key in table.rows, 10)
    await pilot.press({"pods": "1", "containers": "2", "images": "3"}[kind])
    assert table.move_cursor_to_key(key)
    await pilot.pause()


class Workload:
    """A host-network pod with containers on a runtime (the embedded node or containerd); removed at the end."""

    def __init__(self, runtime, prefix: str = "ui7") -> None:
        self.runtime = runtime
        self.name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.log_dir = Path(runtime.log_dir) / self.name
        self.cfg = specs.pod_config(self.name, namespace="crit-ui7", log_dir=self.log_dir)
        self.client = CriClient(runtime.endpoint, timeout=30)
        self.pod_id = ""

    async def __aenter__(self) -> Workload:
        self.pod_id = await self.client.run_pod_sandbox(self.cfg)
        return self

    async def container(
        self, name: str, script: str, *, attempt: int = 0, start: bool = True, log_path: str | None = None
    ) -> str:
        ccfg = specs.container_config(
            name,
            self.runtime.shell_image,
            ["sh", "-c", script],
            log_path=log_path or f"{name}/{attempt}.log",
            attempt=attempt,
        )
        cid = await self.client.create_container(self.pod_id, ccfg, self.cfg)
        if start:
            await self.client.start_container(cid)
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


TICKER = (
    'i=0; while true; do echo "tick $i [b]bold[/b] \033[31mred"; '
    'if [ $((i % 2)) -eq 0 ]; then echo "warn $i" >&2; fi; i=$((i+1)); sleep 0.3; done'
)


def log_screen(app) -> LogScreen:
    assert isinstance(app.screen, LogScreen), type(app.screen)
    return app.screen


async def test_logs_follow_search_timestamps_literal(node, tmp_path):
    async with Workload(node) as w:
        cid = await w.container("ticker", TICKER)
        await w.wait_state(cid, pb.CONTAINER_RUNNING)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(140, 40)) as pilot:
            await started(app, pilot)
            await select_row(app, pilot, "containers", cid)
            await pilot.press("l")
            await pilot.pause()
            screen = log_screen(app)
            await asyncio.wait_for(screen.loaded.wait(), 10)
            view = screen.view
            assert screen.error is None and screen.follow
            assert screen.path == str(w.log_dir / "ticker" / "0.log")
            await wait_for(lambda: sum(r.text.startswith("tick") for r in view.records) >= 2)

            # following: new lines arrive and the view stays at the end
            n0 = len(view.records)
            await wait_for(lambda: len(view.records) >= n0 + 3, 10)
            await pilot.pause()
            assert view.at_end
            text = screen_text(app)
            # literal: markup shown as typed, the ESC made visible, never interpreted
            assert "[b]bold[/b] ^[[31mred" in text
            ticks = [r for r in view.records if r.text.startswith("tick")]
            numbers = [int(r.text.split()[1]) for r in ticks]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
            warns = [i for i, r in enumerate(view.records) if r.text.startswith("warn")]
            assert warns and all(view.records[i].is_stderr for i in warns)
            # stderr lines are drawn in the stderr style, stdout lines not
            strip = None
            for y in range(view.size.height):
                idx = int(view.scroll_y) + y
                if idx < len(view.records) and view.records[idx].is_stderr:
                    strip = view.render_line(y)
                    break
            assert strip is not None
            err_color = view.get_component_rich_style("logview--stderr").color
            assert any(seg.style and seg.style.color == err_color for seg in strip)

            # timestamps toggle: the RFC 3339 prefix appears and disappears
            last = view.records[-1]
            assert last.timestamp and last.timestamp not in screen_text(app)
            await pilot.press("t")
            await pilot.pause()
            assert view.timestamps and view.records[-2].timestamp in screen_text(app)
            await pilot.press("t")
            await pilot.pause()
            assert not view.timestamps

            # search: pauses following, jumps to the newest match at or above the bottom, n / N move
            await pilot.press("slash")
            await pilot.press(*"warn 2")
            await pilot.press("enter")
            await pilot.pause()
            assert not screen.follow
            cur = view.current
            assert cur is not None and view.records[cur].text.startswith("warn 2")
            frozen = len(view.records)
            await pilot.press("slash")
            for _ in range(6):
                await pilot.press("backspace")
            await pilot.press(*"warn", "enter")
            await pilot.pause()
            first = view.current
            assert view.records[first].text.startswith("warn")
            await pilot.press("N")
            await pilot.pause()
            older = view.current
            assert older < first and view.records[older].text.startswith("warn")
            await pilot.press("n")
            await pilot.pause()
            assert view.current == first
            assert "match" in str(app.screen.query_one("#log-status").render())
            await asyncio.sleep(1.0)
            assert len(view.records) == frozen  # paused: nothing appended while reading matches

            # f resumes following: the lines written meanwhile arrive
            await pilot.press("f")
            await wait_for(lambda: len(view.records) > frozen, 5)
            assert screen.follow

            # wrap: a long line takes several screen lines
            view.append([LogRecord("x" * 500, "stdout", "2024-01-01T00:00:00Z")])
            await pilot.press("w")
            await pilot.pause()
            assert view.wrap and view.line_count() >= len(view.records) + 3
            await pilot.press("w")
            await pilot.pause()
            assert view.line_count() == view.total

            # ctrl+s saves the lines shown (original text) to the path typed
            dest = tmp_path / "saved.log"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, SaveDialog)
            path_input = app.screen.query_one("#path")
            path_input.value = str(dest)
            await pilot.press("enter")
            await wait_for(lambda: dest.exists() and dest.stat().st_size > 0, 5)
            saved = dest.read_text().splitlines()
            assert any(line.startswith("tick") and "\x1b[31mred" in line for line in saved)
            await wait_for(lambda: any("Saved" in n for n in notifications(app)), 5)
            # saving again to the same path: one sentence, the file is kept
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("#path").value = str(dest)
            await pilot.press("enter")
            await wait_for(lambda: any("already exists" in n for n in notifications(app)), 5)

            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.main
        await client.close()


async def test_logs_on_pod_picks_container_and_previous_attempt(node):
    async with Workload(node) as w:
        first = await w.container("app", "echo attempt-zero; echo oops-zero >&2", attempt=0)
        await w.wait_state(first, pb.CONTAINER_EXITED)
        second = await w.container("app", "echo attempt-one; sleep 60", attempt=1)
        await w.wait_state(second, pb.CONTAINER_RUNNING)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(140, 40)) as pilot:
            await started(app, pilot)
            await wait_for(lambda: second in app.model.containers.items and first in app.model.containers.items)
            await select_row(app, pilot, "pods", w.pod_id)
            await pilot.press("l")
            await pilot.pause()
            # two containers: a picker, the running one first
            from crit.ui.logs.dialogs import ContainerPicker

            assert isinstance(app.screen, ContainerPicker)
            assert app.screen.choices[0][0] == second
            await pilot.press("enter")
            await pilot.pause()
            screen = log_screen(app)
            await asyncio.wait_for(screen.loaded.wait(), 10)
            await wait_for(lambda: any(r.text == "attempt-one" for r in screen.view.records))
            assert screen.target.attempt == 1

            await pilot.press("p")
            await wait_for(lambda: screen.previous and any(r.text == "attempt-zero" for r in screen.view.records))
            assert screen.path == str(w.log_dir / "app" / "0.log")
            assert {(r.stream, r.text) for r in screen.view.records} == {
                ("stdout", "attempt-zero"),
                ("stderr", "oops-zero"),
            }
            assert "previous attempt" in screen_text(app)
            await pilot.press("p")
            await wait_for(lambda: not screen.previous and any(r.text == "attempt-one" for r in screen.view.records))

            # the previous attempt's file gone (and no old container pointing elsewhere): one sentence, the
            # current log stays
            os.rename(w.log_dir / "app" / "0.log", w.log_dir / "app" / "moved.log")
            await pilot.press("p")
            await wait_for(lambda: any("was not found" in n for n in notifications(app)), 5)
            assert not screen.previous and any(r.text == "attempt-one" for r in screen.view.records)
        await client.close()


async def test_previous_attempt_prefers_the_old_containers_own_log_path(node):
    """The old container's log_path (from ContainerStatus) wins over the kubelet layout's guess (N-1.log)."""
    async with Workload(node, "prevown") as w:
        first = await w.container("job", "echo from-old-container", attempt=0, log_path="job-first-run.log")
        await w.wait_state(first, pb.CONTAINER_EXITED)
        (w.log_dir / "job").mkdir(exist_ok=True)
        # a decoy where the kubelet layout would look, not written by the old container
        (w.log_dir / "job" / "0.log").write_text("2024-01-01T00:00:00Z stdout F decoy\n")
        second = await w.container("job", "echo from-new-container; sleep 60", attempt=1)
        await w.wait_state(second, pb.CONTAINER_RUNNING)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(140, 40)) as pilot:
            await started(app, pilot)
            await wait_for(lambda: first in app.model.containers.items)
            await select_row(app, pilot, "containers", second)
            await pilot.press("l")
            await pilot.pause()
            screen = log_screen(app)
            await asyncio.wait_for(screen.loaded.wait(), 10)
            await pilot.press("p")
            await wait_for(lambda: screen.previous and screen.view.records, 5)
            assert screen.path == str(w.log_dir / "job-first-run.log")
            assert [r.text for r in screen.view.records] == ["from-old-container"]
        await client.close()


async def test_logs_rotation_and_truncation_while_following(node, tmp_path):
    path = tmp_path / "0.log"

    def write(text: str, mode: str = "a") -> None:
        with open(path, mode) as f:
            f.write("".join(f"2024-01-01T00:00:00.{i:09d}Z stdout F {t}\n" for i, t in enumerate(text.split())))

    write("one two")
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(140, 30)) as pilot:
        await started(app, pilot)
        screen = LogScreen(app, path=str(path), interval=0.1)
        app.open_view(screen)
        await asyncio.wait_for(screen.loaded.wait(), 10)
        texts = lambda: [r.text for r in screen.view.records]  # noqa: E731
        assert texts() == ["one", "two"]
        write("three")
        await wait_for(lambda: texts()[-1:] == ["three"], 5)
        # rotation: the file renamed away and a new one created (what containerd does on ReopenContainerLog)
        write("four")
        os.rename(path, tmp_path / "0.log.1")
        write("five", "w")
        await wait_for(lambda: texts()[-3:] == ["four", "log file rotated: following the new file", "five"], 5)
        # truncation: copytruncate-style, then new lines
        write("six", "w")
        await wait_for(lambda: texts()[-2:] == ["log file truncated: reading it from the start", "six"], 5)
        await pilot.pause()
        text = screen_text(app)
        assert "log file rotated" in text and "six" in text
        # ctrl+s with "the whole log file": the raw CRI file, byte for byte
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        app.screen.query_one("#path").value = str(tmp_path / "raw-copy.log")
        app.screen.query_one("#raw").value = True
        await pilot.click("#save")
        await wait_for(
            lambda: (
                (tmp_path / "raw-copy.log").exists() and (tmp_path / "raw-copy.log").read_bytes() == path.read_bytes()
            ),
            5,
        )
        await wait_for(lambda: any("Saved the whole log file" in n for n in notifications(app)), 5)
    await client.close()


async def test_logs_unreadable_file_says_why_and_shows_path(node, tmp_path):
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(140, 30)) as pilot:
        await started(app, pilot)
        screen = LogScreen(app, path=str(tmp_path / "nope.log"))
        app.open_view(screen)
        await asyncio.wait_for(screen.loaded.wait(), 10)
        # a missing file
        ok = await screen._load(str(tmp_path / "nope.log"))
        await pilot.pause()
        assert not ok and "does not exist" in screen.error
        assert str(tmp_path / "nope.log") in screen_text(app)
        # a remote runtime: the file is on the other host
        app.endpoint_label = "tcp://10.1.2.3:10010"
        ok = await screen._load("/var/log/pods/x/0.log")
        await pilot.pause()
        assert not ok and "another host" in screen.error and "/var/log/pods/x/0.log" in screen_text(app)
        # a directory instead of a file
        app.endpoint_label = node.endpoint
        ok = await screen._load(str(tmp_path))
        assert not ok and "directory" in screen.error
        if os.geteuid() != 0:  # root reads anything: permissions can only be tested as another user
            secret = tmp_path / "secret.log"
            secret.write_text("x\n")
            secret.chmod(0)
            ok = await screen._load(str(secret))
            assert not ok and "permission denied" in screen.error
    await client.close()


async def test_log_view_big_file_opens_fast_and_bounded(node, tmp_path):
    """A 200 MB log opens at its tail reading a few blocks (the 1 GB figure is in bench/logs.py)."""
    path = tmp_path / "big.log"
    line = b"2024-05-01T10:00:00.123456789Z stdout F " + b"y" * 160 + b"\n"
    block = line * 8192
    with open(path, "wb") as f:
        for _ in range(200 * 1024 * 1024 // len(block)):
            f.write(block)
        f.write(b"2024-05-01T10:00:01Z stderr F the last line\n")
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(140, 30)) as pilot:
        await started(app, pilot)
        screen = LogScreen(app, path=str(tmp_path / "empty.log"))
        app.open_view(screen)
        await asyncio.wait_for(screen.loaded.wait(), 10)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await screen._load(str(path))
        elapsed = loop.time() - t0
        await pilot.pause()
        assert screen.follower is not None and screen.follower.bytes_read < 8 * 1024 * 1024
        assert len(screen.view.records) == screen.tail_lines
        assert screen.view.records[-1].text == "the last line" and screen.view.records[-1].is_stderr
        assert "the last line" in screen_text(app)
        assert "earlier not loaded" in screen_text(app)
        assert elapsed < 2.0  # loose: the benchmark has the real figure
        # o loads older lines in front, the view keeps its place
        n = await screen.load_older()
        assert n == screen.tail_lines and len(screen.view.records) == 2 * screen.tail_lines
    await client.close()


def test_log_view_memory_bound():
    view = LogView(max_records=1000)
    view.append([LogRecord(f"line {i}") for i in range(2500)])
    assert len(view.records) <= 1000 and view.records[-1].text == "line 2499" and view.dropped >= 1500


async def test_logs_of_a_container_not_started_yet_appear_when_it_starts(node):
    async with Workload(node, "late") as w:
        cid = await w.container("later", "echo hello-after-start; sleep 60", start=False)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(140, 30)) as pilot:
            await started(app, pilot)
            await select_row(app, pilot, "containers", cid)
            await pilot.press("l")
            await pilot.pause()
            screen = log_screen(app)
            await asyncio.wait_for(screen.loaded.wait(), 10)
            await pilot.pause()
            assert screen.error is None
            assert "has not started yet: its log appears here when it starts" in screen_text(app)
            await w.client.start_container(cid)
            try:
                await wait_for(
                    lambda: [r.text for r in screen.view.records] == ["hello-after-start"],
                    20,
                    what="the log line after the start",
                )
            except AssertionError as exc:
                shown = [r.text for r in screen.view.records][:5]
                raise AssertionError(f"{exc}; shown: {shown}, error: {screen.error}, path: {screen.path!r}") from None
        await client.close()


async def test_scrolling_up_pauses_following_and_wrap_keeps_wide_text(node, tmp_path):
    path = tmp_path / "0.log"
    lines = [f"2024-01-01T00:00:00Z stdout F line {i}" for i in range(200)]
    lines.append("2024-01-01T00:00:01Z stdout F " + "日本語テキスト" * 30)
    path.write_text("\n".join(lines) + "\n")
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = LogScreen(app, path=str(path), interval=0.1)
        app.open_view(screen)
        await asyncio.wait_for(screen.loaded.wait(), 10)
        await pilot.pause()
        view = screen.view
        assert screen.follow and view.at_end
        await pilot.press("up", "up")
        await pilot.pause()
        assert not screen.follow and "paused (f follows)" in screen_text(app)
        with open(path, "a") as f:
            f.write("2024-01-01T00:00:02Z stdout F appended while paused\n")
        await asyncio.sleep(0.5)
        assert view.records[-1].text != "appended while paused"  # paused: not read
        await pilot.press("f")
        await wait_for(lambda: view.records[-1].text == "appended while paused", 5)
        await pilot.pause()
        assert view.at_end and "appended while paused" in screen_text(app)
        # wrap: the 420-cell line of wide characters takes 5 lines of 98 cells, none cut in half
        await pilot.press("w")
        await pilot.pause()
        index = len(view.records) - 2
        assert view.record_line(index + 1) - view.record_line(index) == 5
        text = screen_text(app)
        assert text.count("日本語テキスト") >= 20 and "�" not in text
    await client.close()


async def test_follow_loop_during_teardown_is_harmless(node):
    """The follow loop updates the status line; when it runs while the screen is being torn down (its widgets
    already removed — seen in CI at exit), nothing may raise: an exception there ends the whole app."""
    async with Workload(node) as w:
        cid = await w.container("ticker", TICKER)
        await w.wait_state(cid, pb.CONTAINER_RUNNING)
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(140, 40)) as pilot:
            await started(app, pilot)
            await select_row(app, pilot, "containers", cid)
            await pilot.press("l")
            await pilot.pause()
            screen = log_screen(app)
            await asyncio.wait_for(screen.loaded.wait(), 10)
            await screen.query_one("#log-status").remove()
            await screen.query_one("#log-title").remove()
            screen._update_status()  # what the follow loop does after each batch
            screen._update_title()
            await pilot.pause(0.8)  # a few more polls of the ticker
            assert app.is_running and app.screen is screen
        await client.close()
