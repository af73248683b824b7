"""Destructive confirmations (issue 10, B9 and the D wording): the question names the kind and the object, the
answer defaults to no, a pinned or used image is warned about in words, a pod's containers are counted right."""

from __future__ import annotations

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.model.kinds import CONTAINERS, IMAGES, PODS
from crit.ui.panels import Row
from tests.fixed_node import FixedNode, fixed_app, settled
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
PAUSE = "sha256:" + "2" * 64
NGINX = "sha256:" + "1" * 64
WEB = "a" * 64


class RemovingNode(FixedNode):
    """The fixed node, recording the mutating calls it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    async def remove_image(self, ref):
        self.calls.append(("remove_image", ref))

    async def stop_pod_sandbox(self, pid):
        self.calls.append(("stop_pod_sandbox", pid))


def dialog_text(app) -> str:
    """The dialog's text as drawn: the screen cropped to the dialog's box, lines joined with spaces."""
    box = app.screen.query_one("Vertical").region
    lines = screen_text(app).splitlines()[box.y : box.bottom]
    return " ".join(" ".join(line[box.x : box.right].strip(" ▊▎▌▐▔▁█") for line in lines).split())


async def _open(pilot, panel: str, key: str, what: str) -> None:
    app = pilot.app
    await pilot.press(panel)
    await pilot.pause()
    kind = {"1": "pods", "2": "containers", "3": "images"}[panel]
    assert app.main.panels[kind].table.move_cursor_to_key(key)
    await pilot.press(what)
    await wait_for(lambda: type(app.screen).__name__ == "ConfirmDialog", 5, "the confirmation")
    question = str(app.screen.question)
    await wait_for(
        lambda: question in dialog_text(app) and "Cancel" in dialog_text(app), 5, "the question drawn in full"
    )


# ---------------------------------------------------------------------------------------------- the dialog


async def test_remove_pinned_image_names_it_warns_and_defaults_to_no():
    node = RemovingNode()
    app = fixed_app(node)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await _open(pilot, "3", PAUSE, "ctrl+d")
        text = dialog_text(app)
        assert "Remove image localhost:5000/pause:3.9 (id 2222222222222)?" in text
        assert "It is pinned (the runtime's sandbox image?)" in text and "new pods may not start without it" in text
        await pilot.press("enter")  # the focused button is Cancel: enter keeps the image
        await wait_for(lambda: app.screen is app.main, 5, "the dialog closed")
        assert node.calls == []
        await _open(pilot, "3", PAUSE, "ctrl+d")
        await pilot.press("n")
        await wait_for(lambda: app.screen is app.main, 5, "the dialog closed")
        assert node.calls == []
        await _open(pilot, "3", PAUSE, "ctrl+d")
        await pilot.press("tab", "enter")  # tabbing to Remove confirms
        await wait_for(lambda: node.calls == [("remove_image", PAUSE)], 5, "the removal")
        await wait_for(
            lambda: "Removed image localhost:5000/pause:3.9 (id 2222222222222)." in notifications(app),
            5,
            "the notification naming the image",
        )


async def test_remove_image_in_use_warns_with_the_count():
    node = RemovingNode()
    app = fixed_app(node)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await _open(pilot, "3", NGINX, "ctrl+d")
        text = dialog_text(app)
        assert "Remove image localhost:5000/library/nginx:1.25.3 (id 1111111111111)?" in text
        assert "2 containers use it; removal will fail or break them." in text
        assert "pinned" not in text
        await pilot.press("y")
        await wait_for(lambda: node.calls == [("remove_image", NGINX)], 5, "the removal")


async def test_stop_pod_says_its_containers_stop_too():
    node = RemovingNode()
    app = fixed_app(node)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await _open(pilot, "1", WEB, "ctrl+k")
        text = dialog_text(app)
        assert "Stop pod web-7c9d8f6b5-abcde (namespace default, id aaaaaaaaaaaaa)?" in text
        assert "Its 1 running container stops too." in text
        await pilot.press("escape")
        await wait_for(lambda: app.screen is app.main, 5, "the dialog closed")
        assert node.calls == []


async def test_bulk_notifications_count_in_singular_and_plural():
    """1 of 5 marked images removed, 4 refused: "Removed 1 image.", three errors naming each, "… and 1 more
    failure." (five notifications: all on screen at once, see CritApp.MAX_TOASTS)."""
    from crit.cri.errors import CriError

    node = RemovingNode()
    node.images += [pb.Image(id=f"sha256:{i}" + "0" * 63, repo_tags=[f"localhost:5000/x{i}:1"]) for i in range(4, 6)]

    async def remove_image(ref):
        if ref != NGINX:
            raise CriError("the runtime said no.")
        node.calls.append(("remove_image", ref))

    node.remove_image = remove_image
    app = fixed_app(node)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        table = app.main.panels["images"].table
        await wait_for(lambda: len(table.rows) == 5, 5, "five images")
        await app._bulk("remove", IMAGES, list(table.rows.values()))
        await wait_for(lambda: "… and 1 more failure." in notifications(app), 5, "the last notification")
        notes = notifications(app)
        assert "Removed 1 image." in notes and node.calls == [("remove_image", NGINX)]
        assert sum(n.startswith("Could not remove image ") for n in notes) == 3 and len(notes) == app.MAX_TOASTS


