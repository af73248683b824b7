"""gRPC servicers of the embedded node: ``runtime.v1.RuntimeService`` and ``runtime.v1.ImageService``.

Handlers are registered with :func:`grpc.method_handlers_generic_handler` rather than the generated
``add_*Servicer_to_server`` so that the big List responses can be returned as pre-encoded bytes (each
pod/container/image caches its own encoding until it changes): a 10,000-container ListContainers is a
``b"".join`` instead of 10,000 message constructions.  Methods containerd 1.6 does not implement either
(Stream*, CheckpointContainer, metrics descriptors, …) are left unregistered, so gRPC answers Unimplemented.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import sys
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import grpc

import crit
from crit.cri.pb import api_pb2 as pb
from crit.cri.refs import normalize_ref
from crit.cri.states import CONTAINER_RUNNING, SANDBOX_READY
from crit.node import registry
from crit.node.state import (
    NS,
    Image,
    NodeError,
    NodeState,
    det_id,
    frame_field1,
    is_loopback_registry,
    match_labels,
    now_ns,
    registry_host,
    state_name,
    to_json_dict,
    unknown,
    wrap,
)
from crit.node.workload import Workloads, host_env

if TYPE_CHECKING:
    from typing import TypeAlias

    from crit.node.state import Container, Pod
    from crit.node.streaming import StreamServer

    Context: TypeAlias = grpc.aio.ServicerContext  # (grpc has no type hints: Any to mypy)

RUNTIME_NAME = "crit-node"
RUNTIME_TYPE = "io.containerd.runc.v2"
SNAPSHOTTER = "native"
MISSING_MARKERS = ("missing", "nonexistent", "does-not-exist", "doesnotexist", "notfound", "not-found", "no-such")

Q = json.dumps  # Go's %q for the plain strings we quote


def _j(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Runtime:
    """Both CRI services over one :class:`NodeState`."""

    def __init__(self, state: NodeState, workloads: Workloads, streaming: StreamServer) -> None:
        self.state = state
        self.wl = workloads
        self.streaming = streaming

    # ================================================================== RuntimeService

    async def Version(self, req: pb.VersionRequest, ctx: Context) -> pb.VersionResponse:
        return pb.VersionResponse(
            version="0.1.0", runtime_name=RUNTIME_NAME, runtime_version=crit.__version__, runtime_api_version="v1"
        )

    async def Status(self, req: pb.StatusRequest, ctx: Context) -> pb.StatusResponse:
        resp = pb.StatusResponse()
        resp.status.conditions.add(type="RuntimeReady", status=True)
        resp.status.conditions.add(type="NetworkReady", status=True)
        if req.verbose:
            s = self.state
            resp.info["config"] = _j(
                {
                    "runtime": RUNTIME_NAME,
                    "version": crit.__version__,
                    "stateDir": s.state_dir,
                    "streamServerAddress": "127.0.0.1",
                    "streamServerPort": str(self.streaming.port),
                    "snapshotter": SNAPSHOTTER,
                    "sandboxImage": "localhost:5000/pause:3.9",
                    "demo": s.demo,
                    "hostProcesses": s.host_note,
                }
            )
            resp.info["python"] = _j(sys.version.split()[0] + " " + platform.machine())
            resp.info["lastCNILoadStatus"] = "OK"
            resp.info["lastCNILoadStatus.default"] = "OK"
            resp.info["warning"] = _j(s.host_note)
        return resp

    # ------------------------------------------------------------------ pods

    async def RunPodSandbox(self, req: pb.RunPodSandboxRequest, ctx: Context) -> pb.RunPodSandboxResponse:
        if not req.HasField("config"):
            raise unknown("sandbox config must include metadata")
        pod = self.state.run_pod(req.config, req.runtime_handler)
        return pb.RunPodSandboxResponse(pod_sandbox_id=pod.id)

    def _find_pod(self, ident: str, prefix: str) -> Pod:
        try:
            return self.state.get_pod(ident)
        except NodeError as e:
            raise wrap(e, prefix) from e

    async def StopPodSandbox(self, req: pb.StopPodSandboxRequest, ctx: Context) -> pb.StopPodSandboxResponse:
        ident = req.pod_sandbox_id
        pod = self._find_pod(ident, f"an error occurred when try to find sandbox {Q(ident)}")
        await self.state.stop_pod(pod)
        return pb.StopPodSandboxResponse()

    async def RemovePodSandbox(self, req: pb.RemovePodSandboxRequest, ctx: Context) -> pb.RemovePodSandboxResponse:
        ident = req.pod_sandbox_id
        try:
            pod = self.state.get_pod(ident)
        except NodeError as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                # containerd 1.6: removing a sandbox that does not exist (any more) is not an error
                return pb.RemovePodSandboxResponse()
            raise wrap(e, f"an error occurred when try to find sandbox {Q(ident)}") from e
        await self.state.remove_pod(pod)
        return pb.RemovePodSandboxResponse()

    async def PodSandboxStatus(self, req: pb.PodSandboxStatusRequest, ctx: Context) -> pb.PodSandboxStatusResponse:
        pod = self._find_pod(req.pod_sandbox_id, "an error occurred when try to find sandbox")
        resp = pb.PodSandboxStatusResponse()
        resp.status.CopyFrom(pod.status_pb())
        if req.verbose:
            cfg = to_json_dict(pod.config)
            info = {
                "pid": pod.pid,
                "processStatus": "running" if pod.state == SANDBOX_READY else "stopped",
                "netNamespaceClosed": pod.state != SANDBOX_READY,
                "image": "localhost:5000/pause:3.9",
                "snapshotKey": pod.id,
                "snapshotter": SNAPSHOTTER,
                "runtimeHandler": pod.runtime_handler,
                "runtimeType": RUNTIME_TYPE,
                "runtimeOptions": None,
                "config": cfg,
                "runtimeSpec": {
                    "ociVersion": "1.0.2-dev",
                    "process": {
                        "user": {"uid": 65535, "gid": 65535},
                        "args": ["/pause"],
                        "cwd": "/",
                        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    },
                    "root": {"path": "rootfs", "readonly": True},
                    "hostname": pod.config.hostname,
                    "annotations": {
                        "io.kubernetes.cri.container-type": "sandbox",
                        "io.kubernetes.cri.sandbox-id": pod.id,
                        "io.kubernetes.cri.sandbox-name": pod.config.metadata.name,
                        "io.kubernetes.cri.sandbox-namespace": pod.config.metadata.namespace,
                    },
                },
                "cniResult": None
                if pod.host_network
                else {
                    "Interfaces": {
                        "eth0": {
                            "IPConfigs": [{"IP": pod.ip, "Gateway": "10.88.0.1"}],
                            "Mac": "0a:58:" + ":".join(pod.id[i : i + 2] for i in range(0, 8, 2)),
                            "Sandbox": f"/var/run/netns/cni-{pod.id[:8]}",
                        }
                    },
                    "DNS": [{}, {}],
                    "Routes": [{"dst": "0.0.0.0/0"}],
                },
                "critNode": self.state.host_note,
            }
            resp.info["info"] = _j(info)
        return resp

    async def ListPodSandbox(self, req: pb.ListPodSandboxRequest, ctx: Context) -> bytes:  # pre-encoded List response
        f = req.filter if req.HasField("filter") else None
        pods: Iterable[Pod] = self.state.pods.values()
        if f is not None:
            fid = f.id
            if fid:
                try:
                    fid = self.state.get_pod(fid).id  # containerd resolves a unique prefix, else keeps it
                except NodeError:
                    pass
            want_state = f.state.state if f.HasField("state") else None
            sel = f.label_selector
            pods = [
                p
                for p in pods
                if (not fid or p.id == fid)
                and (want_state is None or p.state == want_state)
                and (not sel or match_labels(sel, p.config.labels))
            ]
        out = []
        for p in pods:
            if p.framed is None:
                p.framed = frame_field1(p.to_pb().SerializeToString())
            out.append(p.framed)
        return b"".join(out)

    # ------------------------------------------------------------------ containers

    def _find(self, ident: str, prefix: str) -> Container:
        try:
            return self.state.get_container(ident)
        except NodeError as e:
            raise wrap(e, prefix) from e

    async def CreateContainer(self, req: pb.CreateContainerRequest, ctx: Context) -> pb.CreateContainerResponse:
        c = self.state.create_container(req.pod_sandbox_id, req.config, req.sandbox_config)
        return pb.CreateContainerResponse(container_id=c.id)

    async def StartContainer(self, req: pb.StartContainerRequest, ctx: Context) -> pb.StartContainerResponse:
        ident = req.container_id
        c = self._find(ident, f"an error occurred when try to find container {Q(ident)}")
        self.state.start_container(c)
        return pb.StartContainerResponse()

    async def StopContainer(self, req: pb.StopContainerRequest, ctx: Context) -> pb.StopContainerResponse:
        ident = req.container_id
        c = self._find(ident, f"an error occurred when try to find container {Q(ident)}")
        await self.state.stop_container(c, req.timeout)
        return pb.StopContainerResponse()

    async def RemoveContainer(self, req: pb.RemoveContainerRequest, ctx: Context) -> pb.RemoveContainerResponse:
        ident = req.container_id
        try:
            c = self.state.get_container(ident)
        except NodeError as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                # containerd 1.6: removing a container that does not exist (any more) is not an error
                return pb.RemoveContainerResponse()
            raise wrap(e, f"an error occurred when try to find container {Q(ident)}") from e
        await self.state.remove_container(c)
        return pb.RemoveContainerResponse()

    async def ListContainers(self, req: pb.ListContainersRequest, ctx: Context) -> bytes:  # pre-encoded List response
        f = req.filter if req.HasField("filter") else None
        cs: Iterable[Container] = self.state.containers.values()
        if f is not None:
            fid, fpod = f.id, f.pod_sandbox_id
            if fid:
                try:
                    fid = self.state.get_container(fid).id
                except NodeError:
                    pass
            if fpod:
                try:
                    fpod = self.state.get_pod(fpod).id
                except NodeError:
                    pass
            want = f.state.state if f.HasField("state") else None
            sel = f.label_selector
            if fpod and not fid and fpod in self.state.pods:
                cs = self.state.pods[fpod].containers.values()
            cs = [
                c
                for c in cs
                if (not fid or c.id == fid)
                and (not fpod or c.pod.id == fpod)
                and (want is None or c.state == want)
                and (not sel or match_labels(sel, c.config.labels))
            ]
        out = []
        for c in cs:
            if c.framed is None:
                c.framed = frame_field1(c.to_pb().SerializeToString())
            out.append(c.framed)
        return b"".join(out)

    async def ContainerStatus(self, req: pb.ContainerStatusRequest, ctx: Context) -> pb.ContainerStatusResponse:
        ident = req.container_id
        c = self._find(ident, f"an error occurred when try to find container {Q(ident)}")
        resp = pb.ContainerStatusResponse()
        resp.status.CopyFrom(c.status_pb())
        if req.verbose:
            scratch = os.path.join(self.state.state_dir, "containers", c.id)
            host = bool(c.config.command)
            argv = list(c.config.command) + list(c.config.args)
            if not argv and c.image is not None:
                argv = list(c.image.config.get("Entrypoint") or []) + list(
                    c.config.args or c.image.config.get("Cmd") or []
                )
            env = host_env(c, scratch, c.config.tty)
            info = {
                "sandboxID": c.pod.id,
                "pid": c.pid,
                "removing": c.removing,
                "snapshotKey": c.id,
                "snapshotter": SNAPSHOTTER,
                "runtimeType": RUNTIME_TYPE,
                "runtimeOptions": None,
                "config": to_json_dict(c.config),
                "runtimeSpec": {
                    "ociVersion": "1.0.2-dev",
                    "process": {
                        "terminal": c.config.tty,
                        "user": {"uid": 0, "gid": 0},
                        "args": argv,
                        "env": [f"{k}={v}" for k, v in env.items()],
                        "cwd": scratch,
                    },
                    "root": {"path": "rootfs"},
                    "annotations": {
                        "io.kubernetes.cri.container-type": "container",
                        "io.kubernetes.cri.container-name": c.config.metadata.name,
                        "io.kubernetes.cri.sandbox-id": c.pod.id,
                        "io.kubernetes.cri.image-name": c.config.image.image,
                    },
                },
                "critNode": {
                    "workload": "host process" if host else "simulated",
                    "scratchDir": scratch,
                    "note": self.state.host_note,
                },
            }
            resp.info["info"] = _j(info)
        return resp

    async def UpdateContainerResources(
        self, req: pb.UpdateContainerResourcesRequest, ctx: Context
    ) -> pb.UpdateContainerResourcesResponse:
        try:
            c = self.state.get_container(req.container_id)
        except NodeError as e:
            raise wrap(e, "failed to find container") from e
        if c.removing:
            raise unknown(f"failed to update resources: container {Q(c.id)} is in removing state")
        res = pb.LinuxContainerResources()
        if c.resources is not None:
            res.CopyFrom(c.resources)
        elif c.config.linux.HasField("resources"):
            res.CopyFrom(c.config.linux.resources)
        if req.HasField("linux"):
            # containerd's updateOCIResource: only non-zero values replace the current ones
            new = req.linux
            for fld in (
                "cpu_period",
                "cpu_quota",
                "cpu_shares",
                "memory_limit_in_bytes",
                "memory_swap_limit_in_bytes",
                "cpuset_cpus",
                "cpuset_mems",
            ):
                v = getattr(new, fld)
                if v:
                    setattr(res, fld, v)
            if new.oom_score_adj:
                res.oom_score_adj = new.oom_score_adj
            if new.unified:
                res.unified.update(new.unified)
        c.resources = res
        c.invalidate()
        return pb.UpdateContainerResourcesResponse()

    async def ReopenContainerLog(
        self, req: pb.ReopenContainerLogRequest, ctx: Context
    ) -> pb.ReopenContainerLogResponse:
        ident = req.container_id
        c = self._find(ident, f"an error occurred when try to find container {Q(ident)}")
        if c.state != CONTAINER_RUNNING:
            raise unknown("container is not running")
        return pb.ReopenContainerLogResponse()  # log files are opened per write: nothing to reopen

    # ------------------------------------------------------------------ exec / attach / port-forward

    async def ExecSync(self, req: pb.ExecSyncRequest, ctx: Context) -> pb.ExecSyncResponse:
        c = self._find(
            req.container_id, f"failed to exec in container: failed to find container {Q(req.container_id)} in store"
        )
        if c.state != CONTAINER_RUNNING:
            raise unknown(f"failed to exec in container: container is in {state_name(c.state)} state")
        return await self.streaming.exec_sync(c, list(req.cmd), req.timeout)

    async def Exec(self, req: pb.ExecRequest, ctx: Context) -> pb.ExecResponse:
        c = self._find(req.container_id, f"failed to find container {Q(req.container_id)} in store")
        if c.state != CONTAINER_RUNNING:
            raise unknown(f"container is in {state_name(c.state)} state")
        if not (req.stdin or req.stdout or req.stderr):
            raise NodeError(grpc.StatusCode.INVALID_ARGUMENT, "one of stdin, stdout, or stderr must be set")
        if req.tty and req.stderr:
            # the kubelet streaming server refuses this combination with exactly this text
            raise NodeError(grpc.StatusCode.INVALID_ARGUMENT, "tty and stderr cannot both be true")
        return pb.ExecResponse(url=self.streaming.new_url("exec", c.id, req))

    async def Attach(self, req: pb.AttachRequest, ctx: Context) -> pb.AttachResponse:
        try:
            c = self.state.get_container(req.container_id)
        except NodeError as e:
            raise wrap(e, "failed to find container in store") from e
        if c.state != CONTAINER_RUNNING:
            raise unknown(f"container is in {state_name(c.state)} state")
        if not (req.stdin or req.stdout or req.stderr):
            raise NodeError(grpc.StatusCode.INVALID_ARGUMENT, "one of stdin, stdout, and stderr must be set")
        if req.tty and req.stderr:
            raise NodeError(grpc.StatusCode.INVALID_ARGUMENT, "tty and stderr cannot both be true")
        return pb.AttachResponse(url=self.streaming.new_url("attach", c.id, req))

    async def PortForward(self, req: pb.PortForwardRequest, ctx: Context) -> pb.PortForwardResponse:
        pod = self._find_pod(req.pod_sandbox_id, f"failed to find sandbox {Q(req.pod_sandbox_id)}")
        if pod.state != SANDBOX_READY:
            raise unknown("sandbox container is not running")
        return pb.PortForwardResponse(url=self.streaming.new_url("portforward", pod.id, req))

    # ------------------------------------------------------------------ stats

    def _static_stats(self, c: Container) -> pb.ContainerStats:
        cs = pb.ContainerStats()
        a = cs.attributes
        a.id = c.id
        a.metadata.CopyFrom(c.config.metadata)
        a.labels.update(c.config.labels)
        a.annotations.update(c.config.annotations)
        wl = cs.writable_layer
        wl.timestamp = c.created_at
        wl.fs_id.mountpoint = os.path.join(self.state.state_dir, "snapshots")
        h = zlib.crc32(c.id.encode())
        wl.used_bytes.value = 4096 * (1 + h % 2048)
        wl.inodes_used.value = 1 + h % 97
        return cs

    def _dynamic_stats(self, c: Container, t: int) -> pb.ContainerStats:
        cs = pb.ContainerStats()
        if c.state == CONTAINER_RUNNING:
            cs.cpu.timestamp = t
            cs.cpu.usage_core_nano_seconds.value = self.wl.cpu_ns(c, t)
            cs.cpu.usage_nano_cores.value = self.wl.nano_cores(c, t)
            mem = self.wl.memory(c, t)
            m = cs.memory
            m.timestamp = t
            m.working_set_bytes.value = mem
            m.usage_bytes.value = mem + mem // 8
            m.rss_bytes.value = mem * 3 // 4
            limit = (c.resources or c.config.linux.resources).memory_limit_in_bytes
            if limit:
                m.available_bytes.value = max(0, limit - mem)
            m.page_faults.value = mem // 4096 // 3
            m.major_page_faults.value = zlib.crc32(c.id.encode()) % 13
        return cs

    def _container_stats(self, c: Container, t: int) -> pb.ContainerStats:
        cs = self._static_stats(c)
        cs.MergeFrom(self._dynamic_stats(c, t))
        return cs

    def _container_stats_bytes(self, c: Container, t: int) -> bytes:
        # encoded messages concatenate into their merge: cache the part that never changes
        static = c.stats_static
        if static is None:
            static = c.stats_static = self._static_stats(c).SerializeToString()
        return frame_field1(static + self._dynamic_stats(c, t).SerializeToString())

    async def ContainerStats(self, req: pb.ContainerStatsRequest, ctx: Context) -> pb.ContainerStatsResponse:
        try:
            c = self.state.get_container(req.container_id)
        except NodeError as e:
            raise wrap(e, "failed to find container") from e
        if c.state != CONTAINER_RUNNING:
            # containerd 1.6 asks the task service for metrics, which has none for a stopped task
            raise unknown("unexpected metrics response: []")
        return pb.ContainerStatsResponse(stats=self._container_stats(c, now_ns()))

    async def ListContainerStats(
        self, req: pb.ListContainerStatsRequest, ctx: Context
    ) -> bytes:  # pre-encoded List response
        cs = list(self.state.containers.values())
        if req.HasField("filter"):
            f = req.filter
            fid, fpod = f.id, f.pod_sandbox_id
            try:
                fid = self.state.get_container(fid).id if fid else ""
            except NodeError:
                pass
            try:
                fpod = self.state.get_pod(fpod).id if fpod else ""
            except NodeError:
                pass
            cs = [
                c
                for c in cs
                if (not fid or c.id == fid)
                and (not fpod or c.pod.id == fpod)
                and (not f.label_selector or match_labels(f.label_selector, c.config.labels))
            ]
        t = now_ns()
        return b"".join(self._container_stats_bytes(c, t) for c in cs)

    def _pod_stats(self, pod: Pod, t: int) -> pb.PodSandboxStats:
        ps = pb.PodSandboxStats()
        a = ps.attributes
        a.id = pod.id
        a.metadata.CopyFrom(pod.config.metadata)
        a.labels.update(pod.config.labels)
        a.annotations.update(pod.config.annotations)
        lx = ps.linux
        cpu = mem = procs = 0
        running = [c for c in pod.containers.values() if c.state == CONTAINER_RUNNING]
        for c in running:
            st = self._container_stats(c, t)
            lx.containers.append(st)
            cpu += st.cpu.usage_core_nano_seconds.value
            mem += st.memory.working_set_bytes.value
            procs += 1
        if pod.state == SANDBOX_READY:
            cpu += 20_000_000 + (t - pod.created_at) // 50_000  # the pause process
            mem += 450 * 1024
            procs += 1
        lx.cpu.timestamp = t
        lx.cpu.usage_core_nano_seconds.value = cpu
        lx.cpu.usage_nano_cores.value = sum(self.wl.nano_cores(c, t) for c in running)
        lx.memory.timestamp = t
        lx.memory.working_set_bytes.value = mem
        lx.memory.usage_bytes.value = mem + mem // 8
        lx.process.timestamp = t
        lx.process.process_count.value = procs
        lx.network.timestamp = t
        secs = max(0, t - pod.created_at) // NS
        h = zlib.crc32(pod.id.encode())
        lx.network.default_interface.name = "eth0"
        lx.network.default_interface.rx_bytes.value = secs * (200 + h % 3000)
        lx.network.default_interface.tx_bytes.value = secs * (100 + h % 1500)
        lx.network.default_interface.rx_errors.value = 0
        lx.network.default_interface.tx_errors.value = 0
        lx.network.interfaces.append(lx.network.default_interface)
        return ps

    async def PodSandboxStats(self, req: pb.PodSandboxStatsRequest, ctx: Context) -> pb.PodSandboxStatsResponse:
        try:
            pod = self.state.get_pod(req.pod_sandbox_id)
        except NodeError as e:
            raise wrap(e, f"an error occurred when trying to find sandbox {req.pod_sandbox_id}") from e
        if pod.state != SANDBOX_READY:
            raise unknown(
                f"failed to decode pod sandbox metrics {req.pod_sandbox_id}: failed to get pod sandbox stats "
                f"since sandbox container {Q(pod.id)} is not in ready state"
            )
        return pb.PodSandboxStatsResponse(stats=self._pod_stats(pod, now_ns()))

    async def ListPodSandboxStats(
        self, req: pb.ListPodSandboxStatsRequest, ctx: Context
    ) -> pb.ListPodSandboxStatsResponse:
        pods = list(self.state.pods.values())
        if req.HasField("filter"):
            f = req.filter
            fid = f.id
            try:
                fid = self.state.get_pod(fid).id if fid else ""
            except NodeError:
                pass
            pods = [
                p
                for p in pods
                if (not fid or p.id == fid)
                and (not f.label_selector or match_labels(f.label_selector, p.config.labels))
            ]
        t = now_ns()
        resp = pb.ListPodSandboxStatsResponse()
        # Only ready sandboxes are reported.  containerd 1.6 skips the others only when a filter is given; without
        # one, a single NotReady pod makes its whole ListPodSandboxStats fail ("... is not in ready state") — a bug
        # the node does not copy, since it would make the call useless on any node with a stopped pod.
        resp.stats.extend(self._pod_stats(p, t) for p in pods if p.state == SANDBOX_READY)
        return resp

    # ------------------------------------------------------------------ events

    async def GetContainerEvents(
        self, req: pb.GetEventsRequest, ctx: Context
    ) -> AsyncIterator[pb.ContainerEventResponse]:
        # containerd 1.6 answers Unimplemented here; the node implements it the way containerd 1.7 does,
        # so that crit's event-driven refresh can be exercised without a newer containerd.
        queue: asyncio.Queue[pb.ContainerEventResponse] = asyncio.Queue(maxsize=10000)

        def sub(ev: pb.ContainerEventResponse) -> None:
            if queue.full():
                return  # a client that does not read loses events, like containerd's bounded channel
            queue.put_nowait(ev)

        self.state.subscribers.append(sub)
        try:
            while True:
                yield await queue.get()
        finally:
            self.state.subscribers.remove(sub)

    # ================================================================== ImageService

    async def ListImages(self, req: pb.ListImagesRequest, ctx: Context) -> bytes:  # pre-encoded List response
        # containerd 1.6 ignores ListImages' filter ("TODO ... after CRI defines this more clear");
        # crictl filters on the client side.
        out = []
        for img in self.state.images.values():
            if img.framed is None:
                img.framed = frame_field1(img.to_pb().SerializeToString())
            out.append(img.framed)
        return b"".join(out)

    async def ImageStatus(self, req: pb.ImageStatusRequest, ctx: Context) -> pb.ImageStatusResponse:
        try:
            img = self.state.resolve_image(req.image.image)
        except NodeError as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                return pb.ImageStatusResponse()  # containerd: an absent image is an empty answer
            raise wrap(e, f"can not resolve {Q(req.image.image)} locally") from e
        resp = pb.ImageStatusResponse(image=img.to_pb())
        if req.verbose:
            resp.info["info"] = img.info_json()
        return resp

    async def PullImage(self, req: pb.PullImageRequest, ctx: Context) -> pb.PullImageResponse:
        ref = req.image.image
        norm = normalize_ref(ref)
        if norm is None:
            raise unknown(f"failed to parse image reference {Q(ref)}: invalid reference format")
        host = registry_host(norm)
        fail = f"failed to pull and unpack image {Q(norm)}: failed to resolve reference {Q(norm)}: {norm}: not found"
        repo_tag = norm.split("/", 1)[1].lower()
        if (
            not is_loopback_registry(host)
            or norm in self.state.missing_images
            or any(m in repo_tag for m in MISSING_MARKERS)
        ):
            # A registry off this machine cannot be reached (crit never talks to one), and marked names do not
            # exist: both fail like a registry's "not found".
            await asyncio.sleep(0.05)
            raise NodeError(grpc.StatusCode.NOT_FOUND, fail)
        try:
            pulled = await asyncio.get_running_loop().run_in_executor(None, registry.fetch, norm)
        except registry.NotFound as e:
            raise NodeError(grpc.StatusCode.NOT_FOUND, fail) from e
        except registry.RegistryError as e:
            raise unknown(f"failed to pull and unpack image {Q(norm)}: {e}") from e
        # no registry answers on this machine: a simulated image of that name
        img = make_image(norm) if pulled is None else registry.to_image(norm, pulled)
        await asyncio.sleep(min(1.5, 0.2 + img.size / 200e6))  # the simulated download
        img = self.state.add_image(img)
        return pb.PullImageResponse(image_ref=img.id)

    async def RemoveImage(self, req: pb.RemoveImageRequest, ctx: Context) -> pb.RemoveImageResponse:
        try:
            img = self.state.resolve_image(req.image.image)
        except NodeError as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                return pb.RemoveImageResponse()  # containerd 1.6: removing an absent image succeeds
            raise wrap(e, f"can not resolve {Q(req.image.image)} locally") from e
        # containerd 1.6 does not refuse images in use by containers (the kubelet's GC checks that)
        self.state.remove_image(img)
        return pb.RemoveImageResponse()

    async def ImageFsInfo(self, req: pb.ImageFsInfoRequest, ctx: Context) -> pb.ImageFsInfoResponse:
        resp = pb.ImageFsInfoResponse()
        fs = resp.image_filesystems.add()
        fs.timestamp = now_ns()
        fs.fs_id.mountpoint = os.path.join(self.state.state_dir, "snapshots")
        fs.used_bytes.value = sum(i.size for i in self.state.images.values())
        fs.inodes_used.value = sum(200 + i.size // 65536 for i in self.state.images.values())
        return resp


# ------------------------------------------------------------------------------------------------ images


ENTRYPOINTS = {
    "nginx": (["/docker-entrypoint.sh"], ["nginx", "-g", "daemon off;"], "SIGQUIT"),
    "coredns": (["/coredns"], [], ""),
    "etcd": ([], ["etcd"], ""),
    "proxy": ([], ["/usr/local/bin/kube-proxy"], ""),
    "redis": (["docker-entrypoint.sh"], ["redis-server"], ""),
    "pause": (["/pause"], [], ""),
    "busybox": ([], ["sh"], ""),
}


def make_image(
    norm: str, *, digest: str | None = None, size: int | None = None, created: str | None = None, pinned: bool = False
) -> Image:
    """A believable image for a normalized reference (deterministic: the same name gives the same image)."""
    repo = norm.split("@", 1)[0].rsplit(":", 1)[0] if "@" not in norm else norm.split("@", 1)[0]
    rng = random.Random(zlib.crc32(norm.encode()))
    image_id = "sha256:" + det_id("image", norm)
    digest = digest or "sha256:" + det_id("manifest", norm)
    kind = next((k for k in ENTRYPOINTS if k in repo.rsplit("/", 1)[-1]), "")
    entry, cmd, stop = ENTRYPOINTS.get(kind, ([], ["/app/server"], ""))
    config = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Entrypoint": entry or None,
        "Cmd": cmd or None,
        "WorkingDir": "/",
        "Labels": {"org.opencontainers.image.source": "crit-node demo"},
    }
    if kind == "pause":
        config["User"] = "65535:65535"
    if stop:
        config["StopSignal"] = stop
    tags = [norm] if "@" not in norm else []
    return Image(
        id=image_id,
        repo_tags=tags,
        repo_digests=[f"{repo}@{digest}"],
        size=size if size is not None else rng.randint(2, 220) * 1024 * 1024 + rng.randint(0, 1 << 20),
        config=config,
        created=created or f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
        pinned=pinned,
        chain_id="sha256:" + det_id("chain", norm),
    )


# ----------------------------------------------------------------------------------------- registration


def _ser(msg: Any) -> bytes:  # a message, or one already encoded
    return msg if isinstance(msg, bytes) else msg.SerializeToString()


def _unary(fn: Callable[[Any, Context], Awaitable[Any]], req_cls: Any) -> Any:  # a grpc.RpcMethodHandler
    async def handler(request: Any, context: Context) -> Any:
        try:
            return await fn(request, context)
        except NodeError as e:
            await context.abort(e.code, e.message)

    return grpc.unary_unary_rpc_method_handler(
        handler, request_deserializer=req_cls.FromString, response_serializer=_ser
    )


def _stream(fn: Callable[[Any, Context], AsyncIterator[Any]], req_cls: Any) -> Any:  # a grpc.RpcMethodHandler
    async def handler(request: Any, context: Context) -> AsyncIterator[Any]:
        try:
            async for item in fn(request, context):
                yield item
        except NodeError as e:
            await context.abort(e.code, e.message)

    return grpc.unary_stream_rpc_method_handler(
        handler, request_deserializer=req_cls.FromString, response_serializer=_ser
    )


RUNTIME_METHODS = {
    "Version": pb.VersionRequest,
    "Status": pb.StatusRequest,
    "RunPodSandbox": pb.RunPodSandboxRequest,
    "StopPodSandbox": pb.StopPodSandboxRequest,
    "RemovePodSandbox": pb.RemovePodSandboxRequest,
    "PodSandboxStatus": pb.PodSandboxStatusRequest,
    "ListPodSandbox": pb.ListPodSandboxRequest,
    "CreateContainer": pb.CreateContainerRequest,
    "StartContainer": pb.StartContainerRequest,
    "StopContainer": pb.StopContainerRequest,
    "RemoveContainer": pb.RemoveContainerRequest,
    "ListContainers": pb.ListContainersRequest,
    "ContainerStatus": pb.ContainerStatusRequest,
    "UpdateContainerResources": pb.UpdateContainerResourcesRequest,
    "ReopenContainerLog": pb.ReopenContainerLogRequest,
    "ExecSync": pb.ExecSyncRequest,
    "Exec": pb.ExecRequest,
    "Attach": pb.AttachRequest,
    "PortForward": pb.PortForwardRequest,
    "ContainerStats": pb.ContainerStatsRequest,
    "ListContainerStats": pb.ListContainerStatsRequest,
    "PodSandboxStats": pb.PodSandboxStatsRequest,
    "ListPodSandboxStats": pb.ListPodSandboxStatsRequest,
}
IMAGE_METHODS = {
    "ListImages": pb.ListImagesRequest,
    "ImageStatus": pb.ImageStatusRequest,
    "PullImage": pb.PullImageRequest,
    "RemoveImage": pb.RemoveImageRequest,
    "ImageFsInfo": pb.ImageFsInfoRequest,
}


def generic_handlers(rt: Runtime) -> list[Any]:  # grpc.GenericRpcHandler
    runtime = {name: _unary(getattr(rt, name), cls) for name, cls in RUNTIME_METHODS.items()}
    runtime["GetContainerEvents"] = _stream(rt.GetContainerEvents, pb.GetEventsRequest)
    image = {name: _unary(getattr(rt, name), cls) for name, cls in IMAGE_METHODS.items()}
    return [
        grpc.method_handlers_generic_handler("runtime.v1.RuntimeService", runtime),
        grpc.method_handlers_generic_handler("runtime.v1.ImageService", image),
    ]
