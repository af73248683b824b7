"""End-to-end: the main screen against a real containerd (the test bed), driven by Textual's Pilot.

Another client creates and removes pods and containers; the panels must follow within two refreshes, show
names, states, images and exit codes, and keep the cursor on the same row.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.options import Options
from crit.ui.app import CritApp
from tests.bed import specs
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(240)]

REFRESH = 1.0
SLACK = 1.5  # a 2-core machine shared with other test runs: allow some scheduling delay on top


def Opts() -> Options:
    return Options(refresh=REFRESH)


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def test_panels_follow_containerd(containerd):
    other = CriClient(containerd.endpoint, timeout=30)
    ui_client = CriClient(containerd.endpoint, timeout=10)
    opts = Opts()
    opts.runtime_endpoint = containerd.endpoint
    pod_name = unique("e2e-web")
    cfg = specs.pod_config(pod_name, namespace="crit-ui", log_dir=containerd.log_dir / pod_name)
    pod_id = await other.run_pod_sandbox(cfg)
    runner = await other.create_container(
        pod_id,
        specs.container_config("runner", containerd.shell_image, ["sh", "-c", "exec sleep 600"], log_path="runner.log"),
        cfg,
    )
    await other.start_container(runner)
    failer = await other.create_container(
        pod_id,
        specs.container_config("failer", containerd.shell_image, ["sh", "-c", "exit 3"], log_path="failer.log"),
        cfg,
    )
    await other.start_container(failer)
    for _ in range(200):
        if (await other.container_status(failer)).status.state == pb.CONTAINER_EXITED:
            break
        await asyncio.sleep(0.05)

    app = CritApp(ui_client, opts)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await asyncio.wait_for(app.first_frame.wait(), 20)
            main = app.main
            pods, ctrs, imgs = (main.panels[k].table for k in ("pods", "containers", "images"))
            # exit code of the exited container comes from ContainerStatus (fetched in the background)
            await wait_for(lambda: failer in ctrs.rows and ctrs.rows[failer].cells[7] == "3", 10)
            await pilot.pause()
            text = screen_text(app)
            assert pod_name in text and "crit-ui" in text and "Ready" in text
            assert "runner" in text and "failer" in text and "Running" in text and "Exited" in text
            assert containerd.shell_image.split(":")[0] in text  # the image name users wrote, not a sha
            assert "containerd" in text and "RuntimeReady" in text  # header
            row = ctrs.rows[failer]
            assert row.cells[4] == "Exited" and row.cells[7] == "3" and row.cells[2] == pod_name
            assert ctrs.rows[runner].cells[3] == containerd.shell_image

            # the cursor sits on our pod; a pod created by the other client appears within two refreshes
            assert pods.move_cursor_to_key(pod_id)
            second = unique("e2e-new")
            cfg2 = specs.pod_config(second, namespace="crit-ui", log_dir=containerd.log_dir / second)
            t0 = asyncio.get_running_loop().time()
            pod2 = await other.run_pod_sandbox(cfg2)
            created_in = asyncio.get_running_loop().time() - t0
            await wait_for(lambda: pod2 in pods.rows, 2 * REFRESH + SLACK + created_in)
            assert pods.cursor_key == pod_id  # the cursor stayed on the same row
            await pilot.pause()
            assert second in screen_text(app)

            # removed by the other client: gone within two refreshes, cursor still on our pod
            await other.stop_pod_sandbox(pod2)
            await other.remove_pod_sandbox(pod2)
            await wait_for(lambda: pod2 not in pods.rows, 2 * REFRESH + SLACK)
            assert pods.cursor_key == pod_id
            await pilot.pause()
            assert second not in screen_text(app)

            # enter on the pod scopes the containers panel to it
            await pilot.press("1", "enter")
            assert set(ctrs.view_keys) == {runner, failer}
            await pilot.press("escape")
            assert main.panels["containers"].scope_pod is None

            # describe shows the verbose status as YAML
            await pilot.press("2")
            assert ctrs.move_cursor_to_key(failer)
            await pilot.press("d")
            await wait_for(lambda: "exit_code: 3" in app.screen.query_one("TextArea").text, 10)
            await pilot.press("escape")
            # y shows the crictl config the runtime kept
            await pilot.press("y")
            await wait_for(
                lambda: (
                    "failer" in app.screen.query_one("TextArea").text
                    and "command" in app.screen.query_one("TextArea").text
                ),
                10,
            )
            # it is crictl's format: our crictl-format loader (strict about keys) takes it back
            from crit.cri import spec

            cfg = spec.loads(app.screen.query_one("TextArea").text, pb.ContainerConfig)
            assert cfg.metadata.name == "failer" and list(cfg.command) == ["sh", "-c", "exit 3"]
            assert cfg.image.image == containerd.shell_image and cfg.log_path == "failer.log"
            await pilot.press("escape")
            # and the pod's config too
            await pilot.press("1")
            assert pods.move_cursor_to_key(pod_id)
            await pilot.press("y")
            await wait_for(lambda: pod_name in app.screen.query_one("TextArea").text, 10)
            pcfg = spec.loads(app.screen.query_one("TextArea").text, pb.PodSandboxConfig)
            assert pcfg.metadata.name == pod_name and pcfg.metadata.namespace == "crit-ui"
            await pilot.press("escape", "2")
            assert ctrs.move_cursor_to_key(failer)

            # remove the exited container through the UI (with confirmation)
            await pilot.press("ctrl+d")
            await pilot.pause()
            assert "Remove container " in screen_text(app) and "(id " in screen_text(app)
            await pilot.press("y")
            await wait_for(lambda: failer not in ctrs.rows, 10)
            ids = {c.id for c in await other.list_containers(pod_id=pod_id)}
            assert failer not in ids and runner in ids
    finally:
        await other.stop_pod_sandbox(pod_id)
        await other.remove_pod_sandbox(pod_id)
        await other.close()
        await ui_client.close()


async def test_pull_through_the_dialog(containerd, registry):
    ui_client = CriClient(containerd.endpoint, timeout=30)
    other = CriClient(containerd.endpoint, timeout=30)
    try:
        await other.remove_image(registry.pull_ref)
    except Exception:
        pass
    opts = Opts()
    opts.runtime_endpoint = containerd.endpoint
    app = CritApp(ui_client, opts)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await asyncio.wait_for(app.first_frame.wait(), 20)
            imgs = app.main.panels["images"].table
            assert not any(registry.pull_ref in r.obj.repo_tags for r in imgs.rows.values())
            await pilot.press("p")
            await pilot.pause()
            await pilot.press(*registry.pull_ref, "enter")
            await wait_for(lambda: any(registry.pull_ref in r.obj.repo_tags for r in imgs.rows.values()), 60)
            key = next(k for k, r in imgs.rows.items() if registry.pull_ref in r.obj.repo_tags)
            await wait_for(lambda: imgs.cursor_key == key, 5)  # the pulled image is selected
            assert app.focused is imgs
            # and removed again through the UI, with confirmation
            await pilot.press("ctrl+d")
            await pilot.pause()
            assert "Remove image " + registry.pull_ref.rsplit(":", 1)[0] in screen_text(app)
            await pilot.press("y")
            await wait_for(lambda: key not in imgs.rows, 20)
            assert not any(registry.pull_ref in i.repo_tags for i in await other.list_images())
    finally:
        await other.close()
        await ui_client.close()
