"""Row cells for the Pods, Containers and Images panels (pure functions of protobuf messages).

Every cell is a sanitised ``str`` (safe to show literally) except the AGE cell, a :class:`LiveAge` whose
``str()`` is computed when it is drawn, so ages stay current without re-diffing rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crit.cri.states import CONTAINER_EXITED, ExitInfo, container_state, pod_state
from crit.render.human import age, short_id, size
from crit.render.sanitize import sanitize

if TYPE_CHECKING:
    from crit.cri.pb import api_pb2 as pb

__all__ = [
    "Column",
    "LiveAge",
    "POD_COLUMNS",
    "CONTAINER_COLUMNS",
    "IMAGE_COLUMNS",
    "USAGE_COLUMNS",
    "pod_cells",
    "container_cells",
    "image_cells",
    "in_use_text",
    "split_image_ref",
    "image_display_name",
    "container_image_name",
]


@dataclass(frozen=True, slots=True)
class Column:
    """A table column. ``priority``: 0 is never dropped; higher numbers are dropped first on narrow screens.
    ``min_width``: the narrowest it may be truncated to; ``max_width``: the widest it grows to (None: content).
    ``cut``: how a cell too wide is shortened: ``"end"`` (``web-7c9d8f6b5-ab…``) or ``"path"`` (an image
    reference loses its registry and path first: ``…/nginx:1.25.3``)."""

    key: str
    label: str
    priority: int = 0
    min_width: int = 4
    max_width: int | None = None
    align: str = "left"
    cut: str = "end"


class LiveAge(int):
    """A creation timestamp (ns) shown as a human age computed at draw time."""

    __slots__ = ()

    # the widest text an age ever takes (``119s``, ``119m``, ``47h``, ``729d``, ``99y``): a column is sized for
    # it, since the text grows between draws while widths are measured when rows change
    max_cells = 4

    def __str__(self) -> str:
        return age(int(self))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


POD_COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 1, 13, 13),
    Column("name", "NAME", 0, 16, 48),
    Column("namespace", "NAMESPACE", 2, 10, 24),
    Column("state", "STATE", 0, 8, 8),
    Column("age", "AGE", 1, 4, 4, "right"),
    Column("attempt", "ATTEMPT", 5, 7, 7, "right"),
    Column("runtime", "RUNTIME", 6, 7, 16),
    Column("containers", "CONTAINERS", 3, 10, 10, "right"),
    Column("ip", "IP", 4, 11, 39),
)

CONTAINER_COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 1, 13, 13),
    Column("name", "NAME", 0, 16, 40),
    Column("pod", "POD", 2, 12, 40),
    Column("image", "IMAGE", 3, 16, 60, cut="path"),
    Column("state", "STATE", 0, 7, 7),
    Column("age", "AGE", 1, 4, 4, "right"),
    Column("attempt", "ATTEMPT", 6, 7, 7, "right"),
    Column("exit", "EXIT", 4, 4, 4, "right"),
    Column("reason", "REASON", 5, 6, 32),
)

IMAGE_COLUMNS: tuple[Column, ...] = (
    Column("image", "IMAGE", 0, 20, 80, cut="path"),
    Column("tag", "TAG", 0, 5, 32),
    Column("id", "DIGEST/ID", 2, 13, 13),
    Column("size", "SIZE", 1, 6, 8, "right"),
    Column("pinned", "PINNED", 4, 6, 6),
    Column("inuse", "IN USE", 3, 6, 8, "right"),
)

# Resource use (issue 7), appended to the Pods and Containers panels' columns; cells come from
# crit.model.stats.StatsTracker.cells() ("n/a" when the runtime has no statistics, "-" before the first sample).
USAGE_COLUMNS: tuple[Column, ...] = (
    Column("cpu", "CPU", 4, 4, 6, "right"),
    Column("mem", "MEM", 4, 5, 7, "right"),
    Column("fs", "FS", 7, 5, 7, "right"),
)

#: a row's cells: sanitised text, and the AGE cell (a LiveAge)
Cells = tuple[str | LiveAge, ...]


def pod_cells(pod: pb.PodSandbox, running: int = 0, total: int = 0, ip: str = "") -> Cells:
    """Cells of one PodSandbox in POD_COLUMNS order."""
    md = pod.metadata
    return (
        short_id(pod.id),
        sanitize(md.name),
        sanitize(md.namespace),
        pod_state(pod.state),
        LiveAge(pod.created_at),
        str(md.attempt),
        sanitize(pod.runtime_handler) or "(default)",
        f"{running}/{total}",
        sanitize(ip),
    )


def container_cells(ctr: pb.Container, pod_name: str, image_name: str, exit_info: ExitInfo | None = None) -> Cells:
    """Cells of one Container in CONTAINER_COLUMNS order; ``pod_name`` and ``image_name`` are resolved by the
    caller (see :func:`container_image_name`)."""
    md = ctr.metadata
    exited = int(ctr.state) == CONTAINER_EXITED
    if exited and exit_info is not None:
        exit_code, reason = str(exit_info.exit_code), sanitize(exit_info.reason)
    elif exited:
        exit_code, reason = "…", ""
    else:
        exit_code, reason = "", ""
    return (
        short_id(ctr.id),
        sanitize(md.name),
        sanitize(pod_name),
        sanitize(image_name),
        container_state(ctr.state),
        LiveAge(ctr.created_at),
        str(md.attempt),
        exit_code,
        reason,
    )


def split_image_ref(ref: str) -> tuple[str, str]:
    """``repo:tag`` → (repo, tag); ``repo@sha256:…`` → (repo, "<none>"); the port of a registry is kept."""
    if "@" in ref:
        return ref.split("@", 1)[0], "<none>"
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, "<none>"


def image_display_name(img: pb.Image) -> tuple[str, str]:
    """(IMAGE, TAG) for an Image message: its first tag, ``+N`` when it has more, else its first digest repo."""
    tags = list(img.repo_tags)
    if tags:
        repo, tag = split_image_ref(tags[0])
        if len(tags) > 1:
            tag = f"{tag} +{len(tags) - 1}"
        return repo, tag
    digests = list(img.repo_digests)
    if digests:
        return split_image_ref(digests[0])[0], "<none>"
    return "<none>", "<none>"


def in_use_text(containers: int = 0, pods: int = 0) -> str:
    """The IN USE cell: containers using the image (``2``), pod sandboxes running it (the pause image:
    ``13 pods``), both (``1+13p``), or "" when nothing uses it."""
    if pods:
        unit = "pod" if pods == 1 else "pods"
        return f"{containers}+{pods}p" if containers else f"{pods} {unit}"
    return str(containers) if containers else ""


def image_cells(img: pb.Image, in_use: int = 0, pods: int = 0) -> Cells:
    """Cells of one Image in IMAGE_COLUMNS order; ``in_use``: containers using it, ``pods``: pod sandboxes
    running it (the runtime's sandbox image)."""
    repo, tag = image_display_name(img)
    return (
        sanitize(repo),
        sanitize(tag),
        short_id(img.id),
        size(int(img.size)),
        "yes" if getattr(img, "pinned", False) else "",
        in_use_text(in_use, pods),
    )


def _looks_like_id(ref: str) -> bool:
    if ref.startswith("sha256:"):
        return True
    return len(ref) == 64 and all(c in "0123456789abcdef" for c in ref)


def container_image_name(ctr: pb.Container, image_tags_by_id: dict[str, str]) -> str:
    """The image name a user wrote for this container, not a sha: ``image.user_specified_image`` when the
    runtime reports it, else ``image.image`` unless it is an id, else the first tag of the image it refers to,
    else its short id."""
    spec = ctr.image
    user: str = getattr(spec, "user_specified_image", "")
    if user:
        return user
    ref = spec.image
    if ref and not _looks_like_id(ref):
        return ref
    for candidate in (ref, ctr.image_ref, getattr(ctr, "image_id", "")):
        if candidate:
            name = image_tags_by_id.get(candidate) or image_tags_by_id.get(_strip_sha(candidate))
            if name:
                return name
    return short_id(ref or ctr.image_ref)


def _strip_sha(ref: str) -> str:
    return ref.split(":", 1)[1] if ref.startswith("sha256:") else ref
