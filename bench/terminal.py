"""Benchmark: crit's terminal against the raw speed of a TTY exec stream.

In ONE run, against one stream source (real containerd through the test bed when we are root and it can start,
otherwise a local PTY exec server speaking the same channel protocol — the JSON says which):

* ``raw``: a bare ``websockets`` client reading a TTY exec of ``cat FILE`` (bytes per second of payload);
* ``crit``: the same command shown in crit's ``TerminalView`` (fast pyte screen, dirty-line rendering at the capped
  frame rate) inside a Textual app run headless with ``App.run_test()``: payload bytes / time from the first output
  byte until every byte was fed AND the frame after the last one was rendered; also per CPU-second of this process
  (the machine is shared: wall-clock rates move with other processes' load);
* ``--repeat`` rounds of raw, crit, raw again per kind; each round's ratio uses the better of its two raw rates;
  the summary gives the min and median ratio;
* for plain text and for SGR-heavy colored ``ls``-like lines;
* ``offline``: stock pyte and crit's fast screen fed the captured bytes with no I/O (CPU only, reference);
* ``memory``: RSS before/after a big flood into the widget (scrollback 10,000 lines bounds it);
* ``detach_latency_ms``: key event (through the app's driver, like a real key) → ``Detached`` message, during
  ``--floods`` endless floods (fresh sessions), 10 presses in each: p50, p90, max;
* ``echo_latency_ms``: key event → the echoed character rendered by the widget (``cat`` with TTY echo).

Targets: crit ≥ 50% of raw for both kinds, detach < 100 ms, echo p99 < 30 ms. The raw rate here is ``cat`` of a
file (20–45 MB/s through containerd on these machines, varying with load); ``raw_reference_yes_flood`` is the
``yes | head`` flood of the streaming notes (~10 MB/s) for comparison.

    python bench/terminal.py [--size-mb 20] [--source auto|containerd|pty] [--repeat 3] [--floods 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyte  # noqa: E402
from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from crit.stream.channel import PROTOCOLS, ExecStream, websocket_url  # noqa: E402
from crit.term.screen import FastScreen, FastStream, Terminal  # noqa: E402
from crit.ui.terminal import TerminalView  # noqa: E402
from tests.bed.ptyserver import PtyExecServer  # noqa: E402

COLS, ROWS = 80, 24


# --- data --------------------------------------------------------------------------------------------------------


def make_plain(path: Path, size: int) -> None:
    rnd = random.Random(1)
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt".split()
    lines = []
    for i in range(4000):
        line = f"{i:06d} " + " ".join(rnd.choice(words) for _ in range(12))
        lines.append(line[:79] + "\n")
    block = "".join(lines).encode()
    with open(path, "wb") as f:
        for _ in range(size // len(block) + 1):
            f.write(block)


def make_sgr(path: Path, size: int) -> None:
    """``ls --color`` style: every name colored, reset after it, padded into 80-column lines."""
    rnd = random.Random(2)
    colors = ["01;34", "01;32", "01;36", "00", "01;31", "01;35", "40;33;01", "30;42", "38;5;208", "01;33"]
    lines = []
    for _ in range(4000):
        parts = []
        for _ in range(5):
            name = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz_-.0123456789") for _ in range(rnd.randint(3, 12)))
            parts.append(f"\x1b[{rnd.choice(colors)}m{name}\x1b[0m" + " " * (15 - len(name)))
        lines.append("".join(parts).rstrip() + "\n")
    block = "".join(lines).encode()
    with open(path, "wb") as f:
        for _ in range(size // len(block) + 1):
            f.write(block)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- stream sources ------------------------------------------------------------------------------------------------


class PtySource:
    name = "local PTY exec server (tests/bed/ptyserver.py)"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server = PtyExecServer(
            env={"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "HOME": "/tmp"}, initial_size=(COLS, ROWS)
        )

    async def start(self) -> None:
        await self.server.start()

    async def url(self, argv: list[str]) -> str:
        argv = [a.replace("/data/", str(self.data_dir) + "/") for a in argv]
        return self.server.exec_url(argv)

    async def stop(self) -> None:
        await self.server.stop()


class ContainerdSource:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.bed = None
        self.client = None
        self.cid = ""
        self.name = "containerd"

    async def start(self) -> None:
        from crit.cri.client import CriClient
        from crit.cri.pb import api_pb2 as pb
        from tests.bed import containerd as ctd_bed
        from tests.bed import specs

        missing = ctd_bed.missing_prerequisites()
        if missing:
            raise RuntimeError("missing " + ", ".join(missing))
        self.bed = await asyncio.to_thread(ctd_bed.start)
        v = self.bed.version
        self.name = f"containerd {v.get('runtime_version')} (private test-bed instance, runc)"
        self.client = CriClient(self.bed.endpoint, timeout=30)
        pod_cfg = specs.pod_config("bench-term", namespace="crit-bench", log_dir=self.bed.log_dir / "bench-term")
        pod_id = await self.client.run_pod_sandbox(pod_cfg)
        cfg = specs.container_config("flood", self.bed.shell_image, command=["sleep", "3600"], log_path="flood.log")
        cfg.mounts.append(pb.Mount(container_path="/data", host_path=str(self.data_dir), readonly=True))
        self.cid = await self.client.create_container(pod_id, cfg, pod_cfg)
        await self.client.start_container(self.cid)

    async def url(self, argv: list[str]) -> str:
        return await self.client.exec(self.cid, argv, tty=True, stdin=True)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.bed is not None:
            await asyncio.to_thread(self.bed.stop)


# --- measurements --------------------------------------------------------------------------------------------------


async def raw_rate(source, argv: list[str], keep: int) -> tuple[dict, bytes]:
    """A bare client: connect, first resize, read every message; the payload rate from the first output byte."""
    url = await source.url(argv)
    captured = bytearray()
    total = 0
    first = None
    cpu0 = time.process_time()
    async with connect(
        websocket_url(url),
        subprotocols=list(PROTOCOLS),
        max_size=None,
        compression=None,
        ping_interval=None,
        proxy=None,
    ) as ws:
        await ws.send(b'\x04{"Width":%d,"Height":%d}' % (COLS, ROWS))
        async for msg in ws:
            if msg[0] in (1, 2) and len(msg) > 1:
                if first is None:
                    first = time.perf_counter()
                total += len(msg) - 1
                if len(captured) < keep:
                    captured += msg[1:]
    elapsed = time.perf_counter() - (first or time.perf_counter())
    cpu = time.process_time() - cpu0
    return {
        "bytes": total,
        "seconds": round(elapsed, 3),
        "mb_s": round(total / elapsed / 1e6, 2),
        "client_cpu_s": round(cpu, 3),
    }, bytes(captured)


class BenchApp(App):
    def __init__(self, factory, scrollback: int = 10_000) -> None:
        super().__init__()
        self.factory = factory
        self.scrollback = scrollback
        self.detached: list[float] = []

    def compose(self) -> ComposeResult:
        yield TerminalView(self.factory, "bench", scrollback=self.scrollback)

    def on_mount(self) -> None:
        self.query_one(TerminalView).focus()

    def on_terminal_view_detached(self, message: TerminalView.Detached) -> None:
        self.detached.append(time.perf_counter())


def factory_for(source, argv: list[str]):
    async def factory() -> ExecStream:
        return await ExecStream.connect(await source.url(argv), tty=True)

    return factory


def press(app: App, key: str, char: str | None = None) -> float:
    """Send a key to the app's message queue, as the terminal driver does for a real key; returns the time."""
    event = events.Key(key, char)
    event.set_sender(app)
    t = time.perf_counter()
    app.post_message(event)
    return t


