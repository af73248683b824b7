"""Ready-made CRI messages for tests: host-network pods and busybox containers.

Pods use ``namespace_options.network = NODE`` because there is no CNI on the test machines, and they never set
``hostname`` (with the host's network there is no private UTS namespace, and runc refuses to set one).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from crit.cri.pb import api_pb2 as pb

from .containerd import CGROUP_ROOT


def pod_config(
    name: str,
    namespace: str = "default",
    uid: str | None = None,
    log_dir: str | Path | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    attempt: int = 0,
    cgroup_parent: bool | str = True,
) -> pb.PodSandboxConfig:
    """A PodSandboxConfig that runs here: host network, optional ``log_directory`` (created if missing).

    ``uid`` defaults to a fresh random one; pass ``uid=""`` to create a pod without a uid (as the seed's pod.yaml).
    ``cgroup_parent=True`` puts the pod in its own cgroup under the bed's CGROUP_ROOT (containerd needs a pod
    cgroup for PodSandboxStats; the bed removes these cgroups); ``False`` leaves it unset; a string sets it.
    """
    uid = uuid.uuid4().hex if uid is None else uid
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace=namespace, uid=uid, attempt=attempt),
        labels=labels or {},
        annotations=annotations or {},
    )
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        cfg.log_directory = str(log_dir)
    cfg.linux.security_context.namespace_options.network = pb.NODE
    if cgroup_parent is True:
        cfg.linux.cgroup_parent = f"{CGROUP_ROOT}/pod-{uid or uuid.uuid4().hex}"
    elif cgroup_parent:
        cfg.linux.cgroup_parent = cgroup_parent
    return cfg


def container_config(
    name: str,
    image: str,
    command: list[str] | None = None,
    args: list[str] | None = None,
    tty: bool = False,
    stdin: bool = False,
    stdin_once: bool = False,
    log_path: str | None = None,
    envs: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    working_dir: str = "",
    attempt: int = 0,
) -> pb.ContainerConfig:
    """A ContainerConfig for one of the bed's images. ``log_path`` is relative to the pod's log_directory."""
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name, attempt=attempt),
        image=pb.ImageSpec(image=image),
        command=list(command or []),
        args=list(args or []),
        tty=tty,
        stdin=stdin,
        stdin_once=stdin_once,
        log_path=log_path if log_path is not None else "",
        envs=[pb.KeyValue(key=k, value=v) for k, v in (envs or {}).items()],
        labels=labels or {},
        annotations=annotations or {},
        working_dir=working_dir,
    )
    return cfg
