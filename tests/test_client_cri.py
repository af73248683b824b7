"""CriClient against a real CRI runtime: every client method at least once.

Runs against every runtime in ``tests.conftest.CRI_RUNTIMES`` through the ``cri`` fixture (a private containerd +
runc today; the embedded node later). The fixture object gives ``.endpoint``, ``.shell_image``, ``.pause_image``,
``.log_dir``, ``.kind`` and ``.name``; pods a test creates are removed after it by the fixture, and each test also
removes what it creates itself (that removal is part of what is tested).
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from tests.bed import specs

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]

BOGUS = "f" * 64
URL = re.compile(r"^https?://[^/\s]+/(exec|attach|portforward)/\S+$")
TIMEOUT = 20.0  # generous: the machine has 2 cores shared by everybody


def client(cri, **kw) -> CriClient:
    return CriClient(cri.endpoint, getattr(cri, "image_endpoint", None), timeout=kw.pop("timeout", TIMEOUT), **kw)


def sentence(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text and text.endswith("."), text
    return text


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def run_pod(c: CriClient, cri, name: str, **kw) -> tuple[str, pb.PodSandboxConfig]:
    """Run a host-network pod; the bed's pod_config gives it its own cgroup (PodSandboxStats needs one)."""
    cfg = specs.pod_config(unique(name), namespace="crit-client", log_dir=cri.log_dir / unique(name), **kw)
    return await c.run_pod_sandbox(cfg), cfg


async def wait_state(c: CriClient, cid: str, state: int, timeout: float = 30.0) -> pb.ContainerStatus:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        st = (await c.container_status(cid)).status
        if st.state == state or loop.time() > end:
            return st
        await asyncio.sleep(0.1)


async def test_version_status_images(cri):
    async with client(cri) as c:
        v = await c.version()
        assert v.runtime_api_version == "v1" and v.runtime_name
        assert c.runtime_name == f"{v.runtime_name} {v.runtime_version}"
        if cri.kind == "containerd":
            assert v.runtime_name == "containerd"

        st = await c.status(verbose=True)
        conds = {x.type: x for x in st.status.conditions}
        assert conds["RuntimeReady"].status is True
        assert "NetworkReady" in conds  # false here (no CNI), with a reason
        assert st.info  # verbose info (JSON strings)
        assert not (await c.status()).info

        fs = await c.image_fs_info()
        assert fs.image_filesystems and fs.image_filesystems[0].timestamp > 0
        assert fs.image_filesystems[0].fs_id.mountpoint  # used_bytes is sampled lazily by containerd (may be 0)

        images = await c.list_images()
        assert isinstance(images, list)
        tags = {t for i in images for t in i.repo_tags}
        assert cri.shell_image in tags and cri.pause_image in tags
        # containerd 1.6 ignores the ListImages filter; the request must still be accepted
        assert cri.shell_image in {t for i in await c.list_images(cri.shell_image) for t in i.repo_tags}

        s = await c.image_status(cri.shell_image, verbose=True)
        assert s.image.id and cri.shell_image in s.image.repo_tags and s.image.size > 0
        assert s.info
        missing = await c.image_status("localhost:5000/crit-test/absent:0")
        assert not missing.HasField("image")
        with pytest.raises(E.NotFound) as ei:
            await c.require_image("localhost:5000/crit-test/absent:0")
        assert sentence(ei.value) == "Image localhost:5000/crit-test/absent:0 not found."


