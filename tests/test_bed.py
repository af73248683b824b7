"""The test bed itself works: images, private containerd, registry, teardown, CI prerequisite handling."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import tarfile
import time
import urllib.request

import grpc
import pytest

from crit.cri.pb import api_pb2 as pb
from crit.cri.pb import api_pb2_grpc as pbg
from tests import conftest
from tests.bed import containerd as ctd_bed
from tests.bed import images, specs
from tests.bed import registry as reg_bed
from tests.bed.rawcri import RawCri

pytestmark = pytest.mark.containerd


@pytest.fixture
def rt(containerd):
    """Sync gRPC stubs on the private containerd (pods a test leaves are removed by conftest's hygiene)."""
    with grpc.insecure_channel(containerd.endpoint) as ch:
        yield pbg.RuntimeServiceStub(ch), pbg.ImageServiceStub(ch)


# --- images ---------------------------------------------------------------------------------------------------


def _members(path):
    with tarfile.open(path) as t:
        return {m.name: (m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()}


def _blob(members, digest):
    return members["blobs/sha256/" + digest.split(":", 1)[1]][1]


@pytest.mark.skipif(not images.BUSYBOX.exists(), reason="needs /usr/bin/busybox")
def test_images_are_valid_oci_archives_and_cached(tmp_path):
    built = images.build_images(cache=tmp_path)
    again = images.build_images(cache=tmp_path)
    assert {k: a.manifest_digest for k, a in built.items()} == {k: a.manifest_digest for k, a in again.items()}
    for kind, ref, process in [
        ("busybox", images.SHELL_IMAGE, {"Cmd": ["sh"]}),
        ("pause", images.PAUSE_IMAGE, {"Entrypoint": ["/bin/sh", "-c", images.PAUSE_SCRIPT]}),
    ]:
        m = _members(built[kind].path)
        index = json.loads(m["index.json"][1])
        desc = index["manifests"][0]
        assert desc["annotations"]["io.containerd.image.name"] == ref
        assert desc["annotations"]["org.opencontainers.image.ref.name"] == "1.0"
        manifest = json.loads(_blob(m, desc["digest"]))
        config = json.loads(_blob(m, manifest["config"]["digest"]))
        for k, v in process.items():
            assert config["config"][k] == v
        assert "PATH=" in config["config"]["Env"][0]
        layer = _blob(m, manifest["layers"][0]["digest"])
        raw = gzip.decompress(layer)
        assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(raw).hexdigest()]
        with tarfile.open(fileobj=io.BytesIO(raw)) as lt:
            names = {x.name: x for x in lt.getmembers()}
        assert names["bin/busybox"].isfile() and names["bin/busybox"].mode & 0o111
        for applet in ("sh", "ls", "cat", "echo", "sleep", "vi", "top", "less", "stty", "yes", "env", "nc", "httpd"):
            assert names[f"bin/{applet}"].issym() and names[f"bin/{applet}"].linkname == "busybox"
        assert names["tmp"].mode == 0o1777 and names["root"].isdir()
        assert {"etc/passwd", "etc/group"} <= names.keys()


# --- containerd -----------------------------------------------------------------------------------------------


def test_containerd_answers_cri_version(containerd, rt):
    runtime, _ = rt
    v = runtime.Version(pb.VersionRequest(version="v1"), timeout=10)
    assert v.runtime_name == "containerd"
    assert v.runtime_api_version == "v1"
    assert containerd.version["runtime_name"] == "containerd"
    assert containerd.endpoint == f"unix://{containerd.socket}"
    assert containerd.socket.is_socket()
    assert str(containerd.socket).startswith(str(containerd.root) + "/")
    assert (containerd.name, containerd.kind) == ("containerd", "containerd")


def test_images_are_listed(containerd, rt):
    _, image = rt
    tags = {t for img in image.ListImages(pb.ListImagesRequest(), timeout=10).images for t in img.repo_tags}
    assert {containerd.shell_image, containerd.pause_image} <= tags


def test_host_network_pod_runs_a_container_and_is_removed(containerd, rt):
    runtime, _ = rt
    log_dir = containerd.log_dir / "bed-pod"
    pod_cfg = specs.pod_config("bed-pod", log_dir=log_dir)
    pod_id = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg), timeout=60).pod_sandbox_id
    status = runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id), timeout=10).status
    assert status.state == pb.SANDBOX_READY
    assert status.linux.namespaces.options.network == pb.NODE

    ctr_cfg = specs.container_config(
        "hello",
        containerd.shell_image,
        ["sh"],
        ["-c", "echo hello; readlink /proc/self/ns/net; exit 3"],
        log_path="hello.log",
    )
    cid = runtime.CreateContainer(
        pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=ctr_cfg, sandbox_config=pod_cfg), timeout=60
    ).container_id
    runtime.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
    deadline = time.monotonic() + 20
    while True:
        st = runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=cid), timeout=10).status
        if st.state == pb.CONTAINER_EXITED or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert st.state == pb.CONTAINER_EXITED
    assert st.exit_code == 3
    lines = (log_dir / "hello.log").read_text().splitlines()
    assert lines[0].endswith(" stdout F hello")
    # Host networking: the container sees the host's network namespace.
    assert lines[1].split(" stdout F ")[1] == os.readlink("/proc/self/ns/net")

    # The pod has its own cgroup (containerd needs one for PodSandboxStats).
    stats = runtime.PodSandboxStats(pb.PodSandboxStatsRequest(pod_sandbox_id=pod_id), timeout=10).stats
    assert stats.attributes.id == pod_id
    assert stats.linux.cpu.usage_core_nano_seconds.value > 0

    runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
    runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
    assert pod_id not in containerd.pod_ids()
    ids = [c.id for c in runtime.ListContainers(pb.ListContainersRequest(), timeout=10).containers]
    assert cid not in ids
    containerd.cleanup()
    assert not [m for m in ctd_bed.cgroup_mounts() if os.path.isdir(m + pod_cfg.linux.cgroup_parent)]


