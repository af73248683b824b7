"""End-to-end: the launch forms against the private containerd of the test bed.

A pod and a container created through the forms run; the exported YAML, imported back, gives the same config; a
missing image without "pull if missing" creates nothing; a container that cannot start is left as the runtime left
it and the message says so.
"""

from __future__ import annotations

import uuid

import pytest

from crit.cri import spec
from crit.cri.client import CriClient
from crit.model.launch import ContainerForm, PodForm
from crit.ui.forms import NewContainerScreen, NewPodScreen
from tests.test_forms import Host, fill, screen_of, set_select, submit_and_wait
from tests.waiting import wait_for

pytestmark = pytest.mark.containerd

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def _pod_state(client: CriClient, pod_id: str) -> int:
    return (await client.pod_sandbox_status(pod_id)).status.state


async def _container_state(client: CriClient, cid: str):
    return (await client.container_status(cid)).status


async def test_new_pod_form_creates_a_ready_pod(containerd, tmp_path):
    client = CriClient(containerd.endpoint, timeout=10)
    logdir = containerd.log_dir / _name("pod")
    name = _name("form-pod")
    app = Host(lambda: NewPodScreen(client))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewPodScreen)
            # containerd here has no CNI: NetworkReady is false, so the form defaults to node and says why
            await wait_for(lambda: str(scr.query_one("#f-network").value) == "node")
            hint = str(scr.query_one("#h-network").render())
            assert "NetworkReady false" in hint
            await fill(pilot, scr, "f-name", name)
            await fill(pilot, scr, "f-log_directory", str(logdir))
            result = await submit_and_wait(pilot, app)
        assert result is not None and result.kind == "pod"
        from crit.cri.pb import api_pb2 as pb

        st = (await client.pod_sandbox_status(result.id)).status
        assert st.state == pb.SANDBOX_READY
        assert st.metadata.name == name and st.metadata.uid  # a uid was generated
        assert result.id in result.message
    finally:
        await client.close()


async def test_container_form_with_new_pod_runs_and_export_reimports(containerd, tmp_path):
    client = CriClient(containerd.endpoint, timeout=10)
    logdir = containerd.log_dir / _name("pod")
    logdir.mkdir(parents=True)
    pname, cname = _name("run-pod"), "shell"
    app = Host(lambda: NewContainerScreen(client))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            await wait_for(lambda: str(scr.query_one("#f-pod-network").value) == "node")
            await wait_for(lambda: containerd.shell_image in scr.images)
            await fill(pilot, scr, "f-name", cname)
            await fill(pilot, scr, "f-image", containerd.shell_image)
            await fill(pilot, scr, "f-command", "sh -c 'echo hello-from-form; sleep 300'")
            await fill(pilot, scr, "f-pod-name", pname)
            await fill(pilot, scr, "f-pod-log_directory", str(logdir))
            # export both configs through the ctrl+e dialog
            cpath, ppath = tmp_path / "container.yaml", tmp_path / "pod.json"
            await export(pilot, scr, cpath, "container")
            await export(pilot, scr, ppath, "pod")
            want_c = scr.section.read().to_config()
            want_p = scr.pod_section.read().to_config()
            result = await submit_and_wait(pilot, app, timeout=60)
        assert result is not None and result.kind == "container" and result.severity == "information", result
        from crit.cri.pb import api_pb2 as pb

        st = await _container_state(client, result.id)
        assert st.state == pb.CONTAINER_RUNNING, st
        assert st.metadata.name == cname
        pod = (await client.pod_sandbox_status(result.pod_id)).status
        assert pod.metadata.name == pname and pod.state == pb.SANDBOX_READY
        # the log path defaulted to NAME.log under the pod's log directory
        log = logdir / f"{cname}.log"
        await wait_for(lambda: log.exists() and "hello-from-form" in log.read_text(), what="the container's log line")
        # exported files are what was sent, and import back to the same config
        assert spec.load_container_config(cpath) == want_c
        assert spec.load_pod_config(ppath) == want_p
        assert ContainerForm.from_config(spec.load_container_config(cpath)).to_config() == want_c
        assert PodForm.from_config(spec.load_pod_config(ppath)).to_config() == want_p
        # … and through the form's own ctrl+o importer
        app2 = Host(lambda: NewContainerScreen(client))
        async with app2.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app2, pilot, NewContainerScreen)
            await import_(pilot, scr, cpath, "container")
            await import_(pilot, scr, ppath, "pod")
            assert scr.section.read().to_config() == want_c
            assert scr.pod_section.read().to_config() == want_p
    finally:
        await client.close()


