"""B6 in the app: `y` (the object's config as crictl YAML) shows the runtime's strings sanitised, but what `c`
copies is exact: it loads back (as `crictl runp`/`create` would read it) to the very same name, labels and
annotations — an RLO, a ZWJ emoji, ESC, newline… included."""

from __future__ import annotations

import pytest

from crit.cri import spec
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.describe import TextViewScreen
from tests.exact_strings import HOSTILE, RLO_NAME, ZWJ_EMOJI
from tests.fixed_node import steady_cursor
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


SHELL = "localhost:5000/crit-test/busybox:1.0"


def Opts(endpoint: str) -> Options:
    return Options(runtime_endpoint=endpoint, refresh=0.5)


@pytest.fixture
async def node(tmp_path):
    from crit.node.serve import Node

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as n:
        yield n


def hostile_maps() -> tuple[dict[str, str], dict[str, str]]:
    labels = {f"k{i}": h for i, h in enumerate(HOSTILE)}
    annotations = {h: f"v{i}" for i, h in enumerate(HOSTILE)}
    return labels, annotations


async def open_config_view(app, pilot, panel: str):
    await wait_for(app.first_frame.is_set, 15, "the first frame")
    table = app.main.panels[panel].table
    await wait_for(lambda: table.row_count == 1, 15, f"the {panel} row")
    await pilot.press({"pods": "1", "containers": "2"}[panel])
    await pilot.press("y")
    await wait_for(lambda: isinstance(app.screen, TextViewScreen), 10, "the config view")
    view = app.screen
    await wait_for(lambda: "metadata:" in view.text, 10, "the config text")
    await pilot.pause()
    return view


@pytest.mark.parametrize("panel", ["pods", "containers"])
async def test_y_copy_loads_back_to_the_exact_strings(node, panel):
    client = CriClient(node.endpoint, timeout=10)
    labels, annotations = hostile_maps()
    pod_cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=RLO_NAME, namespace="default", uid="u1"),
        labels=labels,
        annotations=annotations,
    )
    pid = await client.run_pod_sandbox(pod_cfg)
    ctr_cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=ZWJ_EMOJI + RLO_NAME),
        image=pb.ImageSpec(image=SHELL),
        command=["sleep", "600"],
        labels=labels,
        annotations=annotations,
    )
    await client.create_container(pid, ctr_cfg, pod_cfg)
    want = pod_cfg if panel == "pods" else ctr_cfg
    app = CritApp(client, Opts(node.endpoint))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            view = await open_config_view(app, pilot, panel)
            # on screen: sanitised, the escapes visible, no bidi override or ZWJ drawn raw
            shown = screen_text(app)
            assert 'name: "' in shown and "\\u202E" in shown
            assert "\u202e" not in shown and "\u200d" not in shown and "\x1b" not in shown
            await pilot.press("c")
            await wait_for(lambda: app.clipboard, 5, "the copied text")
            got = spec.loads(app.clipboard, type(want))
            assert got.metadata.name == want.metadata.name
            assert got.metadata.name.encode() == want.metadata.name.encode()
            assert dict(got.labels) == labels and dict(got.annotations) == annotations
            assert view.export_text == app.clipboard
    finally:
        await client.close()


async def test_y_save_writes_the_exact_text_to_the_proposed_file(node, tmp_path, monkeypatch):
    """`s` in the config view proposes NAME.yaml (a file-safe form of the name), writes the exact text, and asks
    before overwriting (default no: back to the path)."""
    from crit.ui.dialogs.confirm import ConfirmDialog
    from crit.ui.forms import PathDialog

    monkeypatch.chdir(tmp_path)
    client = CriClient(node.endpoint, timeout=10)
    labels, annotations = hostile_maps()
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=RLO_NAME, namespace="default", uid="u1"),
        labels=labels,
        annotations=annotations,
    )
    await client.run_pod_sandbox(cfg)
    app = CritApp(client, Opts(node.endpoint))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            view = await open_config_view(app, pilot, "pods")
            await pilot.press("s")
            await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the save dialog")
            assert app.screen.query_one("#path").value == "abc_txt.exe.yaml"
            assert "abc_txt.exe.yaml" in screen_text(app)
            await pilot.press("enter")
            saved = tmp_path / "abc_txt.exe.yaml"
            await wait_for(lambda: app.screen is view and saved.exists(), 10, "the file saved")
            got = spec.load_pod_config(saved)
            assert got.metadata.name == RLO_NAME
            assert dict(got.labels) == labels and dict(got.annotations) == annotations
            # again: the file exists, so the question comes, and no leaves it as it is
            saved.write_text("keep: me\n")
            await pilot.press("s")
            await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the save dialog")
            assert app.screen.query_one("#path").value == str(saved)  # the directory used last time
            await pilot.press("enter")
            await wait_for(lambda: isinstance(app.screen, ConfirmDialog), 10, "the overwrite question")
            assert f"{saved} already exists. Overwrite it?" in screen_text(app)
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, PathDialog), 10, "the save dialog again")
            assert saved.read_text() == "keep: me\n"
            await pilot.press("escape")
            await wait_for(lambda: app.screen is view, 10, "the view")
    finally:
        await client.close()


