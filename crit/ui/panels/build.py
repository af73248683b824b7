"""Turn model changes into table row updates, following the dependencies between kinds:
a pod row shows its containers' running/total, a container row shows its pod's name and its image's name,
an image row shows how many containers use it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from crit.cri.refs import normalize_ref
from crit.cri.states import CONTAINER_RUNNING
from crit.model import Changes, NodeModel
from crit.model.kinds import ResourceKind
from crit.model.stats import CONTAINER, POD, StatsTracker
from crit.render.rows import (
    container_cells,
    container_image_name,
    image_cells,
    pod_cells,
    split_image_ref,
)
from crit.render.sanitize import sanitize
from crit.ui.panels.table import Row

__all__ = ["RowBuilder", "Updates"]

Updates = tuple[list[Row], set[str]]  # (changed rows, removed keys)


class RowBuilder:
    """Keeps the derived indexes (counts, names) and yields only the rows that must be redrawn."""

    def __init__(self, model: NodeModel) -> None:
        self.model = model
        self.counts: dict[str, tuple[int, int]] = {}
        self.in_use: dict[str, int] = {}  # image id → containers using it
        self.sandbox_users: dict[str, int] = {}  # image id → pod sandboxes running it (the sandbox image)
        self.image_names: dict[str, str] = {}  # image id / digest / tag → "repo:tag" for containers
        self.image_key: dict[str, str] = {}  # image id / digest / tag / short id → image id
        self.pod_names: dict[str, str] = {}
        self.by_pod: dict[str, set[str]] = defaultdict(set)
        # per container: (pod id, running?, image id or None) — recomputed only for changed containers
        self.summary: dict[str, tuple[str, bool, str | None]] = {}
        # CPU / MEM / FS cells (USAGE_COLUMNS) of pods and containers, set by the app (issue 7)
        self.stats: StatsTracker | None = None

    # ------------------------------------------------------------------ indexes

    def _reindex_images(self) -> None:
        names: dict[str, str] = {}
        keys: dict[str, str] = {}
        for iid, img in self.model.images.items.items():
            first = (
                img.repo_tags[0]
                if img.repo_tags
                else (split_image_ref(img.repo_digests[0])[0] if img.repo_digests else "")
            )
            for ref in (iid, iid.split(":", 1)[-1], *img.repo_tags, *img.repo_digests):
                keys[ref] = iid
                if first:
                    names[ref] = first
        self.image_names = names
        self.image_key = keys

    def _image_of(self, ctr: Any) -> str | None:
        keys = self.image_key
        for ref in (ctr.image_ref, getattr(ctr, "image_id", ""), ctr.image.image):
            if ref:
                iid = keys.get(ref)
                if iid is not None:
                    return iid
        return None

    def _sandbox_image_id(self) -> str | None:
        """The id of the image every pod sandbox runs: the one the runtime names (``NodeModel.sandbox_image``),
        else the pinned image named ``pause`` (a runtime that does not say)."""
        ref = getattr(self.model, "sandbox_image", "")
        if ref:
            keys = self.image_key
            for candidate in (ref, normalize_ref(ref)):
                iid = keys.get(candidate) if candidate else None
                if iid is not None:
                    return iid
            return None
        for iid, img in self.model.images.items.items():
            if getattr(img, "pinned", False) and any(
                split_image_ref(r)[0].rsplit("/", 1)[-1] == "pause" for r in img.repo_tags
            ):
                return iid
        return None

    def _pod_name(self, ctr: Any) -> str:
        pod = self.model.pods.items.get(ctr.pod_sandbox_id)
        if pod is not None:
            name: str = pod.metadata.name
            return name
        label: str = ctr.labels.get("io.kubernetes.pod.name") or ctr.pod_sandbox_id[:13]
        return label

    # ------------------------------------------------------------------ rows

    def pod_row(self, pid: str) -> Row:
        pod = self.model.pods.items[pid]
        running, total = self.counts.get(pid, (0, 0))
        return Row(
            pid,
            pod_cells(pod, running, total, self.model.pod_ip.get(pid, "")) + self.usage(POD, pid, pod.created_at),
            (-pod.created_at, pod.metadata.name, pid),
            pod.labels,
            pod,
        )

    def container_row(self, cid: str) -> Row:
        ctr = self.model.containers.items[cid]
        image = container_image_name(ctr, self.image_names)
        return Row(
            cid,
            container_cells(ctr, self._pod_name(ctr), image, self.model.exit_info.get(cid))
            + self.usage(CONTAINER, cid, ctr.created_at),
            (-ctr.created_at, ctr.metadata.name, cid),
            ctr.labels,
            ctr,
        )

    def usage(self, kind: str, key: str, created_ns: int | None = None) -> tuple[str, str, str]:
        """(CPU, MEM, FS) cells of a pod or container (``n/a`` / ``-``: see ``StatsTracker.cells``)."""
        return self.stats.cells(kind, key, created_ns) if self.stats is not None else ("-", "-", "-")

    def usage_updates(self, kind: ResourceKind, shown: dict[str, Row]) -> list[Row]:
        """Rows of ``kind`` (one with statistics: pods, containers) whose CPU / MEM / FS cells differ from
        ``shown``."""
        stat_kind = kind.stats_kind
        tracker = self.stats
        if tracker is None or stat_kind is None:
            return []
        cells = tracker.cells
        out = []
        for key, row in shown.items():
            usage = cells(stat_kind, key, getattr(row.obj, "created_at", None))
            if row.cells[-3:] != usage:  # only the three cells change: the rest of the row is reused
                out.append(Row(key, row.cells[:-3] + usage, row.sort_key, row.labels, row.obj))
        return out

    def image_row(self, iid: str) -> Row:
        img = self.model.images.items[iid]
        cells = image_cells(img, self.in_use.get(iid, 0), self.sandbox_users.get(iid, 0))
        return Row(iid, cells, (cells[0], cells[1], iid), {}, img)

    # ------------------------------------------------------------------ diff → updates

    def build(self, changes: Changes) -> tuple[Updates, Updates, Updates]:
        """(pods, containers, images) updates for one model change."""
        model = self.model
        pods_changed = set(changes.pods.changed)
        ctrs_changed = set(changes.containers.changed)
        imgs_changed = set(changes.images.changed)

        if changes.images or changes.full:
            self._reindex_images()
            # containers whose image name comes from the image list may change name
            for cid, ctr in model.containers.items.items():
                if not getattr(ctr.image, "user_specified_image", "") and (
                    ctr.image.image.startswith("sha256:") or len(ctr.image.image) == 64 or not ctr.image.image
                ):
                    ctrs_changed.add(cid)

        if changes.pods or changes.full:
            renamed = {
                pid for pid in changes.pods.changed if self.pod_names.get(pid) != model.pods.items[pid].metadata.name
            }
            for pid in changes.pods.removed:
                self.pod_names.pop(pid, None)
            for pid in renamed:
                self.pod_names[pid] = model.pods.items[pid].metadata.name
                ctrs_changed.update(self.by_pod.get(pid, ()))
            for pid in changes.pods.removed:
                ctrs_changed.update(self.by_pod.get(pid, ()))

        if changes.containers or changes.images or changes.full:
            summary = self.summary
            for cid in changes.containers.removed:
                summary.pop(cid, None)
            items = model.containers.items
            image_of = self._image_of
            redo = items.keys() if (changes.images or changes.full) else changes.containers.changed
            for cid in redo:
                ctr = items[cid]
                summary[cid] = (ctr.pod_sandbox_id, ctr.state == CONTAINER_RUNNING, image_of(ctr))
            counts: dict[str, list[int]] = {}
            in_use: dict[str, int] = {}
            by_pod: dict[str, set[str]] = defaultdict(set)
            for cid, (pid, running, iid) in summary.items():
                c = counts.get(pid)
                if c is None:
                    c = counts[pid] = [0, 0]
                c[1] += 1
                if running:
                    c[0] += 1
                by_pod[pid].add(cid)
                if iid is not None:
                    in_use[iid] = in_use.get(iid, 0) + 1
            new_counts = {pid: (c[0], c[1]) for pid, c in counts.items()}
            for pid in new_counts.keys() | self.counts.keys():
                if new_counts.get(pid) != self.counts.get(pid) and pid in model.pods.items:
                    pods_changed.add(pid)
            for iid in in_use.keys() | self.in_use.keys():
                if in_use.get(iid) != self.in_use.get(iid) and iid in model.images.items:
                    imgs_changed.add(iid)
            self.counts, self.in_use, self.by_pod = new_counts, in_use, by_pod

        if changes.pods or changes.images or changes.full:
            # every pod sandbox runs the sandbox (pause) image: it is in use even with no container on it
            sid = self._sandbox_image_id()
            users = {sid: len(model.pods.items)} if sid is not None and model.pods.items else {}
            for iid in users.keys() | self.sandbox_users.keys():
                if users.get(iid) != self.sandbox_users.get(iid) and iid in model.images.items:
                    imgs_changed.add(iid)
            self.sandbox_users = users

        pods = model.pods.items
        ctrs = model.containers.items
        imgs = model.images.items
        return (
            ([self.pod_row(p) for p in pods_changed if p in pods], set(changes.pods.removed)),
            ([self.container_row(c) for c in ctrs_changed if c in ctrs], set(changes.containers.removed)),
            ([self.image_row(i) for i in imgs_changed if i in imgs], set(changes.images.removed)),
        )

    def pod_title(self, pid: str) -> str:
        pod = self.model.pods.items.get(pid)
        return sanitize(pod.metadata.name) if pod is not None else pid[:13]