def test_pause_image_exits_zero_on_sigterm(containerd, rt):
    runtime, _ = rt
    pod_cfg = specs.pod_config("bed-pause", log_dir=containerd.log_dir / "bed-pause")
    pod_id = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg), timeout=60).pod_sandbox_id
    cfg = specs.container_config("pause", containerd.pause_image, log_path="pause.log")
    cid = runtime.CreateContainer(
        pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=cfg, sandbox_config=pod_cfg), timeout=60
    ).container_id
    runtime.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
    time.sleep(0.5)
    assert (
        runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=cid), timeout=10).status.state
        == pb.CONTAINER_RUNNING
    )
    t0 = time.monotonic()
    runtime.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=20), timeout=60)
    took = time.monotonic() - t0
    st = runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=cid), timeout=10).status
    assert st.state == pb.CONTAINER_EXITED
    assert st.exit_code == 0, "the pause entrypoint must exit 0 on SIGTERM, not be killed"
    assert took < 10


def test_cri_fixture_removes_the_pods_a_test_leaves(containerd):
    # What the `cri` fixture does after each test, done by hand.
    before = containerd.pod_ids()
    with grpc.insecure_channel(containerd.endpoint) as ch:
        runtime = pbg.RuntimeServiceStub(ch)
        cfg = specs.pod_config("bed-leftover", uid="")
        pod_id = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
    assert pod_id in containerd.pod_ids()
    assert containerd.cleanup(keep=before) == [pod_id]
    assert containerd.pod_ids() == before


def test_cri_fixture_gives_the_runtime(cri):
    assert cri.endpoint.startswith("unix://")
    assert cri.kind in conftest.CRI_RUNTIMES
    with RawCri(cri.endpoint) as raw:
        assert raw.version()["runtime_api_version"] == "v1"


