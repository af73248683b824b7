"""crit.model.kinds without Textual: one ResourceKind per kind — names, aliases, capabilities, how a row is named,
what the confirmations say, and the order of the calls a stop or a removal makes (against a small fake client)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.model import kinds
from crit.model.kinds import CONTAINERS, IMAGES, KINDS, PODS, STOP_TIMEOUT, Describer, Remover, Stopper
from crit.model.stats import CONTAINER, POD
from crit.render.rows import CONTAINER_COLUMNS, IMAGE_COLUMNS, POD_COLUMNS, USAGE_COLUMNS

POD_ID, CTR_ID, IMG_ID = "p" * 64, "c" * 64, "sha256:" + "1" * 64


@dataclass
class FakeRow:
    key: str
    cells: tuple[Any, ...]
    obj: Any


class FakeClient:
    """Records the calls the kinds make, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def pod_sandbox_status(self, pod_id: str, verbose: bool = False) -> Any:
        self.calls.append(("pod_sandbox_status", pod_id, verbose))
        return pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=pod_id))

    async def stop_pod_sandbox(self, pod_id: str) -> None:
        self.calls.append(("stop_pod_sandbox", pod_id))

    async def remove_pod_sandbox(self, pod_id: str) -> None:
        self.calls.append(("remove_pod_sandbox", pod_id))

    async def container_status(self, container_id: str, verbose: bool = False) -> Any:
        self.calls.append(("container_status", container_id, verbose))
        return pb.ContainerStatusResponse(status=pb.ContainerStatus(id=container_id))

    async def stop_container(self, container_id: str, timeout: int = 0) -> None:
        self.calls.append(("stop_container", container_id, timeout))

    async def remove_container(self, container_id: str) -> None:
        self.calls.append(("remove_container", container_id))

    async def image_status(self, image: str, verbose: bool = False) -> Any:
        self.calls.append(("image_status", image, verbose))
        return pb.ImageStatusResponse()

    async def remove_image(self, image: str) -> None:
        self.calls.append(("remove_image", image))


def pod(ready: bool = True, name: str = "web", namespace: str = "default") -> Any:
    return pb.PodSandbox(
        id=POD_ID,
        metadata=pb.PodSandboxMetadata(name=name, namespace=namespace),
        state=pb.SANDBOX_READY if ready else pb.SANDBOX_NOTREADY,
    )


def container(running: bool = True, name: str = "nginx") -> Any:
    return pb.Container(
        id=CTR_ID,
        metadata=pb.ContainerMetadata(name=name),
        state=pb.CONTAINER_RUNNING if running else pb.CONTAINER_EXITED,
    )


def ctr_row(running: bool = True, pod_cell: str = "web") -> FakeRow:
    return FakeRow(CTR_ID, (CTR_ID[:13], "nginx", pod_cell), container(running))


# ---------------------------------------------------------------------------------------------- the registry


def test_registry_order_names_and_aliases():
    assert [k.name for k in KINDS] == ["pods", "containers", "images"]
    assert [(k.singular, k.title) for k in KINDS] == [("pod", "Pods"), ("container", "Containers"), ("image", "Images")]
    for word, kind in {
        "pods": PODS,
        "po": PODS,
        "pod": PODS,
        "containers": CONTAINERS,
        "ctr": CONTAINERS,
        "container": CONTAINERS,
        "images": IMAGES,
        "img": IMAGES,
        "image": IMAGES,
        "PO": PODS,
    }.items():
        assert kinds.lookup(word) is kind, word
    assert kinds.lookup("events") is None and kinds.lookup("") is None
    assert kinds.by_name("containers") is CONTAINERS
    with pytest.raises(KeyError):
        kinds.by_name("po")  # names only: aliases are for the `:` command


def test_columns_namespaces_and_statistics_come_from_one_place():
    assert PODS.columns == POD_COLUMNS + USAGE_COLUMNS
    assert CONTAINERS.columns == CONTAINER_COLUMNS + USAGE_COLUMNS
    assert IMAGES.columns == IMAGE_COLUMNS
    assert (PODS.namespaced, CONTAINERS.namespaced, IMAGES.namespaced) == (True, True, False)
    assert (PODS.stats_kind, CONTAINERS.stats_kind, IMAGES.stats_kind) == (POD, CONTAINER, None)


def test_capabilities():
    """Every kind describes and removes; images cannot be stopped."""
    for kind in KINDS:
        assert isinstance(kind, Describer) and isinstance(kind, Remover)
    assert PODS.can_stop and CONTAINERS.can_stop and not IMAGES.can_stop
    assert isinstance(PODS, Stopper) and not isinstance(IMAGES, Stopper)


# ---------------------------------------------------------------------------------------------- naming


def test_rows_are_named_sanitised():
    row = FakeRow(POD_ID, (), pod(name="web\x1b[31m", namespace="kube-system"))
    assert PODS.describe_row(row) == "pod web^[[31m (namespace kube-system, id ppppppppppppp)"
    assert CONTAINERS.describe_row(ctr_row(pod_cell="web")) == "container nginx in pod web (id ccccccccccccc)"
    tagged = FakeRow(IMG_ID, (), pb.Image(id=IMG_ID, repo_tags=["r/a:1", "r/a:2"]))
    assert IMAGES.describe_row(tagged) == "image r/a:1 (1 more tag, id 1111111111111)"
    assert IMAGES.file_name(tagged.obj) == "a" and PODS.file_name(row.obj) == "web\x1b[31m"


