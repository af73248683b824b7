"""Pilot tests of the main screen against the embedded CRI node (a real gRPC server in a subprocess):
navigation, filter, describe, config YAML, bulk remove with confirmation, readonly, markup safety, reconnect."""

from __future__ import annotations

import asyncio

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.node.process import NodeProcess
from crit.options import Options
from crit.ui.app import CritApp
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(120)]

REFRESH = 0.5


def Opts(endpoint: str, readonly: bool = False, refresh: float = REFRESH) -> Options:
    return Options(runtime_endpoint=endpoint, readonly=readonly, refresh=refresh)


@pytest.fixture
def node(tmp_path):
    """`crit node serve --demo` on a private socket; can be stopped and started again on the same socket."""
    n = NodeProcess(demo=True, root=str(tmp_path), start_timeout=20)
    n.start()
    try:
        yield n
    finally:
        n.stop()


async def refreshes(app, n: int) -> None:
    """Wait until the model has refreshed ``n`` more times (what a fixed sleep of n refresh periods meant)."""
    start = app.model.cycles
    await wait_for(lambda: app.model.cycles >= start + n, 10 + 5 * n * REFRESH, what=f"{n} refreshes")
    await asyncio.sleep(0)


def tables(app):
    return tuple(app.main.panels[k].table for k in ("pods", "containers", "images"))


async def started(app, pilot):
    await asyncio.wait_for(app.first_frame.wait(), 15)
    await pilot.pause()


async def test_navigation_and_command_line(node):
    client = CriClient(node.endpoint)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, imgs = tables(app)
        assert app.focused is pods and pods.row_count > 3
        await pilot.press("tab")
        assert app.focused is ctrs
        await pilot.press("tab")
        assert app.focused is imgs
        await pilot.press("tab")
        assert app.focused is pods
        await pilot.press("shift+tab")
        assert app.focused is imgs
        await pilot.press("1")
        assert app.focused is pods
        first = pods.cursor_key
        await pilot.press("j", "j")
        assert pods.cursor_index == 2
        await pilot.press("k")
        assert pods.cursor_index == 1 and pods.cursor_key != first
        await pilot.press("down", "up", "up")
        assert pods.cursor_key == first
        await pilot.press("3")
        assert app.focused is imgs
        await pilot.press("colon", *"containers", "enter")
        assert app.focused is ctrs
        await pilot.press("colon", *"pods", "enter")
        assert app.focused is pods
        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        assert any("Unknown command :bogus" in n for n in notifications(app))
        # enter on a pod shows only its containers; enter again shows all
        await pilot.press("1")
        web = next(k for k in pods.view_keys if pods.rows[k].cells[1].startswith("web-"))
        pods.move_cursor_to_key(web)
        await pilot.press("enter")
        assert app.focused is ctrs and ctrs.row_count == 2
        assert all(ctrs.rows[k].obj.pod_sandbox_id == web for k in ctrs.view_keys)
        await pilot.press("1", "enter")
        assert ctrs.row_count == len(ctrs.rows)
        await pilot.press("enter", "escape")  # esc in the containers panel clears the pod scope too
        assert ctrs.row_count == len(ctrs.rows)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "ctrl+k" in text and "filter the focused panel" in text
        await pilot.press("escape")
        assert app.screen is app.main
        await pilot.press("colon", "q", "enter")
        await pilot.pause()
    assert app.return_code == 0
    await client.close()


async def test_filter_regex_plain_invert_labels(node):
    client = CriClient(node.endpoint)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, _ = tables(app)
        total = pods.row_count
        names = lambda: [pods.rows[k].cells[1] for k in pods.view_keys]  # noqa: E731
        await pilot.press("slash", *"^web|CART", "enter")  # regex, case-insensitive
        assert names() and all(n.startswith("web") or n.startswith("cart") for n in names())
        assert app.focused is pods
        await pilot.press("escape")
        assert pods.row_count == total
        await pilot.press("slash", *"!shop", "enter")  # inverted
        assert names() and all(pods.rows[k].cells[2] != "shop" for k in pods.view_keys)
        await pilot.press("escape")
        # an invalid regex is taken as plain text: "(" matches nothing here but does not fail
        await pilot.press("slash", "left_parenthesis", "left_parenthesis", "enter")
        assert app.main.panels["pods"].filter.plain and pods.row_count == 0
        await pilot.press("escape")
        # the ID column is searched too
        some = pods.view_keys[3]
        await pilot.press("slash", *some[:10], "enter")
        assert pods.view_keys == [some]
        await pilot.press("escape")
        # labels
        ns_of = {k: pods.rows[k].obj.labels.get("io.kubernetes.pod.namespace") for k in pods.rows}
        await pilot.press("slash", *"-l io.kubernetes.pod.namespace=shop", "enter")
        assert pods.row_count == sum(1 for v in ns_of.values() if v == "shop") > 0
        await pilot.press("escape")
        await pilot.press("slash", *"!-l io.kubernetes.pod.namespace=shop", "enter")
        assert pods.row_count == sum(1 for v in ns_of.values() if v != "shop") > 0
        await pilot.press("escape")
        assert pods.row_count == total
        # the filter survives refreshes and applies to the focused panel only
        await pilot.press("2", "slash", *"running", "enter")
        await refreshes(app, 3)
        assert ctrs.row_count and all(ctrs.rows[k].cells[4] == "Running" for k in ctrs.view_keys)
        assert pods.row_count == total
    await client.close()


