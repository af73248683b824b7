"""Pilot tests of the launch forms (New pod / New container) against the embedded node.

Filling and submitting, every validation message shown next to its field, submit refused with the first error
focused, runtime errors kept in the form, import/export, and markup safety of what is shown.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.app import App

from crit.ui.forms import NewContainerScreen, NewPodScreen
from tests.ui_helpers import notifications
from tests.waiting import wait_for

# ------------------------------------------------------------------------------------------------------------------
# helpers (also used by tests/test_forms_e2e.py)
# ------------------------------------------------------------------------------------------------------------------


class Host(App):
    """A bare app that opens one launch screen and records what it dismissed with."""

    def __init__(self, make_screen: Callable) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.result = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self._done)

    def _done(self, result) -> None:
        self.result = result


async def screen_of(app, pilot, kind):
    await wait_for(lambda: isinstance(app.screen, kind))
    await pilot.pause()
    return app.screen


async def fill(pilot, scr, widget_id: str, text: str) -> None:
    """Focus a field, put ``text`` in it and type its last key (so the form reacts as to a user's typing)."""
    w = scr.query_one("#" + widget_id)
    w.focus()
    await pilot.pause()
    if text:
        w.value = text[:-1]
        w.cursor_position = len(w.value)
        await pilot.press(text[-1])
    else:
        w.value = "x"
        await pilot.press("backspace")
    await pilot.pause()


async def set_select(pilot, select, value) -> None:
    select.focus()
    select.value = value
    await pilot.pause()


async def submit_and_wait(pilot, app, timeout: float = 20.0):
    scr = app.screen
    await pilot.press("ctrl+s")
    await wait_for(
        lambda: app.screen is not scr or (not scr.busy and scr.query_one("#status").has_class("-error")),
        timeout=timeout,
    )
    if app.screen is scr:
        raise AssertionError(f"form stayed open: {scr.query_one('#status').render()}")
    return app.result


def error_of(scr, path: str) -> str:
    return scr.query_one("#e-" + path.replace(".", "-")).message


# ------------------------------------------------------------------------------------------------------------------
# the runtime under the forms: the embedded node (a `crit node serve` process)
# ------------------------------------------------------------------------------------------------------------------

from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.model.launch import PodForm

SHELL = "localhost:5000/crit-test/busybox:1.0"


@pytest.fixture
async def node_endpoint(tmp_path):
    """The embedded node (a real CRI v1 gRPC server, in process) with one shell image."""
    from crit.node.serve import Node

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[SHELL]) as n:
        yield n.endpoint


@pytest.fixture
async def client(node_endpoint):
    c = CriClient(node_endpoint, timeout=10)
    before = {p.id for p in await c.list_pod_sandbox()}
    yield c
    for p in await c.list_pod_sandbox():
        if p.id not in before:
            try:
                await c.stop_pod_sandbox(p.id)
                await c.remove_pod_sandbox(p.id)
            except Exception:
                pass
    await c.close()


async def add_row(pilot, scr, path: str) -> None:
    """Press the ``+ add`` button of a row editor (keyboard: focus it, enter)."""
    btn = scr.query_one("#add-" + path.replace(".", "-"))
    btn.focus()
    await pilot.press("enter")
    await pilot.pause()


# ------------------------------------------------------------------------------------------------------------------
# validation messages, through the UI: every rule of issue 5 point 4
# ------------------------------------------------------------------------------------------------------------------

