"""CriClient and error translation without a container runtime.

Uses plain sockets and small in-process gRPC servers (grpc.aio) on unix sockets under tmp_path: a server that
implements only Version (everything else Unimplemented), a server that serves nothing (not CRI v1), a socket that
accepts but never answers, a stale socket nobody listens on, a missing path, a non-socket file, and permission
problems seen by an unprivileged process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import grpc
import grpc.aio
import pytest

from crit.cri import errors as E
from crit.cri.client import MAX_MESSAGE_BYTES, MUTATING_RPCS, CriClient
from crit.cri.pb import api_pb2 as pb
from crit.cri.pb import api_pb2_grpc as pbg

pytestmark = pytest.mark.timeout(60)


def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


def one_sentence(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text
    assert text[:1].isupper() and text.endswith("."), text


# ------------------------------------------------------------------------------------------------------------------
# translation of gRPC status codes


def tr(code, details="", operation="PodSandboxStatus", object_id=None, **kw):
    err = E.translate(
        rpc_error(code, details), endpoint="unix:///run/x.sock", operation=operation, object_id=object_id, **kw
    )
    one_sentence(str(err))
    return err


def test_not_found_names_kind_and_id():
    err = tr(
        grpc.StatusCode.NOT_FOUND,
        'an error occurred when try to find sandbox "1234abcd": not found',
        object_id="1234abcd",
    )
    assert isinstance(err, E.NotFound)
    assert str(err) == "Pod sandbox 1234abcd not found."
    assert str(tr(grpc.StatusCode.NOT_FOUND, "x", "StopContainer", "cafe")) == "Container cafe not found."
    # containerd sometimes reports a missing object as Unknown with "not found" in the text
    err = tr(grpc.StatusCode.UNKNOWN, 'failed to find container "dead": not found', "ContainerStatus", "dead")
    assert isinstance(err, E.NotFound) and str(err) == "Container dead not found."


def test_not_found_of_something_else_keeps_runtime_text():
    err = tr(
        grpc.StatusCode.NOT_FOUND, "failed to get image localhost:5000/nope: not found", "CreateContainer", "podid"
    )
    assert isinstance(err, E.NotFound)
    assert "Pod sandbox podid" not in str(err) and "localhost:5000/nope" in str(err)
    err = tr(grpc.StatusCode.NOT_FOUND, "failed to resolve reference: not found", "PullImage", "localhost:5000/a:1")
    assert "Cannot pull image localhost:5000/a:1" in str(err)


def test_unimplemented_names_runtime():
    err = tr(
        grpc.StatusCode.UNIMPLEMENTED,
        "unknown method GetContainerEvents for service runtime.v1.RuntimeService",
        "GetContainerEvents",
        runtime="containerd v1.6.20",
    )
    assert isinstance(err, E.Unsupported)
    assert str(err) == "GetContainerEvents is not supported by this runtime (containerd v1.6.20)."


def test_unknown_service_is_api_version_error():
    err = tr(grpc.StatusCode.UNIMPLEMENTED, "unknown service runtime.v1.RuntimeService", "ListPodSandbox")
    assert isinstance(err, E.ApiVersionError)
    assert "CRI v1" in str(err) and "unix:///run/x.sock" in str(err) and "-r/--runtime-endpoint" in str(err)
    assert isinstance(tr(grpc.StatusCode.UNIMPLEMENTED, "Method not found!", "Version"), E.ApiVersionError)


def test_deadline_names_endpoint_operation_and_timeout():
    err = tr(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded", "ListContainers", timeout=2.0)
    assert isinstance(err, E.DeadlineExceeded)
    assert "did not answer ListContainers within 2s" in str(err) and "unix:///run/x.sock" in str(err)
    assert "-t/--timeout" in str(err)


def test_silent_peer_is_a_timeout():
    err = tr(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: unix:/run/x.sock: "
        "connection attempt timed out before receiving SETTINGS frame",
        "Version",
        timeout=2,
    )
    assert isinstance(err, E.DeadlineExceeded) and "did not answer Version within 2s" in str(err)


def test_unavailable_variants():
    base = "failed to connect to all addresses; last error: UNKNOWN: unix:/run/x.sock: "
    err = tr(grpc.StatusCode.UNAVAILABLE, base + "No such file or directory", "Version")
    assert isinstance(err, E.ConnectError) and "-r/--runtime-endpoint" in str(err)
    assert "CONTAINER_RUNTIME_ENDPOINT" in str(err) and "/etc/crictl.yaml" in str(err)
    err = tr(grpc.StatusCode.UNAVAILABLE, base + "Permission denied", "Version")
    assert isinstance(err, E.PermissionDenied) and "root" in str(err) and "group" in str(err)
    err = tr(grpc.StatusCode.UNAVAILABLE, base + "Connection refused", "Version")
    assert isinstance(err, E.ConnectError) and "connection refused" in str(err)
    err = tr(grpc.StatusCode.UNAVAILABLE, base + "Connection refused", "ListImages", which="image")
    assert "-i/--image-endpoint" in str(err) and "IMAGE_SERVICE_ENDPOINT" in str(err)


def test_other_codes():
    assert isinstance(tr(grpc.StatusCode.ALREADY_EXISTS, 'name "x" is reserved', "RunPodSandbox"), E.AlreadyExists)
    err = tr(
        grpc.StatusCode.UNKNOWN,
        'failed to reserve container name "c_p_ns_u_0": name "c_p_ns_u_0" is reserved '
        'for "46fd88204ce82ea8fc6c85e59c3c1bdc"',
        "CreateContainer",
        "podid",
    )
    assert isinstance(err, E.AlreadyExists)
    assert "a container with the same name and attempt already exists as container 46fd88204ce82" in str(err)
    err = tr(grpc.StatusCode.UNKNOWN, "failed to resolve reference: dial tcp: connection refused", "PullImage", "r:1")
    assert str(err) == "Cannot pull image r:1: failed to resolve reference: dial tcp: connection refused."
    assert isinstance(tr(grpc.StatusCode.INVALID_ARGUMENT, "bad", "CreateContainer"), E.InvalidArgument)
    err = tr(grpc.StatusCode.FAILED_PRECONDITION, "container is running", "RemoveContainer", "abc")
    assert isinstance(err, E.FailedPrecondition) and "container abc" in str(err)
    assert isinstance(tr(grpc.StatusCode.PERMISSION_DENIED, "no", "Exec", "abc"), E.PermissionDenied)
    err = tr(grpc.StatusCode.UNKNOWN, 'failed to start: exec: "nope"\nnot in $PATH.', "StartContainer", "abc")
    assert type(err) is E.CriError and "StartContainer for container abc failed (UNKNOWN)" in str(err)
    assert err.details == 'failed to start: exec: "nope" not in $PATH'
    err = tr(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "Received message larger than max (20000000 vs. 16777216)", "ListContainers"
    )
    assert "16 MiB" in str(err)
    assert isinstance(tr(grpc.StatusCode.CANCELLED, "", "ListImages"), E.CriError)


def test_every_error_is_a_crierror_with_attributes():
    err = tr(grpc.StatusCode.NOT_FOUND, "nope", "ContainerStatus", "abc")
    assert isinstance(err, E.CriError) and isinstance(err, Exception)
    assert err.code == grpc.StatusCode.NOT_FOUND and err.operation == "ContainerStatus" and err.object_id == "abc"
    assert err.endpoint == "unix:///run/x.sock"


def test_one_line_folds_and_cuts():
    assert E.one_line("a\n\n b\tc.") == "a b c"
    assert len(E.one_line("x" * 1000)) == 400


# ------------------------------------------------------------------------------------------------------------------
# endpoints


def test_endpoints_parsed(tmp_path):
    c = CriClient("unix:///run/containerd/containerd.sock")
    assert c.runtime_endpoint.grpc_target == "unix:///run/containerd/containerd.sock"
    assert c.shared_channel and c.image_endpoint == c.runtime_endpoint
    c = CriClient("/run/containerd/containerd.sock", "unix:///run/containerd/containerd.sock")
    assert c.shared_channel
    c = CriClient("tcp://127.0.0.1:1234", "/run/img.sock")
    assert c.runtime_endpoint.grpc_target == "127.0.0.1:1234" and not c.shared_channel
    assert c.image_endpoint.path == "/run/img.sock"
    for bad in ("", "http://x", "relative/path", "tcp://nohost"):
        with pytest.raises(E.CriError) as ei:
            CriClient(bad)
        one_sentence(str(ei.value))
    with pytest.raises(E.CriError):
        CriClient("/x.sock", timeout=0)


# ------------------------------------------------------------------------------------------------------------------
# real sockets


async def test_missing_socket_names_path_and_how_to_set(tmp_path):
    path = tmp_path / "nope.sock"
    async with CriClient(f"unix://{path}", timeout=1) as c:
        with pytest.raises(E.ConnectError) as ei:
            await c.version()
    msg = str(ei.value)
    one_sentence(msg)
    assert str(path) in msg and "-r/--runtime-endpoint" in msg and "CONTAINER_RUNTIME_ENDPOINT" in msg
    assert "runtime-endpoint in /etc/crictl.yaml" in msg
    async with CriClient(f"unix://{tmp_path}/no/such/dir.sock", timeout=1, runtime_hint="fix the -r flag") as c:
        with pytest.raises(E.ConnectError) as ei:
            await c.list_pod_sandbox()
    assert "fix the -r flag" in str(ei.value) and f"{tmp_path}/no/such" in str(ei.value)


async def test_missing_image_socket_names_image_settings(tmp_path):
    async with CriClient(f"unix://{tmp_path}/rt.sock", f"unix://{tmp_path}/img.sock", timeout=1) as c:
        with pytest.raises(E.ConnectError) as ei:
            await c.list_images()
    assert f"{tmp_path}/img.sock" in str(ei.value) and "-i/--image-endpoint" in str(ei.value)


async def test_not_a_socket(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    async with CriClient(str(f), timeout=1) as c:
        with pytest.raises(E.ConnectError) as ei:
            await c.version()
    one_sentence(str(ei.value))
    assert "not a unix socket" in str(ei.value)


async def test_stale_socket_connection_refused(tmp_path):
    path = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # bound but never listening: connect() is refused
    try:
        async with CriClient(path, timeout=2) as c:
            with pytest.raises(E.ConnectError) as ei:
                await c.version()
        one_sentence(str(ei.value))
        assert path in str(ei.value) and "refused" in str(ei.value)
    finally:
        s.close()


async def test_tcp_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    async with CriClient(f"tcp://127.0.0.1:{port}", timeout=2) as c:
        with pytest.raises(E.ConnectError) as ei:
            await c.version()
    one_sentence(str(ei.value))
    assert f"127.0.0.1:{port}" in str(ei.value)


async def test_silent_socket_times_out(tmp_path):
    """A socket that accepts connections but never speaks: DeadlineExceeded within about the timeout."""
    path = str(tmp_path / "silent.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)  # the kernel completes connects; nobody ever answers
    try:
        async with CriClient(path, timeout=0.5) as c:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            with pytest.raises(E.DeadlineExceeded) as ei:
                await c.version()
            elapsed = loop.time() - t0
        one_sentence(str(ei.value))
        assert "did not answer Version within 500ms" in str(ei.value) and path in str(ei.value)
        assert elapsed < 3
    finally:
        s.close()


def _as_nobody(fn) -> str:
    """Run fn() in a forked child with uid/gid 65534 and return what it returns (a str) or raises (repr)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no gRPC use here before the permission check fails
        try:
            import gc
            import signal

            # The parent's gRPC objects were copied by fork: collecting them here runs gRPC's C teardown in a
            # child it does not support (seen: a segfault in the collector).  The child is short-lived; no GC.
            gc.disable()

            signal.alarm(15)  # never outlive the test, whatever happens in the child
            os.close(r)
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            try:
                out = fn()
            except BaseException as exc:
                out = f"{type(exc).__name__}: {exc}"
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


