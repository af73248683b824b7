"""A node with fixed content and a frozen clock, for screen tests (``snap_compare`` and text snapshots).

    def test_x(frozen, snap_compare):
        app = fixed_app()                        # CritApp on FixedNode(), statistics off
        assert snap_compare(app, terminal_size=(80, 24), run_before=settled)

``settled(pilot)`` waits (with a timeout) until the first frame is drawn and the details the panels fetch after
it (exit codes, pod IPs) are in, so the picture does not depend on the machine's speed.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.keymap import MAIN_ONLY
from tests.waiting import wait_for

NOW = 1_764_320_400.0  # 2025-11-28T09:00:00Z
NS = 1_000_000_000


def at(seconds_ago: float) -> int:
    return int((NOW - seconds_ago) * NS)


class FixedNode:
    """A node with fixed content, answering like a runtime (no statistics: the columns say n/a)."""

    def __init__(self) -> None:
        img = "sha256:" + "1" * 64
        self.images = [
            pb.Image(id=img, repo_tags=["localhost:5000/library/nginx:1.25.3"], size=70_500_000),
            pb.Image(id="sha256:" + "2" * 64, repo_tags=["localhost:5000/pause:3.9"], size=330_000, pinned=True),
            pb.Image(
                id="sha256:" + "3" * 64, repo_digests=["localhost:5000/untagged@sha256:" + "4" * 64], size=5_000_000
            ),
        ]
        self.pods = [
            pb.PodSandbox(
                id="a" * 64,
                metadata=pb.PodSandboxMetadata(name="web-7c9d8f6b5-abcde", namespace="default", uid="u1"),
                state=pb.SANDBOX_READY,
                created_at=at(5 * 3600),
                labels={"app": "web"},
            ),
            pb.PodSandbox(
                id="b" * 64,
                metadata=pb.PodSandboxMetadata(name="[bold red]x[/]", namespace="evil\x1bns", uid="u2", attempt=1),
                state=pb.SANDBOX_NOTREADY,
                created_at=at(90),
            ),
        ]
        self.containers = [
            pb.Container(
                id="c" * 64,
                pod_sandbox_id="a" * 64,
                metadata=pb.ContainerMetadata(name="nginx"),
                image=pb.ImageSpec(image="localhost:5000/library/nginx:1.25.3"),
                image_ref=img,
                state=pb.CONTAINER_RUNNING,
                created_at=at(5 * 3600),
            ),
            pb.Container(
                id="d" * 64,
                pod_sandbox_id="a" * 64,
                metadata=pb.ContainerMetadata(name="init", attempt=2),
                image=pb.ImageSpec(image=img),
                image_ref=img,
                state=pb.CONTAINER_EXITED,
                created_at=at(6 * 3600),
            ),
        ]

    async def version(self):
        return pb.VersionResponse(runtime_name="fixed", runtime_version="1.0", runtime_api_version="v1")

    async def status(self, verbose=False):
        return pb.StatusResponse(
            status=pb.RuntimeStatus(
                conditions=[
                    pb.RuntimeCondition(type="RuntimeReady", status=True),
                    pb.RuntimeCondition(
                        type="NetworkReady",
                        status=False,
                        reason="NetworkPluginNotReady",
                        message="cni config uninitialized",
                    ),
                ]
            )
        )

    async def list_pod_sandbox(self, *a, **k):
        return list(self.pods)

    async def list_containers(self, *a, **k):
        return list(self.containers)

    async def list_images(self, *a, **k):
        return list(self.images)

    async def container_status(self, cid, verbose=False):
        c = next(c for c in self.containers if c.id == cid)
        st = pb.ContainerStatus(
            id=cid,
            metadata=c.metadata,
            state=c.state,
            created_at=c.created_at,
            exit_code=1 if c.state == pb.CONTAINER_EXITED else 0,
            reason="Error" if c.state == pb.CONTAINER_EXITED else "",
            image=c.image,
            image_ref=c.image_ref,
        )
        return pb.ContainerStatusResponse(status=st, info={"info": '{"pid": 42, "sandboxID": "' + "a" * 64 + '"}'})

    async def pod_sandbox_status(self, pid, verbose=False):
        ip = "10.88.0.4" if pid == "a" * 64 else ""
        return pb.PodSandboxStatusResponse(
            status=pb.PodSandboxStatus(id=pid, network=pb.PodSandboxNetworkStatus(ip=ip))
        )


def Opts(readonly: bool = False) -> Options:
    """The fixed app's options: the demo theme and a containerd endpoint (shown in the header)."""
    return Options(readonly=readonly, theme="crit-dark", runtime_endpoint="unix:///run/containerd/containerd.sock")


@pytest.fixture
def frozen(monkeypatch):
    # only the main screen's own keys (crit.ui.keymap.MAIN_ONLY): the keys of the other areas change as they grow
    monkeypatch.setattr(CritApp, "KEYMAP", MAIN_ONLY)
    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def fixed_app(node: FixedNode | None = None, opts: Options | None = None) -> CritApp:
    """CritApp on ``node`` (default: a new FixedNode) with its resource statistics kept out of the picture."""
    app = CritApp(node or FixedNode(), opts or Opts())  # type: ignore[arg-type]  # FixedNode answers like a CriClient
    app.stats.start = lambda *a, **k: None  # statistics arrive on their own clock
    return app


async def settled(pilot) -> None:
    """Wait until the fixed node's first frame and fetched details (exit code, pod IP) are on screen."""
    app = pilot.app
    await wait_for(app.first_frame.is_set, 15, "the first frame")
    ctrs = app.main.panels["containers"].table
    await wait_for(
        lambda: "d" * 64 not in ctrs.rows or (ctrs.rows["d" * 64].cells[7] == "1" and app.model.pod_ip.get("a" * 64)),
        15,
        "exit code and pod IP",
    )
    await pilot.pause()


async def steady_cursor(pilot) -> None:
    """The focused field's cursor drawn steadily (not blinking), so the picture does not depend on timing."""
    from textual.widgets import Input, TextArea

    for w in pilot.app.screen.query("Input, TextArea"):
        if isinstance(w, (Input, TextArea)):
            w.cursor_blink = False
    await pilot.pause()


@contextlib.contextmanager
def fixed_path_lock(path):
    """Hold an exclusive lock named after ``path`` (a fixed path a picture shows, e.g. a log file in the title) while
    a test uses it, so several test runs on one machine do not remove each other's file."""
    import fcntl

    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
