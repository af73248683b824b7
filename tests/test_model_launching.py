"""crit.model.launching without Textual, against the embedded node: run a pod, run a container into a new or an
existing pod, and every partial failure with its sentence (nothing created; the new pod kept; a container that
does not start left as it is)."""

from __future__ import annotations

import pytest

from crit.cri.client import CriClient
from crit.cri.errors import CriError
from crit.cri.pb import api_pb2 as pb
from crit.model.launch import ContainerForm, PodForm
from crit.model.launching import LaunchFailed, launch_container, launch_pod, sandbox_config_of

SHELL = "localhost:5000/crit-test/busybox:1.0"


@pytest.fixture
async def client(tmp_path):
    from crit.node.serve import Node

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as n:
        c = CriClient(n.endpoint, timeout=10)
        try:
            yield c
        finally:
            await c.close()


def pod_form(name: str = "web") -> PodForm:
    return PodForm(name=name, network="node")


def ctr_form(name: str = "app", image: str = SHELL, **kw) -> ContainerForm:
    kw.setdefault("command", "sleep 3600")
    return ContainerForm(name=name, image=image, **kw)


async def pod_ids(client: CriClient) -> set[str]:
    return {p.id for p in await client.list_pod_sandbox()}


async def test_launch_pod(client):
    steps: list[str] = []
    pod_id = await launch_pod(client, pod_form(), steps.append)
    assert steps == ["Creating pod web"]
    st = (await client.pod_sandbox_status(pod_id)).status
    assert st.metadata.name == "web" and st.state == pb.SANDBOX_READY


async def test_launch_pod_refused_by_the_runtime(client):
    form = PodForm(name="dup", uid="same-uid", network="node")
    await launch_pod(client, form)
    with pytest.raises(LaunchFailed) as err:
        await launch_pod(client, form)
    assert str(err.value).startswith("Creating pod dup failed: ")
    assert err.value.created_pod is None


async def test_launch_container_in_a_new_pod(client):
    steps: list[str] = []
    done = await launch_container(client, ctr_form(), pod_form=pod_form("bp"), progress=steps.append)
    assert steps == [f"Checking image {SHELL}", "Creating pod bp", "Creating container app", "Starting container app"]
    assert done.started and done.name == "app"
    assert done.message == f"Container app started: {done.container_id} (in new pod bp {done.pod_id})"
    st = (await client.container_status(done.container_id)).status
    assert st.state == pb.CONTAINER_RUNNING
    assert (await client.pod_sandbox_status(done.pod_id)).status.metadata.name == "bp"


async def test_launch_container_into_an_existing_pod(client):
    pod_id = await launch_pod(client, pod_form())
    steps: list[str] = []
    done = await launch_container(client, ctr_form(), pod_id=pod_id, progress=steps.append)
    assert "Reading the pod's config" in steps
    assert done.started and done.pod_id == pod_id
    assert done.message == f"Container app started: {done.container_id}"
    # a known config skips the read
    steps.clear()
    cfg = await sandbox_config_of(client, pod_id)
    assert cfg.metadata.name == "web"
    done2 = await launch_container(client, ctr_form("two"), pod_id=pod_id, pod_config=cfg, progress=steps.append)
    assert "Reading the pod's config" not in steps and done2.started


async def test_missing_image_without_pull_creates_nothing(client):
    before = await pod_ids(client)
    image = "localhost:5000/crit-test/not-here:1.0"
    with pytest.raises(LaunchFailed) as err:
        await launch_container(client, ctr_form(image=image, pull_if_missing=False), pod_form=pod_form())
    assert str(err.value) == (
        f'Image {image} is not on the node: tick "Pull image if missing" or pull it first (p); nothing was created.'
    )
    assert await pod_ids(client) == before


async def test_failed_pull_creates_nothing(client):
    before = await pod_ids(client)
    image = "registry.invalid/missing:1.0"
    with pytest.raises(LaunchFailed) as err:
        await launch_container(client, ctr_form(image=image, pull_if_missing=True), pod_form=pod_form())
    assert str(err.value).startswith(f"Pulling {image} failed, nothing was created: ")
    assert await pod_ids(client) == before


class CreateFails:
    """The real client, except that CreateContainer fails the way a runtime refuses it."""

    def __init__(self, client: CriClient) -> None:
        self.client = client
        self.image_status = client.image_status
        self.pull_image = client.pull_image
        self.run_pod_sandbox = client.run_pod_sandbox
        self.pod_sandbox_status = client.pod_sandbox_status
        self.start_container = client.start_container

    async def create_container(self, pod_id: str, config: pb.ContainerConfig, sandbox: pb.PodSandboxConfig) -> str:
        raise CriError("CreateContainer failed: the runtime refused the config.")


async def test_create_failing_in_a_new_pod_keeps_the_pod_and_says_so(client):
    before = await pod_ids(client)
    with pytest.raises(LaunchFailed) as err:
        await launch_container(CreateFails(client), ctr_form(), pod_form=pod_form("kept"))
    kept = err.value.created_pod
    assert kept is not None and kept.form.name == "kept" and kept.config.metadata.name == "kept"
    assert await pod_ids(client) == before | {kept.id}  # one new pod, no container in it
    assert not await client.list_containers(pod_id=kept.id)
    assert str(err.value) == (
        f"Pod kept ({kept.id[:13]}) was created, but creating container app failed: CreateContainer failed: the "
        f"runtime refused the config. The pod is left as the runtime left it; this form now targets it, so fix the "
        f"container and submit again."
    )
    # submitting again into the kept pod (its config known) creates no second pod
    done = await launch_container(client, ctr_form(), pod_id=kept.id, pod_config=kept.config)
    assert done.started and done.pod_id == kept.id
    assert await pod_ids(client) == before | {kept.id}


async def test_create_failing_in_an_existing_pod(client):
    pod_id = await launch_pod(client, pod_form())
    with pytest.raises(LaunchFailed) as err:
        await launch_container(CreateFails(client), ctr_form(), pod_id=pod_id)
    assert str(err.value) == "Creating container app failed: CreateContainer failed: the runtime refused the config."
    assert err.value.created_pod is None


async def test_reading_an_unknown_pod_creates_nothing(client):
    with pytest.raises(LaunchFailed) as err:
        await launch_container(client, ctr_form(), pod_id="f" * 64)
    assert str(err.value).startswith(f"Reading pod {'f' * 13} failed, nothing was created: ")


async def test_container_that_does_not_start_is_left_as_it_is(client):
    done = await launch_container(client, ctr_form("broken", command="/no/such/binary"), pod_form=pod_form("bp"))
    assert not done.started
    assert done.message.startswith(f"Container broken ({done.container_id[:13]}) was created but failed to start: ")
    assert done.message.endswith("It is left as the runtime left it.")
    st = (await client.container_status(done.container_id)).status
    assert st.state in (pb.CONTAINER_CREATED, pb.CONTAINER_EXITED)
