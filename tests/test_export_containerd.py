"""B6 on containerd: "a round trip through crictl runp/create keeps every hostile name, label and annotation byte
for byte".

A pod and a container whose names, labels, annotations (and the container's command and environment) hold an RLO,
a ZWJ emoji, ESC, newline, tab, quotes, ``[bold]markup[/]``, ``$(x);`` and a NUL are created on the bed's
containerd; crit exports them — the ``y`` view's copied text (what the runtime's verbose info holds), and the
launch form's ctrl+e file; the files are loaded with :mod:`crit.cri.spec` (what ``crictl runp``/``create`` read:
there is no crictl binary here), run/created on containerd again, and the runtime's metadata compared byte for byte.
"""

from __future__ import annotations

import uuid

import pytest

from crit.cri import spec
from crit.cri.client import CriClient
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.describe import TextViewScreen
from crit.ui.forms import NewContainerScreen, PathDialog
from tests.bed.specs import container_config, pod_config
from tests.exact_strings import HOSTILE, NUL, RLO_NAME, ZWJ_EMOJI
from tests.test_forms import Host, screen_of, set_select
from tests.waiting import wait_for

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(300)]

EVERY = HOSTILE + [NUL]


def Opts(endpoint: str) -> Options:
    return Options(runtime_endpoint=endpoint, refresh=0.5)


def _hostile_maps(tag: str) -> tuple[dict[str, str], dict[str, str]]:
    labels = {f"{tag}-k{i}": h for i, h in enumerate(EVERY)}
    annotations = {f"{tag}-{h}": h for h in EVERY}
    return labels, annotations


async def export(pilot, scr, path, kind: str) -> None:
    """ctrl+e, choose what to export, type the path, enter: the file is written."""
    app = scr.app
    await pilot.press("ctrl+e")
    await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the export dialog")
    dlg = app.screen
    if dlg.query("#kind"):
        await set_select(pilot, dlg.query_one("#kind"), kind)
    field = dlg.query_one("#path")
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await wait_for(lambda: path.exists(), 10, f"{path.name} written")


def _b(msg) -> bytes:
    return msg.SerializeToString(deterministic=True)


async def _remove_pod(client: CriClient, pod_id: str) -> None:
    await client.stop_pod_sandbox(pod_id)
    await client.remove_pod_sandbox(pod_id)


async def _copy_config(app, pilot, panel: str, key: str) -> str:
    """Select ``key`` in ``panel``, press y (config as crictl YAML), then c (copy): the copied text."""
    table = app.main.panels[panel].table
    await wait_for(lambda: key in table.view_keys, 20, f"the {panel} row")
    await pilot.press({"pods": "1", "containers": "2"}[panel])
    assert table.move_cursor_to_key(key)
    await pilot.pause()
    await pilot.press("y")
    await wait_for(lambda: isinstance(app.screen, TextViewScreen), 10, "the config view")
    view = app.screen
    await wait_for(lambda: "metadata:" in view.text, 20, "the config text")
    assert "reconstructed" not in view.text  # containerd's verbose info holds the config sent
    app.copy_to_clipboard("")
    await pilot.press("c")
    await wait_for(lambda: app.clipboard, 5, "the copied text")
    text = app.clipboard
    await pilot.press("escape")
    await wait_for(lambda: app.screen is app.main, 10, "the main screen")
    return text