async def crit_rate(source, argv: list[str]) -> dict:
    """Payload bytes fed through crit's screen AND shown: the clock stops when the stream has ended, every byte
    was fed, and the compositor has rendered the frame after the last byte (frames capped as in real use)."""
    app = BenchApp(factory_for(source, argv))
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        view = app.query_one(TerminalView)
        await asyncio.wait_for(view.connected.wait(), 30)
        # time from the first output byte, like the raw client
        await until(lambda: view.bytes_in or view.ended, "the first output", timeout=30)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        b0 = view.bytes_in
        f0 = view.frames
        l0 = view.lines_rendered
        await asyncio.wait_for(view.finished.wait(), 600)
        fed = view.finished_at  # every byte fed (and the end line written)
        while view.last_render < fed:  # the frame after that, with the last bytes, on screen
            await asyncio.sleep(0.0005)
            if time.monotonic() - fed > 10:
                raise RuntimeError("the terminal did not render its last frame within 10 s")
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        await pilot.pause()
        return {
            "bytes": view.bytes_in,
            "seconds": round(elapsed, 3),
            "mb_s": round((view.bytes_in - b0) / elapsed / 1e6, 2),
            "process_cpu_s": round(cpu, 3),
            "mb_per_cpu_s": round((view.bytes_in - b0) / cpu / 1e6, 2),
            "frames": view.frames - f0,
            "frames_per_s": round((view.frames - f0) / elapsed, 1),
            "lines_rendered": view.lines_rendered - l0,
            "exit": view.end_description,
        }