# (screen, [(widget id or "+rows-path" to add a row, text)], error path, message)
UI_RULES = [
    # required fields
    ("pod", [("f-name", "")], "name", "Pod name is required."),
    ("pod", [("f-namespace", "")], "namespace", "Namespace is required."),
    ("pod", [("f-uid", "")], "uid", "Pod uid is required (a generated one is filled in; type any unique text)."),
    ("ctr", [("f-image", "")], "image", "Image is required."),
    ("ctr", [("f-name", "")], "name", "Container name is required."),
    # DNS-1123 names
    (
        "pod",
        [("f-name", "Web_1")],
        "name",
        "Pod name 'Web_1' is not a valid DNS-1123 subdomain: use lower-case letters, digits, '-' and '.', starting "
        "and ending with a letter or digit.",
    ),
    (
        "pod",
        [("f-namespace", "a.b")],
        "namespace",
        "Namespace 'a.b' is not a valid DNS-1123 label: use lower-case letters, digits and '-', starting and ending "
        "with a letter or digit.",
    ),
    (
        "ctr",
        [("f-name", "my_app")],
        "name",
        "Container name 'my_app' is not a valid DNS-1123 label: use lower-case letters, digits and '-', starting "
        "and ending with a letter or digit.",
    ),
    (
        "pod",
        [("f-dns_searches", "svc.local bad_domain")],
        "dns_searches",
        "DNS search domain 'bad_domain' is not a valid DNS-1123 subdomain.",
    ),
    # integers and ranges
    ("pod", [("f-attempt", "-1")], "attempt", "Attempt must be between 0 and 4294967295, not -1."),
    ("pod", [("f-attempt", "one")], "attempt", "Attempt must be a whole number, not 'one'."),
    ("ctr", [("f-attempt", "-3")], "attempt", "Attempt must be between 0 and 4294967295, not -3."),
    (
        "pod",
        [("+port_mappings", ""), ("f-port_mappings-0-container_port", "0")],
        "port_mappings.0.container_port",
        "Port mapping 1: container port must be between 1 and 65535, not 0.",
    ),
    (
        "pod",
        [("+port_mappings", ""), ("f-port_mappings-0-container_port", "80"), ("f-port_mappings-0-host_port", "65536")],
        "port_mappings.0.host_port",
        "Port mapping 1: host port must be between 1 and 65535, not 65536.",
    ),
    (
        "pod",
        [("+port_mappings", ""), ("f-port_mappings-0-host_port", "8080")],
        "port_mappings.0.container_port",
        "Port mapping 1: container port is required.",
    ),
    (
        "pod",
        [("+port_mappings", ""), ("f-port_mappings-0-container_port", "80"), ("f-port_mappings-0-host_ip", "example")],
        "port_mappings.0.host_ip",
        "Port mapping 1: host IP 'example' is not an IP address.",
    ),
    ("pod", [("f-run_as_user", "root")], "run_as_user", "Run as user must be a whole number, not 'root'."),
    ("ctr", [("f-cpu_shares", "1")], "cpu_shares", "CPU shares must be between 2 and 262144, not 1."),
    ("ctr", [("f-cpu_period", "10")], "cpu_period", "CPU period must be between 1000 and 1000000, not 10."),
    ("ctr", [("f-cpu_quota", "5")], "cpu_quota", "CPU quota must be between 1000 and 9223372036854775807, not 5."),
    (
        "ctr",
        [("f-memory_limit", "lots")],
        "memory_limit",
        "Memory limit 'lots' must be a number of bytes, optionally with a unit (K, M, G, Ki, Mi, Gi …).",
    ),
    ("ctr", [("f-run_as_user", "-1")], "run_as_user", "Run as user must be between 0 and 4294967294, not -1."),
    ("pod", [("f-dns_servers", "10.0.0.1, dns")], "dns_servers", "DNS server 'dns' is not an IP address."),
    # key=value syntax
    ("pod", [("+labels", ""), ("f-labels-0", "app")], "labels.0", "Label row 1 'app' must be written key=value."),
    ("pod", [("+annotations", ""), ("f-annotations-0", "=x")], "annotations.0", "Annotation row 1 has an empty key."),
    (
        "pod",
        [("+sysctls", ""), ("f-sysctls-0", "Net Core=1")],
        "sysctls.0",
        "Sysctl row 1: 'Net Core' is not a sysctl name (like net.ipv4.ip_forward).",
    ),
    ("ctr", [("+env", ""), ("f-env-0", "PATH")], "env.0", "Environment row 1 'PATH' must be written key=value."),
    ("ctr", [("+labels", ""), ("f-labels-0", "tier")], "labels.0", "Label row 1 'tier' must be written key=value."),
    # absolute paths
    (
        "pod",
        [("f-log_directory", "var/log")],
        "log_directory",
        "Log directory must be an absolute path (starting with /), not 'var/log'.",
    ),
    (
        "ctr",
        [("+mounts", ""), ("f-mounts-0-host_path", "data"), ("f-mounts-0-container_path", "/data")],
        "mounts.0.host_path",
        "Mount 1: host path must be an absolute path (starting with /), not 'data'.",
    ),
    (
        "ctr",
        [("+mounts", ""), ("f-mounts-0-host_path", "/srv"), ("f-mounts-0-container_path", "data")],
        "mounts.0.container_path",
        "Mount 1: container path must be an absolute path (starting with /), not 'data'.",
    ),
    (
        "ctr",
        [("f-working_dir", "tmp")],
        "working_dir",
        "Working directory must be an absolute path (starting with /), not 'tmp'.",
    ),
    (
        "ctr",
        [("f-log_path", "/var/log/x.log")],
        "log_path",
        "Log path '/var/log/x.log' must be relative: it is placed under the pod's log directory.",
    ),
    # duplicate keys
    (
        "pod",
        [("+labels", ""), ("f-labels-0", "a=1"), ("+labels", ""), ("f-labels-1", "a=2")],
        "labels.1",
        "Label key 'a' appears twice (rows 1 and 2).",
    ),
    (
        "ctr",
        [("+env", ""), ("f-env-0", "A=1"), ("+env", ""), ("f-env-1", "A=2")],
        "env.1",
        "Environment key 'A' appears twice (rows 1 and 2).",
    ),
    (
        "pod",
        [("+sysctls", ""), ("f-sysctls-0", "kernel.msgmax=1"), ("+sysctls", ""), ("f-sysctls-1", "kernel.msgmax=2")],
        "sysctls.1",
        "Sysctl key 'kernel.msgmax' appears twice (rows 1 and 2).",
    ),
    (
        "ctr",
        [
            ("+mounts", ""),
            ("f-mounts-0-host_path", "/a"),
            ("f-mounts-0-container_path", "/d"),
            ("+mounts", ""),
            ("f-mounts-1-host_path", "/b"),
            ("f-mounts-1-container_path", "/d"),
        ],
        "mounts.1.container_path",
        "Mount 2: container path '/d' is already used by mount 1.",
    ),
    (
        "pod",
        [
            ("+port_mappings", ""),
            ("f-port_mappings-0-container_port", "80"),
            ("f-port_mappings-0-host_port", "9"),
            ("+port_mappings", ""),
            ("f-port_mappings-1-container_port", "81"),
            ("f-port_mappings-1-host_port", "9"),
        ],
        "port_mappings.1.host_port",
        "Port mapping 2: host port TCP 9 is already mapped by port mapping 1.",
    ),
    # other rules
    (
        "pod",
        [("f-cgroup_parent", "kubepods")],
        "cgroup_parent",
        "Cgroup parent 'kubepods' must be an absolute cgroup path (starting with /) or a systemd slice (ending in "
        ".slice).",
    ),
    ("ctr", [("f-command", "sh -c 'x")], "command", "Command cannot be split into words: No closing quotation."),
]