async def test_pod_and_container_lifecycle(cri):
    """One pod: a long-running container and one that exits 3, exercised through every container RPC."""
    async with client(cri) as c:
        pod_id, pod_cfg = await run_pod(c, cri, "life", labels={"crit-test": "life"})
        assert re.fullmatch(r"[0-9a-f]{64}", pod_id)

        # --- pods: list with each filter, status
        pods = await c.list_pod_sandbox()
        assert isinstance(pods, list) and pod_id in {p.id for p in pods}
        assert [p.id for p in await c.list_pod_sandbox(id=pod_id)] == [pod_id]
        assert [p.id for p in await c.list_pod_sandbox(labels={"crit-test": "life"})] == [pod_id]
        assert pod_id in {p.id for p in await c.list_pod_sandbox(state="ready")}
        assert pod_id not in {p.id for p in await c.list_pod_sandbox(state=pb.SANDBOX_NOTREADY)}
        f = pb.PodSandboxFilter(id=pod_id)
        f.state.state = pb.SANDBOX_READY
        assert [p.id for p in await c.list_pod_sandbox(f)] == [pod_id]
        ps = await c.pod_sandbox_status(pod_id, verbose=True)
        assert ps.status.id == pod_id and ps.status.state == pb.SANDBOX_READY
        assert ps.status.metadata.name == pod_cfg.metadata.name and ps.status.labels["crit-test"] == "life"
        assert ps.info and not (await c.pod_sandbox_status(pod_id)).info
        assert await c.resolve_pod_id(pod_id[:12]) == pod_id

        # --- a container that keeps running
        ccfg = specs.container_config(
            "runner",
            cri.shell_image,
            ["sh", "-c", "echo started; exec sleep 600"],
            log_path="runner.log",
            labels={"role": "runner"},
        )
        cid = await c.create_container(pod_id, ccfg, pod_cfg)
        assert (await c.container_status(cid)).status.state == pb.CONTAINER_CREATED
        await c.start_container(cid)
        st = await wait_state(c, cid, pb.CONTAINER_RUNNING)
        assert st.state == pb.CONTAINER_RUNNING and st.metadata.name == "runner" and st.started_at > 0
        assert st.log_path.endswith("runner.log")
        verbose = await c.container_status(cid, verbose=True)
        assert verbose.info
        assert await c.resolve_container_id(cid[:10]) == cid

        containers = await c.list_containers(pod_id=pod_id)
        assert isinstance(containers, list) and [x.id for x in containers] == [cid]
        assert [x.id for x in await c.list_containers(id=cid)] == [cid]
        assert [x.id for x in await c.list_containers(state="running", labels={"role": "runner"})] == [cid]
        assert cid not in {x.id for x in await c.list_containers(state=pb.CONTAINER_EXITED)}
        assert [x.id for x in await c.list_containers(pb.ContainerFilter(pod_sandbox_id=pod_id))] == [cid]

        # --- ExecSync: output and exit code
        r = await c.exec_sync(cid, ["sh", "-c", "echo out; echo err >&2; exit 7"], timeout=10)
        assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 7)
        r = await c.exec_sync(cid, ["echo", "hi"])
        assert (r.stdout, r.exit_code) == (b"hi\n", 0)

        # --- streaming URLs
        assert URL.match(await c.exec(cid, ["sh"], tty=True, stdin=True))
        assert URL.match(await c.exec(cid, ["ls", "/"]))
        assert URL.match(await c.attach(cid, stdout=True, stderr=True))
        assert URL.match(await c.port_forward(pod_id, [8080]))

        # --- stats
        cs = await c.container_stats(cid)
        assert cs.attributes.id == cid and cs.cpu.timestamp > 0
        all_stats = await c.list_container_stats()
        assert isinstance(all_stats, list) and cid in {s.attributes.id for s in all_stats}
        assert [s.attributes.id for s in await c.list_container_stats(pod_id=pod_id)] == [cid]
        assert [s.attributes.id for s in await c.list_container_stats(id=cid)] == [cid]
        pst = await c.pod_sandbox_stats(pod_id)
        assert pst.attributes.id == pod_id
        pstats = await c.list_pod_sandbox_stats(id=pod_id)
        assert [s.attributes.id for s in pstats] == [pod_id]
        assert pod_id in {s.attributes.id for s in await c.list_pod_sandbox_stats()}

        # --- resources and log reopening
        await c.update_container_resources(cid, pb.LinuxContainerResources(cpu_shares=512))
        await c.reopen_container_log(cid)

        # --- a container that exits with a code
        xcfg = specs.container_config(
            "exiter", cri.shell_image, ["sh", "-c", "echo bye; exit 3"], log_path="exiter.log"
        )
        xid = await c.create_container(pod_id, xcfg, pod_cfg)
        await c.start_container(xid)
        xs = await wait_state(c, xid, pb.CONTAINER_EXITED)
        # both set; containerd may stamp finished_at a little BEFORE started_at for a container that exits at once
        assert xs.state == pb.CONTAINER_EXITED and xs.exit_code == 3 and xs.finished_at > 0 and xs.started_at > 0
        assert xs.reason == "Error"
        assert xid in {x.id for x in await c.list_containers(state="exited", pod_id=pod_id)}

        # --- stop and remove
        await c.stop_container(cid, timeout=1)
        assert (await wait_state(c, cid, pb.CONTAINER_EXITED)).state == pb.CONTAINER_EXITED
        await c.remove_container(cid)
        await c.remove_container(xid)
        assert await c.list_containers(pod_id=pod_id) == []
        with pytest.raises(E.NotFound) as ei:
            await c.container_status(cid)
        assert sentence(ei.value) == f"Container {cid} not found."

        await c.stop_pod_sandbox(pod_id)
        assert (await c.pod_sandbox_status(pod_id)).status.state == pb.SANDBOX_NOTREADY
        await c.remove_pod_sandbox(pod_id)
        assert pod_id not in {p.id for p in await c.list_pod_sandbox()}
        with pytest.raises(E.NotFound) as ei:
            await c.pod_sandbox_status(pod_id)
        assert sentence(ei.value) == f"Pod sandbox {pod_id} not found."


