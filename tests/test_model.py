"""Unit tests of crit.model: keyed diffs, caches, backoff and reconnect (a scripted client stands in for the runtime;
the same model runs against the embedded node and containerd in tests/test_ui_*.py)."""

from __future__ import annotations

import asyncio

from crit.cri.pb import api_pb2 as pb
from crit.model import Changes, Diff, KeyedStore, NodeModel


def pod(i, state=0):
    return pb.PodSandbox(
        id=f"p{i:063x}",
        metadata=pb.PodSandboxMetadata(name=f"pod{i}", namespace="ns", uid=f"u{i}"),
        state=state,
        created_at=1,
    )


def ctr(i, pod_i=0, state=1):
    return pb.Container(
        id=f"c{i:063x}",
        pod_sandbox_id=f"p{pod_i:063x}",
        metadata=pb.ContainerMetadata(name=f"c{i}"),
        state=state,
        image=pb.ImageSpec(image="localhost:5000/busybox:1"),
        created_at=1,
    )


def test_keyed_store_diff():
    store = KeyedStore()
    d = store.apply([pod(1), pod(2)])
    assert d.added == {pod(1).id, pod(2).id} and not d.removed and not d.updated
    d = store.apply([pod(1), pod(2)])
    assert not d
    d = store.apply([pod(2, state=1), pod(3)])
    assert d.added == {pod(3).id} and d.removed == {pod(1).id} and d.updated == {pod(2).id}


def test_diff_merge():
    a = Diff(added={"x"}, updated={"y"})
    a.merge(Diff(removed={"x", "y"}, added={"z"}))
    assert a.added == {"z"} and a.removed == {"y"} and not a.updated


class ScriptedClient:
    """Answers like a runtime; `down` makes every call fail like a vanished socket."""

    def __init__(self):
        self.pods = [pod(1)]
        self.containers = [ctr(1), ctr(2, state=2)]
        self.images = [pb.Image(id="sha256:" + "a" * 64, repo_tags=["localhost:5000/busybox:1"], size=1000)]
        self.down = False
        self.status_calls = 0
        self.events: asyncio.Queue = asyncio.Queue()

    def _check(self):
        if self.down:
            raise ConnectionError("the runtime socket /tmp/x.sock does not exist")

    async def version(self):
        self._check()
        return pb.VersionResponse(runtime_name="scripted", runtime_version="1.0", runtime_api_version="v1")

    async def status(self, verbose=False):
        self._check()
        return pb.StatusResponse(
            status=pb.RuntimeStatus(
                conditions=[
                    pb.RuntimeCondition(type="RuntimeReady", status=True),
                    pb.RuntimeCondition(type="NetworkReady", status=False, reason="NoCNI", message="no cni"),
                ]
            )
        )

    async def list_pod_sandbox(self, *a, **k):
        self._check()
        return list(self.pods)

    async def list_containers(self, *a, **k):
        self._check()
        return list(self.containers)

    async def list_images(self, *a, **k):
        self._check()
        return list(self.images)

    async def container_status(self, cid, verbose=False):
        self._check()
        self.status_calls += 1
        return pb.ContainerStatusResponse(status=pb.ContainerStatus(id=cid, exit_code=3, reason="Error"))

    async def pod_sandbox_status(self, pid, verbose=False):
        self._check()
        return pb.PodSandboxStatusResponse(
            status=pb.PodSandboxStatus(id=pid, network=pb.PodSandboxNetworkStatus(ip="10.0.0.7"))
        )

    async def get_container_events(self):
        while True:
            item = await self.events.get()
            yield item


async def test_refresh_diffs_and_caches():
    client = ScriptedClient()
    seen: list[Changes] = []
    model = NodeModel(client, 0.1, on_change=seen.append)
    assert await model.refresh_once()
    assert seen[0].full and len(seen[0].containers.added) == 2
    assert model.state.runtime_name == "scripted" and model.state.conditions[1].reason == "NoCNI"
    for _ in range(50):
        await asyncio.sleep(0.01)
        if ctr(2).id in model.exit_info and pod(1).id in model.pod_ip:
            break
    assert model.exit_info[ctr(2).id].exit_code == 3
    assert model.pod_ip[pod(1).id] == "10.0.0.7"
    # cached: a second cycle fetches no status again
    calls = client.status_calls
    seen.clear()
    assert await model.refresh_once()
    await asyncio.sleep(0.05)
    assert client.status_calls == calls
    assert not seen  # nothing changed, nothing emitted
    client.containers = [ctr(1, state=2)]
    assert await model.refresh_once()
    assert seen[-1].containers.removed == {ctr(2).id} and seen[-1].containers.updated == {ctr(1).id}
    assert ctr(2).id not in model.exit_info
    await model.close()


async def test_disconnect_backoff_and_resume():
    client = ScriptedClient()
    states = []
    model = NodeModel(client, 0.4, on_state=lambda s: states.append((s.connected, s.reason)))
    task = asyncio.ensure_future(model.run())
    await asyncio.wait_for(model.first_snapshot.wait(), 2)
    client.down = True
    model.request_refresh()
    for _ in range(100):
        await asyncio.sleep(0.02)
        if not model.state.connected:
            break
    assert not model.state.connected and "does not exist" in model.state.reason
    assert model.pods.items  # stale data kept
    await asyncio.sleep(1.0)
    assert model.state.failures >= 3  # retried with backoff
    client.down = False
    t0 = asyncio.get_running_loop().time()
    while not model.state.connected:
        await asyncio.sleep(0.02)
        assert asyncio.get_running_loop().time() - t0 < 0.4 + 0.3, "did not resume within one interval"
    await model.close()
    task.cancel()


async def test_event_triggers_refresh():
    client = ScriptedClient()
    model = NodeModel(client, 30)  # polling alone would not refresh during this test
    task = asyncio.ensure_future(model.run())
    await asyncio.wait_for(model.first_snapshot.wait(), 2)
    await asyncio.sleep(0.3)
    assert model.state.events == "unknown"  # open, but not known to work before an event or another refresh
    client.pods = [pod(1), pod(9)]
    await client.events.put(pb.ContainerEventResponse(container_id="x"))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if pod(9).id in model.pods.items:
            break
    assert pod(9).id in model.pods.items
    assert model.state.events == "streaming"  # an event arrived: it works
    await model.close()
    task.cancel()