def offline_rates(data: bytes) -> dict:
    out = {}
    for label, screen_cls, stream_cls, limit in (
        ("stock_pyte", pyte.Screen, pyte.ByteStream, 2_000_000),
        ("crit_fast_screen", FastScreen, FastStream, len(data)),
    ):
        sample = data[:limit]
        screen = screen_cls(COLS, ROWS)
        stream = stream_cls(screen)
        t0 = time.process_time()
        for i in range(0, len(sample), 32768):
            stream.feed(sample[i : i + 32768])
        dt = time.process_time() - t0
        out[label + "_mb_s"] = round(len(sample) / dt / 1e6, 2)
        out[label + "_bytes"] = len(sample)
    # as the widget uses it: a Terminal (floods applied when the screen is read), 64 KB feeds, the screen read
    # every 1 MB (about once per frame at the rates above)
    term = Terminal(COLS, ROWS)
    t0 = time.process_time()
    for i in range(0, len(data), 65536):
        term.feed(data[i : i + 65536])
        if i % (16 * 65536) == 0:
            term.screen
    term.screen
    dt = time.process_time() - t0
    out["crit_terminal_mb_s"] = round(len(data) / dt / 1e6, 2)
    return out


async def memory_and_detach(
    source, flood_argv: list[str], big_argv: list[str], floods: int = 3, presses: int = 10
) -> tuple[dict, dict]:
    # memory: a big finite flood, RSS before and after (scrollback bounded at 10,000 lines)
    app = BenchApp(factory_for(source, big_argv))
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        view = app.query_one(TerminalView)
        await asyncio.wait_for(view.connected.wait(), 30)
        before = rss_mb()
        await asyncio.wait_for(view.finished.wait(), 900)
        after = rss_mb()
        screen = view.term.screen
        compacted = screen.compact_history()
        after_compact = rss_mb()
        memory = {
            "flood_bytes": view.bytes_in,
            "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1),
            "rss_after_history_compaction_mb": round(after_compact, 1),
            "scrollback_lines": len(screen.history),
            "scrollback_limit": screen.scrollback_limit,
            "lines_compacted": compacted,
        }
        await pilot.pause()

    # detach during an endless flood: several floods (each a fresh session), several presses in each
    latencies: list[float] = []
    per_flood = []
    for _ in range(floods):
        app = BenchApp(factory_for(source, flood_argv))
        async with app.run_test(size=(COLS, ROWS)) as pilot:
            view = app.query_one(TerminalView)
            await asyncio.wait_for(view.connected.wait(), 30)
            await until(lambda: view.bytes_in >= 2_000_000, "2 MB of flood", 0.01, timeout=60)
            mine = []
            for _ in range(presses):
                n = len(app.detached)
                t = press(app, "ctrl+right_square_bracket")
                await until(lambda: len(app.detached) != n, "the Detached message")
                mine.append((app.detached[-1] - t) * 1000)
                await asyncio.sleep(0.1)
            if view.ended:
                raise RuntimeError("the flood ended before the detach measurement did")
            await view.close()
            await pilot.pause()
        latencies += mine
        per_flood.append(
            {"median": round(statistics.median(mine), 2), "max": round(max(mine), 2), "bytes_consumed": view.bytes_in}
        )
    latencies.sort()
    detach = {
        "floods": floods,
        "samples": len(latencies),
        "p50": round(statistics.median(latencies), 2),
        "p90": round(latencies[int(len(latencies) * 0.9) - 1], 2),
        "max": round(latencies[-1], 2),
        "per_flood": per_flood,
        "still_flooding_while_measured": True,
    }
    return memory, detach