async def test_pod_without_uid_is_manageable(cri):
    """A pod created without metadata.uid (as the seed's pod.yaml) can be listed, inspected, stopped, removed."""
    async with client(cri) as c:
        pod_id, cfg = await run_pod(c, cri, "nouid", uid="")
        assert cfg.metadata.uid == ""
        listed = {p.id: p for p in await c.list_pod_sandbox()}
        assert pod_id in listed and listed[pod_id].metadata.uid == ""
        st = await c.pod_sandbox_status(pod_id, verbose=True)
        assert st.status.metadata.name == cfg.metadata.name and st.status.metadata.uid == ""
        ctr_cfg = specs.container_config("c", cri.shell_image, ["sleep", "600"])
        cid = await c.create_container(pod_id, ctr_cfg, cfg)
        await c.start_container(cid)
        await c.stop_pod_sandbox(pod_id)
        assert (await c.pod_sandbox_status(pod_id)).status.state == pb.SANDBOX_NOTREADY
        assert (await c.container_status(cid)).status.state == pb.CONTAINER_EXITED
        await c.remove_pod_sandbox(pod_id)
        assert pod_id not in {p.id for p in await c.list_pod_sandbox()}
        assert await c.list_containers(id=cid) == []


async def test_not_found_on_bogus_ids(cri):
    async with client(cri) as c:
        for call, kind in [
            (lambda: c.pod_sandbox_status(BOGUS), "Pod sandbox"),
            (lambda: c.container_status(BOGUS), "Container"),
            (lambda: c.start_container(BOGUS), "Container"),
            (lambda: c.exec_sync(BOGUS, ["true"]), "Container"),
            (lambda: c.container_stats(BOGUS), "Container"),
        ]:
            with pytest.raises(E.NotFound) as ei:
                await call()
            assert sentence(ei.value) == f"{kind} {BOGUS} not found."
        with pytest.raises(E.NotFound):
            await c.resolve_container_id("zzzz")
        # StopPodSandbox/RemovePodSandbox/RemoveContainer are idempotent in CRI: an unknown id is either
        # accepted or reported as NotFound, never anything else.
        for call in (
            lambda: c.stop_pod_sandbox(BOGUS),
            lambda: c.remove_pod_sandbox(BOGUS),
            lambda: c.remove_container(BOGUS),
        ):
            try:
                await call()
            except E.NotFound as exc:
                sentence(exc)


