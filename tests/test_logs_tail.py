"""Reading a log's tail backwards and following it across appends, rotation and truncation (real files)."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from crit.logs import LogFileError, LogFollower, parse_lines, read_tail

TS = "2026-11-28T08:00:00.000000001Z"


def line(text: str, stream: str = "stdout", tag: str = "F") -> bytes:
    return f"{TS} {stream} {tag} {text}\n".encode()


def write(path, *chunks: bytes, mode: str = "ab") -> None:
    with open(path, mode) as fh:
        for c in chunks:
            fh.write(c)


def brute_force(data: bytes) -> list[str]:
    complete = data[: data.rfind(b"\n") + 1]
    return [r.text for r in parse_lines(complete.split(b"\n")[:-1], flush=False)]


def test_tail_returns_last_lines(tmp_path):
    p = tmp_path / "0.log"
    write(p, *(line(f"line {i}") for i in range(10_000)))
    res = read_tail(str(p), 100)
    assert [r.text for r in res.records] == [f"line {i}" for i in range(9_900, 10_000)]
    assert res.end == res.size == p.stat().st_size and res.start > 0 and not res.at_start
    assert res.bytes_read < 64 * 1024 * 2 + 1  # a couple of blocks, not the 500 KB file
    # earlier page: the 50 records before the first one shown
    more = read_tail(str(p), 50, before=res.start)
    assert [r.text for r in more.records] == [f"line {i}" for i in range(9_850, 9_900)]
    everything = read_tail(str(p), 10**9)
    assert len(everything.records) == 10_000 and everything.at_start


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block", [7, 64, 4096])
def test_tail_matches_brute_force_with_partials_and_bad_lines(tmp_path, seed, block):
    rnd = random.Random(seed)
    chunks = []
    for i in range(300):
        kind = rnd.random()
        if kind < 0.1:
            chunks.append(f"garbage {i}\n".encode())
        elif kind < 0.3:
            for k in range(rnd.randint(1, 4)):
                chunks.append(line(f"p{i}.{k}-", rnd.choice(["stdout", "stderr"]), "P"))
            chunks.append(line(f"end{i}"))
            chunks.append(line(f"end{i}", "stderr"))
        elif kind < 0.35:
            chunks.append(b"\n")  # empty (bad) line
        else:
            chunks.append(line("x" * rnd.randint(0, 200) + f" {i}", rnd.choice(["stdout", "stderr"])))
    if seed % 2:
        chunks.append(f"{TS} stdout F unfinished line without LF".encode())
    p = tmp_path / "0.log"
    write(p, *chunks)
    data = p.read_bytes()
    full = brute_force(data)
    for n in (1, 5, 37, 1000):
        res = read_tail(str(p), n, block_size=block)
        got = [r.text for r in res.records]
        # at least n records (interleaved partial stdout/stderr records may pull in a few more)
        assert len(got) >= min(n, len(full)) or res.at_start
        assert got == full[len(full) - len(got) :], (n, block)
        assert res.end == data.rfind(b"\n") + 1
        # paging back from the window's start continues seamlessly
        if not res.at_start:
            back = [r.text for r in read_tail(str(p), n, before=res.start, block_size=block).records]
            both = back + got
            assert both == full[len(full) - len(both) :]


def test_tail_completes_partial_record_at_window_start(tmp_path):
    p = tmp_path / "0.log"
    write(p, line("before"), line("a", tag="P"), line("b", tag="P"), line("c"), line("last"))
    res = read_tail(str(p), 2)
    assert [r.text for r in res.records] == ["abc", "last"]


def test_tail_trailing_partial_is_pending(tmp_path):
    p = tmp_path / "0.log"
    write(p, line("one"), line("prompt> ", tag="P"))
    res = read_tail(str(p), 10)
    assert [r.text for r in res.records] == ["one"]
    assert [(r.text, r.partial) for r in res.pending] == [("prompt> ", True)]


def test_tail_memory_is_bounded_by_max_bytes(tmp_path):
    p = tmp_path / "0.log"
    write(p, *(line("y" * 1000) for i in range(5000)))
    res = read_tail(str(p), 5000, max_bytes=100_000)
    assert res.limited and 90 <= len(res.records) <= 101 and res.bytes_read < 200_000


def test_tail_of_64mb_file_reads_only_the_end(tmp_path):
    p = tmp_path / "big.log"
    one = line("z" * 120)
    block = one * (1024 * 1024 // len(one))
    with open(p, "wb") as fh:
        for _ in range(64):
            fh.write(block)
    size = p.stat().st_size
    assert size > 60 * 1024 * 1024
    res = read_tail(str(p), 1000)
    assert len(res.records) == 1000 and res.records[-1].text == "z" * 120
    assert res.bytes_read < 1024 * 1024  # ~150 KB of lines, not 64 MB


def test_empty_and_unreadable_files(tmp_path):
    p = tmp_path / "0.log"
    p.write_bytes(b"")
    res = read_tail(str(p), 10)
    assert res.records == [] and res.end == 0 and res.at_start
    with pytest.raises(LogFileError, match=r"^Cannot read the log file .*/missing\.log: the file does not exist"):
        read_tail(str(tmp_path / "missing.log"))
    with pytest.raises(LogFileError, match="is a directory"):
        read_tail(str(tmp_path))
    if os.geteuid() != 0:
        p.chmod(0)
        with pytest.raises(LogFileError, match="permission denied"):
            read_tail(str(p))


async def test_follower_appends_rotation_truncation(tmp_path):
    p = tmp_path / "0.log"
    write(p, *(line(f"old {i}") for i in range(50)))
    f = LogFollower(str(p), tail_lines=10, interval=0.05)
    first = await f.open()
    assert [r.text for r in first.records] == [f"old {i}" for i in range(40, 50)]
    assert await f.poll() == []

    # appends, including a line written in two pieces and a partial line
    write(p, line("new 1"), line("new 2")[:20])
    assert [r.text for r in await f.poll()] == ["new 1"]
    write(p, line("new 2")[20:], line("half ", tag="P"))
    assert [r.text for r in await f.poll()] == ["new 2"]
    assert [r.text for r in f.pending()] == ["half "]
    write(p, line("done", "stdout"), line("err!", "stderr"))
    got = await f.poll()
    assert [(r.text, r.stream) for r in got] == [("half done", "stdout"), ("err!", "stderr")]

    # rotation: the runtime renames the file and creates a new one; lines written to the old file
    # after our last poll are still delivered, then the new file from its start
    write(p, line("late in old"))
    os.rename(p, tmp_path / "0.log.1")
    write(p, line("fresh 1"), mode="wb")
    got = await f.poll()
    assert [r.text for r in got if not r.notice] == ["late in old", "fresh 1"]
    assert any(r.notice and "rotated" in r.text for r in got) and f.rotations == 1

    # truncation in place (copytruncate), then new content shorter than what we had read
    write(p, line("fresh 2"))
    assert [r.text for r in await f.poll()] == ["fresh 2"]
    with open(p, "r+b") as fh:
        fh.truncate(0)
    write(p, line("after truncate"))
    got = await f.poll()
    assert [r.text for r in got if not r.notice] == ["after truncate"]
    assert any(r.notice and "truncated" in r.text for r in got) and f.truncations == 1

    # truncated and rewritten past our offset between two polls: detected as well
    with open(p, "r+b") as fh:
        fh.truncate(0)
    write(p, line("A" * 300))
    got = await f.poll()
    assert [r.text for r in got if not r.notice] == ["A" * 300] and f.truncations == 2

    # removed, then re-created
    os.unlink(p)
    assert await f.poll() == [] and f.missing
    write(p, line("reborn"), mode="wb")
    got = await f.poll()
    assert [r.text for r in got if not r.notice] == ["reborn"]
    f.close()


async def test_follow_iterator_and_stop(tmp_path):
    p = tmp_path / "0.log"
    write(p, line("start"))
    f = LogFollower(str(p), tail_lines=5, interval=0.02)
    seen: list[str] = []

    async def consume():
        async for batch in f.follow():
            seen.extend(r.text for r in batch)

    task = asyncio.create_task(consume())
    for i in range(5):
        await asyncio.sleep(0.03)
        write(p, line(f"n{i}"))
    for _ in range(100):
        if len(seen) >= 5:
            break
        await asyncio.sleep(0.02)
    f.stop()
    await asyncio.wait_for(task, 2)
    f.close()
    assert seen == [f"n{i}" for i in range(5)]


async def test_follower_open_error_is_one_sentence(tmp_path):
    f = LogFollower(str(tmp_path / "nope.log"), runtime_endpoint="tcp://127.0.0.1:9")
    with pytest.raises(LogFileError) as ei:
        await f.open()
    msg = str(ei.value)
    assert msg.startswith("Cannot read the log file") and msg.endswith(".") and "\n" not in msg


async def test_follower_skips_a_huge_backlog_and_reads_in_chunks(tmp_path):
    p = tmp_path / "0.log"
    write(p, line("first"))
    f = LogFollower(str(p), tail_lines=3, max_read=4096, skip_bytes=64 * 1024)
    await f.open()
    # a backlog smaller than skip_bytes is read in max_read chunks, one per poll, nothing lost
    write(p, *(line(f"a{i:04d}") for i in range(500)))  # ~22 KB
    got: list[str] = []
    for _ in range(20):
        got += [r.text for r in await f.poll()]
    assert got == [f"a{i:04d}" for i in range(500)]
    # a backlog larger than skip_bytes: a notice, then only the newest lines
    write(p, *(line(f"b{i:05d}") for i in range(5000)))  # ~230 KB
    before = f.bytes_read
    batch = await f.poll()
    assert batch[0].notice and batch[0].text.startswith("skipped ")
    assert [r.text for r in batch[1:]] == ["b04997", "b04998", "b04999"]
    assert f.bytes_read - before <= 64 * 1024  # one block, not the 230 KB backlog
    assert await f.poll() == []
    # a line longer than max_read without its LF is passed on rather than stalling the follower
    write(p, line("x" * 10_000))
    texts = []
    for _ in range(5):
        texts += [r.text for r in await f.poll()]
    assert "".join(texts).count("x") == 10_000 and f.offset == p.stat().st_size and f.truncations == 0
    f.close()


def test_bench_script_small_file_reads_only_the_tail():
    """The benchmark's own run on a 64 MB file: JSON out, a tiny fraction of the file read, bounded memory
    (no timing asserted here: that is the benchmark's job)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench" / "logs.py"
    proc = subprocess.run([sys.executable, str(bench), "--size-mb", "64"], capture_output=True, text=True, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    out = json.loads(proc.stdout)
    assert out["file_bytes"] > 60 * 1024 * 1024
    assert out["lines_1000"]["records"] >= 1000 and out["screen"]["records"] >= 50
    assert out["lines_1000"]["bytes_read"] < 1024 * 1024
    assert out["fraction_of_file_read"] < 0.02
    assert out["peak_rss_delta_mb"] < 64


async def test_follower_without_path_or_on_remote_host(tmp_path):
    with pytest.raises(LogFileError, match="no log path"):
        await LogFollower("").open()
    f = LogFollower(str(tmp_path / "pods" / "0.log"), runtime_endpoint="tcp://10.9.8.7:10010")
    with pytest.raises(LogFileError) as ei:
        await f.open()
    assert "tcp://10.9.8.7:10010" in str(ei.value) and "another host" in str(ei.value)
    assert ei.value.path.endswith("0.log")