# ---------------------------------------------------------------------------------------------- the wording


def _pod(pid: str, name: str) -> Row:
    return Row(
        pid,
        (pid[:13], name),
        name,
        obj=pb.PodSandbox(id=pid, metadata=pb.PodSandboxMetadata(name=name, namespace="ns"), state=pb.SANDBOX_READY),
    )


def _ctr(cid: str, running: bool) -> Row:
    return Row(
        cid,
        (cid[:13], "c", "pod-x"),
        cid,
        obj=pb.Container(
            id=cid,
            metadata=pb.ContainerMetadata(name="c"),
            state=pb.CONTAINER_RUNNING if running else pb.CONTAINER_EXITED,
        ),
    )


def _img(iid: str, tag: str, pinned: bool = False) -> Row:
    return Row(iid, (tag,), tag, obj=pb.Image(id=iid, repo_tags=[tag], pinned=pinned))


def test_pod_wording_singular_and_plural():
    one, two = _pod("1" * 64, "one"), _pod("2" * 64, "two")
    counts = {one.key: (1, 2), two.key: (2, 3)}
    q, items, note, warning = PODS.confirmation("stop", [one], counts, {})
    assert q == "Stop pod one (namespace ns, id 1111111111111)?" and items == [] and warning == ""
    assert note == "Its 1 running container stops too."
    assert PODS.confirmation("stop", [one, two], counts, {})[2] == "Their 3 running containers stop too."
    assert PODS.confirmation("stop", [one], {one.key: (0, 2)}, {})[2] == "None of its containers is running."
    assert PODS.confirmation("remove", [one], counts, {})[2] == "Its 2 containers are stopped and removed too."
    assert PODS.confirmation("remove", [one], {one.key: (0, 1)}, {})[2] == "Its 1 container is stopped and removed too."
    assert PODS.confirmation("remove", [one], {}, {})[2] == ""  # no containers: nothing to add
    q, items, note, _ = PODS.confirmation("remove", [one, two], counts, {})
    assert q == "Remove 2 pods?" and note == "Their 5 containers are stopped and removed too."
    assert items == ["pod one (namespace ns, id 1111111111111)", "pod two (namespace ns, id 2222222222222)"]


def test_container_wording():
    run, done = _ctr("c" * 64, True), _ctr("d" * 64, False)
    assert CONTAINERS.confirmation("remove", [run], {}, {})[2] == "It is running: it is stopped first."
    assert CONTAINERS.confirmation("remove", [done], {}, {})[2] == ""
    assert CONTAINERS.confirmation("remove", [run, done], {}, {})[2] == "1 of them is running and stopped first."
    assert CONTAINERS.confirmation("stop", [run], {}, {})[0] == "Stop container c in pod pod-x (id ccccccccccccc)?"
    assert (
        CONTAINERS.confirmation("stop", [run], {}, {})[2]
        == "It gets 10 s to exit after the stop signal, then is killed."
    )
    assert (
        CONTAINERS.confirmation("stop", [run, done], {}, {})[2]
        == "Each gets 10 s to exit after the stop signal, then is killed."
    )
    assert CONTAINERS.confirmation("stop", [done], {}, {})[2] == "It is not running: there is nothing to stop."
    assert CONTAINERS.confirmation("stop", [done, done], {}, {})[2] == "None of them is running."


def test_image_warnings_for_several():
    pause, nginx = _img(PAUSE, "r/pause:3.9", pinned=True), _img(NGINX, "r/nginx:1")
    free = _img("sha256:" + "3" * 64, "r/free:1")
    q, items, note, warning = IMAGES.confirmation("remove", [pause, nginx, free], {}, {NGINX: 1})
    assert q == "Remove 3 images?" and note == ""
    assert warning == (
        "1 of them is pinned (the runtime's sandbox image?): new pods may not start without it. "
        "1 of them is used by 1 container; removal will fail or break it."
    )
    assert items == [
        "image r/pause:3.9 (id 2222222222222) — pinned",
        "image r/nginx:1 (id 1111111111111) — used by 1 container",
        "image r/free:1 (id 3333333333333)",
    ]
    assert (
        IMAGES.confirmation("remove", [nginx], {}, {NGINX: 1})[3]
        == "1 container uses it; removal will fail or break it."
    )
    assert IMAGES.confirmation("remove", [free], {}, {})[3] == ""


