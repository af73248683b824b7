"""Stats from real containerd: a busy container's CPU % and memory fill in, and change between polls."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from crit.cri.client import CriClient
from crit.model.stats import CONTAINER, POD, StatsPoller
from tests.bed import specs

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(120)]


async def test_stats_poller_against_containerd(containerd):
    name = f"stats-{uuid.uuid4().hex[:8]}"
    cfg = specs.pod_config(name, namespace="crit-stats", log_dir=containerd.log_dir / name)
    async with CriClient(containerd.endpoint, timeout=20) as client:
        pod_id = await client.run_pod_sandbox(cfg)
        try:
            # a short CPU burner (bounded: it stops by itself after ~6 s) and an idle container
            busy = specs.container_config(
                "busy",
                containerd.shell_image,
                ["sh", "-c", "end=$(( $(date +%s) + 6 )); while [ $(date +%s) -lt $end ]; do :; done; sleep 600"],
            )
            idle = specs.container_config("idle", containerd.shell_image, ["sleep", "600"])
            ids = {}
            for c in (busy, idle):
                cid = await client.create_container(pod_id, c, cfg)
                await client.start_container(cid)
                ids[c.metadata.name] = cid
            poller = StatsPoller(client, interval=1.0, pod_of=lambda: {cid: pod_id for cid in ids.values()})
            tr = poller.tracker
            for _ in range(3):
                await poller.poll_once()
                await asyncio.sleep(1.0)
            b = tr.container(ids["busy"])
            i = tr.container(ids["idle"])
            assert b is not None and i is not None, tr.message(CONTAINER)
            assert b.cpu is not None and b.cpu > 5.0, b
            assert i.cpu is not None and i.cpu < b.cpu
            assert b.memory and b.memory > 0
            cpu_points = [p.cpu for p in tr.history(CONTAINER, ids["busy"]) if p.cpu is not None]
            assert len(cpu_points) >= 2
            cells = tr.cells(CONTAINER, ids["busy"])
            assert cells[0].endswith("%") and cells[1] not in ("-", "n/a")
            # pods: containerd 1.6 implements ListPodSandboxStats on Linux; either way the pod gets values
            p = tr.pod(pod_id)
            assert p is not None, tr.message(POD)
            assert p.memory and p.cpu is not None
        finally:
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)
