#!/usr/bin/env python3
"""Benchmark: CriClient list calls on a large node (the embedded node, 2000 pods / 10000 containers / 500 images).

Starts ``crit node serve --scale PODS:CONTAINERS:IMAGES`` in a subprocess on a temp socket, then times each List
call through :class:`crit.cri.client.CriClient` (round trip + decode, median and max of --runs), records the size of
each answer on the wire (to show it stays far below the client's 16 MiB message limit) and the client's peak RSS.
Prints one JSON object. Usage: python bench/client_list.py [--scale 2000:10000:500] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from crit.cri.client import MAX_MESSAGE_BYTES, CriClient  # noqa: E402
from crit.cri.pb import api_pb2 as pb  # noqa: E402
from crit.node.process import NodeProcess, NodeProcessError  # noqa: E402


async def measure(endpoint: str, runs: int) -> dict:
    out: dict = {}
    async with CriClient(endpoint, timeout=60) as c:
        await c.version()
        calls = {
            "ListPodSandbox": (c.list_pod_sandbox, lambda r: pb.ListPodSandboxResponse(items=r)),
            "ListContainers": (c.list_containers, lambda r: pb.ListContainersResponse(containers=r)),
            "ListImages": (c.list_images, lambda r: pb.ListImagesResponse(images=r)),
            "ListContainerStats": (c.list_container_stats, lambda r: pb.ListContainerStatsResponse(stats=r)),
        }
        for name, (call, wrap) in calls.items():
            times = []
            items = []
            for _ in range(runs):
                t0 = time.perf_counter()
                items = await call()
                times.append(time.perf_counter() - t0)
            size = wrap(items).ByteSize()
            out[name] = {
                "items": len(items),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "wire_bytes": size,
                "share_of_limit": round(size / MAX_MESSAGE_BYTES, 3),
            }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="2000:10000:500")
    ap.add_argument("--runs", type=int, default=5)
    ns = ap.parse_args()
    try:
        node = NodeProcess(scale=ns.scale, start_timeout=60).start()
    except NodeProcessError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    try:
        startup = node.started_in
        results = asyncio.run(measure(node.endpoint, ns.runs))
        print(
            json.dumps(
                {
                    "benchmark": "client_list",
                    "scale": ns.scale,
                    "runs": ns.runs,
                    "node_startup_s": round(startup, 2),
                    "limit_bytes": MAX_MESSAGE_BYTES,
                    "calls": results,
                    "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                },
                indent=2,
            )
        )
        return 0
    finally:
        node.stop()


if __name__ == "__main__":
    sys.exit(main())