async def test_container_into_existing_pod(containerd, tmp_path):
    from crit.cri.pb import api_pb2 as pb
    from tests.bed.specs import pod_config

    client = CriClient(containerd.endpoint, timeout=10)
    logdir = containerd.log_dir / _name("pod")
    try:
        pod_id = await client.run_pod_sandbox(pod_config(_name("existing"), log_dir=logdir))
        app = Host(lambda: NewContainerScreen(client, pod_id=pod_id))
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            assert scr.target == pod_id and not scr.has_pod_section
            # crictl create: no pull by default
            assert scr.section._cb("pull_if_missing").value is False
            await fill(pilot, scr, "f-name", "second")
            await fill(pilot, scr, "f-image", containerd.shell_image)
            await fill(pilot, scr, "f-command", "sleep 300")
            result = await submit_and_wait(pilot, app, timeout=60)
        assert result is not None and result.pod_id == pod_id
        st = await _container_state(client, result.id)
        assert st.state == pb.CONTAINER_RUNNING
        # the pod's log directory came from the runtime's verbose status: the log file is where it should be
        assert (logdir / "second.log").exists()
    finally:
        await client.close()


async def test_missing_image_without_pull_creates_nothing(containerd):
    client = CriClient(containerd.endpoint, timeout=10)
    try:
        before = {p.id for p in await client.list_pod_sandbox()}
        app = Host(lambda: NewContainerScreen(client))
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            await wait_for(lambda: str(scr.query_one("#f-pod-network").value) == "node")
            await fill(pilot, scr, "f-name", "c")
            await fill(pilot, scr, "f-image", "localhost:5000/crit-test/absent:9")
            scr.query_one("#f-pull_if_missing").value = False
            await fill(pilot, scr, "f-pod-name", _name("nopull"))
            await pilot.press("ctrl+s")
            await wait_for(lambda: not scr.busy and "not on the node" in str(scr.query_one("#status").render()))
            status = str(scr.query_one("#status").render())
            assert status == (
                'Image localhost:5000/crit-test/absent:9 is not on the node: tick "Pull image if '
                'missing" or pull it first (p); nothing was created.'
            )
            assert app.screen is scr  # the form stays, with what was typed
            assert scr.section.read().name == "c"
        assert {p.id for p in await client.list_pod_sandbox()} == before
    finally:
        await client.close()


async def test_container_that_fails_to_start_is_left_and_said(containerd):
    from crit.cri.pb import api_pb2 as pb

    client = CriClient(containerd.endpoint, timeout=10)
    try:
        app = Host(lambda: NewContainerScreen(client))
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            await wait_for(lambda: str(scr.query_one("#f-pod-network").value) == "node")
            await fill(pilot, scr, "f-name", "broken")
            await fill(pilot, scr, "f-image", containerd.shell_image)
            await fill(pilot, scr, "f-command", "/no/such/binary")
            await fill(pilot, scr, "f-pod-name", _name("broken"))
            result = await submit_and_wait(pilot, app, timeout=60)
        assert result is not None and result.severity == "error"
        assert "was created but failed to start" in result.message
        assert result.message.endswith("It is left as the runtime left it.")
        st = await _container_state(client, result.id)  # still there
        assert st.state in (pb.CONTAINER_CREATED, pb.CONTAINER_EXITED)
    finally:
        await client.close()


async def test_pull_if_missing_pulls_with_progress(containerd, registry):
    from crit.cri.pb import api_pb2 as pb

    client = CriClient(containerd.endpoint, timeout=10)
    try:
        try:
            await client.remove_image(registry.pull_ref)
        except Exception:
            pass
        app = Host(lambda: NewContainerScreen(client))
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            await wait_for(lambda: str(scr.query_one("#f-pod-network").value) == "node")
            assert scr.section._cb("pull_if_missing").value is True  # crictl run pulls by default
            await fill(pilot, scr, "f-name", "pulled")
            await fill(pilot, scr, "f-image", registry.pull_ref)
            await fill(pilot, scr, "f-command", "sleep 300")
            await fill(pilot, scr, "f-pod-name", _name("pull"))
            busy_texts: list[str] = []
            shown: list[str] = []
            orig = scr.start_busy

            def spy(text: str) -> None:
                busy_texts.append(text)
                orig(text)
                shown.append(str(scr.query_one("#elapsed").render()))

            scr.start_busy = spy
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is not scr, timeout=60)
        assert f"Pulling {registry.pull_ref}" in busy_texts, busy_texts
        assert f"Pulling {registry.pull_ref} … 0.0 s" in shown, shown
        assert app.result is not None and app.result.severity == "information", app.result
        assert (await client.image_status(registry.pull_ref)).HasField("image")
        st = await _container_state(client, app.result.id)
        assert st.state == pb.CONTAINER_RUNNING
    finally:
        await client.close()


