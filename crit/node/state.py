"""In-memory state of the embedded CRI node: pods, containers, images, names, events.

Everything here is synchronous and runs on the node's event loop; the gRPC servicers in
:mod:`crit.node.runtime` translate requests into calls on :class:`NodeState` and
:class:`NodeError` into gRPC status codes.  Semantics and error texts follow containerd 1.6's CRI
plugin (``pkg/cri/server``), which is what crit is tested against.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from crit.cri.pb import api_pb2 as pb
from crit.cri.refs import normalize_ref
from crit.cri.states import (
    CONTAINER_CREATED,
    CONTAINER_EXITED,
    CONTAINER_RUNNING,
    CONTAINER_UNKNOWN,
    SANDBOX_NOTREADY,
    SANDBOX_READY,
)
from crit.errors import CritError
from crit.node.security import container_refusal, pod_refusal

_T = TypeVar("_T")

NS = 1_000_000_000

RUNTIME_HANDLERS = ("", "runc")
SANDBOX_IMAGE = "localhost:5000/pause:3.9"
HOST_NOTE = (
    "crit embedded node: containers created with a command, and every exec and attach, run as "
    "real processes on this host (as user {user}, in a scratch directory per container)"
)


class NodeError(CritError):
    """A failure returned to the CRI client with a gRPC status code (containerd's texts)."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def unknown(msg: str) -> NodeError:
    # containerd wraps plain Go errors with errdefs.ToGRPC, which maps them to Unknown.
    return NodeError(grpc.StatusCode.UNKNOWN, msg)


def not_found(msg: str) -> NodeError:
    return NodeError(grpc.StatusCode.NOT_FOUND, msg)


def now_ns() -> int:
    return time.time_ns()


def new_id() -> str:
    return secrets.token_hex(32)


def det_id(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def state_name(state: int) -> str:
    return str(pb.ContainerState.Name(pb.ContainerState.ValueType(state)))


def rfc3339nano(ts_ns: int) -> str:
    """Go's time.RFC3339Nano in UTC (trailing zeros of the fraction trimmed), as containerd logs."""
    secs, frac = divmod(ts_ns, NS)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def to_json_dict(msg: Message) -> dict[str, Any]:
    """What Go's encoding/json makes of the gogo CRI structs: proto (snake_case) names, empty fields omitted,
    enums and 64-bit integers as numbers, bytes as base64 — the shape of containerd's verbose ``info``."""
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            vfd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {k: _json_value(vfd, v) for k, v in value.items()}
        elif _repeated(fd):
            out[fd.name] = [_json_value(fd, v) for v in value]
        else:
            out[fd.name] = _json_value(fd, value)
    return out


def _repeated(fd: FieldDescriptor) -> bool:
    rep = getattr(fd, "is_repeated", None)  # protobuf >= 5.28; older ones only have .label
    return bool(rep) if rep is not None else fd.label == fd.LABEL_REPEATED


def _json_value(fd: FieldDescriptor, v: Any) -> Any:
    if fd.type == fd.TYPE_MESSAGE:
        return to_json_dict(v)
    if fd.type == fd.TYPE_BYTES:
        import base64

        return base64.b64encode(v).decode()
    return v


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def frame_field1(data: bytes) -> bytes:
    """Encode bytes as repeated field number 1 (wire type 2) of a response message."""
    return b"\x0a" + varint(len(data)) + data


# --------------------------------------------------------------------------------------------- images


def registry_host(normalized: str) -> str:
    return normalized.split("/", 1)[0]


def is_loopback_registry(host: str) -> bool:
    h = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return h in ("localhost", "[::1]") or h.startswith("127.") or h.endswith(".localhost")


@dataclass(slots=True)
class Image:
    id: str  # sha256:<64 hex>
    repo_tags: list[str]
    repo_digests: list[str]
    size: int
    config: dict[str, Any]  # OCI image config ("config" part): Entrypoint, Cmd, Env, WorkingDir, User, Labels
    created: str = "2024-01-01T00:00:00Z"
    pinned: bool = False
    chain_id: str = ""
    framed: bytes | None = None
    spec: dict[str, Any] | None = None  # the whole image config of a pulled image (verbose ImageStatus shows it)

    def to_pb(self) -> pb.Image:
        img = pb.Image(
            id=self.id, repo_tags=self.repo_tags, repo_digests=self.repo_digests, size=self.size, pinned=self.pinned
        )
        user = str(self.config.get("User", ""))
        uid_part = user.split(":", 1)[0]
        if uid_part.isdigit():
            img.uid.value = int(uid_part)
        elif uid_part:
            img.username = uid_part
        # an image without a user has neither uid nor username (containerd's getUserFromImage)
        return img

    def info_json(self) -> str:
        if self.spec is not None:
            return json.dumps({"chainID": self.chain_id, "imageSpec": self.spec}, separators=(",", ":"))
        return json.dumps(
            {
                "chainID": self.chain_id,
                "imageSpec": {
                    "created": self.created,
                    "architecture": "amd64",
                    "os": "linux",
                    "config": self.config,
                    "rootfs": {"type": "layers", "diff_ids": [self.chain_id]},
                    "history": [{"created": self.created, "created_by": "crit-node: simulated image"}],
                },
            },
            separators=(",", ":"),
        )


# ----------------------------------------------------------------------------------------- pods/containers


@dataclass(slots=True, eq=False)
class Pod:
    id: str
    config: pb.PodSandboxConfig
    runtime_handler: str
    name: str  # reserved name (containerd's makeSandboxName)
    created_at: int
    state: int = SANDBOX_READY
    ip: str = ""
    pid: int = 0
    containers: dict[str, Container] = field(default_factory=dict)  # id -> Container (insertion ordered)
    framed: bytes | None = None

    @property
    def host_network(self) -> bool:
        return self.config.linux.security_context.namespace_options.network == pb.NODE

    def to_pb(self) -> pb.PodSandbox:
        c = self.config
        return pb.PodSandbox(
            id=self.id,
            metadata=c.metadata,
            state=pb.PodSandboxState.ValueType(self.state),
            created_at=self.created_at,
            labels=c.labels,
            annotations=c.annotations,
            runtime_handler=self.runtime_handler,
        )

    def status_pb(self) -> pb.PodSandboxStatus:
        c = self.config
        ns = c.linux.security_context.namespace_options
        st = pb.PodSandboxStatus(
            id=self.id,
            metadata=c.metadata,
            state=pb.PodSandboxState.ValueType(self.state),
            created_at=self.created_at,
            labels=c.labels,
            annotations=c.annotations,
            runtime_handler=self.runtime_handler,
        )
        st.network.ip = self.ip if self.state == SANDBOX_READY else ""
        st.linux.namespaces.options.network = ns.network
        st.linux.namespaces.options.pid = ns.pid
        st.linux.namespaces.options.ipc = ns.ipc
        st.linux.namespaces.options.target_id = ns.target_id
        return st


@dataclass(slots=True, eq=False)
class Container:
    id: str
    pod: Pod
    config: pb.ContainerConfig
    name: str  # reserved name (containerd's makeContainerName)
    image: Image | None
    image_id: str
    log_path: str
    created_at: int
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    pid: int = 0
    removing: bool = False
    resources: pb.LinuxContainerResources | None = None
    workload: object = None  # crit.node.workload.Simulated | HostProcess
    gen: int = 0  # bumped on every start/stop: invalidates scheduled ticks
    framed: bytes | None = None
    sim: object = None  # per-container simulation profile (crit.node.workload.Profile)
    stats_static: bytes | None = None  # encoded attributes + writable layer of ContainerStats

    @property
    def state(self) -> int:
        # containerd's containerstore.Status.State()
        if self.finished_at:
            return CONTAINER_EXITED
        if self.started_at:
            return CONTAINER_RUNNING
        if self.created_at:
            return CONTAINER_CREATED
        return CONTAINER_UNKNOWN

    def invalidate(self) -> None:
        self.framed = None
        self.stats_static = None

    def to_pb(self) -> pb.Container:
        c = self.config
        return pb.Container(
            id=self.id,
            pod_sandbox_id=self.pod.id,
            metadata=c.metadata,
            image=c.image,
            image_ref=self.image_id,
            state=pb.ContainerState.ValueType(self.state),
            created_at=self.created_at,
            labels=c.labels,
            annotations=c.annotations,
        )

    def status_pb(self) -> pb.ContainerStatus:
        c = self.config
        state = self.state
        reason = self.reason
        if state == CONTAINER_EXITED and not reason:
            reason = "Completed" if self.exit_code == 0 else "Error"
        st = pb.ContainerStatus(
            id=self.id,
            metadata=c.metadata,
            state=pb.ContainerState.ValueType(state),
            created_at=self.created_at,
            exit_code=self.exit_code,
            reason=reason,
            message=self.message,
            labels=c.labels,
            annotations=c.annotations,
            mounts=c.mounts,
            log_path=self.log_path,
        )
        if state == CONTAINER_RUNNING:
            st.started_at = self.started_at
        elif state in (CONTAINER_EXITED, CONTAINER_UNKNOWN):
            st.started_at, st.finished_at = self.started_at, self.finished_at
        # containerd 1.6: image = first repo tag of the image (else what the user wrote),
        # image_ref = first repo digest (else the image id)
        img = self.image
        st.image.CopyFrom(c.image)
        st.image_ref = self.image_id
        if img is not None:
            if img.repo_tags:
                st.image.image = img.repo_tags[0]
            if img.repo_digests:
                st.image_ref = img.repo_digests[0]
        if self.resources is not None:
            st.resources.linux.CopyFrom(self.resources)
        elif c.linux.HasField("resources"):
            st.resources.linux.CopyFrom(c.linux.resources)
        return st


class Registrar:
    """Name reservation (containerd's pkg/registrar)."""

    def __init__(self) -> None:
        self.name_to_key: dict[str, str] = {}
        self.key_to_name: dict[str, str] = {}

    def reserve(self, name: str, key: str) -> None:
        if not name or not key:
            raise unknown(f"invalid name {json.dumps(name)} or key {json.dumps(key)}")
        k = self.name_to_key.get(name)
        if k is not None:
            if k != key:
                raise unknown(f"name {json.dumps(name)} is reserved for {json.dumps(k)}")
            return
        self.name_to_key[name] = key
        self.key_to_name[key] = name

    def release_by_key(self, key: str) -> None:
        name = self.key_to_name.pop(key, None)
        if name is not None:
            self.name_to_key.pop(name, None)


def resolve_prefix(store: Mapping[str, _T], ident: str) -> _T:
    """containerd's truncindex lookup: full id or unique prefix."""
    obj = store.get(ident)
    if obj is not None:
        return obj
    if not ident:
        raise unknown("Prefix can't be empty")
    if " " in ident:
        raise unknown("illegal character: ' '")
    found = None
    for key, val in store.items():
        if key.startswith(ident):
            if found is not None:
                raise unknown(f"Multiple IDs found with provided prefix: {ident}")
            found = val
    if found is None:
        raise not_found("not found")
    return found


def wrap(err: NodeError, prefix: str) -> NodeError:
    return NodeError(err.code, f"{prefix}: {err.message}")


def match_labels(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    for k, v in selector.items():
        if labels.get(k) != v:
            return False
    return True


# ------------------------------------------------------------------------------------------------ node


class Hooks(Protocol):
    """What the state calls to run containers (implemented by :class:`crit.node.workload.Workloads`)."""

    def start(self, c: Container) -> None: ...

    async def stop(self, c: Container, timeout: int) -> None: ...

    def removed(self, c: Container) -> None: ...


class NodeState:
    def __init__(self, state_dir: str, *, demo: bool = False) -> None:
        self.state_dir = state_dir
        self.demo = demo
        self.pods: dict[str, Pod] = {}
        self.containers: dict[str, Container] = {}
        self.images: dict[str, Image] = {}
        self.pod_names = Registrar()
        self.container_names = Registrar()
        self.subscribers: list[Callable[[pb.ContainerEventResponse], None]] = []
        self.hooks: Hooks | None = None  # crit.node.workload.Workloads, set by it
        self.started_at = now_ns()
        self.ip_counter = 2
        self.missing_images: set[str] = set()  # normalized refs that "do not exist" in any registry
        self.host_note = HOST_NOTE.format(user=_user())

    @property
    def workloads(self) -> Hooks:
        """What runs the containers (:class:`crit.node.workload.Workloads`, which sets :attr:`hooks`)."""
        if self.hooks is None:
            raise RuntimeError("the node's workloads are not set up (crit.node.workload.Workloads sets them)")
        return self.hooks

    # ------------------------------------------------------------------ lookup

    def get_pod(self, ident: str) -> Pod:
        return resolve_prefix(self.pods, ident)

    def get_container(self, ident: str) -> Container:
        return resolve_prefix(self.containers, ident)

    def resolve_image(self, ref_or_id: str) -> Image:
        """containerd's localResolve: a reference, an image id, or a unique id prefix."""
        norm = normalize_ref(ref_or_id) if not ref_or_id.startswith("sha256:") else None
        if norm is not None:
            for img in self.images.values():
                if norm in img.repo_tags or norm in img.repo_digests:
                    return img
        ident = ref_or_id
        if ident in self.images:
            return self.images[ident]
        hexpart = ident[7:] if ident.startswith("sha256:") else ident
        if hexpart and all(c in "0123456789abcdef" for c in hexpart) and len(hexpart) >= 1:
            found = [img for key, img in self.images.items() if key[7:].startswith(hexpart)]
            if len(found) == 1:
                return found[0]
        raise not_found("not found")

    # ------------------------------------------------------------------ events

    def emit(self, cid: str, etype: int, pod: Pod, containers: list[Container] | None = None) -> None:
        """A GetContainerEvents event as containerd 1.7 sends it: the pod's status and the statuses of all its
        (remaining) containers."""
        if not self.subscribers:
            return
        ev = pb.ContainerEventResponse(
            container_id=cid, container_event_type=pb.ContainerEventType.ValueType(etype), created_at=now_ns()
        )
        if pod.id in self.pods:  # a removed pod has no status any more (containerd 1.7 sends none)
            ev.pod_sandbox_status.CopyFrom(pod.status_pb())
        for c in containers if containers is not None else list(pod.containers.values()):
            ev.containers_statuses.append(c.status_pb())
        for sub in list(self.subscribers):
            sub(ev)

    # ------------------------------------------------------------------ pods

    def run_pod(
        self,
        config: pb.PodSandboxConfig,
        runtime_handler: str = "",
        *,
        pod_id: str | None = None,
        created_at: int | None = None,
    ) -> Pod:
        md = config.metadata
        if not config.HasField("metadata"):
            raise unknown("sandbox config must include metadata")  # containerd checks nothing more here
        pid = pod_id or new_id()
        name = "_".join([md.name, md.namespace, md.uid, str(md.attempt)])
        try:
            self.pod_names.reserve(name, pid)
        except NodeError as e:
            raise wrap(e, f"failed to reserve sandbox name {json.dumps(name)}") from e
        if runtime_handler not in RUNTIME_HANDLERS:
            self.pod_names.release_by_key(pid)
            raise unknown(f"failed to get sandbox runtime: no runtime for {json.dumps(runtime_handler)} is configured")
        refusal = pod_refusal(config)
        if refusal:
            self.pod_names.release_by_key(pid)
            raise unknown(refusal)
        pod = Pod(id=pid, config=config, runtime_handler=runtime_handler, name=name, created_at=created_at or now_ns())
        if not pod.host_network:
            n = self.ip_counter
            self.ip_counter += 1
            pod.ip = f"10.88.{(n >> 8) & 255}.{n & 255}"
        pod.pid = 1000 + (int(pid[:6], 16) % 60000)
        self.pods[pid] = pod
        self.emit(pid, pb.CONTAINER_CREATED_EVENT, pod, [])
        self.emit(pid, pb.CONTAINER_STARTED_EVENT, pod, [])
        return pod

    async def stop_pod(self, pod: Pod) -> None:
        for c in list(pod.containers.values()):
            await self.stop_container(c, 0)
        if pod.state != SANDBOX_NOTREADY:
            pod.state = SANDBOX_NOTREADY
            pod.pid = 0
            pod.framed = None
            self.emit(pod.id, pb.CONTAINER_STOPPED_EVENT, pod)

    async def remove_pod(self, pod: Pod) -> None:
        # containerd 1.6 forcibly stops the sandbox (and its containers), then removes them all;
        # the CRI spec says the same ("must be forcibly terminated and removed").
        await self.stop_pod(pod)
        for c in list(pod.containers.values()):
            await self.remove_container(c)
        self.pods.pop(pod.id, None)
        self.pod_names.release_by_key(pod.id)
        self.emit(pod.id, pb.CONTAINER_DELETED_EVENT, pod, [])

    # ------------------------------------------------------------------ containers

    def create_container(
        self,
        pod_ident: str,
        config: pb.ContainerConfig,
        sandbox_config: pb.PodSandboxConfig,
        *,
        cid: str | None = None,
        created_at: int | None = None,
    ) -> Container:
        try:
            pod = self.get_pod(pod_ident)
        except NodeError as e:
            raise wrap(e, f"failed to find sandbox id {json.dumps(pod_ident)}") from e
        if pod.state != SANDBOX_READY:
            # containerd 1.6 asks for the sandbox's task, which is gone once the pod is stopped
            raise not_found(
                f"failed to get sandbox container task: no running task found: task {pod.id} not found: not found"
            )
        if not config.HasField("metadata"):
            raise unknown("container config must include metadata")
        cid = cid or new_id()
        smd = sandbox_config.metadata
        md = config.metadata
        name = "_".join([md.name, smd.name, smd.namespace, smd.uid, str(md.attempt)])
        try:
            self.container_names.reserve(name, cid)
        except NodeError as e:
            raise wrap(e, f"failed to reserve container name {json.dumps(name)}") from e
        try:
            image = self.resolve_image(config.image.image)
        except NodeError as e:
            self.container_names.release_by_key(cid)
            raise wrap(e, f"failed to resolve image {json.dumps(config.image.image)}") from e
        refusal = container_refusal(cid, config, sandbox_config)
        if refusal:
            self.container_names.release_by_key(cid)
            raise unknown(refusal)
        log_path = ""
        if sandbox_config.log_directory and config.log_path:
            log_path = os.path.join(sandbox_config.log_directory, config.log_path)
        c = Container(
            id=cid,
            pod=pod,
            config=config,
            name=name,
            image=image,
            image_id=image.id,
            log_path=log_path,
            created_at=created_at or now_ns(),
        )
        self.containers[cid] = c
        pod.containers[cid] = c
        pod.framed = None
        self.emit(cid, pb.CONTAINER_CREATED_EVENT, pod)
        return c

    def start_container(self, c: Container) -> None:
        state = c.state
        if state != CONTAINER_CREATED:
            raise unknown(
                f"failed to set starting state for container {json.dumps(c.id)}: "
                f"container is in {state_name(state)} state"
            )
        if c.removing:
            raise unknown(
                f"failed to set starting state for container {json.dumps(c.id)}: "
                "container is in removing state, can't be started"
            )
        if c.pod.state != SANDBOX_READY:
            err = f"sandbox container {json.dumps(c.pod.id)} is not running"
            self._start_failed(c, err)
            raise unknown(err)
        try:
            self.workloads.start(c)
        except NodeError as e:
            self._start_failed(c, e.message)
            raise
        c.gen += 1
        c.invalidate()
        self.emit(c.id, pb.CONTAINER_STARTED_EVENT, c.pod)

    def _start_failed(self, c: Container, message: str) -> None:
        # containerd: a failed start leaves the container exited with 128 / StartError
        c.finished_at = now_ns()
        c.exit_code = 128
        c.reason = "StartError"
        c.message = message
        c.invalidate()
        self.emit(c.id, pb.CONTAINER_STOPPED_EVENT, c.pod)

    def mark_exited(self, c: Container, exit_code: int, reason: str = "", message: str = "") -> None:
        """The container's main process ended (called by workloads)."""
        if c.state != CONTAINER_RUNNING:
            return
        c.finished_at = now_ns()
        c.exit_code = exit_code
        c.reason = reason
        c.message = message
        c.pid = 0
        c.gen += 1
        c.invalidate()
        self.emit(c.id, pb.CONTAINER_STOPPED_EVENT, c.pod)

    async def stop_container(self, c: Container, timeout: int) -> None:
        """Simulated workloads stop at once; host processes get the stop signal, then SIGKILL."""
        if c.state != CONTAINER_RUNNING:
            return  # containerd: stopping a container that is not running is a no-op
        await self.workloads.stop(c, timeout)

    async def remove_container(self, c: Container) -> None:
        # containerd 1.6 forcibly stops a running container before removing it
        if c.state == CONTAINER_RUNNING:
            await self.workloads.stop(c, 0)
        if c.removing:
            return
        c.removing = True
        self.containers.pop(c.id, None)
        c.pod.containers.pop(c.id, None)
        c.pod.framed = None
        self.container_names.release_by_key(c.id)
        self.workloads.removed(c)
        self.emit(c.id, pb.CONTAINER_DELETED_EVENT, c.pod)

    # ------------------------------------------------------------------ images

    def add_image(self, img: Image) -> Image:
        # a tag moves from the image that held it to the new one (containerd image store update)
        for other in list(self.images.values()):
            if other.id == img.id:
                continue
            moved = [t for t in other.repo_tags if t in img.repo_tags]
            if moved:
                other.repo_tags = [t for t in other.repo_tags if t not in img.repo_tags]
                other.framed = None
        existing = self.images.get(img.id)
        if existing is not None:
            for t in img.repo_tags:
                if t not in existing.repo_tags:
                    existing.repo_tags.append(t)
            for d in img.repo_digests:
                if d not in existing.repo_digests:
                    existing.repo_digests.append(d)
            existing.framed = None
            return existing
        self.images[img.id] = img
        return img

    def remove_image(self, img: Image) -> None:
        self.images.pop(img.id, None)


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # pragma: no cover - a uid without a passwd entry (containers)
        return str(os.getuid())
