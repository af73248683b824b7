"""Rows the panels are built from (crit.ui.panels.build over crit.model): the sandbox (pause) image counts its
pods in IN USE (issue 10 D), on the fixed node and on containerd."""

from __future__ import annotations

import json
import uuid

import pytest

from crit.cri.client import CriClient
from crit.model import NodeModel
from crit.model.poller import sandbox_image_of
from crit.render.rows import IMAGE_COLUMNS, in_use_text
from crit.ui.panels.build import RowBuilder
from tests.bed import specs
from tests.fixed_node import FixedNode

INUSE = next(i for i, c in enumerate(IMAGE_COLUMNS) if c.key == "inuse")
PAUSE = "sha256:" + "2" * 64
NGINX = "sha256:" + "1" * 64


def test_sandbox_image_of_status_info():
    assert (
        sandbox_image_of({"config": json.dumps({"sandboxImage": "localhost:5000/pause:3.9"})})
        == "localhost:5000/pause:3.9"
    )
    assert sandbox_image_of({"config": json.dumps({"containerd": {}})}) == ""
    assert sandbox_image_of({"config": "not json"}) == ""
    assert sandbox_image_of({}) == ""


def test_in_use_text():
    assert in_use_text(0, 0) == "" and in_use_text(2, 0) == "2"
    assert in_use_text(0, 13) == "13 pods" and in_use_text(0, 1) == "1 pod"
    assert in_use_text(1, 13) == "1+13p"
    assert max(len(in_use_text(0, n)) for n in (1, 99, 999)) <= next(
        c.max_width for c in IMAGE_COLUMNS if c.key == "inuse"
    )


async def _image_cells(client) -> dict[str, tuple]:
    model = NodeModel(client, 60.0, fetch_details=False)
    builder = RowBuilder(model)
    out: dict[str, tuple] = {}

    def on_change(changes):
        for row in builder.build(changes)[2][0]:
            out[row.key] = row.cells

    model.on_change = on_change
    try:
        assert await model.refresh_once()
    finally:
        await model.close()
    return out


class NamedSandboxNode(FixedNode):
    """The fixed node whose runtime names its sandbox image in Status(verbose), as containerd does."""

    def __init__(self, sandbox_image: str) -> None:
        super().__init__()
        self.sandbox_image = sandbox_image

    async def status(self, verbose=False):
        resp = await super().status(verbose)
        if verbose:
            resp.info["config"] = json.dumps({"sandboxImage": self.sandbox_image})
        return resp


async def test_pause_image_in_use_by_every_pod_fixed_node():
    # the fixed node does not name its sandbox image: the pinned image named pause is the one
    cells = await _image_cells(FixedNode())
    assert cells[PAUSE][INUSE] == "2 pods"
    assert cells[NGINX][INUSE] == "2"  # two containers


async def test_sandbox_image_named_by_the_runtime():
    node = NamedSandboxNode("localhost:5000/library/nginx:1.25.3")
    cells = await _image_cells(node)
    assert cells[NGINX][INUSE] == "2+2p"  # its two containers and both pods
    assert cells[PAUSE][INUSE] == ""  # pinned and named pause, but the runtime said which image it runs


@pytest.mark.containerd
@pytest.mark.timeout(180)
async def test_pause_image_in_use_on_containerd(containerd):
    name = f"inuse-{uuid.uuid4().hex[:6]}"
    cfg = specs.pod_config(name, namespace="crit-inuse", log_dir=containerd.log_dir / name)
    async with CriClient(containerd.endpoint, timeout=30) as client:
        pod_id = await client.run_pod_sandbox(cfg)
        try:
            pods = await client.list_pod_sandbox()
            cells = await _image_cells(client)
            pause = next(
                iid
                for iid, img in ((i.id, i) for i in await client.list_images())
                if containerd.pause_image in img.repo_tags
            )
            n = len(pods)
            assert cells[pause][INUSE] == (f"{n} pods" if n > 1 else "1 pod"), cells[pause]
        finally:
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)
