"""Real containerd log files: follow a container that prints a line every second; the previous attempt's log."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.logs import LogFollower, previous_log_path, read_tail
from tests.bed import specs

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(120)]


async def wait_state(c: CriClient, cid: str, state: int, timeout: float = 30.0) -> pb.ContainerStatus:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        st = (await c.container_status(cid)).status
        if st.state == state or loop.time() > end:
            return st
        await asyncio.sleep(0.1)


async def test_follow_live_container_log(containerd):
    name = f"logs-{uuid.uuid4().hex[:8]}"
    cfg = specs.pod_config(name, namespace="crit-logs", log_dir=containerd.log_dir / name)
    script = (
        'i=0; while true; do echo "tick $i [b]x[/b]"; '
        'if [ $((i % 3)) -eq 0 ]; then echo "warn $i" >&2; fi; '
        'printf "partial-"; sleep 0.2; echo "done $i"; i=$((i+1)); sleep 0.8; done'
    )
    async with CriClient(containerd.endpoint, timeout=20) as client:
        pod_id = await client.run_pod_sandbox(cfg)
        try:
            ccfg = specs.container_config(
                "ticker", containerd.shell_image, ["sh", "-c", script], log_path="ticker/0.log"
            )
            cid = await client.create_container(pod_id, ccfg, cfg)
            await client.start_container(cid)
            st = await wait_state(client, cid, pb.CONTAINER_RUNNING)
            assert st.state == pb.CONTAINER_RUNNING
            assert st.log_path == os.path.join(cfg.log_directory, "ticker/0.log")

            follower = LogFollower(st.log_path, tail_lines=100, interval=0.1, runtime_endpoint=containerd.endpoint)
            loop = asyncio.get_running_loop()
            end = loop.time() + 10
            first = None
            while loop.time() < end:
                try:
                    first = await follower.open()
                except Exception:
                    first = None
                if first and any(r.text.startswith("tick") for r in first.records):
                    break
                await asyncio.sleep(0.2)
            assert first is not None and first.records, "the container's log never appeared"
            seen = list(first.records)

            async def collect():
                async for batch in follower.follow():
                    seen.extend(batch)
                    if sum(r.text.startswith("tick") for r in seen) >= 4:
                        return

            await asyncio.wait_for(collect(), 20)
            follower.stop()
            follower.close()

            ticks = [r for r in seen if r.text.startswith("tick")]
            numbers = [int(r.text.split()[1]) for r in ticks]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))) and len(numbers) >= 4
            assert all(r.stream == "stdout" and r.time is not None and not r.bad for r in ticks)
            assert ticks[0].display() == f"tick {numbers[0]} [b]x[/b]"  # markup shown literally
            warns = [r for r in seen if r.text.startswith("warn")]
            assert warns and all(r.is_stderr for r in warns)
            # "partial-" is written without a newline, 0.2 s before "done N": whether containerd flushes it as a
            # P part or not, the joined record is one line
            assert any(r.text.startswith("partial-done ") for r in seen)
            assert not any(r.text == "partial-" for r in seen)
        finally:
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)


async def test_previous_attempt_log(containerd):
    name = f"prev-{uuid.uuid4().hex[:8]}"
    cfg = specs.pod_config(name, namespace="crit-logs", log_dir=containerd.log_dir / name)
    async with CriClient(containerd.endpoint, timeout=20) as client:
        pod_id = await client.run_pod_sandbox(cfg)
        try:
            ids = []
            for attempt in (0, 1):
                ccfg = specs.container_config(
                    "app",
                    containerd.shell_image,
                    ["sh", "-c", f"echo attempt {attempt}; echo oops {attempt} >&2"],
                    log_path=f"app/{attempt}.log",
                    attempt=attempt,
                )
                cid = await client.create_container(pod_id, ccfg, cfg)
                await client.start_container(cid)
                st = await wait_state(client, cid, pb.CONTAINER_EXITED)
                assert st.state == pb.CONTAINER_EXITED
                ids.append(cid)
            cur = (await client.container_status(ids[1])).status
            assert cur.metadata.attempt == 1
            prev = previous_log_path(cur.log_path, cur.metadata.attempt, container_name="app")
            assert prev == os.path.join(cfg.log_directory, "app/0.log")
            res = read_tail(prev, 10)
            assert [(r.stream, r.text) for r in res.records] == [("stdout", "attempt 0"), ("stderr", "oops 0")] or [
                (r.stream, r.text) for r in res.records
            ] == [("stderr", "oops 0"), ("stdout", "attempt 0")]
            assert {r.text for r in read_tail(cur.log_path, 10).records} == {"attempt 1", "oops 1"}
        finally:
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)