def test_image_names_untagged_and_several_tags():
    several = Row(
        "sha256:" + "5" * 64, (), "", obj=pb.Image(id="sha256:" + "5" * 64, repo_tags=["r/a:1", "r/a:2", "r/b:1"])
    )
    q, _, note, _ = IMAGES.confirmation("remove", [several], {}, {})
    assert q == "Remove image r/a:1 (2 more tags, id 5555555555555)?"
    assert note == "All its 3 tags are removed with it."
    untagged = Row(
        "sha256:" + "6" * 64, (), "", obj=pb.Image(id="sha256:" + "6" * 64, repo_digests=["r/old@sha256:" + "7" * 64])
    )
    assert IMAGES.confirmation("remove", [untagged], {}, {})[:3] == (
        "Remove image r/old (untagged, id 6666666666666)?",
        [],
        "",
    )
    nameless = Row("sha256:" + "8" * 64, (), "", obj=pb.Image(id="sha256:" + "8" * 64))
    assert IMAGES.confirmation("remove", [nameless], {}, {})[0] == "Remove image 8888888888888 (no name)?"


def test_image_run_by_pods_as_their_sandbox():
    pause, other = _img(PAUSE, "r/pause:3.9", pinned=True), _img(NGINX, "r/pause:3.10")
    assert IMAGES.confirmation("remove", [pause], {}, {}, {PAUSE: 2})[3] == (
        "It is pinned (the runtime's sandbox image?) and 2 pods run on it: new pods may not start without it, and it "
        "may not be possible to pull it back."
    )
    assert IMAGES.confirmation("remove", [other], {}, {}, {NGINX: 1})[3] == (
        "1 pod runs on it (the runtime's sandbox image): new pods may not start without it."
    )
    assert IMAGES.confirmation("remove", [pause, other], {}, {NGINX: 3}, {PAUSE: 2})[1] == [
        "image r/pause:3.9 (id 2222222222222) — pinned; 2 pods run on it",
        "image r/pause:3.10 (id 1111111111111) — used by 3 containers",
    ]


# ---------------------------------------------------------------------------------------------- snapshots


def _snap(panel: str, key: str, what: str):
    async def run_before(pilot):
        await settled(pilot)
        await _open(pilot, panel, key, what)

    return run_before


@SIZES
def test_snapshot_remove_pinned_image(frozen, snap_compare, size):
    assert snap_compare(fixed_app(RemovingNode()), terminal_size=size, run_before=_snap("3", PAUSE, "ctrl+d"))


@SIZES
def test_snapshot_remove_image_in_use(frozen, snap_compare, size):
    assert snap_compare(fixed_app(RemovingNode()), terminal_size=size, run_before=_snap("3", NGINX, "ctrl+d"))


@SIZES
def test_snapshot_stop_pod(frozen, snap_compare, size):
    assert snap_compare(fixed_app(RemovingNode()), terminal_size=size, run_before=_snap("1", WEB, "ctrl+k"))


# ---------------------------------------------------------------------------------------------- the real crit


def test_tmux_removing_the_pinned_pause_image_warns_and_enter_keeps_it():
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait_text("Images [")
        t.wait_text("Pods [13]")
        footer = t.lines()[-1]
        t.keys("3")
        t.wait(lambda s: s.splitlines()[-1] != footer, what="the Images panel focused (its footer)")
        # the demo's images by name: netshoot, busybox, coredns, etcd, fluent-bit, kube-proxy, nginx, redis, pause
        t.keys("g", *["j"] * 8, "C-d")
        screen = t.wait(lambda s: "It is pinned" in s and "Cancel (n)" in s, what="the warning")
        assert "Remove image localhost:5000/pause:3.9" in screen
        t.keys("Enter")  # the default answer is no
        t.wait_gone("Cancel (n)", timeout=10)
        screen = t.wait(lambda s: "Images [16]" in s, what="the panels again, all images kept")
        assert "Removed" not in screen


@SIZES
def test_snapshot_remove_marked_images(frozen, snap_compare, size):
    """Three marked images: the count in the question, each listed with what is special about it."""

    async def run_before(pilot):
        await settled(pilot)
        app = pilot.app
        await pilot.press("3")
        table = app.main.panels["images"].table
        for key in sorted(table.rows):
            assert table.move_cursor_to_key(key)
            await pilot.press("space")
        await wait_for(lambda: len(table.marks) == 3, 5, "three marked images")
        await pilot.press("ctrl+d")
        await wait_for(lambda: type(app.screen).__name__ == "ConfirmDialog", 5, "the confirmation")
        await wait_for(
            lambda: "Remove 3 images?" in dialog_text(app) and "Cancel" in dialog_text(app), 5, "the dialog drawn"
        )

    assert snap_compare(fixed_app(RemovingNode()), terminal_size=size, run_before=run_before)
