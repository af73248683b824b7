"""Durations for people: ``1ns``, ``1.5µs``, ``250ms``, ``2s``, ``1m30s``, ``2h`` (never ``1e-06ms``)."""

from __future__ import annotations

import math

__all__ = ["format_duration"]

_UNITS = ((1_000, "ns"), (1_000_000, "µs"), (1_000_000_000, "ms"))


def _trim(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def format_duration(seconds: float | int) -> str:
    """``seconds`` in the largest unit that keeps it readable: below a microsecond in ns, below a millisecond
    in µs, below a second in ms (at most three decimals), below a minute in seconds, then ``1m30s`` / ``2h5m``."""
    seconds = float(seconds)
    if math.isnan(seconds):
        return "NaN"
    if math.isinf(seconds):
        return "forever" if seconds > 0 else "-forever"
    if seconds < 0:
        return "-" + format_duration(-seconds)
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s" if seconds == 0 else "<1ns"
    scale = 1
    for limit, unit in _UNITS:
        # rounded to three decimals of this unit; 999.9996ms becomes 1s, not 1000ms
        step = max(1, scale // 1000)
        rounded = round(ns / step) * step
        if rounded < limit:
            return _trim(rounded / scale) + unit
        scale = limit
    ms = round(ns / 1_000_000)  # from here on: millisecond precision
    if ms < 60_000:
        return _trim(ms / 1000) + "s"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    out = f"{hours}h" if hours else ""
    if minutes:
        out += f"{minutes}m"
    if rest:
        out += _trim(rest / 1000) + "s"
    return out
