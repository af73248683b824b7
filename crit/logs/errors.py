"""One-sentence errors for log files that cannot be read or written."""

from __future__ import annotations

import errno
from urllib.parse import urlsplit

from crit.errors import CritError

__all__ = ["LogFileError", "describe_os_error", "is_remote_endpoint", "check_log_access"]


class LogFileError(CritError):
    """A log file could not be read (or a log could not be saved); ``str()`` is one sentence."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


def _endpoint_host(endpoint: str | None) -> str | None:
    """Host part of a ``tcp://`` endpoint, or None for unix sockets/unknown."""
    if not endpoint or not endpoint.startswith("tcp://"):
        return None
    try:
        return (urlsplit(endpoint).hostname or "").lower()
    except ValueError:
        return ""


def is_remote_endpoint(endpoint: str | None) -> bool:
    """True when the runtime endpoint is a TCP address on another host (its log files live there)."""
    host = _endpoint_host(endpoint)
    return host is not None and host not in _LOOPBACK and not host.startswith("127.")


def describe_os_error(
    path: str, exc: BaseException, *, runtime_endpoint: str | None = None, action: str = "read the log file"
) -> str:
    """One sentence saying why ``path`` could not be used."""
    if isinstance(exc, LogFileError):
        return str(exc)
    code = getattr(exc, "errno", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        if _endpoint_host(runtime_endpoint) is not None:
            return (
                f"Cannot {action} {path}: it does not exist on this machine, and the runtime endpoint "
                f"{runtime_endpoint} may be on another host where the file lives."
            )
        return (
            f"Cannot {action} {path}: the file does not exist (the container may have been removed or its log "
            f"rotated away)."
        )
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return (
            f"Cannot {action} {path}: permission denied (run crit as a user who can read the runtime's log "
            f"directory, e.g. root)."
        )
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return f"Cannot {action} {path}: it is a directory, not a file."
    if code == errno.ENOTDIR:
        return f"Cannot {action} {path}: a part of the path is not a directory."
    if code == errno.ENOSPC:
        return f"Cannot {action} {path}: no space left on the device."
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"Cannot {action} {path}: {reason}."


def check_log_access(path: str, runtime_endpoint: str | None = None) -> None:
    """Raise :class:`LogFileError` up front when the log cannot be read from here (no path, remote runtime)."""
    if not path:
        raise LogFileError("The runtime reported no log path for this container, so there is no log file to read.")
    if is_remote_endpoint(runtime_endpoint):
        raise LogFileError(
            f"Cannot read the log file {path}: the runtime endpoint {runtime_endpoint} is on another host, "
            f"so the file is on that host, not here.",
            path,
        )