async def test_y_copy_then_runp_and_create_keep_every_hostile_string(containerd, tmp_path):
    client = CriClient(containerd.endpoint, timeout=30)
    labels, annotations = _hostile_maps("y")
    pcfg = pod_config(
        RLO_NAME + "\n" + ZWJ_EMOJI + NUL,
        namespace="crit-exact\x1b[0m",
        labels=labels,
        annotations=annotations,
        log_dir=containerd.log_dir / uuid.uuid4().hex,
    )
    ccfg = container_config(
        ZWJ_EMOJI + RLO_NAME + "\t[bold]x[/]",
        containerd.shell_image,
        ["sleep", "300"],
        labels=labels,
        annotations=annotations,
        envs={f"E{i}": h for i, h in enumerate(EVERY)},
    )
    ccfg.args.extend(EVERY)
    pod_id = await client.run_pod_sandbox(pcfg)
    pod_ids = [pod_id]
    try:
        cid = await client.create_container(pod_id, ccfg, pcfg)
        app = CritApp(client, Opts(containerd.endpoint))
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(app.first_frame.is_set, 20, "the first frame")
            pod_text = await _copy_config(app, pilot, "pods", pod_id)
            ctr_text = await _copy_config(app, pilot, "containers", cid)
        (tmp_path / "pod.yaml").write_text(pod_text, encoding="utf-8")
        (tmp_path / "ctr.yaml").write_text(ctr_text, encoding="utf-8")
        # the exported files show nothing raw: every line printable
        assert all(line.isprintable() for line in (pod_text + ctr_text).split("\n"))
        # crictl rmp -f, then crictl runp pod.yaml and crictl create POD ctr.yaml pod.yaml
        await _remove_pod(client, pod_id)
        pcfg2 = spec.load_pod_config(tmp_path / "pod.yaml")
        ccfg2 = spec.load_container_config(tmp_path / "ctr.yaml")
        pod2 = await client.run_pod_sandbox(pcfg2)
        pod_ids.append(pod2)
        cid2 = await client.create_container(pod2, ccfg2, pcfg2)
        pst = (await client.pod_sandbox_status(pod2)).status
        assert _b(pst.metadata) == _b(pcfg.metadata)
        assert pst.metadata.name.encode() == pcfg.metadata.name.encode()
        assert dict(pst.labels) == labels and dict(pst.annotations) == annotations
        cst = (await client.container_status(cid2)).status
        assert _b(cst.metadata) == _b(ccfg.metadata)
        assert dict(cst.labels) == labels and dict(cst.annotations) == annotations
        # and the config containerd keeps for the new container is the one first sent
        resp = await client.container_status(cid2, verbose=True)
        from crit.model.kinds import CONTAINERS

        found = CONTAINERS.config(resp)
        assert found is not None and found.note == ""  # the runtime's own copy, not rebuilt from the status
        kept = found.message
        assert list(kept.args) == EVERY and [(e.key, e.value) for e in kept.envs] == [
            (e.key, e.value) for e in ccfg.envs
        ]
    finally:
        for p in pod_ids:
            try:
                await _remove_pod(client, p)
            except Exception:
                pass
        await client.close()


async def test_form_ctrl_e_then_runp_and_create_keep_every_hostile_string(containerd, tmp_path):
    """The form checks names (DNS-1123), so here the hostile strings are in labels, annotations, command and
    environment; they come into the form by ctrl+o-like prefill and leave it by ctrl+e."""
    client = CriClient(containerd.endpoint, timeout=30)
    labels, annotations = _hostile_maps("form")
    tag = uuid.uuid4().hex[:6]
    pcfg = pod_config(
        f"exact-{tag}", labels=labels, annotations=annotations, cgroup_parent=False, log_dir=containerd.log_dir / tag
    )
    ccfg = container_config(
        "exact",
        containerd.shell_image,
        ["sh", "-c", "sleep 300"],
        labels=labels,
        annotations=annotations,
        envs={f"E{i}": h for i, h in enumerate(EVERY)},
        log_path="exact.log",
    )
    pod_ids: list[str] = []
    try:
        app = Host(lambda: NewContainerScreen(client, config=ccfg, pod_config=pcfg))
        async with app.run_test(size=(160, 48)) as pilot:
            scr = await screen_of(app, pilot, NewContainerScreen)
            await wait_for(lambda: scr.has_pod_section, 10, "the new pod's fields")
            cpath, ppath = tmp_path / "ctr.yaml", tmp_path / "pod.yaml"
            await export(pilot, scr, cpath, "container")
            await export(pilot, scr, ppath, "pod")
        ctext, ptext = cpath.read_text(encoding="utf-8"), ppath.read_text(encoding="utf-8")
        assert all(line.isprintable() for line in (ctext + ptext).split("\n"))
        pcfg2, ccfg2 = spec.load_pod_config(ppath), spec.load_container_config(cpath)
        pod2 = await client.run_pod_sandbox(pcfg2)
        pod_ids.append(pod2)
        cid2 = await client.create_container(pod2, ccfg2, pcfg2)
        pst = (await client.pod_sandbox_status(pod2)).status
        assert pst.metadata.name == pcfg.metadata.name
        assert dict(pst.labels) == labels and dict(pst.annotations) == annotations
        cst = (await client.container_status(cid2)).status
        assert dict(cst.labels) == labels and dict(cst.annotations) == annotations
        resp = await client.container_status(cid2, verbose=True)
        from crit.model.kinds import CONTAINERS

        found = CONTAINERS.config(resp)
        assert found is not None and found.note == ""  # the runtime's own copy, not rebuilt from the status
        kept = found.message
        assert [(e.key, e.value) for e in kept.envs] == [(e.key, e.value) for e in ccfg.envs]
        assert list(kept.command) == list(ccfg.command)
    finally:
        for p in pod_ids:
            try:
                await _remove_pod(client, p)
            except Exception:
                pass
        await client.close()
