"""The resource kinds crit lists — pods, containers, images — each one :class:`ResourceKind` object that knows what
the rest of crit asks about a kind: its name, noun, title and columns, whether it has a namespace, how its status
is read (``d`` describe, ``y`` config), how it is stopped and removed (removal stops first where the runtime needs
it), how a row is named in confirmations and notifications, and what those confirmations say.

Capabilities are small protocols, as k9s's ``Nuker`` / ``Describer`` interfaces: every kind is a
:class:`Describer` and a :class:`Remover`; pods and containers are also :class:`Stopper` (images are not).  The UI
asks ``kind.can_stop`` instead of comparing names, and dispatches through :data:`KINDS` / :func:`lookup`.

Model layer: no Textual, no gRPC (the client is described by :class:`KindClient`, which ``CriClient`` satisfies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from google.protobuf import json_format

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import CONTAINER_RUNNING, SANDBOX_READY
from crit.model.stats import CONTAINER, POD
from crit.render.human import short_id
from crit.render.rows import (
    CONTAINER_COLUMNS,
    IMAGE_COLUMNS,
    POD_COLUMNS,
    USAGE_COLUMNS,
    Column,
    image_display_name,
)
from crit.render.sanitize import sanitize

__all__ = [
    "CONTAINERS",
    "IMAGES",
    "KINDS",
    "PODS",
    "STOP_TIMEOUT",
    "Config",
    "Confirmation",
    "Describer",
    "KindClient",
    "Remover",
    "ResourceKind",
    "RowLike",
    "Stopper",
    "Verb",
    "by_name",
    "lookup",
    "parse_info",
]

STOP_TIMEOUT = 10  # seconds StopContainer gives a container before it is killed

Verb = Literal["stop", "remove"]


class KindClient(Protocol):
    """The calls of :class:`crit.cri.client.CriClient` the kinds make (named here so the model never imports the
    gRPC client)."""

    async def pod_sandbox_status(self, pod_id: str, verbose: bool = False) -> Any: ...
    async def stop_pod_sandbox(self, pod_id: str) -> None: ...
    async def remove_pod_sandbox(self, pod_id: str) -> None: ...
    async def container_status(self, container_id: str, verbose: bool = False) -> Any: ...
    async def stop_container(self, container_id: str, timeout: int = 0) -> None: ...
    async def remove_container(self, container_id: str) -> None: ...
    async def image_status(self, image: str, verbose: bool = False) -> Any: ...
    async def remove_image(self, image: str) -> None: ...


class RowLike(Protocol):
    """A listed row (``crit.ui.panels.Row``): its key (the object's id), its cells (sanitised) and the object."""

    @property
    def key(self) -> str: ...
    @property
    def cells(self) -> tuple[Any, ...]: ...
    @property
    def obj(self) -> Any: ...


class Confirmation(NamedTuple):
    """What a stop / remove confirmation says: the question, the rows listed (marked rows), a note on what else
    happens, a warning on what may break."""

    question: str
    items: list[str]
    note: str
    warning: str


class Config(NamedTuple):
    """An object's config for ``y``: a CRI message (dumped as crictl YAML) or plain data, after a comment line
    (``note``) when it had to be rebuilt."""

    message: Any | None
    data: dict[str, Any] | None
    note: str = ""


@runtime_checkable
class Describer(Protocol):
    """A kind whose objects have a status (``d``) and a config (``y``)."""

    async def status(self, client: KindClient, obj_id: str, verbose: bool) -> Any: ...
    def status_of(self, resp: Any) -> Any | None: ...
    def config(self, resp: Any) -> Config | None: ...


@runtime_checkable
class Remover(Protocol):
    """A kind whose objects can be removed (``ctrl+d``)."""

    async def remove(self, client: KindClient, obj: Any) -> None: ...


@runtime_checkable
class Stopper(Protocol):
    """A kind whose objects can be stopped (``ctrl+k``)."""

    async def stop(self, client: KindClient, obj: Any) -> None: ...
    def nothing_to_stop(self, rows: Sequence[RowLike]) -> str | None: ...


def _n(count: int, noun: str) -> str:
    """``1 container`` / ``3 containers``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _column(columns: Sequence[Column], key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)


def parse_info(info: Mapping[str, str]) -> dict[str, Any]:
    """Verbose info values are JSON documents in a string; as structures when they parse."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        try:
            out[key] = json.loads(value)
        except (ValueError, TypeError):
            out[key] = value
    return out


def _config_from_info(info: Mapping[str, str], message_type: Any) -> Any | None:
    """The config message the runtime reports in its verbose info (a ``config`` entry, or one inside an entry),
    or None."""
    parsed = parse_info(info)
    candidates = [v["config"] for v in parsed.values() if isinstance(v, dict) and isinstance(v.get("config"), dict)]
    if isinstance(parsed.get("config"), dict):
        candidates.insert(0, parsed["config"])
    for cand in candidates:
        msg = message_type()
        try:
            json_format.ParseDict(cand, msg, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError, TypeError):
            continue
        return msg
    return None


class ResourceKind:
    """One kind of listed object.  Subclasses add the capabilities (:class:`Stopper`, ...)."""

    #: ``pods`` (the panel and the ``:`` command), ``pod``, ``Pods`` (the panel's title), ``a pod``
    name: str
    singular: str
    title: str
    indefinite: str
    #: ``:po``, ``:pod``, ...
    aliases: tuple[str, ...]
    #: the panel's columns (crit.render.rows), usage columns included
    columns: tuple[Column, ...]
    #: whether ``:NAME NS`` filters it by namespace (a container is in its pod's)
    namespaced: bool
    #: its kind for crit.model.stats (POD / CONTAINER), None: no statistics
    stats_kind: str | None = None
    #: the CRI config message ``y`` shows (``PodSandboxConfig``, ``ContainerConfig``), None: no such message
    config_type: Any = None

    def __repr__(self) -> str:
        return f"<ResourceKind {self.name}>"

    @cached_property
    def can_stop(self) -> bool:
        """Whether its objects can be stopped (it is a :class:`Stopper`)."""
        return isinstance(self, Stopper)

    # ------------------------------------------------------------------ naming

    def describe_row(self, row: RowLike) -> str:  # pragma: no cover - every kind overrides it
        """How a row is named in confirmations and notifications (sanitised)."""
        raise NotImplementedError

    def file_name(self, obj: Any) -> str:
        """The name a saved describe / config text is proposed under."""
        return str(obj.metadata.name)

    # ------------------------------------------------------------------ describe / config

    async def status(self, client: KindClient, obj_id: str, verbose: bool) -> Any:  # pragma: no cover
        raise NotImplementedError

    def status_of(self, resp: Any) -> Any | None:
        """The status message in a status response, None when the runtime no longer knows the object."""
        return resp.status

    def config(self, resp: Any) -> Config | None:
        """The config: the one the runtime reports in its verbose info, else rebuilt from the status."""
        found = _config_from_info(dict(resp.info), self.config_type)
        if found is not None:
            return Config(found, None)
        note = (
            f"# reconstructed from the {self.singular}'s status: the runtime returned no config in its verbose info\n"
        )
        return Config(self.config_from_status(resp.status), None, note)

    def config_from_status(self, status: Any) -> Any:  # pragma: no cover - kinds with a config_type override it
        raise NotImplementedError

    # ------------------------------------------------------------------ stop / remove

    async def remove(self, client: KindClient, obj: Any) -> None:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    async def act(self, verb: Verb, client: KindClient, obj: Any) -> None:
        """Stop or remove ``obj``."""
        if verb == "remove":
            await self.remove(client, obj)
        elif isinstance(self, Stopper):
            await self.stop(client, obj)
        else:
            raise ValueError(f"{self.title} cannot be stopped.")

    # ------------------------------------------------------------------ confirmations

    def confirmation(
        self,
        verb: Verb,
        rows: Sequence[RowLike],
        counts: Mapping[str, tuple[int, int]],
        in_use: Mapping[str, int],
        sandboxes: Mapping[str, int] | None = None,
    ) -> Confirmation:
        """What a stop / remove confirmation says.

        The question names the kind and the object ("Remove image localhost:5000/pause:3.9 (id 2222…)?"), or the
        count for marked rows, which are then listed.  The note says what else happens (a pod's containers stop
        too); the warning what may break (a pinned image, an image containers use).  ``counts``: pod id →
        (running, total) containers; ``in_use``: image id → containers using it; ``sandboxes``: image id → pods
        running it as their sandbox (pause) image."""
        one = len(rows) == 1
        question = f"{verb.capitalize()} {self.describe_row(rows[0]) if one else f'{len(rows)} {self.name}'}?"
        items = [] if one else [self.describe_row(r) for r in rows]
        note, warning, listed = self._consequences(verb, rows, counts, in_use, sandboxes or {})
        return Confirmation(question, listed if listed is not None else items, note, warning)

    def _consequences(
        self,
        verb: Verb,
        rows: Sequence[RowLike],
        counts: Mapping[str, tuple[int, int]],
        in_use: Mapping[str, int],
        sandboxes: Mapping[str, int],
    ) -> tuple[str, str, list[str] | None]:
        """(note, warning, the rows listed when not named alone) of a confirmation."""
        return "", "", None


class _Pods(ResourceKind):
    name, singular, title, indefinite = "pods", "pod", "Pods", "a pod"
    aliases = ("po", "pod")
    columns = POD_COLUMNS + USAGE_COLUMNS
    namespaced = True
    stats_kind = POD
    config_type = pb.PodSandboxConfig

    def describe_row(self, row: RowLike) -> str:
        md = row.obj.metadata
        return f"pod {sanitize(md.name)} (namespace {sanitize(md.namespace)}, id {short_id(row.obj.id)})"

    async def status(self, client: KindClient, obj_id: str, verbose: bool) -> Any:
        return await client.pod_sandbox_status(obj_id, verbose=verbose)

    def config_from_status(self, status: Any) -> Any:
        return pb.PodSandboxConfig(metadata=status.metadata, labels=status.labels, annotations=status.annotations)

    async def stop(self, client: KindClient, obj: Any) -> None:
        await client.stop_pod_sandbox(obj.id)

    async def remove(self, client: KindClient, obj: Any) -> None:
        if obj.state == SANDBOX_READY:
            await client.stop_pod_sandbox(obj.id)
        await client.remove_pod_sandbox(obj.id)

    def nothing_to_stop(self, rows: Sequence[RowLike]) -> str | None:
        return None  # a pod that is not ready is stopped all the same (its network is torn down)

    def _consequences(
        self,
        verb: Verb,
        rows: Sequence[RowLike],
        counts: Mapping[str, tuple[int, int]],
        in_use: Mapping[str, int],
        sandboxes: Mapping[str, int],
    ) -> tuple[str, str, list[str] | None]:
        running = sum(counts.get(r.key, (0, 0))[0] for r in rows)
        total = sum(counts.get(r.key, (0, 0))[1] for r in rows)
        its = "Its" if len(rows) == 1 else "Their"
        note = ""
        if verb == "stop":
            if running:
                note = f"{its} {_n(running, 'running container')} {'stops' if running == 1 else 'stop'} too."
            elif total:
                note = f"None of {its.lower()} containers is running."
        elif total:
            note = f"{its} {_n(total, 'container')} {'is' if total == 1 else 'are'} stopped and removed too."
        return note, "", None


class _Containers(ResourceKind):
    name, singular, title, indefinite = "containers", "container", "Containers", "a container"
    aliases = ("ctr", "container")
    columns = CONTAINER_COLUMNS + USAGE_COLUMNS
    namespaced = True
    stats_kind = CONTAINER
    config_type = pb.ContainerConfig
    _POD_CELL = _column(CONTAINER_COLUMNS, "pod")

    def describe_row(self, row: RowLike) -> str:
        obj = row.obj
        return f"container {sanitize(obj.metadata.name)} in pod {row.cells[self._POD_CELL]} (id {short_id(obj.id)})"

    async def status(self, client: KindClient, obj_id: str, verbose: bool) -> Any:
        return await client.container_status(obj_id, verbose=verbose)

    def config_from_status(self, status: Any) -> Any:
        cfg = pb.ContainerConfig(
            metadata=status.metadata,
            image=status.image,
            labels=status.labels,
            annotations=status.annotations,
            mounts=status.mounts,
        )
        if status.log_path:
            cfg.log_path = status.log_path.rsplit("/", 1)[-1]
        return cfg

    async def stop(self, client: KindClient, obj: Any) -> None:
        await client.stop_container(obj.id, timeout=STOP_TIMEOUT)

    async def remove(self, client: KindClient, obj: Any) -> None:
        if obj.state == CONTAINER_RUNNING:
            await client.stop_container(obj.id, timeout=STOP_TIMEOUT)
        await client.remove_container(obj.id)

    def nothing_to_stop(self, rows: Sequence[RowLike]) -> str | None:
        """The sentence saying no container of ``rows`` is running (nothing to confirm), or None."""
        if any(r.obj.state == CONTAINER_RUNNING for r in rows):
            return None
        if len(rows) == 1:
            named = self.describe_row(rows[0])
            return f"{named[:1].upper()}{named[1:]} is not running: there is nothing to stop."
        return f"None of the {len(rows)} marked containers is running: there is nothing to stop."

    def _consequences(
        self,
        verb: Verb,
        rows: Sequence[RowLike],
        counts: Mapping[str, tuple[int, int]],
        in_use: Mapping[str, int],
        sandboxes: Mapping[str, int],
    ) -> tuple[str, str, list[str] | None]:
        one = len(rows) == 1
        running = sum(1 for r in rows if r.obj.state == CONTAINER_RUNNING)
        note = ""
        if verb == "remove":
            if running and one:
                note = "It is running: it is stopped first."
            elif running:
                note = f"{running} of them {'is' if running == 1 else 'are'} running and stopped first."
        elif not running:
            note = "It is not running: there is nothing to stop." if one else "None of them is running."
        else:
            note = (
                f"{'It gets' if one else 'Each gets'} {STOP_TIMEOUT} s to exit after the stop signal, then is killed."
            )
        return note, "", None


def _image_marks(row: RowLike, in_use: Mapping[str, int], sandboxes: Mapping[str, int]) -> str:
    """What is special about a listed image: `` — pinned; 2 pods run on it; used by 1 container``."""
    marks = ["pinned"] if getattr(row.obj, "pinned", False) else []
    pods, users = sandboxes.get(row.key, 0), in_use.get(row.key, 0)
    if pods:
        marks.append(f"{_n(pods, 'pod')} {'runs' if pods == 1 else 'run'} on it")
    if users:
        marks.append(f"used by {_n(users, 'container')}")
    return " — " + "; ".join(marks) if marks else ""


class _Images(ResourceKind):
    name, singular, title, indefinite = "images", "image", "Images", "an image"
    aliases = ("img", "image")
    columns = IMAGE_COLUMNS
    namespaced = False

    def describe_row(self, row: RowLike) -> str:
        obj = row.obj
        tags = list(obj.repo_tags)
        if tags:  # its first tag, and how many more (removing an image removes every tag it has)
            more = f"{_n(len(tags) - 1, 'more tag')}, " if len(tags) > 1 else ""
            return f"image {sanitize(tags[0])} ({more}id {short_id(obj.id)})"
        repo = image_display_name(obj)[0]
        if repo == "<none>":
            return f"image {short_id(obj.id)} (no name)"
        return f"image {sanitize(repo)} (untagged, id {short_id(obj.id)})"

    def file_name(self, obj: Any) -> str:
        return image_display_name(obj)[0].rsplit("/", 1)[-1]

    async def status(self, client: KindClient, obj_id: str, verbose: bool) -> Any:
        return await client.image_status(obj_id, verbose=verbose)

    def status_of(self, resp: Any) -> Any | None:
        return resp.image if resp.HasField("image") else None

    def config(self, resp: Any) -> Config | None:
        """The reference to pull, and the image's own OCI config when the runtime reports it."""
        img = self.status_of(resp)
        if img is None:
            return None
        ref = img.repo_tags[0] if img.repo_tags else (img.repo_digests[0] if img.repo_digests else img.id)
        data: dict[str, Any] = {"image": {"image": ref}}
        for value in parse_info(dict(resp.info)).values():
            if isinstance(value, dict) and "imageSpec" in value:
                data["image_spec"] = value["imageSpec"]
        return Config(None, data)

    async def remove(self, client: KindClient, obj: Any) -> None:
        await client.remove_image(obj.id)

    def _consequences(
        self,
        verb: Verb,
        rows: Sequence[RowLike],
        counts: Mapping[str, tuple[int, int]],
        in_use: Mapping[str, int],
        sandboxes: Mapping[str, int],
    ) -> tuple[str, str, list[str] | None]:
        one = len(rows) == 1
        pinned = [r for r in rows if getattr(r.obj, "pinned", False)]
        used = [r for r in rows if in_use.get(r.key, 0)]
        users = sum(in_use.get(r.key, 0) for r in used)
        parts = []
        pods = sandboxes.get(rows[0].key, 0) if one else 0
        on_it = f" and {_n(pods, 'pod')} {'runs' if pods == 1 else 'run'} on it" if pods else ""
        if pinned and one:
            parts.append(
                f"It is pinned (the runtime's sandbox image?){on_it}: new pods may not start without it, "
                f"and it may not be possible to pull it back."
            )
        elif pods:
            parts.append(
                f"{_n(pods, 'pod')} {'runs' if pods == 1 else 'run'} on it (the runtime's sandbox image): "
                f"new pods may not start without it."
            )
        elif pinned:
            parts.append(
                f"{len(pinned)} of them {'is' if len(pinned) == 1 else 'are'} pinned (the runtime's sandbox "
                f"image?): new pods may not start without {'it' if len(pinned) == 1 else 'them'}."
            )
        if used and one:
            parts.append(
                f"{_n(users, 'container')} {'uses' if users == 1 else 'use'} it; removal will fail or "
                f"break {'it' if users == 1 else 'them'}."
            )
        elif used:
            parts.append(
                f"{len(used)} of them {'is' if len(used) == 1 else 'are'} used by "
                f"{_n(users, 'container')}; removal will fail or break {'it' if users == 1 else 'them'}."
            )
        tags = len(rows[0].obj.repo_tags) if one else 0
        note = f"All its {tags} tags are removed with it." if tags > 1 else ""
        listed = None if one else [self.describe_row(r) + _image_marks(r, in_use, sandboxes) for r in rows]
        return note, " ".join(parts), listed


PODS: ResourceKind = _Pods()
CONTAINERS: ResourceKind = _Containers()
IMAGES: ResourceKind = _Images()

#: every kind, in the order of the panels
KINDS: tuple[ResourceKind, ...] = (PODS, CONTAINERS, IMAGES)

_BY_NAME = {k.name: k for k in KINDS}
_BY_ALIAS = {**{a: k for k in KINDS for a in k.aliases}, **_BY_NAME}


def by_name(name: str) -> ResourceKind:
    """The kind named ``name`` (``pods``, ``containers``, ``images``); KeyError for anything else."""
    return _BY_NAME[name]


def lookup(word: str) -> ResourceKind | None:
    """The kind a ``:`` command word names — its name or an alias (``po``, ``ctr``, ``img``, ...; any case) — or
    None."""
    return _BY_ALIAS.get(word.lower())
