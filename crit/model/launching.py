"""Launch workflows: run a new pod, and run a container into an existing pod or a new one (like ``crictl run``).

The New pod / New container screens hold the forms (:mod:`crit.model.launch`); this module does what their submit
does, as plain async functions over the client, so it runs (and is tested) without Textual:

* :func:`launch_pod` — RunPodSandbox;
* :func:`launch_container` — ensure the image (pull it if missing, when asked) → RunPodSandbox for a new pod, or
  read an existing pod's config → CreateContainer → StartContainer.

Partial failures are recovered the way crit always did: nothing is created when the image is missing or cannot be
pulled; when CreateContainer fails after a new pod was created, the pod is kept (it is reported in
:attr:`LaunchFailed.created_pod` so the caller can point its form at it and not create a second pod); a container
that was created but does not start is left as the runtime left it (:attr:`Launched.started` is False).

Every outcome carries one sentence (raw: the runtime's words and the user's names as they are; the UI sanitises it
before showing it). ``progress`` is told what is being done before each step (for a busy indicator).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from crit.cri import spec
from crit.cri.errors import CriError
from crit.cri.pb import api_pb2 as pb
from crit.errors import CritError, one_sentence
from crit.model.launch import ContainerForm, PodForm, sandbox_config_from_status

__all__ = [
    "LaunchKind",
    "LaunchClient",
    "LaunchFailed",
    "CreatedPod",
    "Launched",
    "launch_pod",
    "launch_container",
    "sandbox_config_of",
    "short_id",
]


class LaunchKind(StrEnum):
    """What a launch form builds (and what its import/export files hold): a pod or a container config."""

    POD = "pod"
    CONTAINER = "container"


class LaunchClient(Protocol):
    """The calls the launch workflows make (:class:`crit.cri.client.CriClient` has them)."""

    async def image_status(self, image: str | pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse: ...

    async def pull_image(self, image: str | pb.ImageSpec) -> str: ...

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str: ...

    async def pod_sandbox_status(self, pod_id: str, verbose: bool = False) -> pb.PodSandboxStatusResponse: ...

    async def create_container(
        self, pod_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str: ...

    async def start_container(self, container_id: str) -> None: ...


Progress = Callable[[str], None]


def _quiet(text: str) -> None:
    """The default ``progress``: tells nobody."""


def short_id(id_: str) -> str:
    """The 13-character id prefix crit shows in sentences."""
    return id_[:13]


@dataclass(frozen=True)
class CreatedPod:
    """A pod a failed launch created and kept: its id, the form it was built from and the config it was run with."""

    id: str
    form: PodForm
    config: pb.PodSandboxConfig


class LaunchFailed(CritError):
    """A launch that created no container; ``str()`` is one sentence saying what failed and what was created.
    ``created_pod`` is the new pod that was kept when only the container failed."""

    def __init__(self, message: str, *, created_pod: CreatedPod | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.created_pod = created_pod


@dataclass(frozen=True)
class Launched:
    """A container that was created: its id, the pod it is in, and the sentence to show. ``started`` is False when
    StartContainer failed (the container is left as the runtime left it; ``message`` says so)."""

    container_id: str
    pod_id: str
    name: str
    message: str
    started: bool = True


async def launch_pod(client: LaunchClient, form: PodForm, progress: Progress = _quiet) -> str:
    """RunPodSandbox from ``form``; the new pod's id. :class:`LaunchFailed` with the runtime's sentence otherwise."""
    cfg = form.to_config()
    progress(f"Creating pod {form.name}")
    try:
        return await client.run_pod_sandbox(cfg, form.runtime_handler.strip())
    except CriError as exc:
        raise LaunchFailed(f"Creating pod {form.name} failed: {one_sentence(exc)}") from exc


async def sandbox_config_of(client: LaunchClient, pod_id: str) -> pb.PodSandboxConfig:
    """The config of an existing pod, for CreateContainer: from the runtime's verbose status when it carries the
    original config (containerd does), else rebuilt from the status."""
    resp = await client.pod_sandbox_status(pod_id, verbose=True)
    raw = resp.info.get("info", "")
    if raw:
        try:
            data = json.loads(raw)
            if isinstance(data, dict) and isinstance(data.get("config"), dict):
                return spec.from_dict(data["config"], pb.PodSandboxConfig)
        except (ValueError, CriError):
            pass
    return sandbox_config_from_status(resp.status)


async def _ensure_image(client: LaunchClient, image: str, pull: bool, progress: Progress) -> None:
    """The image is on the node, pulled first when missing and ``pull``; :class:`LaunchFailed` otherwise."""
    progress(f"Checking image {image}")
    try:
        st = await client.image_status(image)
    except CriError as exc:
        raise LaunchFailed(f"Checking image {image} failed, nothing was created: {one_sentence(exc)}") from exc
    if st.HasField("image"):
        return
    if not pull:
        raise LaunchFailed(
            f'Image {image} is not on the node: tick "Pull image if missing" or pull it first (p); nothing was created.'
        )
    progress(f"Pulling {image}")
    try:
        await client.pull_image(image)
    except CriError as exc:
        raise LaunchFailed(f"Pulling {image} failed, nothing was created: {one_sentence(exc)}") from exc


async def launch_container(
    client: LaunchClient,
    form: ContainerForm,
    *,
    pod_form: PodForm | None = None,
    pod_id: str = "",
    pod_config: pb.PodSandboxConfig | None = None,
    progress: Progress = _quiet,
) -> Launched:
    """Create and start the container of ``form``: in a new pod built from ``pod_form`` when given, else in the
    existing pod ``pod_id`` (whose config is ``pod_config`` when known, else read from the runtime).

    :class:`LaunchFailed` when no container was created (with the pod it kept, if it created one); a
    :class:`Launched` otherwise, ``started`` False when the container did not start.
    """
    ccfg = form.to_config(pod=pod_form)
    await _ensure_image(client, ccfg.image.image, form.pull_if_missing, progress)
    created: CreatedPod | None = None
    if pod_form is not None:
        pcfg = pod_form.to_config()
        progress(f"Creating pod {pod_form.name}")
        try:
            pod_id = await client.run_pod_sandbox(pcfg, pod_form.runtime_handler.strip())
        except CriError as exc:
            raise LaunchFailed(
                f"Creating pod {pod_form.name} failed, nothing was created: {one_sentence(exc)}"
            ) from exc
        created = CreatedPod(pod_id, pod_form, pcfg)
    elif pod_config is not None:
        pcfg = pod_config
    else:
        progress("Reading the pod's config")
        try:
            pcfg = await sandbox_config_of(client, pod_id)
        except CriError as exc:
            raise LaunchFailed(
                f"Reading pod {short_id(pod_id)} failed, nothing was created: {one_sentence(exc)}"
            ) from exc
    progress(f"Creating container {form.name}")
    try:
        cid = await client.create_container(pod_id, ccfg, pcfg)
    except CriError as exc:
        if created is None:
            raise LaunchFailed(f"Creating container {form.name} failed: {one_sentence(exc)}") from exc
        raise LaunchFailed(
            f"Pod {created.form.name} ({short_id(pod_id)}) was created, but creating container {form.name} "
            f"failed: {one_sentence(exc)} The pod is left as the runtime left it; this form now "
            f"targets it, so fix the container and submit again.",
            created_pod=created,
        ) from exc
    progress(f"Starting container {form.name}")
    try:
        await client.start_container(cid)
    except CriError as exc:
        msg = (
            f"Container {form.name} ({short_id(cid)}) was created but failed to start: {one_sentence(exc)} "
            f"It is left as the runtime left it."
        )
        return Launched(cid, pod_id, form.name, msg, started=False)
    msg = f"Container {form.name} started: {cid}"
    if created is not None:
        msg += f" (in new pod {created.form.name} {pod_id})"
    return Launched(cid, pod_id, form.name, msg)