async def until(predicate, what: str, step: float = 0.0005, timeout: float = 10.0) -> None:
    """Poll ``predicate`` every ``step`` seconds; a clear error instead of a hung benchmark."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(step)


async def echo_latency(source) -> dict:
    app = BenchApp(factory_for(source, ["cat"]))
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        view = app.query_one(TerminalView)
        await asyncio.wait_for(view.connected.wait(), 30)
        await asyncio.sleep(0.5)
        screen = view.term.screen
        samples = []
        for i in range(120):
            ch = "abcdefghijklmnopqrstuvwxyz"[i % 26]
            if i and i % 60 == 0:
                press(app, "enter", "\r")
                await asyncio.sleep(0.05)
            x0, y0 = screen.cursor.x, screen.cursor.y
            press(app, ch, ch)
            t = time.monotonic()  # the widget's clock
            # wait for the echo in the screen, then for the widget to render after the batch with it was fed
            await until(lambda: screen.cursor.x != x0 or screen.cursor.y != y0, "the echo", 0.0002)
            fed = view.last_fed
            await until(lambda: view.last_render >= fed, "the frame with the echo", 0.0002)
            samples.append((view.last_render - t) * 1000)
            await asyncio.sleep(0.01)
        await view.close()
        await pilot.pause()
    samples.sort()
    return {
        "samples": len(samples),
        "p50": round(samples[len(samples) // 2], 2),
        "p99": round(samples[int(len(samples) * 0.99) - 1], 2),
        "max": round(samples[-1], 2),
    }


async def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="crit-bench-term-"))
    tmp.chmod(0o755)
    size = int(args.size_mb * 1_000_000)
    make_plain(tmp / "plain.txt", size)
    make_sgr(tmp / "sgr.txt", size)
    for f in tmp.iterdir():
        f.chmod(0o644)
    source = None
    notes = []
    if args.source in ("auto", "containerd") and os.geteuid() == 0:
        try:
            source = ContainerdSource(tmp)
            await source.start()
        except Exception as exc:
            notes.append(f"containerd unavailable ({type(exc).__name__}: {exc}); used the local PTY server")
            if args.source == "containerd":
                raise
            try:
                await source.stop()
            except Exception:
                pass
            source = None
    elif args.source == "auto":
        notes.append("not root: used the local PTY server")
    if source is None:
        source = PtySource(tmp)
        await source.start()
    result: dict = {
        "source": source.name,
        "size_mb_per_kind": args.size_mb,
        "terminal": f"{COLS}x{ROWS}",
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "notes": notes,
    }
    try:
        for kind in ("plain", "sgr"):
            argv = ["cat", f"/data/{kind}.txt"]
            rounds = []
            captured = b""
            for i in range(args.repeat):
                # raw before and after crit: the ratio uses the better raw rate of the two (load drifts)
                raw, got = await raw_rate(source, argv, keep=8_000_000 if i == 0 else 0)
                captured = captured or got
                crit = await crit_rate(source, argv)
                raw2, _ = await raw_rate(source, argv, keep=0)
                best_raw = max(raw["mb_s"], raw2["mb_s"])
                rounds.append(
                    {
                        "raw": raw,
                        "raw_again": raw2,
                        "crit_widget": crit,
                        "crit_vs_raw": round(crit["mb_s"] / best_raw, 3),
                        "loadavg": os.getloadavg()[0],
                    }
                )
            ratios = sorted(r["crit_vs_raw"] for r in rounds)
            result[kind] = {
                "rounds": rounds,
                "crit_vs_raw_min": ratios[0],
                "crit_vs_raw_median": round(statistics.median(ratios), 3),
                "crit_mb_s": [r["crit_widget"]["mb_s"] for r in rounds],
                "raw_mb_s": [max(r["raw"]["mb_s"], r["raw_again"]["mb_s"]) for r in rounds],
                "offline_cpu_only": offline_rates(captured),
            }
        # reference: the yes flood the streaming notes measured (~10.7 MB/s there); cat of a file is faster
        yes = ["sh", "-c", f"yes 'lorem ipsum dolor sit amet, consectetur adipiscing elit' | head -c {size}"]
        result["raw_reference_yes_flood"], _ = await raw_rate(source, yes, keep=0)
        flood = ["sh", "-c", "while :; do cat /data/sgr.txt /data/plain.txt; done"]
        big = ["sh", "-c", "cat /data/plain.txt /data/sgr.txt /data/plain.txt"]
        if isinstance(source, PtySource):
            flood = ["sh", "-c", f"while :; do cat {tmp}/sgr.txt {tmp}/plain.txt; done"]
            big = ["sh", "-c", f"cat {tmp}/plain.txt {tmp}/sgr.txt {tmp}/plain.txt"]
        result["memory"], result["detach_latency_ms"] = await memory_and_detach(source, flood, big, floods=args.floods)
        result["echo_latency_ms"] = await echo_latency(source)
    finally:
        await source.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    result["targets"] = {
        "plain_crit_ge_50pct_raw_every_round": result["plain"]["crit_vs_raw_min"] >= 0.5,
        "sgr_crit_ge_50pct_raw_every_round": result["sgr"]["crit_vs_raw_min"] >= 0.5,
        "detach_max_lt_100ms": result["detach_latency_ms"]["max"] < 100,
        "echo_p99_lt_30ms": result["echo_latency_ms"]["p99"] < 30,
    }
    result["loadavg"] = os.getloadavg()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0, help="MB of output per kind (default 20)")
    parser.add_argument("--source", choices=("auto", "containerd", "pty"), default="auto")
    parser.add_argument("--repeat", type=int, default=3, help="raw/crit/raw rounds per kind (default 3)")
    parser.add_argument("--floods", type=int, default=3, help="floods for the detach latency (default 3)")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
