"""Snapshot tests: the main screen, the help screen and a describe view drawn at 80x24 and 160x48 from fixed
data and a frozen clock, compared with the text in tests/snapshots/ (and exported as SVG alongside, to look at).

Regenerate after an intended change with:  CRIT_UPDATE_SNAPSHOTS=1 pytest tests/test_ui_snapshots.py
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.ui.app import CritApp
from tests.ui_helpers import screen_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
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
            pb.Image(id="sha256:" + "3" * 64, repo_digests=["localhost:5000/untagged@sha256:" + "4" * 64],
                     size=5_000_000),
        ]
        self.pods = [
            pb.PodSandbox(id="a" * 64, metadata=pb.PodSandboxMetadata(name="web-7c9d8f6b5-abcde", namespace="default",
                          uid="u1"), state=pb.SANDBOX_READY, created_at=at(5 * 3600), labels={"app": "web"}),
            pb.PodSandbox(id="b" * 64, metadata=pb.PodSandboxMetadata(name="[bold red]x[/]", namespace="evil\x1bns",
                          uid="u2", attempt=1), state=pb.SANDBOX_NOTREADY, created_at=at(90)),
        ]
        self.containers = [
            pb.Container(id="c" * 64, pod_sandbox_id="a" * 64, metadata=pb.ContainerMetadata(name="nginx"),
                         image=pb.ImageSpec(image="localhost:5000/library/nginx:1.25.3"), image_ref=img,
                         state=pb.CONTAINER_RUNNING, created_at=at(5 * 3600)),
            pb.Container(id="d" * 64, pod_sandbox_id="a" * 64, metadata=pb.ContainerMetadata(name="init", attempt=2),
                         image=pb.ImageSpec(image=img), image_ref=img, state=pb.CONTAINER_EXITED,
                         created_at=at(6 * 3600)),
        ]

    async def version(self):
        return pb.VersionResponse(runtime_name="fixed", runtime_version="1.0", runtime_api_version="v1")

    async def status(self, verbose=False):
        return pb.StatusResponse(status=pb.RuntimeStatus(conditions=[
            pb.RuntimeCondition(type="RuntimeReady", status=True),
            pb.RuntimeCondition(type="NetworkReady", status=False, reason="NetworkPluginNotReady",
                                message="cni config uninitialized")]))

    async def list_pod_sandbox(self, *a, **k):
        return list(self.pods)

    async def list_containers(self, *a, **k):
        return list(self.containers)

    async def list_images(self, *a, **k):
        return list(self.images)

    async def container_status(self, cid, verbose=False):
        c = next(c for c in self.containers if c.id == cid)
        st = pb.ContainerStatus(id=cid, metadata=c.metadata, state=c.state, created_at=c.created_at,
                                exit_code=1 if c.state == pb.CONTAINER_EXITED else 0,
                                reason="Error" if c.state == pb.CONTAINER_EXITED else "", image=c.image,
                                image_ref=c.image_ref)
        return pb.ContainerStatusResponse(status=st, info={"info": '{"pid": 42, "sandboxID": "' + "a" * 64 + '"}'})

    async def pod_sandbox_status(self, pid, verbose=False):
        ip = "10.88.0.4" if pid == "a" * 64 else ""
        return pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=pid, network=pb.PodSandboxNetworkStatus(ip=ip)))


class Opts:
    refresh = 2.0
    readonly = False
    theme = "crit-dark"
    runtime_endpoint = "unix:///run/containerd/containerd.sock"


@pytest.fixture
def frozen(monkeypatch):
    # only the main screen's own keys: keys other areas register (crit.ui.registry) change as they grow
    from crit.ui import registry

    registry.load_extensions()
    monkeypatch.setattr(registry, "PANEL_KEYS", {})
    monkeypatch.setattr(registry, "COMMANDS", {})
    monkeypatch.setattr(registry, "load_extensions", lambda: [])
    import crit.ui.app as app_module
    monkeypatch.setattr(app_module.registry, "load_extensions", lambda: [])
    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


_SCROLLBAR = str.maketrans({c: " " for c in "▁▂▃▄▅▆▇█▔▏▎▍▌▋▊▉"})


def check(name: str, text: str, app) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    # scrollbar thumbs move with timing: blank them out (borders drawn with the same glyphs go too)
    lines = [line.translate(_SCROLLBAR).rstrip() for line in text.splitlines()]
    text = "\n".join(lines) + "\n"
    if os.environ.get("CRIT_UPDATE_SNAPSHOTS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
        app.save_screenshot(filename=f"{name}.svg", path=str(SNAPSHOTS))
        if not os.environ.get("CRIT_UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {path.name} was missing and has been written; run again")
    assert text == path.read_text(), f"screen differs from {path} (CRIT_UPDATE_SNAPSHOTS=1 to accept)"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_main_help_describe_snapshots(frozen, size):
    app = CritApp(FixedNode(), Opts())
    stats = getattr(app, "stats", None)
    if stats is not None:  # resource statistics arrive on their own clock: keep them out of the picture
        stats.start = lambda *a, **k: None
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.first_frame.wait(), 10)
        ctrs = app.main.panels["containers"].table
        for _ in range(100):
            await asyncio.sleep(0.02)
            if ctrs.rows["d" * 64].cells[7] == "1" and app.model.pod_ip.get("a" * 64):
                break
        await pilot.pause()
        tag = f"{size[0]}x{size[1]}"
        check(f"main-{tag}", screen_text(app), app)
        await pilot.press("question_mark")
        await pilot.pause()
        check(f"help-{tag}", screen_text(app), app)
        await pilot.press("escape", "2", "j", "d")
        area = app.screen.query_one("TextArea")
        for _ in range(100):
            await asyncio.sleep(0.02)
            if "exit_code" in area.text:
                break
        await pilot.pause()
        check(f"describe-{tag}", screen_text(app), app)
