"""Where the previous attempt's log is.

``ContainerStatus.log_path`` is the sandbox's ``log_directory`` joined with the container's ``log_path``.
The kubelet names it ``<container>/<attempt>.log`` (``/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log``);
older kubelets used ``<container>_<attempt>.log``; hand-written crictl configs use anything.
``crictl logs --previous`` replaces the file name with ``<attempt-1>`` plus the original extension, i.e. it assumes
the kubelet layout.  :func:`previous_log_candidates` lists the paths to try, most specific first.
"""

from __future__ import annotations

import os
import re

from crit.logs.errors import LogFileError

__all__ = ["previous_log_candidates", "previous_log_path"]

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
    seen: set[str] = set()
    return [p for p in out if p != log_path and not (p in seen or seen.add(p))]


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