async def test_describe_and_config_yaml(node):
    client = CriClient(node.endpoint)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, imgs = tables(app)
        pid = pods.cursor_key
        await pilot.press("d")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: pid in area.text, 10)
        assert "metadata:" in area.text and "state: SANDBOX_" in area.text and "info:" in area.text
        # search
        await pilot.press("slash", *"namespace", "enter")
        assert area.selected_text.lower() == "namespace"
        first = area.selection
        await pilot.press("n")
        assert area.selection != first and area.selected_text.lower() == "namespace"
        await pilot.press("escape")
        assert app.screen is app.main
        # y: the pod's config as crictl YAML
        await pilot.press("y")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: "metadata:" in area.text and "name:" in area.text, 10)
        name = pods.rows[pid].obj.metadata.name
        assert f"name: {name}" in area.text
        from crit.cri import spec

        assert spec.loads(area.text, pb.PodSandboxConfig).metadata.name == name  # crictl's format
        await pilot.press("escape")
        # containers and images too
        await pilot.press("2", "d")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: ctrs.cursor_key in area.text, 10)
        await pilot.press("escape", "3", "d")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: imgs.cursor_key in area.text, 10)
        await pilot.press("escape")
    await client.close()


async def _make_pod(client: CriClient, name: str, n_containers: int = 0) -> tuple[str, list[str]]:
    cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, namespace="crit-test", uid=name + "-uid"))
    pid = await client.run_pod_sandbox(cfg)
    images = await client.list_images()
    image = images[0].repo_tags[0]
    cids = []
    for i in range(n_containers):
        cc = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=f"c{i}"), image=pb.ImageSpec(image=image))
        cids.append(await client.create_container(pid, cc, cfg))
    return pid, cids


async def test_bulk_remove_with_confirmation(node):
    client = CriClient(node.endpoint)
    other = CriClient(node.endpoint)
    pid, cids = await _make_pod(other, "bulk-target", 3)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, _ = tables(app)
        await wait_for(lambda: all(c in ctrs.rows for c in cids), 5)
        await pilot.press("2")
        for cid in cids[:2]:
            assert ctrs.move_cursor_to_key(cid)
            await pilot.press("space")
        assert ctrs.marks == set(cids[:2])
        assert "2 marked" in str(app.main.panels["containers"].border_title)
        await pilot.press("ctrl+d")
        await pilot.pause()
        text = screen_text(app)
        assert "Remove 2 containers?" in text and "container c0 in pod bulk-target" in text
        assert "container c1 in pod bulk-target" in text and "c2 in pod" not in text
        await pilot.press("n")  # cancelled: nothing goes
        await refreshes(app, 2)
        assert {c.id for c in await other.list_containers(pod_id=pid)} == set(cids)
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(lambda: cids[0] not in ctrs.rows and cids[1] not in ctrs.rows, 10)
        assert {c.id for c in await other.list_containers(pod_id=pid)} == {cids[2]}
        assert not ctrs.marks
        # a single pod: stop asks, names it, and the runtime stops it
        await pilot.press("1")
        assert pods.move_cursor_to_key(pid)
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert "Stop pod bulk-target (namespace crit-test" in screen_text(app)
        assert "None of its containers is running." in screen_text(app)  # c2 is left, created, never started
        await pilot.press("y")
        await wait_for(lambda: pods.rows[pid].cells[3] == "NotReady", 10)
        # a failed action shows the runtime's message: remove an image that a container uses
    await other.close()
    await client.close()


async def test_failed_action_is_a_notification(node):
    client = CriClient(node.endpoint)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        # a pull the runtime refuses: the runtime's message arrives as one notification; nothing crashes
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("enter")  # empty reference: the dialog says what to type and stays
        await pilot.pause()
        assert "Type an image reference first" in screen_text(app)
        await pilot.press(*"localhost:5000/does-not-exist:1", "enter")
        await wait_for(lambda: any("not found" in n for n in notifications(app)), 10)
        note = next(n for n in notifications(app) if "not found" in n)
        assert "does-not-exist" in note and "\n" not in note
        assert app.screen is app.main and app.model.state.connected
    await client.close()


