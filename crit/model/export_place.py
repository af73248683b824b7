"""Where an export goes: the directory last exported to, and a file name proposed from the object.

The directory is remembered for the app's life and across runs in ``$XDG_STATE_HOME/crit/export-dir``
(``~/.local/state/crit/export-dir`` when unset); a directory that no longer exists is forgotten.  Before anything
is remembered, exports go to crit's start directory (a bare file name).  Never imports textual or grpc.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from crit.model.statedir import state_path, write_private

__all__ = ["file_name", "last_dir", "propose", "remember", "state_file"]

#: directory remembered in this process, by state file (tests give every test its own state directory)
_memory: dict[str, str] = {}

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def state_file() -> Path:
    """``$XDG_STATE_HOME/crit/export-dir``: the directory of the last export."""
    return state_path("export-dir")


def last_dir() -> str | None:
    """The directory of the last export (this run's, else the saved one), if it still is a directory."""
    key = str(state_file())
    found = _memory.get(key)
    if found is None:
        try:
            found = state_file().read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError):
            return None
    return found if found and os.path.isdir(found) else None


def remember(path: str | os.PathLike[str]) -> str | None:
    """Remember the directory of ``path`` (just written); ``None``, or one sentence saying why it could not be
    saved for the next run (it is still remembered for this one)."""
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    target = state_file()
    _memory[str(target)] = directory
    try:
        write_private(target, directory + "\n")
    except OSError as exc:
        return f"Could not remember the export directory in {target}: {exc.strerror or exc}."
    return None


def file_name(name: str, fallback: str, ext: str = ".yaml") -> str:
    """``web.yaml`` for an object named ``web``: characters a file name should not hold become ``_``; ``fallback``
    (the kind: ``pod.yaml``) when nothing is left."""
    stem = _UNSAFE_IN_NAME.sub("_", name).strip("._")[:100]
    return (stem or fallback) + ext


def propose(name: str, fallback: str, ext: str = ".yaml") -> str:
    """The path an export dialog proposes: the object's file name in the last directory used (a bare name, i.e.
    crit's start directory, until an export was made)."""
    base = file_name(name, fallback, ext)
    directory = last_dir()
    return os.path.join(directory, base) if directory else base