@pytest.fixture
def open_dir():
    """A world-searchable temp dir (pytest's own tmp_path lives under a 0700 directory)."""
    import shutil
    import tempfile

    d = tempfile.mkdtemp(prefix="crit-perm-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true", reason="needs root to drop to another user"
)


def _client_error(path: str) -> str:
    async def go():
        async with CriClient(path, timeout=1) as c:
            await c.version()

    try:
        asyncio.run(go())
    except E.CriError as exc:
        return json.dumps([type(exc).__name__, str(exc)])
    return json.dumps(["none", ""])


@needs_root
def test_permission_denied_on_socket(open_dir):
    path = os.path.join(open_dir, "root-only.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    os.chmod(path, 0o000)
    try:
        kind, msg = json.loads(_as_nobody(lambda: _client_error(path)))
    finally:
        s.close()
    assert kind == "PermissionDenied", msg
    one_sentence(msg)
    assert path in msg and "root" in msg and "group" in msg


@needs_root
def test_permission_denied_on_directory(open_dir):
    d = os.path.join(open_dir, "private")
    os.mkdir(d, 0o700)
    path = os.path.join(d, "rt.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    try:
        kind, msg = json.loads(_as_nobody(lambda: _client_error(path)))
    finally:
        s.close()
    assert kind == "PermissionDenied", msg
    one_sentence(msg)
    assert str(d) in msg and "root" in msg


# ------------------------------------------------------------------------------------------------------------------
# in-process gRPC servers


class VersionOnly(pbg.RuntimeServiceServicer):
    """Implements Version and a large ListPodSandbox; every other RPC is Unimplemented (the generated default)."""

    def __init__(self, pods: int = 0, delay: float = 0.0) -> None:
        self.pods = pods
        self.delay = delay
        self.calls: list[str] = []

    async def Version(self, request, context):
        self.calls.append("Version")
        return pb.VersionResponse(
            version="0.1.0", runtime_name="fakert", runtime_version="9.9", runtime_api_version="v1"
        )

    async def ListPodSandbox(self, request, context):
        self.calls.append("ListPodSandbox")
        if self.delay:
            await asyncio.sleep(self.delay)
        items = [
            pb.PodSandbox(
                id=f"{i:064x}",
                metadata=pb.PodSandboxMetadata(name=f"pod-{i}", namespace="ns", uid="u" * 36),
                labels={"app": "x" * 200},
                annotations={"a": "y" * 400},
            )
            for i in range(self.pods)
        ]
        if request.filter.id:
            items = [p for p in items if p.id.startswith(request.filter.id)]
        return pb.ListPodSandboxResponse(items=items)

    async def StopPodSandbox(self, request, context):  # must never be reached in read-only mode
        self.calls.append("StopPodSandbox")
        return pb.StopPodSandboxResponse()


async def start_server(path: str, servicer=None) -> grpc.aio.Server:
    server = grpc.aio.server(options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
    if servicer is not None:
        pbg.add_RuntimeServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"unix://{path}")
    await server.start()
    return server


async def test_unsupported_names_runtime_even_before_version(tmp_path):
    path = str(tmp_path / "fake.sock")
    server = await start_server(path, VersionOnly())
    try:
        async with CriClient(path, timeout=2) as c:
            with pytest.raises(E.Unsupported) as ei:
                await c.status()
            assert str(ei.value) == "Status is not supported by this runtime (fakert 9.9)."
            assert c.runtime_name == "fakert 9.9"
            events = c.get_container_events()
            with pytest.raises(E.Unsupported) as ei:
                await events.__anext__()
            assert str(ei.value) == "GetContainerEvents is not supported by this runtime (fakert 9.9)."
            with pytest.raises(E.Unsupported):
                await c.list_images()  # no ImageService at all on this server: unknown service of ImageService
    finally:
        await server.stop(None)


async def test_not_cri_v1_is_api_version_error(tmp_path):
    path = str(tmp_path / "other.sock")
    server = await start_server(path)  # serves nothing
    try:
        async with CriClient(path, timeout=2) as c:
            with pytest.raises(E.ApiVersionError) as ei:
                await c.version()
        one_sentence(str(ei.value))
        assert "does not serve the CRI v1 API" in str(ei.value) and path in str(ei.value)
    finally:
        await server.stop(None)


async def test_large_list_and_deadline(tmp_path):
    """A ListPodSandbox answer above gRPC's 4 MiB default arrives (16 MiB limit); a slow one hits the deadline."""
    path = str(tmp_path / "big.sock")
    servicer = VersionOnly(pods=8000)
    server = await start_server(path, servicer)
    try:
        async with CriClient(path, timeout=10) as c:
            pods = await c.list_pod_sandbox()
            assert isinstance(pods, list) and len(pods) == 8000
            size = pb.ListPodSandboxResponse(items=pods).ByteSize()
            assert 4 * 1024 * 1024 < size < MAX_MESSAGE_BYTES
            assert [p.id for p in await c.list_pod_sandbox(id=f"{7999:064x}")] == [f"{7999:064x}"]
            # id prefix helper
            assert await c.resolve_pod_id(f"{42:064x}") == f"{42:064x}"
            with pytest.raises(E.InvalidArgument):
                await c.resolve_pod_id("0" * 60)
            with pytest.raises(E.NotFound):
                await c.resolve_pod_id("zz")
        servicer.delay, servicer.pods = 3.0, 1
        async with CriClient(path, timeout=0.3) as c:
            with pytest.raises(E.DeadlineExceeded) as ei:
                await c.list_pod_sandbox()
            assert "did not answer ListPodSandbox within 300ms" in str(ei.value)
    finally:
        await server.stop(None)


async def test_readonly_refuses_before_sending(tmp_path):
    path = str(tmp_path / "ro.sock")
    servicer = VersionOnly()
    server = await start_server(path, servicer)
    try:
        async with CriClient(path, timeout=2, readonly=True) as c:
            assert (await c.version()).runtime_name == "fakert"  # queries still work
            cfg = pb.PodSandboxConfig()
            calls = {
                "RunPodSandbox": lambda: c.run_pod_sandbox(cfg),
                "StopPodSandbox": lambda: c.stop_pod_sandbox("p"),
                "RemovePodSandbox": lambda: c.remove_pod_sandbox("p"),
                "CreateContainer": lambda: c.create_container("p", pb.ContainerConfig(), cfg),
                "StartContainer": lambda: c.start_container("c"),
                "StopContainer": lambda: c.stop_container("c", 5),
                "RemoveContainer": lambda: c.remove_container("c"),
                "ExecSync": lambda: c.exec_sync("c", ["true"]),
                "Exec": lambda: c.exec("c", ["sh"]),
                "Attach": lambda: c.attach("c"),
                "PortForward": lambda: c.port_forward("p", [80]),
                "UpdateContainerResources": lambda: c.update_container_resources("c", pb.LinuxContainerResources()),
                "ReopenContainerLog": lambda: c.reopen_container_log("c"),
                "PullImage": lambda: c.pull_image("localhost:5000/x:1"),
                "RemoveImage": lambda: c.remove_image("localhost:5000/x:1"),
            }
            assert set(calls) == set(MUTATING_RPCS)
            for rpc, call in calls.items():
                with pytest.raises(E.ReadOnlyError) as ei:
                    await call()
                one_sentence(str(ei.value))
                assert rpc in str(ei.value) and "read-only" in str(ei.value)
        assert servicer.calls == ["Version"]
    finally:
        await server.stop(None)


async def test_readonly_refuses_even_without_runtime(tmp_path):
    async with CriClient(f"{tmp_path}/absent.sock", readonly=True) as c:
        with pytest.raises(E.ReadOnlyError):
            await c.stop_pod_sandbox("abc")


async def test_runtime_coming_back_after_failure(tmp_path):
    """After a connect failure the next call reconnects once the runtime is there."""
    path = str(tmp_path / "later.sock")
    async with CriClient(path, timeout=2) as c:
        with pytest.raises(E.ConnectError):
            await c.version()
        server = await start_server(path, VersionOnly())
        try:
            for _ in range(50):
                try:
                    v = await c.version()
                    break
                except E.ConnectError:
                    await asyncio.sleep(0.1)
            assert v.runtime_name == "fakert"
        finally:
            await server.stop(None)


def test_state_keywords():
    from crit.cri.states import CONTAINER_STATE_WORDS, POD_STATE_WORDS, parse_state

    assert parse_state("ready", POD_STATE_WORDS, "pod") == pb.SANDBOX_READY
    assert parse_state("SANDBOX_NOTREADY", POD_STATE_WORDS, "pod") == pb.SANDBOX_NOTREADY
    assert parse_state("Exited", CONTAINER_STATE_WORDS, "container") == pb.CONTAINER_EXITED
    assert parse_state(1, CONTAINER_STATE_WORDS, "container") == pb.CONTAINER_RUNNING
    with pytest.raises(E.InvalidArgument):
        parse_state("sleeping", CONTAINER_STATE_WORDS, "container")


def test_client_does_not_import_textual():
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", "import sys, crit.cri.client; print('textual' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


async def test_resumes_quickly_after_a_long_outage(tmp_path):
    """The runtime gone for ten seconds, then back: the next successful call comes within about a second.
    gRPC's default reconnect backoff (1 s growing by 1.6x up to 2 minutes) would take several seconds here."""
    path = str(tmp_path / "flaky.sock")
    server = await start_server(path, VersionOnly())
    async with CriClient(path, timeout=2) as c:
        assert (await c.version()).runtime_name == "fakert"
        await server.stop(None)
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while loop.time() < end:  # keep polling while it is down, as the UI does
            with pytest.raises(E.ConnectError):
                await c.version()
            await asyncio.sleep(0.25)
        server = await start_server(path, VersionOnly())
        try:
            back = loop.time()
            while True:
                try:
                    await c.version()
                    break
                except E.ConnectError:
                    assert loop.time() - back < 1.5, "did not reconnect within 1.5 s of the runtime coming back"
                    await asyncio.sleep(0.1)
        finally:
            await server.stop(None)