async def test_readonly_hides_and_refuses(node):
    client = CriClient(node.endpoint, readonly=True)
    app = CritApp(client, Opts(node.endpoint, readonly=True))
    async with app.run_test(size=(160, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, _ = tables(app)
        footer = screen_text(app).splitlines()[-1]
        assert "Describe" in footer or "Desc" in footer
        assert "Stop" not in footer and "Remove" not in footer and "Pull" not in footer
        assert "READ-ONLY" in screen_text(app)
        n = len(pods.rows)
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert app.screen is app.main  # no confirmation dialog
        await pilot.press("ctrl+k", "p")
        await pilot.pause()
        assert app.screen is app.main
        await refreshes(app, 2)
        assert len(pods.rows) == n
    # enforced in the client, not only in the UI
    with pytest.raises(E.ReadOnlyError):
        await client.remove_pod_sandbox(pods.cursor_key)
    with pytest.raises(E.ReadOnlyError):
        await client.pull_image("localhost:5000/x:1")
    await client.close()


async def test_untrusted_text_is_shown_literally(node):
    client = CriClient(node.endpoint)
    other = CriClient(node.endpoint)
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name="[bold red]x[/]", namespace="evil\x1b[2Jns", uid="u-evil"),
        labels={"app": "[link=http://x]y"},
    )
    pid = await other.run_pod_sandbox(cfg)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(160, 40)) as pilot:
        await started(app, pilot)
        pods = tables(app)[0]
        await wait_for(lambda: pid in pods.rows, 5)
        pods.move_cursor_to_key(pid)
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]x[/]" in text  # the markup is shown as characters
        assert "evil^[[2Jns" in text  # the escape character is made visible
        assert "\x1b" not in text
        # the same in the describe view, the confirmation and the filter
        await pilot.press("d")
        area = app.screen.query_one("TextArea")
        await wait_for(lambda: pid in area.text, 10)
        assert "[bold red]x[/]" in area.text and "\x1b" not in area.text
        await pilot.press("escape", "ctrl+d")
        await pilot.pause()
        text = screen_text(app)
        assert "pod [bold red]x[/] (namespace evil^[[2Jns" in text and "\x1b" not in text
        await pilot.press("n")
        await pilot.press("slash", *"-l app=[link=http://x]y", "enter")
        assert pods.view_keys == [pid]
    await other.close()
    await client.close()


async def test_reconnect_after_node_restart(node):
    client = CriClient(node.endpoint, timeout=2)
    app = CritApp(client, Opts(node.endpoint, refresh=1.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods = tables(app)[0]
        n = len(pods.rows)
        node.stop()
        await wait_for(lambda: not app.model.state.connected, 5)
        await pilot.pause()
        text = screen_text(app)
        assert "DISCONNECTED" in text and "STALE" in text
        assert node.socket in app.model.state.reason or "socket" in app.model.state.reason.lower()
        assert len(pods.rows) == n  # the last data is kept, visibly stale
        assert pods.has_class("-stale")
        await wait_for(lambda: app.model.state.failures >= 3, 10, what="3 failed retries")  # it kept retrying
        node.start()
        t = await wait_for(lambda: app.model.state.connected, 1.0 + 2.0)
        await pilot.pause()
        assert "DISCONNECTED" not in screen_text(app) and not pods.has_class("-stale")
        assert len(pods.rows) >= 1
        print(f"resumed {t:.2f}s after the node came back")
    await client.close()


async def test_command_typed_in_one_burst_goes_to_the_prompt(node):
    """Keys typed in the same burst as `:` (before focus has moved to the prompt) belong to the command line: the
    `n` of `:events` must not open the New pod form, and `enter` runs the command."""
    from textual import events

    client = CriClient(node.endpoint)
    app = CritApp(client, Opts(node.endpoint))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pods, ctrs, imgs = tables(app)
        # post the whole burst before the loop runs once: as a fast typist (or a paste) delivers it
        for key, char in [("colon", ":")] + [(ch, ch) for ch in "cnontainers"]:
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        assert app.screen is app.main, f"a view opened instead of the command running: {type(app.screen).__name__}"
        assert any("Unknown command :cnontainers" in n for n in notifications(app))
        assert app.focused is pods
        for key, char in [("colon", ":")] + [(ch, ch) for ch in "containers"]:
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        assert app.screen is app.main and app.focused is ctrs
    await client.close()