def test_teardown_after_containerd_crash_leaves_nothing(containerd):
    """A second bed whose containerd is SIGKILLed with a running pod: stop() still kills the shims and the
    workload, undoes the mounts, and removes its directory."""
    ctd = ctd_bed.start(with_images=False)
    try:
        ctd.import_images([images.build_images({"pause": images.PAUSE_IMAGE})["pause"]])
        with grpc.insecure_channel(ctd.endpoint) as ch:
            runtime = pbg.RuntimeServiceStub(ch)
            cfg = specs.pod_config("bed-crash")
            pod_id = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
        shims = _pids_referring_to(ctd.root)
        cgroup = f"{cfg.linux.cgroup_parent}/{pod_id}"
        assert [m for m in ctd_bed.cgroup_mounts() if os.path.isdir(m + cgroup)]
        assert shims, "a running pod has a shim naming our socket"
        assert ctd_bed.mounts_under(ctd.root), "a running pod has its /dev/shm mounted under our root"
        ctd.process.kill()
        ctd.process.wait(10)
    finally:
        problems = ctd.stop()
    assert any("killed leftover processes" in p for p in problems)
    assert _pids_referring_to(ctd.root) == []
    assert ctd_bed.mounts_under(ctd.root) == []
    assert not ctd.root.exists()
    assert not (os.path.exists(f"/run/containerd/runc/k8s.io/{pod_id}"))
    assert not [m for m in ctd_bed.cgroup_mounts() if os.path.isdir(m + cfg.linux.cgroup_parent)]
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in shims) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in shims)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _pids_referring_to(root):
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit() and int(e) != os.getpid():
            try:
                if str(root).encode() in open(f"/proc/{e}/cmdline", "rb").read():
                    out.append(int(e))
            except OSError:
                pass
    return out


# --- registry -------------------------------------------------------------------------------------------------


@pytest.mark.registry
def test_registry_serves_the_pushed_image_and_containerd_pulls_it(containerd, registry, rt):
    _, image = rt
    assert registry.pull_ref == "localhost:5000/crit-test/pullme:1.0"
    status, body, headers = registry.get(
        "/v2/crit-test/pullme/manifests/1.0", accept="application/vnd.oci.image.manifest.v1+json"
    )
    assert status == 200
    assert headers["Docker-Content-Digest"] == registry.pull_digest
    spec = pb.ImageSpec(image=registry.pull_ref)
    try:
        ref = image.PullImage(pb.PullImageRequest(image=spec), timeout=60).image_ref
        st = image.ImageStatus(pb.ImageStatusRequest(image=spec), timeout=10).image
        assert st.id == ref
        assert registry.pull_ref in st.repo_tags
        assert any(d.endswith(registry.pull_digest) for d in st.repo_digests)
    finally:
        image.RemoveImage(pb.RemoveImageRequest(image=spec), timeout=30)
    assert image.ImageStatus(pb.ImageStatusRequest(image=spec), timeout=10).image.id == ""


@pytest.mark.registry
def test_second_registry_moves_off_a_busy_port(registry):
    host, port = registry.address.split(":")
    # Whoever holds the wanted port (the session registry, or another test run), a new one still starts.
    busy = None
    if reg_bed._port_free(int(port)):
        busy = socket.socket()
        busy.bind((host, int(port)))
        busy.listen()
    reg = reg_bed.start(port=int(port))
    try:
        assert reg.address != registry.address
        with urllib.request.urlopen(reg.url + "/v2/", timeout=5) as r:
            assert r.status == 200
    finally:
        assert reg.stop() == []
        if busy:
            busy.close()
    assert not reg.root.exists()


# --- prerequisites --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), (None, pytest.skip.Exception)])
def test_missing_prerequisite_skips_or_fails_in_ci(monkeypatch, ci, outcome):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="containerd-nope"):
        conftest.require(["containerd-nope"], "the containerd test bed")
    conftest.require([], "nothing missing")  # no exception


def test_removed_bed_image_is_reimported(containerd, rt):
    _, image = rt
    image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=containerd.shell_image)), timeout=30)
    with containerd.raw() as raw:
        assert containerd.shell_image not in raw.list_image_tags()
        assert containerd.ensure_images() == [containerd.shell_image]
        assert containerd.shell_image in raw.list_image_tags()
    assert containerd.ensure_images() == []


def test_stale_bed_of_a_dead_run_is_reaped(containerd, tmp_path):
    # A bed whose owner died (simulated with a pid that cannot be alive) is torn down; a live one is kept.
    stale = ctd_bed.start(with_images=False, base=str(tmp_path))
    (stale.root / "owner").write_text("999999999:0")
    live = ctd_bed.start(with_images=False, base=str(tmp_path))
    try:
        assert ctd_bed.reap_stale(base=str(tmp_path)) == [stale.root]
        assert not stale.root.exists()
        stale.process.wait(10)
        assert _pids_referring_to(stale.root) == []
        assert live.root.exists() and live.process.poll() is None
    finally:
        stale.stop()
        live.stop()
