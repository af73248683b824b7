"""Human-readable ages, sizes and ids (pure functions)."""

from __future__ import annotations

import time

__all__ = ["age", "age_seconds", "size", "short_id", "timestamp"]


def age(created_ns: int, now_s: float | None = None) -> str:
    """Age of something created at ``created_ns`` (nanoseconds since the epoch), like kubectl: ``42s``, ``5m``,
    ``3h``, ``12d``, ``2y``; a missing timestamp is ``?``; a timestamp in the future counts as ``0s``."""
    if not created_ns:
        return "?"
    now = time.time() if now_s is None else now_s
    return age_seconds(int(now - created_ns / 1e9))


def age_seconds(secs: float) -> str:
    """An age of ``secs`` seconds as :func:`age` writes it (``42s``, ``5m``, ``3h``, ``12d``, ``2y``); below 0 is
    ``0s``. One formatter for every age crit shows (the panels, ``:sessions``)."""
    secs = int(secs)
    if secs < 0:
        secs = 0
    if secs < 120:
        return f"{secs}s"
    mins = secs // 60
    if mins < 120:
        return f"{mins}m"
    hours = mins // 60
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 730:
        return f"{days}d"
    return f"{days // 365}y"


_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def size(n: int | None) -> str:
    """Decimal size like crictl (``4.2MB``, ``512B``); ``None`` or negative is ``-``."""
    if n is None or n < 0:
        return "-"
    value = float(n)
    unit = 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000.0
        unit += 1
    if unit == 0:
        return f"{int(value)}B"
    if value >= 100:
        return f"{value:.0f}{_UNITS[unit]}"
    return f"{value:.3g}{_UNITS[unit]}"


def short_id(value: str, length: int = 13) -> str:
    """The first ``length`` characters of an id, without a ``sha256:`` prefix (crictl shows 13)."""
    if not value:
        return ""
    if ":" in value:
        value = value.split(":", 1)[1]
    return value[:length]


def timestamp(ns: int) -> str:
    """An RFC 3339-like UTC timestamp for a nanosecond time, or ``-`` when unset."""
    if not ns:
        return "-"
    secs, rem = divmod(int(ns), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{rem // 1000:06d}Z"
