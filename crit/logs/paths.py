"""Where the previous attempt's log is.

``ContainerStatus.log_path`` is the sandbox's ``log_directory`` joined with the container's ``log_path``.
The kubelet names it ``<container>/<attempt>.log`` (``/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log``);
older kubelets used ``<container>_<attempt>.log``; hand-written crictl configs use anything.
``crictl logs --previous`` replaces the file name with ``<attempt-1>`` plus the original extension, i.e. it assumes
the kubelet layout.  :func:`previous_log_candidates` lists the paths to try, most specific first.

The previous attempt's own container, while the runtime still lists it, knows its log path best:
:func:`previous_attempt_ids` picks it (them) from a container list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Protocol

from crit.logs.errors import LogFileError

__all__ = ["ListedContainer", "previous_attempt_ids", "previous_log_candidates", "previous_log_path"]


class _Metadata(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def attempt(self) -> int: ...


class ListedContainer(Protocol):
    """What :func:`previous_attempt_ids` reads of a listed container (a CRI ``Container`` message)."""

    @property
    def id(self) -> str: ...

    @property
    def pod_sandbox_id(self) -> str: ...

    @property
    def created_at(self) -> int: ...

    @property
    def metadata(self) -> _Metadata: ...


_KUBELET = re.compile(r"^(\d+)(\.log)$")
_LEGACY = re.compile(r"^(.*[_.-])(\d+)(\.log)$")


def previous_log_candidates(log_path: str, attempt: int) -> list[str]:
    """Candidate paths of attempt ``attempt - 1``'s log, most likely first (empty when ``attempt`` is 0)."""
    if not log_path or attempt <= 0:
        return []
    prev = attempt - 1
    directory, name = os.path.split(log_path)
    out: list[str] = []
    m = _KUBELET.match(name)
    if m:
        out.append(os.path.join(directory, f"{prev}{m.group(2)}"))
    m = _LEGACY.match(name)
    if m and m.group(2) == str(attempt):
        out.append(os.path.join(directory, f"{m.group(1)}{prev}{m.group(3)}"))
    # crictl's rule: directory + "<attempt-1>" + extension of the original name
    dot = name.rfind(".")
    ext = name[dot:] if dot >= 0 else ""
    out.append(os.path.join(directory, f"{prev}{ext}"))
    unique: list[str] = []
    for path in out:
        if path != log_path and path not in unique:
            unique.append(path)
    return unique


def previous_log_path(log_path: str, attempt: int, *, container_name: str = "") -> str:
    """The existing log file of the previous attempt; raises :class:`LogFileError` (one sentence) if none."""
    what = f"container {container_name}" if container_name else "this container"
    if attempt <= 0:
        raise LogFileError(f"There is no previous attempt of {what}: it has not restarted (attempt 0).", log_path)
    candidates = previous_log_candidates(log_path, attempt)
    for path in candidates:
        if os.path.exists(path):
            return path
    raise LogFileError(
        f"The log of the previous attempt ({attempt - 1}) of {what} was not found "
        f"(looked for {', '.join(candidates) or 'nothing'}).",
        candidates[0] if candidates else log_path,
    )


def previous_attempt_ids(
    containers: Iterable[ListedContainer], *, pod_id: str, name: str, attempt: int, current_id: str
) -> list[str]:
    """The ids of the listed containers that were attempt ``attempt - 1`` of container ``name`` in pod ``pod_id``
    (not ``current_id`` itself), newest first: their own log path is the previous attempt's log."""
    if attempt <= 0 or not pod_id:
        return []
    olds = [
        c
        for c in containers
        if c.pod_sandbox_id == pod_id
        and c.metadata.name == name
        and int(c.metadata.attempt) == attempt - 1
        and c.id != current_id
    ]
    return [c.id for c in sorted(olds, key=lambda c: -c.created_at)]