def _ids(rules):
    return [f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(rules)]


@pytest.mark.parametrize("kind,steps,path,message", UI_RULES, ids=_ids(UI_RULES))
async def test_validation_message_shown_next_to_field(client, kind, steps, path, message):
    make = (lambda: NewPodScreen(client)) if kind == "pod" else (lambda: NewContainerScreen(client, pod_id="x" * 64))
    app = Host(make)
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen if kind == "pod" else NewContainerScreen)
        if kind == "ctr":  # a valid base so only the rule under test fails
            await fill(pilot, scr, "f-name", "app")
            await fill(pilot, scr, "f-image", "localhost:5000/busybox:latest")
        else:
            await fill(pilot, scr, "f-name", "web")
        for wid, text in steps:
            if wid.startswith("+"):
                await add_row(pilot, scr, wid[1:])
            else:
                await fill(pilot, scr, wid, text)
        await pilot.pause()
        # shown next to the field, as typed (before any submit)
        line = scr._error_line_for(path)
        assert line.message == message and line.has_class("-shown")
        assert str(line.render()) == message
        # ctrl+s is refused with this error focused, and nothing is sent
        before = len(await client.list_pod_sandbox())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is scr
        assert scr.focused is not None and scr.focused.id == "f-" + path.replace(".", "-")
        status = str(scr.query_one("#status").render())
        assert status.startswith(f"Not submitted: {message}")
        assert len(await client.list_pod_sandbox()) == before


# ------------------------------------------------------------------------------------------------------------------
# filling and submitting
# ------------------------------------------------------------------------------------------------------------------