def test_describe_and_config_texts_load_back_exactly_and_show_nothing_raw():
    """The `d` text (status as YAML) and the `y` text (config as crictl YAML) are exact: what `c` copies loads back
    to the runtime's strings; each line is printable, so what is shown is what is copied."""
    import yaml

    from crit.model.kinds import PODS
    from crit.ui.describe import config_yaml, describe_yaml

    labels, annotations = hostile_maps()
    md = pb.PodSandboxMetadata(name=RLO_NAME, namespace=ZWJ_EMOJI, uid="u1")
    resp = pb.PodSandboxStatusResponse(
        status=pb.PodSandboxStatus(id="p" * 64, metadata=md, labels=labels, annotations=annotations)
    )
    status = describe_yaml(PODS, resp)
    config = config_yaml(PODS, resp)  # no verbose info: rebuilt from the status
    for text in (status, config):
        assert all(line.isprintable() for line in text.split("\n"))
    data = yaml.safe_load(status)
    assert data["metadata"]["name"] == RLO_NAME and data["metadata"]["namespace"] == ZWJ_EMOJI
    assert data["labels"] == labels and data["annotations"] == annotations
    got = spec.loads(config, pb.PodSandboxConfig)
    assert got.metadata == md and dict(got.labels) == labels and dict(got.annotations) == annotations


# ---------------------------------------------------------------------------------------------- on screen

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def _hostile_fixed_node():
    """The fixed node, its first pod named with an RLO and labelled with a ZWJ emoji, ESC, newline and markup."""
    from tests.fixed_node import FixedNode

    node = FixedNode()
    pod = node.pods[0]
    pod.metadata.name = RLO_NAME
    pod.labels.clear()
    pod.labels.update({"app": ZWJ_EMOJI, "esc": "a\x1b[31mred", "nl": "two\nlines", "markup": "[bold]x[/]"})
    plain_status = node.pod_sandbox_status

    async def pod_sandbox_status(pid, verbose=False):
        resp = await plain_status(pid, verbose)
        p = next(p for p in node.pods if p.id == pid)
        resp.status.metadata.CopyFrom(p.metadata)
        resp.status.labels.update(p.labels)
        return resp

    node.pod_sandbox_status = pod_sandbox_status
    return node


@SIZES
def test_snap_y_view_shows_the_escapes(frozen, snap_compare, size):
    """The `y` view of a hostile pod: the name and labels double-quoted with YAML escapes — the text `c` copies —
    nothing drawn raw, nothing reordered."""
    from tests.fixed_node import fixed_app, settled

    async def run_before(pilot):
        app = pilot.app
        await settled(pilot)
        assert app.main.panels["pods"].table.move_cursor_to_key("a" * 64)
        await pilot.pause()
        await pilot.press("y")
        await wait_for(lambda: isinstance(app.screen, TextViewScreen), 10, "the config view")
        view = app.screen
        await wait_for(lambda: "metadata:" in view.text, 10, "the config text")
        await steady_cursor(pilot)
        shown = screen_text(app)
        assert 'name: "abc\\u202Etxt.exe"' in shown and 'app: "\\U0001F469\\u200D\\U0001F4BB"' in shown
        assert 'nl: "two\\nlines"' in shown and "markup: '[bold]x[/]'" in shown

    assert snap_compare(fixed_app(_hostile_fixed_node()), terminal_size=size, run_before=run_before)
