"""The launch forms inside the real app (CritApp) on the embedded node: ``n``, type a name, ``ctrl+s`` → the pod is
selected in the Pods panel; ``r`` with image and command, ``ctrl+s`` → a running container in that pod, selected in
the Containers panel; ``:new pod`` / ``:run``; ``crit new pod --from FILE`` opens the form prefilled; readonly
refuses the keys."""

from __future__ import annotations

import pytest

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.forms import NewContainerScreen, NewPodScreen
from tests.test_forms import SHELL, fill
from tests.ui_helpers import notifications
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def Opts(endpoint: str, readonly: bool = False, **kw) -> Options:
    return Options(runtime_endpoint=endpoint, readonly=readonly, refresh=0.5, **kw)


@pytest.fixture
async def node(tmp_path):
    from crit.node.serve import Node

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as n:
        yield n


def cursor_key(app, kind: str) -> str | None:
    row = app.main.panels[kind].table.cursor_row
    return row.key if row is not None else None


async def test_n_then_r_creates_pod_and_running_container_selected(node):
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(app.first_frame.is_set)
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            await pilot.press(*"web1")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=20)
            pods = await client.list_pod_sandbox()
            assert [p.metadata.name for p in pods] == ["web1"]
            pod_id = pods[0].id
            # selected in the Pods panel, and the notification names the id
            await wait_for(lambda: cursor_key(app, "pods") == pod_id, timeout=10)
            assert app.main.focused_kind == "pods"
            assert any(pod_id in n for n in notifications(app))

            await pilot.press("r")
            await wait_for(lambda: isinstance(app.screen, NewContainerScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            assert scr.target == pod_id  # into the selected pod
            await pilot.press(*"app")
            await fill(pilot, scr, "f-image", SHELL)
            await fill(pilot, scr, "f-command", "sleep 600")
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=20)
            ctrs = await client.list_containers()
            assert len(ctrs) == 1 and ctrs[0].pod_sandbox_id == pod_id
            assert ctrs[0].state == pb.CONTAINER_RUNNING
            await wait_for(lambda: cursor_key(app, "containers") == ctrs[0].id, timeout=10)
            assert app.main.focused_kind == "containers"
    finally:
        for p in await client.list_pod_sandbox():
            await client.stop_pod_sandbox(p.id)
            await client.remove_pod_sandbox(p.id)
        await client.close()


async def test_commands_open_the_forms(node):
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(app.first_frame.is_set)
            app.run_command(":new pod")
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            await wait_for(lambda: app.screen.focused is not None)
            await pilot.press("escape")
            await wait_for(lambda: app.screen is app.main)
            app.run_command(":run")
            await wait_for(lambda: isinstance(app.screen, NewContainerScreen))
            await wait_for(lambda: app.screen.focused is not None)
            assert app.screen.target == "__new_pod__"  # no pod selected: a new pod in the same screen
            await pilot.press("escape")
    finally:
        await client.close()


async def test_readonly_refuses_n_and_r(node):
    client = CriClient(node.endpoint, timeout=10, readonly=True)
    app = CritApp(client, Opts(node.endpoint, readonly=True))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(app.first_frame.is_set)
            for key in ("n", "r"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is app.main
    finally:
        await client.close()


async def test_new_pod_from_file_opens_prefilled_and_creates(node):
    from crit.cri import spec

    cfg = spec.load_pod_config(FIXTURES / "pod.yaml")
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint, new_pod=cfg))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            assert scr.query_one("#f-name").value == "mysanbox"
            assert scr.query_one("#f-log_directory").value == "/root/temp"
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=20)
            pods = await client.list_pod_sandbox()
            assert [p.metadata.name for p in pods] == ["mysanbox"] and pods[0].metadata.uid
            await wait_for(lambda: cursor_key(app, "pods") == pods[0].id, timeout=10)
    finally:
        for p in await client.list_pod_sandbox():
            await client.stop_pod_sandbox(p.id)
            await client.remove_pod_sandbox(p.id)
        await client.close()


async def test_new_container_from_file_with_pod_id(node):
    from crit.cri import spec
    from crit.model.launch import PodForm

    client = CriClient(node.endpoint, timeout=10)
    pod_id = await client.run_pod_sandbox(PodForm(name="host", network="node").to_config())
    cfg = spec.load_container_config(FIXTURES / "container.yaml")
    cfg.image.image = SHELL
    app = CritApp(client, Opts(node.endpoint, new_container=cfg, new_container_pod=pod_id[:8]))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: isinstance(app.screen, NewContainerScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            assert scr.target == pod_id  # the prefix was resolved
            assert scr.query_one("#f-name").value == "test-ngx"
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=20)
            ctrs = await client.list_containers()
            assert [c.metadata.name for c in ctrs] == ["test-ngx"] and ctrs[0].pod_sandbox_id == pod_id
    finally:
        for p in await client.list_pod_sandbox():
            await client.stop_pod_sandbox(p.id)
            await client.remove_pod_sandbox(p.id)
        await client.close()


async def test_new_container_from_file_with_pod_file_builds_both(node):
    from crit.cri import spec

    cfg = spec.load_container_config(FIXTURES / "container.yaml")
    pod_cfg = spec.load_pod_config(FIXTURES / "pod.yaml")
    client = CriClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint, new_container=cfg, new_container_pod=pod_cfg))
    try:
        async with app.run_test(size=(160, 48)):
            await wait_for(lambda: isinstance(app.screen, NewContainerScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            assert scr.target == "__new_pod__" and scr.has_pod_section
            assert scr.query_one("#f-name").value == "test-ngx"
            assert scr.query_one("#f-pod-name").value == "mysanbox"
            assert scr.query_one("#f-pod-log_directory").value == "/root/temp"
            # crictl run: pull if missing by default
            assert scr.query_one("#f-pull_if_missing").value is True
    finally:
        await client.close()