async def test_pod_form_every_field_submitted(client, tmp_path):
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        uid = scr.query_one("#f-uid").value
        assert len(uid) == 36  # generated, editable
        await fill(pilot, scr, "f-name", "web")
        await fill(pilot, scr, "f-namespace", "team-a")
        await fill(pilot, scr, "f-uid", "uid-web-1")
        await fill(pilot, scr, "f-attempt", "2")
        await fill(pilot, scr, "f-log_directory", str(tmp_path / "logs"))
        await add_row(pilot, scr, "labels")
        await fill(pilot, scr, "f-labels-0", "app=web")
        await add_row(pilot, scr, "labels")
        await fill(pilot, scr, "f-labels-1", "tier=front")
        await add_row(pilot, scr, "annotations")
        await fill(pilot, scr, "f-annotations-0", "note=[b]literal[/b]")
        await add_row(pilot, scr, "port_mappings")
        await set_select(pilot, scr.query_one("#f-port_mappings-0-protocol"), "UDP")
        await fill(pilot, scr, "f-port_mappings-0-container_port", "53")
        await fill(pilot, scr, "f-port_mappings-0-host_port", "5353")
        await fill(pilot, scr, "f-port_mappings-0-host_ip", "127.0.0.1")
        await fill(pilot, scr, "f-dns_servers", "10.0.0.10")
        await fill(pilot, scr, "f-dns_searches", "svc.local")
        await fill(pilot, scr, "f-dns_options", "ndots:2")
        await set_select(pilot, scr.query_one("#f-network"), "node")
        await fill(pilot, scr, "f-cgroup_parent", "/crit-test")
        await add_row(pilot, scr, "sysctls")
        await fill(pilot, scr, "f-sysctls-0", "net.core.somaxconn=1024")
        await fill(pilot, scr, "f-run_as_user", "0")
        # remove a row again: the second label goes
        await add_row(pilot, scr, "labels")
        scr.query_one("#rm-labels-2").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert scr.section.read().labels == ["app=web", "tier=front"]
        # the preview is the crictl YAML of what will be sent
        wanted = ["name: web", "protocol: 1", "network: 2", "note: '[b]literal[/b]'"]
        await wait_for(lambda: all(w in str(scr.query_one("#preview").render()) for w in wanted), what="the preview")
        preview = str(scr.query_one("#preview").render())
        assert "name: web" in preview and "protocol: 1" in preview and "network: 2" in preview
        assert "note: '[b]literal[/b]'" in preview  # shown literally, not as markup
        result = await submit_and_wait(pilot, app)
        assert any(result.id in n for n in notifications(app))
    assert result.kind == "pod" and result.name == "web"
    st = (await client.pod_sandbox_status(result.id)).status
    assert (st.metadata.name, st.metadata.namespace, st.metadata.uid, st.metadata.attempt) == (
        "web",
        "team-a",
        "uid-web-1",
        2,
    )
    assert dict(st.labels) == {"app": "web", "tier": "front"}
    assert dict(st.annotations) == {"note": "[b]literal[/b]"}
    assert st.linux.namespaces.options.network == pb.NODE


