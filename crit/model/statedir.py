"""crit's small state files: where they live and how they are written — the one place for both.

Every file crit remembers between runs (the exec sessions to end, the last export directory, the theme chosen in the
palette) is ``$XDG_STATE_HOME/crit/NAME`` (``~/.local/state/crit/NAME`` when unset), in a directory of mode 0700, and is
replaced atomically (written to a private temporary file, flushed, renamed over the old one) with mode 0600, so a
crash never leaves half a file and no other user reads it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["state_path", "write_private"]


def state_path(name: str) -> Path:
    """``$XDG_STATE_HOME/crit/NAME`` (``~/.local/state/crit/NAME`` when the variable is unset or empty)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "crit" / name


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600, creating its directory (0700) if needed.
    Raises ``OSError`` when it cannot."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
