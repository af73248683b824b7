"""The model holds one GetContainerEvents subscription and fans every event out to whoever listens (without
Textual): two listeners on :attr:`NodeModel.events` both see a container's lifecycle, the runtime is subscribed to
once, and a listener that unsubscribes hears nothing more."""

from __future__ import annotations

import asyncio

import pytest

from crit.cri.client import CriClient
from crit.model import NodeModel
from crit.model.events import Event
from crit.model.launch import ContainerForm, PodForm
from crit.model.launching import launch_container
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(60)]

SHELL = "localhost:5000/crit-test/busybox:1.0"


class CountingClient(CriClient):
    """Counts the GetContainerEvents subscriptions opened."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.opened = 0

    def get_container_events(self):
        self.opened += 1
        return super().get_container_events()


@pytest.fixture
async def client(tmp_path):
    from crit.node.serve import Node

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as n:
        c = CountingClient(n.endpoint, timeout=10)
        try:
            yield c
        finally:
            await c.close()


async def test_two_listeners_one_subscription(client):
    model = NodeModel(client, 0.1, fetch_details=False)
    task = asyncio.ensure_future(model.run())
    first: list[Event | None] = []
    second: list[Event | None] = []
    model.events.subscribe(first.append)
    model.events.subscribe(second.append)
    try:
        await wait_for(lambda: model.events.mode == "stream", 10, "the model's stream")
        done = await launch_container(
            client,
            ContainerForm(name="fan", image=SHELL, command="sleep 60"),
            pod_form=PodForm(name="fanpod", network="node"),
        )

        def started(seen: list[Event | None]) -> bool:
            return any(e is not None and e.obj_id == done.container_id and e.kind == "started" for e in seen)

        await wait_for(lambda: started(first) and started(second), 10, "both listeners told of the start")
        assert [e for e in first if e is not None] == [e for e in second if e is not None]
        assert client.opened == 1

        model.events.unsubscribe(second.append)
        heard = len(second)
        await client.stop_container(done.container_id, 0)
        await wait_for(
            lambda: any(e is not None and e.obj_id == done.container_id and e.kind == "stopped" for e in first),
            10,
            "the first listener told of the stop",
        )
        assert len(second) == heard
        assert client.opened == 1
    finally:
        await model.close()
        task.cancel()
