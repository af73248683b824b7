"""Benchmark: opening the tail of a 1 GB CRI log file.

Generates a CRI-format log of ``--size-mb`` MB (default 1024) in a temp dir, then, in a fresh child process (so
the peak RSS is not inflated by the generator), measures for a screenful (50 records) and for 1000 records:

* the wall time of :func:`crit.logs.read_tail` with the file hot in the page cache, and cold (the file's pages
  dropped with ``posix_fadvise(DONTNEED)``, which touches only this file);
* the wall time of ``LogFollower.open()`` (the path the UI takes: a worker thread);
* the bytes actually read and the peak RSS growth of the child (``ru_maxrss``).

Prints one JSON object; deletes the file afterwards.  Target: < 0.5 s with bounded memory.

    python bench/logs.py [--size-mb 1024] [--keep-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

TARGET_S = 0.5

CHILD = r"""
import asyncio, json, os, resource, sys, time
from crit.logs import LogFollower, read_tail

path = sys.argv[1]

def rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def drop_cache():
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

out = {}
base = rss_kb()
for label, n in (("screen", 50), ("lines_1000", 1000)):
    drop_cache()
    t0 = time.perf_counter(); res = read_tail(path, n); cold = time.perf_counter() - t0
    t0 = time.perf_counter(); res = read_tail(path, n); hot = time.perf_counter() - t0
    out[label] = {"records": len(res.records), "cold_s": round(cold, 4), "hot_s": round(hot, 4),
                  "bytes_read": res.bytes_read, "last_text_len": len(res.records[-1].text) if res.records else 0}

async def follower_open():
    f = LogFollower(path, tail_lines=1000)
    t0 = time.perf_counter(); r = await f.open(); dt = time.perf_counter() - t0
    f.close()
    return dt, len(r.records)

drop_cache()
dt, n = asyncio.run(follower_open())
out["follower_open_1000_cold_s"] = round(dt, 4)
out["peak_rss_delta_mb"] = round((rss_kb() - base) / 1024, 2)
out["peak_rss_mb"] = round(rss_kb() / 1024, 2)
print(json.dumps(out))
"""


def generate(path: str, size: int) -> dict:
    """Write a realistic CRI log: mostly stdout lines of varied length, some stderr, some partial splits."""
    ts_base = "2026-11-28T08:%02d:%02d.%09dZ"
    lines = []
    for i in range(4096):
        stream = "stderr" if i % 17 == 0 else "stdout"
        ts = ts_base % ((i // 60) % 60, i % 60, i * 7919 % 1_000_000_000)
        body = f"request id={i:06d} path=/api/v1/items/{i * 31 % 9973} status={200 + i % 5} " + "x" * (i * 13 % 160)
        if i % 97 == 0:
            lines.append(f"{ts} {stream} P {body[:40]}\n")
            lines.append(f"{ts} {stream} F {body[40:]}\n")
        else:
            lines.append(f"{ts} {stream} F {body}\n")
    block = "".join(lines).encode()
    t0 = time.perf_counter()
    written = 0
    with open(path, "wb", buffering=0) as fh:
        while written + len(block) <= size:
            fh.write(block)
            written += len(block)
        # end with lines that are recognisably the last ones
        for k in range(10):
            tail = f"2026-11-28T09:00:00.{k:09d}Z stdout F final line {k}\n".encode()
            fh.write(tail)
            written += len(tail)
        os.fsync(fh.fileno())
    return {"file_bytes": written, "generate_s": round(time.perf_counter() - t0, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--keep-dir", help="directory for the temp file (default: system temp dir)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="crit-bench-logs-", dir=args.keep_dir) as tmp:
        path = os.path.join(tmp, "0.log")
        result: dict = {"benchmark": "logs.tail", "target_s": TARGET_S}
        result.update(generate(path, args.size_mb * 1024 * 1024))
        proc = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            result["error"] = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
            print(json.dumps(result))
            return 1
        child = json.loads(proc.stdout)
        result.update(child)
        worst = max(child["screen"]["cold_s"], child["lines_1000"]["cold_s"], child["follower_open_1000_cold_s"])
        result["worst_s"] = worst
        result["meets_target"] = bool(worst < TARGET_S and child["lines_1000"]["bytes_read"] < 8 * 1024 * 1024)
        result["fraction_of_file_read"] = round(child["lines_1000"]["bytes_read"] / result["file_bytes"], 6)
    print(json.dumps(result, indent=2))
    return 0 if result["meets_target"] else 2


if __name__ == "__main__":
    sys.exit(main())
