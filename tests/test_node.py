"""The embedded CRI node: startup, socket, streaming (exec in a real PTY, resize, exit codes, tokens), attach,
port-forward, containerd 1.6 semantics, workloads, seeds.

The node is exercised through crit's own client (``CriClient``) and, for the streaming protocol, a bare
``websockets`` client so every frame can be checked.  There is no crictl on this machine (it is not packaged in
Debian), so the acceptance line "crictl lists and inspects" is shown with our client.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.node import streaming
from crit.node.process import NodeProcess
from crit.node.serve import Node
from crit.node.state import rfc3339nano
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(120)

SHELL = "localhost:5000/crit-test/busybox:1.0"
LOG_LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) [FP] .*$")


@pytest.fixture
async def node(tmp_path):
    sock = tmp_path / "node.sock"
    async with Node(f"unix://{sock}", images=[SHELL]) as n:
        n.tmp = tmp_path
        yield n


@pytest.fixture
async def demo(tmp_path):
    async with Node(f"unix://{tmp_path / 'demo.sock'}", demo=True) as n:
        yield n


def client(n) -> CriClient:
    return CriClient(n.endpoint, timeout=15)


def pod_cfg(name: str, log_dir: str, uid: str = "uid-1", attempt: int = 0, **labels) -> pb.PodSandboxConfig:
    cfg = pb.PodSandboxConfig(log_directory=log_dir, hostname=name)
    cfg.metadata.name, cfg.metadata.namespace, cfg.metadata.uid, cfg.metadata.attempt = name, "test", uid, attempt
    cfg.labels.update(labels)
    cfg.linux.security_context.namespace_options.network = pb.NODE
    return cfg


def ctr_cfg(
    name: str, command=(), *, attempt: int = 0, tty=False, stdin=False, log_path=None, image=SHELL, **labels
) -> pb.ContainerConfig:
    cfg = pb.ContainerConfig(command=list(command), log_path=log_path or f"{name}.log", tty=tty, stdin=stdin)
    cfg.metadata.name, cfg.metadata.attempt = name, attempt
    cfg.image.image = image
    cfg.labels.update(labels)
    return cfg


async def running(c: CriClient, n, command=("sleep", "600"), name="main", **kw) -> tuple[str, str, pb.PodSandboxConfig]:
    pcfg = pod_cfg("p-" + name, str(n.tmp / "logs" / name))
    pid = await c.run_pod_sandbox(pcfg)
    cid = await c.create_container(pid, ctr_cfg(name, command, **kw), pcfg)
    await c.start_container(cid)
    return pid, cid, pcfg


async def wait_state(c: CriClient, cid: str, state: int, timeout: float = 10.0) -> pb.ContainerStatus:
    end = time.monotonic() + timeout
    while True:
        st = (await c.container_status(cid)).status
        if st.state == state or time.monotonic() > end:
            return st
        await asyncio.sleep(0.05)


async def ws_session(
    url: str, *, send=(), resize=None, protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"), timeout: float = 15.0
):
    """Run one streaming session; returns (subprotocol, frames, output by channel, status dict)."""
    frames: list[bytes] = []
    out = {1: b"", 2: b""}
    status = None
    async with connect(url.replace("http://", "ws://"), subprotocols=list(protocols), max_size=None) as ws:
        if resize:
            await ws.send(b"\x04" + json.dumps({"Width": resize[0], "Height": resize[1]}).encode())
        for m in send:
            await ws.send(m)

        async def read():
            nonlocal status
            async for msg in ws:
                frames.append(msg)
                if msg[0] == 3 and len(msg) > 1:
                    status = json.loads(msg[1:])
                elif msg[0] in out:
                    out[msg[0]] += msg[1:]

        await asyncio.wait_for(read(), timeout)
        return ws.subprotocol, frames, out, status


# ------------------------------------------------------------------------------------------ startup (acceptance)


def test_node_serve_scale_starts_fast_and_lists(tmp_path):
    """`crit node serve --listen unix://SOCK --scale 200:1000:50` answers in < 3 s; our client (crictl is not
    available here) lists the pods, containers and images and inspects one of each."""
    # A first start right after an edit also compiles the package's .pyc files; on 2 shared cores that alone can
    # take a second, so a slow first start is retried once, warm, before judging.
    with NodeProcess(scale="200:1000:50") as warm:
        first = warm.started_in
    with NodeProcess(scale="200:1000:50", root=str(tmp_path)) as proc:
        assert proc.argv[1:5] == ["-m", "crit", "node", "serve"]
        assert min(first, proc.started_in) < 3.0, (first, proc.started_in)
        mode = stat.S_IMODE(os.stat(proc.socket).st_mode)
        assert mode == 0o600, oct(mode)

        async def check():
            async with CriClient(proc.endpoint, timeout=15) as c:
                v = await c.version()
                assert (v.runtime_name, v.runtime_api_version) == ("crit-node", "v1")
                pods, ctrs, imgs = await asyncio.gather(c.list_pod_sandbox(), c.list_containers(), c.list_images())
                assert (len(pods), len(ctrs), len(imgs)) == (200, 1000, 50)
                ps = await c.pod_sandbox_status(pods[7].id, verbose=True)
                assert ps.status.id == pods[7].id and json.loads(ps.info["info"])["config"]["metadata"]["name"]
                cs = await c.container_status(ctrs[42].id, verbose=True)
                assert (
                    cs.status.id == ctrs[42].id and json.loads(cs.info["info"])["sandboxID"] == ctrs[42].pod_sandbox_id
                )
                im = await c.image_status(imgs[3].repo_tags[0] if imgs[3].repo_tags else imgs[3].id, verbose=True)
                assert im.image.id == imgs[3].id and "imageSpec" in json.loads(im.info["info"])
                for p in pods:
                    assert re.fullmatch(r"[0-9a-f]{64}", p.id)
                states = {x.state for x in ctrs}
                assert {pb.CONTAINER_RUNNING, pb.CONTAINER_EXITED} <= states
                assert any(x.metadata.attempt > 0 for x in ctrs)
                assert all(t.startswith("localhost:5000/") for i in imgs for t in i.repo_tags)
                return [p.id for p in pods], [x.id for x in ctrs]

        first = asyncio.run(check())
    # deterministic: the same numbers build the same node
    with NodeProcess(scale="200:1000:50") as proc2:

        async def ids():
            async with CriClient(proc2.endpoint, timeout=15) as c:
                return [p.id for p in await c.list_pod_sandbox()], [x.id for x in await c.list_containers()]

        assert asyncio.run(ids()) == first


def test_node_serve_errors_are_one_sentence(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "crit.node", "serve", *args], capture_output=True, text=True, timeout=30
        )

    r = run("--listen", "tcp://127.0.0.1:1234")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert (
        r.stderr.strip()
        == "crit node: --listen 'tcp://127.0.0.1:1234' is not a unix socket: use unix:///PATH/TO/node.sock"
    )
    r = run("--listen", f"unix://{tmp_path}/x.sock", "--scale", "lots")
    assert r.returncode == 2 and "PODS:CONTAINERS:IMAGES" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("--listen", f"unix://{tmp_path}/nodir/x.sock")
    assert r.returncode == 1 and "does not exist" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    (tmp_path / "plain").write_text("x")
    r = run("--listen", f"unix://{tmp_path}/plain")
    assert r.returncode == 1 and "not a socket" in r.stderr


async def test_second_node_on_same_socket_refused(node):
    with pytest.raises(Exception, match="another process is already serving"):
        async with Node(node.endpoint):
            pass
    async with client(node) as c:  # the first one is unharmed
        assert (await c.version()).runtime_name == "crit-node"


async def test_demo_node_is_believable_and_local(demo):
    async with client(demo) as c:
        st = await c.status(verbose=True)
        assert "real processes on this host" in json.loads(st.info["warning"])
        pods = await c.list_pod_sandbox()
        namespaces = {p.metadata.namespace for p in pods}
        assert {"kube-system", "default", "shop", "monitoring"} <= namespaces
        names = {p.metadata.name for p in pods}
        assert any(n.startswith("coredns-") for n in names) and any(n.startswith("kube-proxy") for n in names)
        ctrs = await c.list_containers()
        statuses = [(await c.container_status(x.id)).status for x in ctrs]
        exited = [s for s in statuses if s.state == pb.CONTAINER_EXITED]
        assert {s.exit_code for s in exited} >= {0, 1, 137} and {s.reason for s in exited} >= {"Completed", "Error"}
        assert any(s.metadata.attempt > 0 for s in statuses)
        assert any(s.state == pb.CONTAINER_CREATED for s in statuses)
        for s in statuses:
            if s.log_path and s.state != pb.CONTAINER_CREATED and s.metadata.name != "shell":
                lines = open(s.log_path, "rb").read().splitlines()
                assert lines and all(LOG_LINE.match(ln) for ln in lines), s.log_path
        images = await c.list_images()
        refs = [r for i in images for r in list(i.repo_tags) + list(i.repo_digests)]
        assert refs and all(r.split("/")[0] in ("localhost:5000", "127.0.0.1:5000") for r in refs)
        assert any(not i.repo_tags for i in images) and any(i.pinned for i in images)
        assert all(i.size > 0 and re.fullmatch(r"sha256:[0-9a-f]{64}", i.id) for i in images)


# --------------------------------------------------------------------------------------------- streaming


async def test_exec_in_a_real_pty_prints_42(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        url = await c.exec(cid, ["sh", "-c", "echo $((6*7))"], tty=True, stdin=True)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/exec/[A-Za-z0-9_-]{16}", url)
        proto, frames, out, status = await ws_session(url, resize=(80, 24))
        assert proto == "v5.channel.k8s.io"
        assert frames[0] == b"\x01"  # one empty message on the lowest output channel on open (as containerd)
        assert out[1] == b"42\r\n"  # \r\n: the output went through a terminal
        assert status == {"metadata": {}, "status": "Success"}


async def test_exec_resize_changes_stty_size(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        url = await c.exec(cid, ["sh", "-c", "stty size"], tty=True, stdin=True)
        *_, out, _ = await ws_session(url, resize=(77, 21))
        assert out[1] == b"21 77\r\n"
        # a resize in the middle of a session reaches the running command
        url = await c.exec(cid, ["sh"], tty=True, stdin=True)
        async with connect(url.replace("http", "ws"), subprotocols=["v5.channel.k8s.io"]) as ws:
            await ws.send(b'\x04{"Width":80,"Height":24}')

            async def until(marker: bytes) -> bytes:
                got = b""
                while marker not in got:
                    msg = await asyncio.wait_for(ws.recv(), 10)
                    if msg[0] == 1:
                        got += msg[1:]
                return got

            await ws.send(b"\x00stty size\n")
            assert b"24 80" in await until(b"24 80")
            await ws.send(b'\x04{"Width":132,"Height":43}')
            await ws.send(b"\x00sleep 0.2; stty size\n")
            assert b"43 132" in await until(b"43 132")
            await ws.send(b"\x00exit\n")


async def test_exec_exit_code_3_and_v4_status(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        url = await c.exec(cid, ["sh", "-c", "echo out; echo err >&2; exit 3"], stdout=True, stderr=True)
        proto, frames, out, status = await ws_session(url, protocols=("v4.channel.k8s.io",))
        assert proto == "v4.channel.k8s.io"
        assert frames[0] == b"\x01" and all(len(f) > 1 for f in frames[1:])
        assert (out[1], out[2]) == (b"out\n", b"err\n")
        assert status == {
            "metadata": {},
            "status": "Failure",
            "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code: error executing command "
            "[sh -c echo out; echo err >&2; exit 3], exit code 3",  # (sent as \u003e\u00262, as Go)
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
        }
        # command not found: Failure with a message and no ExitCode cause
        url = await c.exec(cid, ["no-such-command-xyz"], stdout=True, stderr=True)
        *_, status = await ws_session(url)
        assert status["status"] == "Failure" and "no-such-command-xyz" in status["message"]
        assert all(cause.get("reason") != "ExitCode" for cause in status["details"]["causes"])


async def test_exec_stdin_and_v5_close(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        url = await c.exec(cid, ["sh", "-c", "tr a-z A-Z; echo done"], stdin=True, stdout=True, stderr=False)
        _, _, out, status = await ws_session(url, send=[b"\x00hello\n", b"\xff\x00"])
        assert out[1] == b"HELLO\ndone\n" and status["status"] == "Success"


async def test_token_single_use_and_expiry(node, monkeypatch):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        url = await c.exec(cid, ["true"], stdout=True)
        await ws_session(url)
        with pytest.raises(InvalidStatus) as ei:
            await ws_session(url)
        assert ei.value.response.status_code == 404
        # a failed handshake (no supported subprotocol) burns the token too
        url = await c.exec(cid, ["true"], stdout=True)
        with pytest.raises(InvalidStatus) as ei:
            await ws_session(url, protocols=("v1.channel.k8s.io",))
        assert ei.value.response.status_code == 403
        with pytest.raises(InvalidStatus):
            await ws_session(url)
        # expiry after TOKEN_TTL seconds (shortened here)
        monkeypatch.setattr(streaming, "TOKEN_TTL", 0.3)
        url = await c.exec(cid, ["true"], stdout=True)
        await asyncio.sleep(0.5)
        with pytest.raises(InvalidStatus) as ei:
            await ws_session(url)
        assert ei.value.response.status_code == 404
        assert streaming.TOKEN_TTL == 0.3 and len({await c.exec(cid, ["true"], stdout=True) for _ in range(20)}) == 20


async def test_socket_is_0600(node):
    assert stat.S_IMODE(os.stat(node.path).st_mode) == 0o600


async def test_exec_sync_output_exit_code_timeout(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node)
        r = await c.exec_sync(cid, ["sh", "-c", "echo out; echo err >&2; pwd; exit 7"], timeout=10)
        assert r.exit_code == 7 and r.stderr == b"err\n"
        out = r.stdout.decode().splitlines()
        assert out[0] == "out" and out[1].endswith(f"/containers/{cid}")  # the container's scratch directory
        t0 = time.monotonic()
        with pytest.raises(E.CriError) as ei:
            await c.exec_sync(cid, ["sleep", "30"], timeout=1)
        assert time.monotonic() - t0 < 5 and "timeout" in str(ei.value)


async def test_attach_to_tty_container_and_simulated_logs(node, demo):
    async with client(node) as c:
        _, cid, _ = await running(c, node, ["sh"], name="shell", tty=True, stdin=True)
        url = await c.attach(cid, stdin=True, tty=True, stdout=True, stderr=False)
        _, _, out, status = await ws_session(url, send=[b"\x00echo attached-$((1+1))\n", b"\x00exit 0\n"])
        assert b"attached-2" in out[1] and status == {"metadata": {}, "status": "Success"}
        st = await wait_state(c, cid, pb.CONTAINER_EXITED)
        assert st.exit_code == 0 and st.reason == "Completed"
    async with client(demo) as c:
        nginx = [x for x in await c.list_containers(state="running") if x.metadata.name == "nginx"][0]
        url = await c.attach(nginx.id, stdout=True, stderr=True)
        async with connect(url.replace("http", "ws"), subprotocols=["v4.channel.k8s.io"]) as ws:
            frames = [await asyncio.wait_for(ws.recv(), 15) for _ in range(3)]
        assert frames[0] == b"\x01" and all(f[0] in (1, 2) and f.endswith(b"\n") for f in frames[1:])


async def test_port_forward_relays_to_loopback(node):
    async def echo(reader, writer):
        data = await reader.read(100)
        writer.write(b"echo:" + data)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with client(node) as c:
            pid, _, _ = await running(c, node)
            url = await c.port_forward(pid, [port])
            async with connect(url.replace("http", "ws") + f"?ports={port}", subprotocols=["v4.channel.k8s.io"]) as ws:
                prefix = port.to_bytes(2, "little")
                assert [await ws.recv(), await ws.recv()] == [b"\x00" + prefix, b"\x01" + prefix]
                await ws.send(b"\x00ping")  # the client sends no port prefix (containerd relays every byte)
                got = b""
                async for msg in ws:
                    assert msg[0] == 0
                    got += msg[1:]
            assert got == b"echo:ping"
    finally:
        server.close()


# ------------------------------------------------------------------------------- containerd 1.6 semantics


async def test_lifecycle_semantics_like_containerd(node):
    async with client(node) as c:
        raw = c  # messages below are containerd 1.6's
        pcfg = pod_cfg("sem", str(node.tmp / "logs" / "sem"), team="a")
        pid = await raw.run_pod_sandbox(pcfg)
        with pytest.raises(E.AlreadyExists):  # name is reserved per name+namespace+uid+attempt
            await raw.run_pod_sandbox(pcfg)
        pcfg2 = pod_cfg("sem", str(node.tmp / "logs" / "sem2"), attempt=1)
        pid2 = await raw.run_pod_sandbox(pcfg2)  # the next attempt is a different name
        cid = await raw.create_container(pid, ctr_cfg("c", ["sh", "-c", "echo hello; sleep 600"], role="x"), pcfg)
        with pytest.raises(E.AlreadyExists):
            await raw.create_container(pid, ctr_cfg("c", ["true"]), pcfg)
        st = (await raw.container_status(cid)).status
        assert st.state == pb.CONTAINER_CREATED and st.started_at == 0 and st.reason == ""
        await raw.start_container(cid)
        with pytest.raises(E.CriError) as ei:
            await raw.start_container(cid)
        assert "container is in CONTAINER_RUNNING state" in str(ei.value)
        st = await wait_state(raw, cid, pb.CONTAINER_RUNNING)
        assert st.created_at <= st.started_at <= time.time_ns() and st.image.image == SHELL
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", st.image_ref)  # a preloaded (imported) image has no digest
        # id prefixes resolve; an ambiguous or unknown one does not
        assert (await raw.container_status(cid[:12])).status.id == cid
        assert [x.id for x in await raw.list_containers(pod_id=pid[:10], labels={"role": "x"})] == [cid]
        with pytest.raises(E.NotFound):
            await raw.container_status("f" * 64)
        # logs: a real CRI log file
        await wait_for(
            lambda: os.path.exists(st.log_path) and b" stdout F hello" in open(st.log_path, "rb").read(),
            10,
            what="the log line",
        )
        lines = open(st.log_path, "rb").read().splitlines()
        assert lines and LOG_LINE.match(lines[0]) and lines[0].endswith(b" stdout F hello")
        # RemovePodSandbox on a ready pod stops it forcibly and removes its containers (containerd 1.6)
        await raw.remove_pod_sandbox(pid)
        assert pid not in {p.id for p in await raw.list_pod_sandbox()}
        assert await raw.list_containers(id=cid) == []
        await raw.remove_pod_sandbox(pid)  # removing again is OK
        await raw.remove_container(cid)  # so is a removed container
        with pytest.raises(E.NotFound):
            await raw.stop_pod_sandbox(pid)  # but StopPodSandbox of an unknown id is NotFound
        # a stopped pod refuses new containers; stop is idempotent; exited containers keep their code
        xid = await raw.create_container(pid2, ctr_cfg("x", ["sh", "-c", "exit 3"]), pcfg2)
        await raw.start_container(xid)
        st = await wait_state(raw, xid, pb.CONTAINER_EXITED)
        assert (st.exit_code, st.reason) == (3, "Error") and st.finished_at >= st.started_at > 0
        await raw.stop_container(xid, 5)  # stopping an exited container is a no-op
        await raw.stop_pod_sandbox(pid2)
        await raw.stop_pod_sandbox(pid2)
        with pytest.raises(E.CriError):
            await raw.create_container(pid2, ctr_cfg("y", ["true"]), pcfg2)
        # a command that does not exist fails StartContainer and leaves the container exited 128/StartError
        pid3 = await raw.run_pod_sandbox(pod_cfg("sem3", str(node.tmp / "logs" / "sem3")))
        bad = await raw.create_container(pid3, ctr_cfg("bad", ["/no/such/binary"]), pod_cfg("sem3", ""))
        with pytest.raises(E.CriError) as ei:
            await raw.start_container(bad)
        assert "no such file or directory" in str(ei.value)
        st = (await raw.container_status(bad)).status
        assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 128, "StartError")
        await raw.remove_pod_sandbox(pid2)
        await raw.remove_pod_sandbox(pid3)


async def test_stop_container_signal_then_kill(node):
    async with client(node) as c:
        _, cid, _ = await running(c, node, ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
        await asyncio.sleep(0.3)
        await c.stop_container(cid, 5)
        st = (await c.container_status(cid)).status
        assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 0, "Completed")
        _, cid2, _ = await running(c, node, ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"], name="stubborn")
        await asyncio.sleep(0.3)
        t0 = time.monotonic()
        await c.stop_container(cid2, 1)
        st = (await c.container_status(cid2)).status
        assert st.exit_code == 137 and 0.9 < time.monotonic() - t0 < 5


async def test_events_on_every_state_change(node):
    async with client(node) as c:
        events = c.get_container_events()
        seen: list = []

        async def collect():
            async for ev in events:
                seen.append(ev)

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.1)
        pid, cid, _ = await running(c, node, ["sh", "-c", "exit 0"])
        await wait_state(c, cid, pb.CONTAINER_EXITED)
        await c.remove_pod_sandbox(pid)
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await events.aclose()
        got = [(e.container_id, e.container_event_type) for e in seen]
        assert [t for i, t in got if i == cid] == [
            pb.CONTAINER_CREATED_EVENT,
            pb.CONTAINER_STARTED_EVENT,
            pb.CONTAINER_STOPPED_EVENT,
            pb.CONTAINER_DELETED_EVENT,
        ]
        assert (pid, pb.CONTAINER_DELETED_EVENT) in got
        assert all(e.created_at > 0 for e in seen)
        assert all(
            e.pod_sandbox_status.id == pid
            for e in seen
            if (e.container_id, e.container_event_type) != (pid, pb.CONTAINER_DELETED_EVENT)
        )
        deleted = [e for e in seen if (e.container_id, e.container_event_type) == (pid, pb.CONTAINER_DELETED_EVENT)]
        assert not deleted[0].HasField("pod_sandbox_status") and not deleted[0].containers_statuses


async def test_stats_move_plausibly(demo):
    async with client(demo) as c:
        running_ids = [x.id for x in await c.list_containers(state="running") if x.metadata.name != "shell"]
        a = {s.attributes.id: s for s in await c.list_container_stats()}
        await asyncio.sleep(1.2)
        b = {s.attributes.id: s for s in await c.list_container_stats()}
        for cid in running_ids:
            assert b[cid].cpu.usage_core_nano_seconds.value > a[cid].cpu.usage_core_nano_seconds.value > 0
            assert b[cid].memory.working_set_bytes.value > 1024 * 1024
        assert any(b[i].memory.working_set_bytes.value != a[i].memory.working_set_bytes.value for i in running_ids)
        exited = [x.id for x in await c.list_containers(state="exited")]
        assert not b[exited[0]].HasField("cpu")  # no task, no CPU figures (containerd does the same)
        with pytest.raises(E.CriError):
            await c.container_stats(exited[0])
        ps = await c.list_pod_sandbox_stats()
        assert ps and all(p.linux.cpu.usage_core_nano_seconds.value > 0 for p in ps)


async def test_images_pull_remove_and_not_found(node):
    async with client(node) as c:
        t0 = time.monotonic()
        ref = await c.pull_image("127.0.0.1:5999/demo/new-app:1.2.3")
        assert time.monotonic() - t0 >= 0.2 and re.fullmatch(r"sha256:[0-9a-f]{64}", ref)
        st = await c.require_image("127.0.0.1:5999/demo/new-app:1.2.3", verbose=True)
        assert st.image.id == ref and st.image.repo_digests[0].startswith("127.0.0.1:5999/demo/new-app@sha256:")
        assert (await c.image_status(ref[:19])).image.id == ref  # an id prefix resolves too
        for missing in ("registry.invalid/library/nginx:latest", "localhost:5000/demo/missing-thing:1"):
            with pytest.raises(E.CriError) as ei:
                await c.pull_image(missing)
            assert "not found" in str(ei.value)
        await c.remove_image("127.0.0.1:5999/demo/new-app:1.2.3")
        await c.remove_image("127.0.0.1:5999/demo/new-app:1.2.3")  # absent: OK, as containerd
        assert not (await c.image_status(ref)).HasField("image")
        fs = await c.image_fs_info()
        assert fs.image_filesystems[0].used_bytes.value > 0


async def test_churn_keeps_the_node_moving(tmp_path):
    async with Node(f"unix://{tmp_path / 'churn.sock'}", scale="20:60:5", churn=40) as n:
        async with client(n) as c:
            before = {x.id for x in await c.list_containers()}
            await asyncio.sleep(1.5)
            after = {x.id for x in await c.list_containers()}
            assert after - before and before - after


def test_rfc3339nano_like_go():
    assert rfc3339nano(1_700_000_000_123_400_000) == "2023-11-14T22:13:20.1234Z"
    assert rfc3339nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


async def test_demo_worker_keeps_crash_looping(demo):
    async with client(demo) as c:
        pod = [p for p in await c.list_pod_sandbox() if p.metadata.name.startswith("payments-worker")][0]
        before = {x.metadata.attempt: x for x in await c.list_containers(pod_id=pod.id)}
        assert before[3].state == pb.CONTAINER_RUNNING and before[2].state == pb.CONTAINER_EXITED
        await c.stop_container(before[3].id, 0)
        demo.state.containers[before[3].id].finished_at -= 120 * 10**9  # as if the back-off had passed
        await demo.restarter.step()
        after = {x.metadata.attempt: x for x in await c.list_containers(pod_id=pod.id)}
        assert sorted(after) == [3, 4] and after[4].state == pb.CONTAINER_RUNNING
        assert after[3].state == pb.CONTAINER_EXITED


def test_host_processes_die_with_a_killed_node(tmp_path):
    """Even SIGKILL of the node leaves no container or exec process behind (setpriv --pdeathsig)."""
    import signal as _signal

    with NodeProcess(images=[SHELL], root=str(tmp_path), module="crit.node") as proc:

        async def start() -> int:
            async with CriClient(proc.endpoint, timeout=15) as c:
                pcfg = pod_cfg("orphan", str(tmp_path / "logs"))
                pid = await c.run_pod_sandbox(pcfg)
                cid = await c.create_container(pid, ctr_cfg("s", ["sleep", "300"]), pcfg)
                await c.start_container(cid)
                return (await c.container_status(cid, verbose=True)).info

        info = json.loads(asyncio.run(start())["info"])
        child = info["pid"]
        assert child and os.path.exists(f"/proc/{child}")
        os.kill(proc.pid, _signal.SIGKILL)
        proc.proc.wait(timeout=10)
        for _ in range(100):
            if not os.path.exists(f"/proc/{child}") or open(f"/proc/{child}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.05)
        else:
            os.kill(child, _signal.SIGKILL)
            pytest.fail("the container's process outlived its killed node")


def test_node_started_by_a_tool_exits_when_the_tool_dies(tmp_path):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = (
        f"import sys, time; sys.path.insert(0, {repo!r})\n"
        "from crit.node.process import NodeProcess\n"
        f"p = NodeProcess(root={str(tmp_path)!r}).start(); print(p.pid, flush=True); time.sleep(60)\n"
    )
    tool = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        node_pid = int(tool.stdout.readline())
        assert os.path.exists(f"/proc/{node_pid}")
    finally:
        tool.kill()
        tool.wait()
    for _ in range(100):
        if not os.path.exists(f"/proc/{node_pid}"):
            break
        time.sleep(0.05)
    else:
        os.kill(node_pid, 9)
        pytest.fail("the node outlived the process that started it")
    assert not os.path.exists(tmp_path / "node.sock")  # it shut down cleanly


async def test_unwritable_log_path_fails_start_like_containerd(node):
    async with client(node) as c:
        (node.tmp / "file").write_text("not a directory")
        pcfg = pod_cfg("badlog", str(node.tmp / "file"))
        pid = await c.run_pod_sandbox(pcfg)
        cid = await c.create_container(pid, ctr_cfg("c", ["true"]), pcfg)
        with pytest.raises(E.CriError) as ei:
            await c.start_container(cid)
        assert "failed to create container loggers" in str(ei.value)
        st = (await c.container_status(cid)).status
        assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 128, "StartError")


def test_stale_state_dirs_of_dead_nodes_are_reaped(tmp_path):
    from crit.node.serve import reap_stale_state_dirs

    dead = tmp_path / "crit-node-dead"
    (dead / "containers").mkdir(parents=True)
    child = subprocess.Popen(["true"])
    child.wait()
    (dead / "node.pid").write_text(f"{child.pid}\n")  # a pid that has exited
    alive = tmp_path / "crit-node-alive"
    alive.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (alive / "node.pid").write_text(f"{live.pid}\n")  # a running process: left alone
        foreign = tmp_path / "crit-node-foreign"
        foreign.mkdir()  # no pid file: not known to be a dead node's, left alone
        removed = reap_stale_state_dirs(str(tmp_path))
    finally:
        live.kill()
        live.wait()
    assert removed == [str(dead)] and not dead.exists() and alive.exists() and foreign.exists()


def test_scale_node_seen_by_an_independent_cri_client():
    """Issue 3's acceptance asks for a real CRI client other than ours (crictl, which no Debian package ships): the
    test bed's wire-level client (tests/bed/rawcri.py — hand-encoded protobuf, no crit code, no generated stubs)
    lists the 200 pods, 1000 containers and 50 images of a scale node and inspects one of each."""
    from tests.bed.rawcri import IMAGE, RUNTIME, RawCri, decode, enc_bytes, enc_str

    with NodeProcess(scale="200:1000:50") as proc, RawCri(proc.endpoint) as raw:
        v = raw.version()
        assert v["runtime_api_version"] == "v1" and v["runtime_name"]
        pods = raw.list_pod_sandboxes()
        ctrs = raw.list_containers()
        tags = raw.list_image_tags()
        assert len(pods) == 200 and len(ctrs) == 1000
        assert len(tags) >= 50
        assert all(len(p["id"]) == 64 and p["name"] and p["namespace"] for p in pods)
        assert {c["pod_sandbox_id"] for c in ctrs} <= {p["id"] for p in pods}
        # inspect one of each, verbose, by full id (PodSandboxStatus / ContainerStatus) and by tag (ImageStatus)
        pod_status = raw.call(RUNTIME + "PodSandboxStatus", enc_str(1, pods[0]["id"]) + b"\x10\x01")
        status = decode(pod_status[1][0])
        assert status[1][0].decode() == pods[0]["id"] and pod_status.get(2), "verbose info expected"
        ctr_status = raw.call(RUNTIME + "ContainerStatus", enc_str(1, ctrs[0]["id"]) + b"\x10\x01")
        assert decode(ctr_status[1][0])[1][0].decode() == ctrs[0]["id"] and ctr_status.get(2)
        img_status = raw.call(IMAGE + "ImageStatus", enc_bytes(1, enc_str(1, tags[0])) + b"\x10\x01")
        image = decode(img_status[1][0])
        assert tags[0] in [t.decode() for t in image.get(2, [])]