async def test_container_form_new_pod_submitted_and_running(client):
    app = Host(lambda: NewContainerScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await wait_for(lambda: SHELL in scr.images)
        await fill(pilot, scr, "f-name", "app")
        assert scr.query_one("#f-log_path").value == "app.log"  # follows the name
        # image completion from ListImages: type a prefix, accept the suggestion with →
        await fill(pilot, scr, "f-image", "localhost:5000/crit-test/bu")
        await pilot.press("right")
        await pilot.pause()
        assert scr.query_one("#f-image").value == SHELL
        await fill(pilot, scr, "f-command", "sh -c 'sleep 600'")
        await add_row(pilot, scr, "env")
        await fill(pilot, scr, "f-env-0", "GREETING=hello world")
        await fill(pilot, scr, "f-cpu_shares", "512")
        await fill(pilot, scr, "f-memory_limit", "64Mi")
        await fill(pilot, scr, "f-pod-name", "runpod")
        result = await submit_and_wait(pilot, app)
    assert result.kind == "container" and result.severity == "information"
    st = (await client.container_status(result.id)).status
    assert st.state == pb.CONTAINER_RUNNING and st.metadata.name == "app"
    assert st.log_path.endswith("app.log") or st.log_path == ""
    pod = (await client.pod_sandbox_status(result.pod_id)).status
    assert pod.metadata.name == "runpod"


async def test_container_into_selected_pod(client):
    pod_id = await client.run_pod_sandbox(PodForm(name="target", network="node").to_config())
    app = Host(lambda: NewContainerScreen(client, pod_id=pod_id))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        assert scr.target == pod_id and not scr.has_pod_section
        await fill(pilot, scr, "f-name", "second")
        await fill(pilot, scr, "f-image", SHELL)
        await fill(pilot, scr, "f-command", "sleep 600")
        result = await submit_and_wait(pilot, app)
    assert result.pod_id == pod_id
    assert (await client.container_status(result.id)).status.state == pb.CONTAINER_RUNNING


async def test_switching_target_to_new_pod_builds_the_pod_fields(client):
    pod_id = await client.run_pod_sandbox(PodForm(name="other", network="node").to_config())
    app = Host(lambda: NewContainerScreen(client, pod_id=pod_id))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await set_select(pilot, scr.query_one("#target"), "__new_pod__")
        await wait_for(lambda: scr.has_pod_section)
        await fill(pilot, scr, "f-name", "c")
        await fill(pilot, scr, "f-image", SHELL)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert scr.focused.id == "f-pod-name"  # the new pod's name is now required
        assert str(scr.query_one("#status").render()) == "Not submitted: Pod name is required."


async def test_runtime_error_is_shown_in_the_form_and_keeps_input(client):
    pods_before = len(await client.list_pod_sandbox())
    app = Host(lambda: NewContainerScreen(client, pod_id="f" * 64))  # a pod the runtime does not have
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await fill(pilot, scr, "f-name", "kept")
        await fill(pilot, scr, "f-image", SHELL)
        await fill(pilot, scr, "f-command", "sleep 1")
        await pilot.press("ctrl+s")
        await wait_for(lambda: not scr.busy and scr.query_one("#status").has_class("-error"))
        status = str(scr.query_one("#status").render())
        assert status.startswith(f"Reading pod {'f' * 13} failed, nothing was created: ")
        assert "\n" not in status
        assert app.screen is scr
        form = scr.section.read()
        assert (form.name, form.image, form.command) == ("kept", SHELL, "sleep 1")
    assert len(await client.list_pod_sandbox()) == pods_before


async def test_readonly_client_refusal_is_shown_in_the_form(node_endpoint):
    ro = CriClient(node_endpoint, timeout=10, readonly=True)
    try:
        app = Host(lambda: NewPodScreen(ro))
        async with app.run_test(size=(120, 40)) as pilot:
            scr = await screen_of(app, pilot, NewPodScreen)
            await fill(pilot, scr, "f-name", "nope")
            await pilot.press("ctrl+s")
            await wait_for(lambda: not scr.busy and scr.query_one("#status").has_class("-error"))
            assert str(scr.query_one("#status").render()).startswith("Creating pod nope failed: ")
            assert scr.section.read().name == "nope"
    finally:
        await ro.close()


async def test_missing_image_without_pull_is_refused_before_anything(client):
    pods_before = len(await client.list_pod_sandbox())
    app = Host(lambda: NewContainerScreen(client, disable_pull_on_run=True))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        assert scr.query_one("#f-pull_if_missing").value is False  # disable-pull-on-run
        await fill(pilot, scr, "f-name", "c")
        await fill(pilot, scr, "f-image", "localhost:5000/crit-test/absent:1")
        await fill(pilot, scr, "f-pod-name", "p")
        await pilot.press("ctrl+s")
        await wait_for(lambda: not scr.busy and scr.query_one("#status").has_class("-error"))
        assert "is not on the node" in str(scr.query_one("#status").render())
    assert len(await client.list_pod_sandbox()) == pods_before


async def test_escape_cancels(client):
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        await screen_of(app, pilot, NewPodScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_preview_timer_firing_during_teardown_is_harmless(client):
    """The preview is rebuilt by a timer a moment after typing; when it fires while the form is being torn down
    (closed right after a submit, seen in CI), its widgets are already gone: nothing may raise (an exception here
    ends the whole app)."""
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "web")
        await scr.query_one("#preview").remove()
        scr.update_preview()  # what the timer does
        await pilot.pause()
        assert app.is_running and app.screen is scr


# ------------------------------------------------------------------------------------------------------------------
# import / export
# ------------------------------------------------------------------------------------------------------------------

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


async def _dialog(pilot, scr, key: str, path, kind: str | None = None) -> None:
    from crit.ui.forms import PathDialog

    app = scr.app
    await pilot.press(key)
    await wait_for(lambda: isinstance(app.screen, PathDialog))
    dlg = app.screen
    if kind is not None and dlg.query("#kind"):
        await set_select(pilot, dlg.query_one("#kind"), kind)
    dlg.query_one("#path").value = str(path)
    dlg.query_one("#path").focus()
    await pilot.press("enter")
    await wait_for(lambda: app.screen is scr)
    await pilot.pause()


async def test_import_seed_pod_yaml_unchanged_and_export(client, tmp_path):
    from crit.cri import spec

    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await _dialog(pilot, scr, "ctrl+o", FIXTURES / "pod.yaml")
        assert str(scr.query_one("#status").render()) == f"Imported the pod config from {FIXTURES / 'pod.yaml'}."
        form = scr.section.read()
        assert (form.name, form.namespace, form.log_directory) == ("mysanbox", "default", "/root/temp")
        assert form.port_mappings[0].container_port == "80" and form.port_mappings[0].protocol == "TCP"
        assert len(form.uid) == 36  # the seed has no uid: one is generated
        want = spec.load_pod_config(FIXTURES / "pod.yaml")
        got = form.to_config()
        got.metadata.uid = ""
        assert got == want
        out = tmp_path / "out.yaml"
        await _dialog(pilot, scr, "ctrl+e", out)
        assert spec.load_pod_config(out) == form.to_config()


async def test_import_seed_container_yaml(client):
    app = Host(lambda: NewContainerScreen(client, pod_id="a" * 64))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await _dialog(pilot, scr, "ctrl+o", FIXTURES / "container.yaml")
        form = scr.section.read()
        assert (form.name, form.image, form.log_path) == ("test-ngx", "docker.io/nginx:1.18-alpine", "ngx.log")
        from crit.cri import spec

        assert form.to_config() == spec.load_container_config(FIXTURES / "container.yaml")


async def test_import_reports_unknown_key_with_its_path(client, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata:\n  name: x\n  nmae: y\nlabels:\n  a: b\n")
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "typed")
        await _dialog(pilot, scr, "ctrl+o", bad)
        status = str(scr.query_one("#status").render())
        assert status == (
            f"Import failed: {bad}, line 3: metadata.nmae: unknown key, PodSandboxMetadata has no "
            f"field 'nmae' (did you mean metadata.name?)."
        )
        assert scr.query_one("#status").has_class("-error")
        assert scr.section.read().name == "typed"  # nothing was half-imported


async def test_import_keeps_markup_literal_and_shows_errors(client, tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text('metadata:\n  name: "[bold red]x[/]"\n  namespace: default\n  uid: u1\n')
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await _dialog(pilot, scr, "ctrl+o", f)
        assert scr.query_one("#f-name").value == "[bold red]x[/]"
        # imported values are checked at once, and the message shows the characters, not red bold text
        assert error_of(scr, "name").startswith("Pod name '[bold red]x[/]' is not a valid DNS-1123 subdomain")
        line = scr.query_one("#e-name")
        assert "[bold red]" in str(line.render())


async def test_export_refused_while_invalid(client, tmp_path):
    out = tmp_path / "never.yaml"
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-attempt", "x")
        await _dialog(pilot, scr, "ctrl+e", out)
        assert str(scr.query_one("#status").render()).startswith("Not exported: Pod name is required.")
        assert scr.focused.id == "f-name"
    assert not out.exists()


async def test_prefilled_from_cli_config(client):
    from crit.cri import spec

    cfg = spec.load_pod_config(FIXTURES / "pod.yaml")
    cfg.linux.security_context.namespace_options.network = pb.NODE
    app = Host(lambda: NewPodScreen(client, config=cfg))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        assert scr.query_one("#f-name").value == "mysanbox"
        result = await submit_and_wait(pilot, app)
    st = (await client.pod_sandbox_status(result.id)).status
    assert st.metadata.name == "mysanbox" and st.metadata.uid  # a uid was generated for the uid-less seed


UI_MORE_RULES = [
    ("ctr", [("f-stdin_once", True)], "stdin_once", "Stdin once needs stdin to be ticked too."),
    (
        "ctr",
        [("f-log_path", "../up.log")],
        "log_path",
        "Log path '../up.log' must not leave the pod's log directory with '..'.",
    ),
    ("ctr", [("f-memory_limit", "1Mi")], "memory_limit", "Memory limit must be 0 (none) or at least 6Mi, not 1Mi."),
    ("ctr", [("f-image", "busy box")], "image", "Image 'busy box' must not contain white space."),
    (
        "pod",
        [("f-network", "node"), ("f-hostname", "h1")],
        "hostname",
        "Hostname cannot be set with network mode node: the pod shares the node's hostname.",
    ),
    ("pod", [("f-uid", "a b")], "uid", "Pod uid 'a b' must not contain white space."),
    (
        "newpod",
        [("f-privileged", True), ("f-pod-name", "p")],
        "privileged",
        "A privileged container needs a privileged pod: tick privileged in the pod too.",
    ),
]


@pytest.mark.parametrize("kind,steps,path,message", UI_MORE_RULES, ids=_ids(UI_MORE_RULES))
async def test_more_validation_messages(client, kind, steps, path, message):
    if kind == "pod":
        make, cls = (lambda: NewPodScreen(client)), NewPodScreen
    elif kind == "ctr":
        make, cls = (lambda: NewContainerScreen(client, pod_id="x" * 64)), NewContainerScreen
    else:
        make, cls = (lambda: NewContainerScreen(client)), NewContainerScreen
    app = Host(make)
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, cls)
        if kind != "pod":
            await fill(pilot, scr, "f-name", "app")
            await fill(pilot, scr, "f-image", "localhost:5000/busybox:latest")
        else:
            await fill(pilot, scr, "f-name", "web")
        for wid, value in steps:
            w = scr.query_one("#" + wid)
            if isinstance(value, bool):  # a checkbox: toggle it from the keyboard
                w.focus()
                await pilot.pause()
                if w.value != value:
                    await pilot.press("space")
            elif wid == "f-network":
                await set_select(pilot, w, value)
            else:
                await fill(pilot, scr, wid, value)
        await pilot.pause()
        line = scr._error_line_for(path)
        assert line.message == message and line.has_class("-shown")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert scr.focused.id == "f-" + path.replace(".", "-")
        assert str(scr.query_one("#status").render()).startswith(f"Not submitted: {message}")


async def test_runtime_rejection_of_run_pod_sandbox_is_kept_in_form(client):
    """The runtime refuses a second pod with the same name, namespace, uid and attempt (containerd: the name is
    reserved): the form shows that sentence and keeps what was typed."""
    await client.run_pod_sandbox(PodForm(name="dup", uid="same-uid", network="node").to_config())
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        await fill(pilot, scr, "f-name", "dup")
        await fill(pilot, scr, "f-uid", "same-uid")
        await set_select(pilot, scr.query_one("#f-network"), "node")
        await pilot.press("ctrl+s")
        await wait_for(lambda: not scr.busy and scr.query_one("#status").has_class("-error"))
        status = str(scr.query_one("#status").render())
        assert status.startswith("Creating pod dup failed: ")
        assert app.screen is scr and scr.section.read().uid == "same-uid"


async def test_container_that_fails_to_start_on_node(client):
    app = Host(lambda: NewContainerScreen(client))
    async with app.run_test(size=(120, 40)) as pilot:
        scr = await screen_of(app, pilot, NewContainerScreen)
        await fill(pilot, scr, "f-name", "broken")
        await fill(pilot, scr, "f-image", SHELL)
        await fill(pilot, scr, "f-command", "/no/such/binary")
        await fill(pilot, scr, "f-pod-name", "bp")
        await set_select(pilot, scr.query_one("#f-pod-network"), "node")
        result = await submit_and_wait(pilot, app)
    assert result.severity == "error" and "was created but failed to start" in result.message
    assert result.message.endswith("It is left as the runtime left it.")
    st = (await client.container_status(result.id)).status
    assert st.state in (pb.CONTAINER_CREATED, pb.CONTAINER_EXITED)


async def test_f2_switches_to_the_preview_on_a_narrow_terminal(client):
    app = Host(lambda: NewPodScreen(client))
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await screen_of(app, pilot, NewPodScreen)
        assert not scr.query_one("#side").display or scr.query_one("#side").region.width == 0
        await fill(pilot, scr, "f-name", "narrow")
        await pilot.press("f2")
        await wait_for(lambda: scr.query_one("#preview").region.width > 0, what="the preview shown")
        assert "name: narrow" in str(scr.query_one("#preview").render())
        await pilot.press("f2")
        await pilot.pause()
        assert scr.query_one("#f-name").region.width > 0
