"""Benchmark of the embedded node: build a 2000:10000:500 node and time the List calls over it.

Usage: python bench/node.py [--scale 2000:10000:500] [--runs 7]

Prints one JSON object: start-up time (process start to first answer), server RSS, idle CPU of the server,
and for ListContainers / ListPodSandbox / ListImages / ListContainerStats the median and best wall time seen
by crit's client and the response size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from crit.cri.client import CriClient
from crit.node.process import NodeProcess


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - t0)
    return times, result


async def measure(node: NodeProcess, runs: int) -> dict:
    out: dict = {}
    async with CriClient(node.endpoint, timeout=60) as c:
        await c.version()
        calls = {
            "ListContainers": c.list_containers,
            "ListPodSandbox": c.list_pod_sandbox,
            "ListImages": c.list_images,
            "ListContainerStats": c.list_container_stats,
        }
        for name, fn in calls.items():
            cpu0 = cpu_seconds(node.pid)
            times, result = await timed(fn, runs)
            cpu1 = cpu_seconds(node.pid)
            out[name] = {
                "items": len(result),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "best_ms": round(min(times) * 1000, 1),
                "first_ms": round(times[0] * 1000, 1),
                "server_cpu_ms_per_call": round((cpu1 - cpu0) * 1000 / runs, 1),
                "response_bytes": sum(x.ByteSize() for x in result) + 4 * len(result),
            }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="2000:10000:500")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--idle-seconds", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=30.0, help="seconds after start for the steady-state CPU sample")
    args = ap.parse_args()
    with NodeProcess(scale=args.scale, start_timeout=120) as node:
        started = node.started_in
        rss_start = rss_bytes(node.pid)
        cpu0, t0 = cpu_seconds(node.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        idle_cpu = (cpu_seconds(node.pid) - cpu0) / (time.monotonic() - t0)
        calls = asyncio.run(measure(node, args.runs))
        # steady state: once every pod's log directory exists and the first log lines are written
        time.sleep(max(0.0, args.settle - (time.monotonic() - t0)))
        cpu1, t1 = cpu_seconds(node.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        idle_cpu_settled = (cpu_seconds(node.pid) - cpu1) / (time.monotonic() - t1)
        result = {
            "bench": "node",
            "scale": args.scale,
            "python": sys.version.split()[0],
            "startup_s": round(started, 2),
            "server_rss_mb_after_start": round(rss_start / 2**20, 1),
            "server_rss_mb_after_calls": round(rss_bytes(node.pid) / 2**20, 1),
            "server_idle_cpu_percent_first_5s": round(idle_cpu * 100, 2),
            f"server_idle_cpu_percent_after_{args.settle:g}s": round(idle_cpu_settled * 100, 2),
            "calls": calls,
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
