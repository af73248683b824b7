"""The async CRI v1 client (grpc.aio).

``CriClient(runtime_endpoint, image_endpoint=None, *, timeout=2.0, readonly=False)`` holds one channel to the
runtime service and one to the image service (the same channel when both endpoints are equal, as they are for
containerd). Every RPC of RuntimeService/ImageService that crit uses has a typed async method named after it in
snake_case. Rules:

* Every unary call has a deadline: ``timeout`` for queries; ``action_timeout`` (default ``max(timeout, 30)``) for
  calls that make the runtime do real work (run/stop/remove pods, create/start/remove containers); stop calls add
  their grace period; ``pull_timeout`` (default 10 minutes) for PullImage; ExecSync its command timeout plus
  ``timeout`` (``action_timeout`` when the command may run forever). ``get_container_events()`` is a server stream
  without a deadline.
* Messages up to 16 MiB each way, like crictl (10,000 containers list in about 3 MB).
* Every failure raises a :class:`crit.cri.errors.CriError` subclass whose ``str()`` is one sentence.
* ``readonly=True`` raises :class:`~crit.cri.errors.ReadOnlyError` before any mutating call is sent.
* ``List*`` methods return lists of messages, not the response wrappers.

This module never imports textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import grpc
import grpc.aio

from crit.cri import errors as E
from crit.cri.config import Endpoint, parse_endpoint
from crit.cri.pb import api_pb2 as pb
from crit.cri.pb import api_pb2_grpc as pbg
from crit.cri.states import CONTAINER_STATE_WORDS, POD_STATE_WORDS, parse_state

_Reply = TypeVar("_Reply")

__all__ = ["CriClient", "MAX_MESSAGE_BYTES", "MUTATING_RPCS", "CRI_API_VERSION"]

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
CRI_API_VERSION = "v1"
DEFAULT_PULL_TIMEOUT = 600.0
MIN_ACTION_TIMEOUT = 30.0

#: RPCs that change the node; refused up front when the client is read-only.
MUTATING_RPCS = frozenset(
    {
        "RunPodSandbox",
        "StopPodSandbox",
        "RemovePodSandbox",
        "CreateContainer",
        "StartContainer",
        "StopContainer",
        "RemoveContainer",
        "ExecSync",
        "Exec",
        "Attach",
        "PortForward",
        "UpdateContainerResources",
        "ReopenContainerLog",
        "PullImage",
        "RemoveImage",
    }
)

_READONLY_VERB = {
    "RunPodSandbox": "run a pod sandbox",
    "StopPodSandbox": "stop a pod sandbox",
    "RemovePodSandbox": "remove a pod sandbox",
    "CreateContainer": "create a container",
    "StartContainer": "start a container",
    "StopContainer": "stop a container",
    "RemoveContainer": "remove a container",
    "ExecSync": "run a command in a container",
    "Exec": "exec into a container",
    "Attach": "attach to a container",
    "PortForward": "forward a port",
    "UpdateContainerResources": "update container resources",
    "ReopenContainerLog": "reopen a container log",
    "PullImage": "pull an image",
    "RemoveImage": "remove an image",
}


def _as_endpoint(value: str | Endpoint, what: str) -> Endpoint:
    return value if isinstance(value, Endpoint) else parse_endpoint(str(value), what=what)


class _Conn:
    """One endpoint: its channel and stub, created lazily inside the running event loop."""

    def __init__(self, endpoint: Endpoint, which: str, hint: str | None, connect_timeout: float) -> None:
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout
        self.which = which
        self.hint = hint
        self.channel: grpc.aio.Channel | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ok = False  # a call has succeeded since the last failure: skip the socket pre-check

    def get_channel(self) -> grpc.aio.Channel:
        loop = asyncio.get_running_loop()
        if self.channel is None or self.loop is not loop:
            # A channel belongs to the loop it was made in; a new loop (e.g. a new test) needs a new channel.
            self.channel = grpc.aio.insecure_channel(
                self.endpoint.grpc_target,
                options=[
                    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.enable_http_proxy", 0),
                    # Reconnect quickly once the runtime is back (gRPC's default backoff grows to 2 minutes;
                    # crit must resume within one refresh interval). The "min" value is gRPC's connect timeout:
                    # keep it at least the call timeout so a silent socket ends as a deadline, not a reset.
                    ("grpc.initial_reconnect_backoff_ms", 200),
                    ("grpc.min_reconnect_backoff_ms", max(1000, int(self.connect_timeout * 1000))),
                    ("grpc.max_reconnect_backoff_ms", 1000),
                ],
            )
            self.loop = loop
            self.ok = False
        return self.channel

    async def close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            try:
                if self.loop is asyncio.get_running_loop():
                    await channel.close()
            except RuntimeError:
                pass


class CriClient:
    """An async CRI v1 client for one runtime (and its image service).

    ``runtime_endpoint`` / ``image_endpoint``: ``unix:///PATH``, a bare absolute path, ``tcp://HOST:PORT`` or a
    :class:`crit.cri.config.Endpoint`; the image endpoint defaults to the runtime endpoint. ``runtime_hint`` /
    ``image_hint`` (optional) say how the user set the endpoint (e.g. from ``ResolvedConfig.how_to_set()``) and
    end up in "socket missing" sentences.
    """

    def __init__(
        self,
        runtime_endpoint: str | Endpoint,
        image_endpoint: str | Endpoint | None = None,
        *,
        timeout: float = 2.0,
        readonly: bool = False,
        action_timeout: float | None = None,
        pull_timeout: float = DEFAULT_PULL_TIMEOUT,
        runtime_hint: str | None = None,
        image_hint: str | None = None,
    ) -> None:
        if timeout is None or timeout <= 0:
            raise E.InvalidArgument(f"The timeout must be a positive number of seconds, not {timeout!r}.")
        self.runtime_endpoint = _as_endpoint(runtime_endpoint, "runtime endpoint")
        self.image_endpoint = (
            self.runtime_endpoint if image_endpoint is None else _as_endpoint(image_endpoint, "image endpoint")
        )
        self.timeout = float(timeout)
        self.action_timeout = float(action_timeout) if action_timeout else max(self.timeout, MIN_ACTION_TIMEOUT)
        self.pull_timeout = float(pull_timeout)
        self.readonly = bool(readonly)
        self._runtime = _Conn(self.runtime_endpoint, "runtime", runtime_hint, self.timeout)
        if self.image_endpoint == self.runtime_endpoint:
            self._image = self._runtime
        else:
            self._image = _Conn(self.image_endpoint, "image", image_hint, self.timeout)
        #: The last VersionResponse, remembered so "not supported" sentences can name the runtime.
        self.runtime_version: pb.VersionResponse | None = None

    # ------------------------------------------------------------------------------------------------------------
    # plumbing

    @property
    def runtime_name(self) -> str | None:
        """ "NAME VERSION" of the runtime once Version has answered, else None."""
        v = self.runtime_version
        if v is None:
            return None
        return f"{v.runtime_name} {v.runtime_version}".strip() or None

    @property
    def shared_channel(self) -> bool:
        return self._image is self._runtime

    async def close(self) -> None:
        await self._runtime.close()
        if self._image is not self._runtime:
            await self._image.close()

    async def __aenter__(self) -> CriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _guard(self, rpc: str) -> None:
        if self.readonly and rpc in MUTATING_RPCS:
            raise E.ReadOnlyError(
                f"Refused to {_READONLY_VERB.get(rpc, rpc)}: crit is running read-only (--readonly), so {rpc} was "
                f"not sent.",
                operation=rpc,
                endpoint=str(self.runtime_endpoint),
            )

    def _precheck(self, conn: _Conn) -> None:
        if not conn.ok and conn.endpoint.scheme == "unix":
            E.check_unix_socket(conn.endpoint.address, endpoint=str(conn.endpoint), which=conn.which, hint=conn.hint)

    async def _translate(
        self, exc: grpc.aio.AioRpcError, conn: _Conn, rpc: str, object_id: str | None, timeout: float | None
    ) -> E.CriError:
        conn.ok = False
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED and self.runtime_version is None and rpc != "Version":
            try:  # learn the runtime's name for the sentence; never let this hide the real error
                await self.version()
            except E.CriError:
                pass
        return E.translate(
            exc,
            endpoint=str(conn.endpoint),
            operation=rpc,
            object_id=object_id,
            runtime=self.runtime_name,
            timeout=timeout,
            socket_path=conn.endpoint.path,
            which=conn.which,
            hint=conn.hint,
        )

    async def _unary(
        self,
        reply: type[_Reply],
        service: str,
        rpc: str,
        request: Any,
        *,
        object_id: str | None = None,
        timeout: float | None = None,
    ) -> _Reply:
        """Call ``rpc`` of ``service`` ("runtime" or "image"); its answer is a ``reply`` message."""
        self._guard(rpc)
        conn = self._image if service == "image" else self._runtime
        self._precheck(conn)
        channel = conn.get_channel()
        stub_cls = pbg.ImageServiceStub if service == "image" else pbg.RuntimeServiceStub
        method = getattr(stub_cls(channel), rpc)
        deadline = self.timeout if timeout is None else timeout
        try:
            response = await method(request, timeout=deadline)
        except grpc.aio.AioRpcError as exc:
            raise await self._translate(exc, conn, rpc, object_id, deadline) from exc
        if response is None:  # grpc could not deserialise the answer (e.g. invalid UTF-8 in a string field)
            raise E.undecodable(str(conn.endpoint), rpc, conn.which, conn.hint)
        conn.ok = True
        return cast(_Reply, response)  # the generated stub decodes the answer into ``reply``

    # ------------------------------------------------------------------------------------------------------------
    # runtime

    async def version(self) -> pb.VersionResponse:
        """Version: runtime name, version and CRI API version. Remembered in ``runtime_version``."""
        resp = await self._unary(pb.VersionResponse, "runtime", "Version", pb.VersionRequest(version=CRI_API_VERSION))
        self.runtime_version = resp
        return resp

    async def status(self, verbose: bool = False) -> pb.StatusResponse:
        """Status: RuntimeReady/NetworkReady conditions, handlers, features, and ``info`` when verbose."""
        return await self._unary(pb.StatusResponse, "runtime", "Status", pb.StatusRequest(verbose=verbose))

    # ------------------------------------------------------------------------------------------------------------
    # pod sandboxes

    async def list_pod_sandbox(
        self,
        filter: pb.PodSandboxFilter | None = None,
        *,
        id: str | None = None,
        state: int | str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[pb.PodSandbox]:
        """ListPodSandbox, optionally filtered (a PodSandboxFilter, or id/state/labels keywords, ANDed)."""
        f = pb.PodSandboxFilter()
        if filter is not None:
            f.CopyFrom(filter)
        if id:
            f.id = id
        st = parse_state(state, POD_STATE_WORDS, "pod sandbox")
        if st is not None:
            f.state.state = pb.PodSandboxState.ValueType(st)
        if labels:
            f.label_selector.update(labels)
        req = pb.ListPodSandboxRequest(filter=f) if f.ByteSize() else pb.ListPodSandboxRequest()
        resp = await self._unary(pb.ListPodSandboxResponse, "runtime", "ListPodSandbox", req)
        return list(resp.items)

    async def pod_sandbox_status(self, pod_id: str, verbose: bool = False) -> pb.PodSandboxStatusResponse:
        """PodSandboxStatus (``info`` is filled when verbose)."""
        return await self._unary(
            pb.PodSandboxStatusResponse,
            "runtime",
            "PodSandboxStatus",
            pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=verbose),
            object_id=pod_id,
        )

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str:
        """RunPodSandbox; returns the new pod sandbox id."""
        resp = await self._unary(
            pb.RunPodSandboxResponse,
            "runtime",
            "RunPodSandbox",
            pb.RunPodSandboxRequest(config=config, runtime_handler=runtime_handler),
            timeout=self.action_timeout,
        )
        return resp.pod_sandbox_id

    async def stop_pod_sandbox(self, pod_id: str) -> None:
        """StopPodSandbox (idempotent in the runtime): stops every container of the pod."""
        await self._unary(
            pb.StopPodSandboxResponse,
            "runtime",
            "StopPodSandbox",
            pb.StopPodSandboxRequest(pod_sandbox_id=pod_id),
            object_id=pod_id,
            timeout=self.action_timeout,
        )

    async def remove_pod_sandbox(self, pod_id: str) -> None:
        """RemovePodSandbox: removes the pod and its containers."""
        await self._unary(
            pb.RemovePodSandboxResponse,
            "runtime",
            "RemovePodSandbox",
            pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id),
            object_id=pod_id,
            timeout=self.action_timeout,
        )

    # ------------------------------------------------------------------------------------------------------------
    # containers

    async def list_containers(
        self,
        filter: pb.ContainerFilter | None = None,
        *,
        id: str | None = None,
        pod_id: str | None = None,
        state: int | str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[pb.Container]:
        """ListContainers, optionally filtered (a ContainerFilter, or id/pod_id/state/labels keywords, ANDed)."""
        f = pb.ContainerFilter()
        if filter is not None:
            f.CopyFrom(filter)
        if id:
            f.id = id
        if pod_id:
            f.pod_sandbox_id = pod_id
        st = parse_state(state, CONTAINER_STATE_WORDS, "container")
        if st is not None:
            f.state.state = pb.ContainerState.ValueType(st)
        if labels:
            f.label_selector.update(labels)
        req = pb.ListContainersRequest(filter=f) if f.ByteSize() else pb.ListContainersRequest()
        resp = await self._unary(pb.ListContainersResponse, "runtime", "ListContainers", req)
        return list(resp.containers)

    async def container_status(self, container_id: str, verbose: bool = False) -> pb.ContainerStatusResponse:
        """ContainerStatus (``info`` is filled when verbose)."""
        return await self._unary(
            pb.ContainerStatusResponse,
            "runtime",
            "ContainerStatus",
            pb.ContainerStatusRequest(container_id=container_id, verbose=verbose),
            object_id=container_id,
        )

    async def create_container(
        self, pod_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str:
        """CreateContainer in pod ``pod_id``; returns the new container id."""
        resp = await self._unary(
            pb.CreateContainerResponse,
            "runtime",
            "CreateContainer",
            pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=config, sandbox_config=sandbox_config),
            object_id=pod_id,
            timeout=self.action_timeout,
        )
        return resp.container_id

    async def start_container(self, container_id: str) -> None:
        await self._unary(
            pb.StartContainerResponse,
            "runtime",
            "StartContainer",
            pb.StartContainerRequest(container_id=container_id),
            object_id=container_id,
            timeout=self.action_timeout,
        )

    async def stop_container(self, container_id: str, timeout: int = 0) -> None:
        """StopContainer with ``timeout`` seconds of grace before the runtime kills it (0: at once)."""
        await self._unary(
            pb.StopContainerResponse,
            "runtime",
            "StopContainer",
            pb.StopContainerRequest(container_id=container_id, timeout=int(timeout)),
            object_id=container_id,
            timeout=self.action_timeout + max(0, int(timeout)),
        )

    async def remove_container(self, container_id: str) -> None:
        await self._unary(
            pb.RemoveContainerResponse,
            "runtime",
            "RemoveContainer",
            pb.RemoveContainerRequest(container_id=container_id),
            object_id=container_id,
            timeout=self.action_timeout,
        )

    async def update_container_resources(
        self,
        container_id: str,
        linux: pb.LinuxContainerResources | None = None,
        windows: pb.WindowsContainerResources | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        req = pb.UpdateContainerResourcesRequest(container_id=container_id)
        if linux is not None:
            req.linux.CopyFrom(linux)
        if windows is not None:
            req.windows.CopyFrom(windows)
        if annotations:
            req.annotations.update(annotations)
        await self._unary(
            pb.UpdateContainerResourcesResponse,
            "runtime",
            "UpdateContainerResources",
            req,
            object_id=container_id,
            timeout=self.action_timeout,
        )

    async def reopen_container_log(self, container_id: str) -> None:
        await self._unary(
            pb.ReopenContainerLogResponse,
            "runtime",
            "ReopenContainerLog",
            pb.ReopenContainerLogRequest(container_id=container_id),
            object_id=container_id,
        )

    # ------------------------------------------------------------------------------------------------------------
    # exec, attach, port-forward

    async def exec_sync(self, container_id: str, cmd: Sequence[str], timeout: int = 0) -> pb.ExecSyncResponse:
        """ExecSync: run ``cmd`` and return its stdout, stderr (bytes) and exit code.

        ``timeout`` is the command's own limit in seconds (0: none); the call's deadline is that plus the
        client timeout, or ``action_timeout`` when the command has no limit.
        """
        deadline = (int(timeout) + self.timeout) if timeout and timeout > 0 else self.action_timeout
        return await self._unary(
            pb.ExecSyncResponse,
            "runtime",
            "ExecSync",
            pb.ExecSyncRequest(container_id=container_id, cmd=list(cmd), timeout=int(timeout)),
            object_id=container_id,
            timeout=deadline,
        )

    async def exec(
        self,
        container_id: str,
        cmd: Sequence[str],
        *,
        tty: bool = False,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
    ) -> str:
        """Exec: returns the streaming URL. With a TTY stderr is merged into stdout, so it is not requested."""
        if tty:
            stderr = False
        resp = await self._unary(
            pb.ExecResponse,
            "runtime",
            "Exec",
            pb.ExecRequest(
                container_id=container_id, cmd=list(cmd), tty=tty, stdin=stdin, stdout=stdout, stderr=stderr
            ),
            object_id=container_id,
        )
        return resp.url

    async def attach(
        self,
        container_id: str,
        *,
        tty: bool = False,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
    ) -> str:
        """Attach: returns the streaming URL. ``tty`` must match the container's config."""
        if tty:
            stderr = False
        resp = await self._unary(
            pb.AttachResponse,
            "runtime",
            "Attach",
            pb.AttachRequest(container_id=container_id, tty=tty, stdin=stdin, stdout=stdout, stderr=stderr),
            object_id=container_id,
        )
        return resp.url

    async def port_forward(self, pod_id: str, ports: Iterable[int] = ()) -> str:
        """PortForward: returns the streaming URL for the pod's ports."""
        resp = await self._unary(
            pb.PortForwardResponse,
            "runtime",
            "PortForward",
            pb.PortForwardRequest(pod_sandbox_id=pod_id, port=[int(p) for p in ports]),
            object_id=pod_id,
        )
        return resp.url

    # ------------------------------------------------------------------------------------------------------------
    # statistics

    async def container_stats(self, container_id: str) -> pb.ContainerStats:
        resp = await self._unary(
            pb.ContainerStatsResponse,
            "runtime",
            "ContainerStats",
            pb.ContainerStatsRequest(container_id=container_id),
            object_id=container_id,
        )
        return resp.stats

    async def list_container_stats(
        self,
        filter: pb.ContainerStatsFilter | None = None,
        *,
        id: str | None = None,
        pod_id: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[pb.ContainerStats]:
        f = pb.ContainerStatsFilter()
        if filter is not None:
            f.CopyFrom(filter)
        if id:
            f.id = id
        if pod_id:
            f.pod_sandbox_id = pod_id
        if labels:
            f.label_selector.update(labels)
        req = pb.ListContainerStatsRequest(filter=f) if f.ByteSize() else pb.ListContainerStatsRequest()
        resp = await self._unary(pb.ListContainerStatsResponse, "runtime", "ListContainerStats", req)
        return list(resp.stats)

    async def pod_sandbox_stats(self, pod_id: str) -> pb.PodSandboxStats:
        resp = await self._unary(
            pb.PodSandboxStatsResponse,
            "runtime",
            "PodSandboxStats",
            pb.PodSandboxStatsRequest(pod_sandbox_id=pod_id),
            object_id=pod_id,
        )
        return resp.stats

    async def list_pod_sandbox_stats(
        self,
        filter: pb.PodSandboxStatsFilter | None = None,
        *,
        id: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[pb.PodSandboxStats]:
        f = pb.PodSandboxStatsFilter()
        if filter is not None:
            f.CopyFrom(filter)
        if id:
            f.id = id
        if labels:
            f.label_selector.update(labels)
        req = pb.ListPodSandboxStatsRequest(filter=f) if f.ByteSize() else pb.ListPodSandboxStatsRequest()
        resp = await self._unary(pb.ListPodSandboxStatsResponse, "runtime", "ListPodSandboxStats", req)
        return list(resp.stats)

    # ------------------------------------------------------------------------------------------------------------
    # events

    async def get_container_events(self) -> AsyncIterator[pb.ContainerEventResponse]:
        """GetContainerEvents: an async iterator over the runtime's container events (no deadline).

        Raises :class:`~crit.cri.errors.Unsupported` (on the first iteration) when the runtime lacks the RPC.
        Closing the iterator (``aclose()``, or leaving ``async for``) cancels the stream.
        """
        conn = self._runtime
        self._precheck(conn)
        stub = pbg.RuntimeServiceStub(conn.get_channel())
        call = stub.GetContainerEvents(pb.GetEventsRequest())
        try:
            async for event in call:
                if event is None:  # not decodable as a ContainerEventResponse
                    raise E.undecodable(str(conn.endpoint), "GetContainerEvents", conn.which, conn.hint)
                conn.ok = True
                yield event
        except grpc.aio.AioRpcError as exc:
            raise await self._translate(exc, conn, "GetContainerEvents", None, None) from exc
        finally:
            call.cancel()

    # ------------------------------------------------------------------------------------------------------------
    # images

    async def list_images(self, filter: pb.ImageFilter | str | None = None) -> list[pb.Image]:
        """ListImages; ``filter`` is an ImageFilter or an image reference."""
        if isinstance(filter, str):
            filter = pb.ImageFilter(image=pb.ImageSpec(image=filter))
        req = pb.ListImagesRequest(filter=filter) if filter is not None else pb.ListImagesRequest()
        resp = await self._unary(pb.ListImagesResponse, "image", "ListImages", req)
        return list(resp.images)

    async def image_status(self, image: str | pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse:
        """ImageStatus. The runtime answers an unknown image with an empty ``image`` (``HasField('image')`` is
        False), not an error; use :meth:`require_image` for a NotFound error instead."""
        spec = image if isinstance(image, pb.ImageSpec) else pb.ImageSpec(image=image)
        return await self._unary(
            pb.ImageStatusResponse,
            "image",
            "ImageStatus",
            pb.ImageStatusRequest(image=spec, verbose=verbose),
            object_id=spec.image,
        )

    async def require_image(self, image: str, verbose: bool = False) -> pb.ImageStatusResponse:
        """ImageStatus that raises NotFound ("Image REF not found.") when the image is absent."""
        resp = await self.image_status(image, verbose)
        if not resp.HasField("image"):
            raise E.NotFound(
                f"Image {image} not found.",
                operation="ImageStatus",
                object_id=image,
                endpoint=str(self.image_endpoint),
            )
        return resp

    async def pull_image(
        self,
        image: str | pb.ImageSpec,
        auth: pb.AuthConfig | tuple[str, str] | Mapping[str, str] | None = None,
        sandbox_config: pb.PodSandboxConfig | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """PullImage; returns the image reference (id) of the pulled image.

        ``auth``: an AuthConfig, a ``(username, password)`` pair, or a mapping of AuthConfig field names.
        The deadline is ``pull_timeout`` (10 minutes by default) unless ``timeout`` is given.
        """
        spec = image if isinstance(image, pb.ImageSpec) else pb.ImageSpec(image=image)
        req = pb.PullImageRequest(image=spec)
        if auth is not None:
            if isinstance(auth, pb.AuthConfig):
                req.auth.CopyFrom(auth)
            elif isinstance(auth, Mapping):
                try:
                    req.auth.CopyFrom(pb.AuthConfig(**dict(auth)))
                except ValueError as exc:
                    raise E.InvalidArgument(f"Bad registry credentials: {exc}.") from None
            else:
                try:
                    user, password = auth
                except (TypeError, ValueError):
                    raise E.InvalidArgument(
                        "Registry credentials must be a (username, password) pair, a mapping or an AuthConfig."
                    ) from None
                req.auth.CopyFrom(pb.AuthConfig(username=str(user), password=str(password)))
        if sandbox_config is not None:
            req.sandbox_config.CopyFrom(sandbox_config)
        resp = await self._unary(
            pb.PullImageResponse, "image", "PullImage", req, object_id=spec.image, timeout=timeout or self.pull_timeout
        )
        return resp.image_ref

    async def remove_image(self, image: str | pb.ImageSpec) -> None:
        spec = image if isinstance(image, pb.ImageSpec) else pb.ImageSpec(image=image)
        await self._unary(
            pb.RemoveImageResponse,
            "image",
            "RemoveImage",
            pb.RemoveImageRequest(image=spec),
            object_id=spec.image,
            timeout=self.action_timeout,
        )

    async def image_fs_info(self) -> pb.ImageFsInfoResponse:
        """ImageFsInfo: usage of the image (and, where reported, container) filesystems."""
        return await self._unary(pb.ImageFsInfoResponse, "image", "ImageFsInfo", pb.ImageFsInfoRequest())

    # ------------------------------------------------------------------------------------------------------------
    # id prefixes (as crictl accepts them)

    async def resolve_pod_id(self, prefix: str) -> str:
        """The full id of the one pod sandbox whose id starts with ``prefix``; NotFound or an ambiguity error."""
        return _unique_prefix(prefix, [p.id for p in await self.list_pod_sandbox()], "pod sandbox")

    async def resolve_container_id(self, prefix: str) -> str:
        """The full id of the one container whose id starts with ``prefix``; NotFound or an ambiguity error."""
        return _unique_prefix(prefix, [c.id for c in await self.list_containers()], "container")


def _unique_prefix(prefix: str, ids: Iterable[str], kind: str) -> str:
    prefix = prefix.strip()
    if not prefix:
        raise E.InvalidArgument(f"An empty {kind} id was given.")
    ids = list(ids)
    if prefix in ids:
        return prefix
    matches = sorted({i for i in ids if i.startswith(prefix)})
    if not matches:
        raise E.NotFound(f"{kind.capitalize()} {prefix} not found.", object_id=prefix)
    if len(matches) > 1:
        shown = ", ".join(m[:13] for m in matches[:5]) + (", …" if len(matches) > 5 else "")
        raise E.InvalidArgument(
            f"The id prefix {prefix} matches {len(matches)} {kind}s ({shown}); give more characters.",
            object_id=prefix,
        )
    return matches[0]