def test_confirmation_texts():
    one = FakeRow(POD_ID, (), pod())
    q, items, note, warning = PODS.confirmation("stop", [one], {POD_ID: (2, 3)}, {})
    assert q == "Stop pod web (namespace default, id ppppppppppppp)?" and items == [] and warning == ""
    assert note == "Its 2 running containers stop too."
    assert CONTAINERS.confirmation("stop", [ctr_row()], {}, {}).note == (
        f"It gets {STOP_TIMEOUT} s to exit after the stop signal, then is killed."
    )
    assert CONTAINERS.confirmation("remove", [ctr_row(), ctr_row(False)], {}, {}) == (
        "Remove 2 containers?",
        ["container nginx in pod web (id ccccccccccccc)"] * 2,
        "1 of them is running and stopped first.",
        "",
    )
    img = FakeRow(IMG_ID, (), pb.Image(id=IMG_ID, repo_tags=["r/pause:3.9"], pinned=True))
    assert IMAGES.confirmation("remove", [img], {}, {IMG_ID: 1}).warning == (
        "It is pinned (the runtime's sandbox image?): new pods may not start without it, and it may not be "
        "possible to pull it back. 1 container uses it; removal will fail or break it."
    )


def test_nothing_to_stop_only_for_containers_that_do_not_run():
    assert isinstance(CONTAINERS, Stopper) and isinstance(PODS, Stopper)
    assert CONTAINERS.nothing_to_stop([ctr_row(True), ctr_row(False)]) is None
    assert CONTAINERS.nothing_to_stop([ctr_row(False)]) == (
        "Container nginx in pod web (id ccccccccccccc) is not running: there is nothing to stop."
    )
    assert CONTAINERS.nothing_to_stop([ctr_row(False)] * 3) == (
        "None of the 3 marked containers is running: there is nothing to stop."
    )
    assert PODS.nothing_to_stop([FakeRow(POD_ID, (), pod(ready=False))]) is None  # a pod is stopped all the same


# ---------------------------------------------------------------------------------------------- stop / remove


@pytest.mark.parametrize(
    ("kind", "verb", "obj", "calls"),
    [
        (PODS, "stop", pod(True), [("stop_pod_sandbox", POD_ID)]),
        (PODS, "remove", pod(True), [("stop_pod_sandbox", POD_ID), ("remove_pod_sandbox", POD_ID)]),
        (PODS, "remove", pod(False), [("remove_pod_sandbox", POD_ID)]),
        (CONTAINERS, "stop", container(True), [("stop_container", CTR_ID, STOP_TIMEOUT)]),
        (
            CONTAINERS,
            "remove",
            container(True),
            [("stop_container", CTR_ID, STOP_TIMEOUT), ("remove_container", CTR_ID)],
        ),
        (CONTAINERS, "remove", container(False), [("remove_container", CTR_ID)]),
        (IMAGES, "remove", pb.Image(id=IMG_ID), [("remove_image", IMG_ID)]),
    ],
    ids=lambda v: getattr(v, "name", None) or (v if isinstance(v, str) else ""),
)
async def test_stop_and_remove_calls_in_order(kind, verb, obj, calls):
    """A removal stops first what the runtime needs stopped (a ready pod, a running container)."""
    client = FakeClient()
    await kind.act(verb, client, obj)
    assert client.calls == calls


async def test_an_image_cannot_be_stopped():
    client = FakeClient()
    with pytest.raises(ValueError, match="Images cannot be stopped"):
        await IMAGES.act("stop", client, pb.Image(id=IMG_ID))
    assert client.calls == []


# ---------------------------------------------------------------------------------------------- describe / config


async def test_status_calls_and_the_status_part():
    client = FakeClient()
    for kind, obj_id in ((PODS, POD_ID), (CONTAINERS, CTR_ID), (IMAGES, IMG_ID)):
        resp = await kind.status(client, obj_id, verbose=True)
        if kind is IMAGES:
            assert kind.status_of(resp) is None and kind.config(resp) is None  # the runtime no longer knows it
        else:
            assert kind.status_of(resp).id == obj_id
    assert [c[0] for c in client.calls] == ["pod_sandbox_status", "container_status", "image_status"]
    assert all(c[2] is True for c in client.calls)


def test_config_from_verbose_info_or_rebuilt_from_status():
    cfg = {"config": {"metadata": {"name": "web", "namespace": "default"}, "hostname": "h"}}
    resp = pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=POD_ID), info={"info": json.dumps(cfg)})
    found = PODS.config(resp)
    assert found is not None and found.note == "" and found.message.hostname == "h"
    status = pb.ContainerStatus(
        id=CTR_ID, metadata=pb.ContainerMetadata(name="nginx"), log_path="/var/log/pods/x/nginx/0.log"
    )
    rebuilt = CONTAINERS.config(pb.ContainerStatusResponse(status=status))
    assert rebuilt is not None and rebuilt.message.log_path == "0.log" and rebuilt.message.metadata.name == "nginx"
    assert rebuilt.note.startswith("# reconstructed from the container's status:")
    img = pb.ImageStatusResponse(
        image=pb.Image(id=IMG_ID, repo_digests=["r/a@sha256:" + "2" * 64]),
        info={"info": json.dumps({"imageSpec": {"os": "linux"}})},
    )
    ref = "r/a@sha256:" + "2" * 64
    assert IMAGES.config(img) == (None, {"image": {"image": ref}, "image_spec": {"os": "linux"}}, "")