async def test_container_events_or_clean_unsupported(cri):
    """Events of a new container arrive on the stream; a runtime without the RPC (containerd 1.6 has none: it came
    with 1.7) gives one clean Unsupported sentence naming it."""
    async with client(cri) as c:
        await c.version()
        events = c.get_container_events()
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.wait({first}, timeout=0.5)  # subscribed (or refused) before anything happens
        pod_id, cfg = await run_pod(c, cri, "events")
        try:
            cid = await c.create_container(pod_id, specs.container_config("e", cri.shell_image, ["true"]), cfg)
            try:
                seen = [await asyncio.wait_for(first, 20)]
            except E.Unsupported as exc:
                assert sentence(exc) == f"GetContainerEvents is not supported by this runtime ({c.runtime_name})."
                assert cri.kind == "containerd", "only containerd 1.6 is expected to lack GetContainerEvents"
                return
            while not any(e.container_id == cid for e in seen):
                seen.append(await asyncio.wait_for(events.__anext__(), 20))
            assert any(e.container_id == cid and e.container_event_type == pb.CONTAINER_CREATED_EVENT for e in seen)
        finally:
            first.cancel()
            await events.aclose()
            await c.stop_pod_sandbox(pod_id)
            await c.remove_pod_sandbox(pod_id)


async def test_pull_and_remove_image(cri, registry):
    ref = registry.pull_ref
    async with client(cri) as c:
        try:
            await c.remove_image(ref)  # a previous run may have left it
        except E.CriError:
            pass
        assert not (await c.image_status(ref)).HasField("image")
        image_ref = await c.pull_image(ref, auth=("crit", "secret"))
        assert image_ref
        st = await c.require_image(ref)
        assert ref in st.image.repo_tags and st.image.id
        assert ref in {t for i in await c.list_images() for t in i.repo_tags}
        await c.remove_image(ref)
        assert not (await c.image_status(ref)).HasField("image")
        with pytest.raises(E.CriError) as ei:
            await c.pull_image("localhost:5000/crit-test/does-not-exist:9")
        assert "localhost:5000/crit-test/does-not-exist:9" in sentence(ei.value)


async def test_readonly_against_runtime(cri):
    async with client(cri) as rw:
        pod_id, _cfg = await run_pod(rw, cri, "ro")
        async with client(cri, readonly=True) as ro:
            assert pod_id in {p.id for p in await ro.list_pod_sandbox()}
            for call in (
                lambda: ro.stop_pod_sandbox(pod_id),
                lambda: ro.remove_pod_sandbox(pod_id),
                lambda: ro.pull_image(cri.shell_image),
                lambda: ro.remove_image(cri.shell_image),
            ):
                with pytest.raises(E.ReadOnlyError) as ei:
                    await call()
                assert "read-only" in sentence(ei.value)
        assert (await rw.pod_sandbox_status(pod_id)).status.state == pb.SANDBOX_READY
        assert (await rw.require_image(cri.shell_image)).image.id
        await rw.stop_pod_sandbox(pod_id)
        await rw.remove_pod_sandbox(pod_id)


async def test_duplicate_pod_is_one_sentence(cri):
    async with client(cri) as c:
        pod_id, cfg = await run_pod(c, cri, "dup")
        with pytest.raises(E.AlreadyExists) as ei:
            await c.run_pod_sandbox(cfg)
        assert "a pod sandbox with the same name and attempt already exists" in sentence(ei.value)
        await c.stop_pod_sandbox(pod_id)
        await c.remove_pod_sandbox(pod_id)


async def test_unprivileged_user_gets_permission_denied(cri):
    """The runtime's socket (root-only here) seen by an unprivileged user: one PermissionDenied sentence."""
    import json
    import os

    from tests.test_client_unit import _as_nobody, _client_error

    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    path = str(cri.socket)
    kind, msg = json.loads(_as_nobody(lambda: _client_error(path)))
    assert kind == "PermissionDenied", msg
    assert path in sentence(Exception(msg)) and "root" in msg