async def export(pilot, scr, path, kind: str) -> None:
    await pilot.press("ctrl+e")
    await _answer_path_dialog(pilot, scr, path, kind)
    await wait_for(lambda: path.exists())


async def import_(pilot, scr, path, kind: str) -> None:
    await pilot.press("ctrl+o")
    await _answer_path_dialog(pilot, scr, path, kind)
    await wait_for(lambda: str(scr.query_one("#status").render()).startswith(f"Imported the {kind} config"))


async def _answer_path_dialog(pilot, scr, path, kind: str) -> None:
    from crit.ui.forms import PathDialog

    app = scr.app
    await wait_for(lambda: isinstance(app.screen, PathDialog))
    dlg = app.screen
    if dlg.query("#kind"):
        await set_select(pilot, dlg.query_one("#kind"), kind)
    inp = dlg.query_one("#path")
    inp.value = str(path)
    inp.focus()
    await pilot.press("enter")
    await wait_for(lambda: app.screen is scr)


async def test_seed_pod_yaml_from_cli_creates_on_containerd(containerd, tmp_path):
    """``crit new pod --from pod.yaml`` then ctrl+s: the seed names no network mode, containerd here has no CNI, so
    the form uses node (and says why); the pod is created and selected in the panels."""
    from crit.cri.pb import api_pb2 as pb
    from crit.ui.app import CritApp
    from tests.test_forms_app import Opts, cursor_key

    seed = (FIXTURES / "pod.yaml").read_text().replace("/root/temp", str(containerd.log_dir / _name("seed")))
    path = tmp_path / "pod.yaml"
    path.write_text(seed)
    cfg = spec.load_pod_config(path)
    client = CriClient(containerd.endpoint, timeout=10)
    app = CritApp(client, Opts(containerd.endpoint, new_pod=cfg))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            scr = app.screen
            await wait_for(lambda: str(scr.query_one("#f-network").value) == "node")
            hint = str(scr.query_one("#h-network").render())
            assert hint.endswith("The loaded file does not choose a network mode.")
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=30)
            pods = [p for p in await client.list_pod_sandbox() if p.metadata.name == "mysanbox"]
            assert len(pods) == 1 and pods[0].state == pb.SANDBOX_READY and pods[0].metadata.uid
            await wait_for(lambda: cursor_key(app, "pods") == pods[0].id, timeout=10)
    finally:
        await client.close()


async def test_main_screen_n_then_r_on_containerd(containerd):
    """From the main screen: n, a name, ctrl+s, then r with image and command, ctrl+s → a running container."""
    from crit.cri.pb import api_pb2 as pb
    from crit.ui.app import CritApp
    from tests.test_forms_app import Opts, cursor_key

    client = CriClient(containerd.endpoint, timeout=10)
    app = CritApp(client, Opts(containerd.endpoint))
    name = _name("main")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(app.first_frame.is_set, timeout=20)
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, NewPodScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            await pilot.press(*name)
            await wait_for(lambda: str(scr.query_one("#f-network").value) == "node")
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=30)
            pod = [p for p in await client.list_pod_sandbox() if p.metadata.name == name][0]
            await wait_for(lambda: cursor_key(app, "pods") == pod.id, timeout=10)
            await pilot.press("r")
            await wait_for(lambda: isinstance(app.screen, NewContainerScreen))
            scr = app.screen
            await wait_for(lambda: scr.focused is not None)
            assert scr.target == pod.id
            await pilot.press(*"app")
            await fill(pilot, scr, "f-image", containerd.shell_image)
            await fill(pilot, scr, "f-command", "sleep 300")
            await pilot.press("ctrl+s")
            await wait_for(lambda: app.screen is app.main, timeout=30)
            ctrs = [c for c in await client.list_containers() if c.pod_sandbox_id == pod.id]
            assert len(ctrs) == 1 and ctrs[0].state == pb.CONTAINER_RUNNING
            await wait_for(lambda: cursor_key(app, "containers") == ctrs[0].id, timeout=10)
    finally:
        await client.close()


async def test_explicit_pod_network_in_file_is_kept_with_a_warning(containerd, tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text(
        "metadata:\n  name: explicit\n  namespace: default\nlinux:\n  security_context:\n"
        "    namespace_options:\n      network: 0\n"
    )
    client = CriClient(containerd.endpoint, timeout=10)
    app = Host(lambda: NewPodScreen(client, config=spec.load_pod_config(path)))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewPodScreen)
            await wait_for(lambda: scr.query_one("#h-network").display)
            assert str(scr.query_one("#f-network").value) == "pod"
            hint = str(scr.query_one("#h-network").render())
            assert hint.startswith("Pod networking may fail: the runtime reports NetworkReady false (")
            assert hint.endswith("; node is the safe choice.")
    finally:
        await client.close()
