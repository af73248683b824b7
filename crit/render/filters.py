"""The `/` filter language of the panels (pure).

* ``text`` — case-insensitive regex over the row's visible columns (ID included); taken as plain text when it
  is not a valid regex;
* ``!text`` — inverted;
* ``-l key=value,key2!=value2,key3`` — by labels (``=`` equal, ``!=`` not equal, bare key: present);
  ``!-l …`` inverts that too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["RowFilter", "parse_filter", "FilterError"]


class FilterError(ValueError):
    """A filter that cannot be understood (one sentence)."""


@dataclass(frozen=True)
class RowFilter:
    source: str
    pattern: re.Pattern[str] | None = None
    labels: tuple[tuple[str, str, str], ...] = ()  # (key, op, value) with op in {"=", "!=", "exists"}
    invert: bool = False
    plain: bool = False  # the text was not a valid regex and is matched literally
    description: str = field(default="", compare=False)

    def matches(self, text: str, labels: Mapping[str, str] | None = None) -> bool:
        if self.labels:
            lab = labels or {}
            ok = all(_label_ok(lab, k, op, v) for k, op, v in self.labels)
        elif self.pattern is not None:
            ok = self.pattern.search(text) is not None
        else:
            ok = True
        return ok != self.invert


def _label_ok(labels: Mapping[str, str], key: str, op: str, value: str) -> bool:
    if op == "exists":
        return key in labels
    if op == "=":
        return labels.get(key) == value
    return labels.get(key) != value


def parse_filter(text: str) -> RowFilter | None:
    """Parse what the user typed after ``/``; ``None`` for an empty filter.  Raises :class:`FilterError`."""
    src = text.strip()
    if not src:
        return None
    invert = src.startswith("!")
    body = src[1:].lstrip() if invert else src
    if not body:
        raise FilterError("A filter of only '!' has nothing to invert; type text after it, e.g. !nginx.")
    if body == "-l" or body.startswith("-l ") or body.startswith("-l="):
        spec = body[2:].lstrip(" =")
        if not spec:
            raise FilterError("'-l' needs labels, e.g. -l app=web,tier=front.")
        terms = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if "!=" in part:
                k, v = part.split("!=", 1)
                terms.append((k.strip(), "!=", v.strip()))
            elif "=" in part:
                k, v = part.split("=", 1)
                terms.append((k.strip(), "=", v.strip()))
            else:
                terms.append((part, "exists", ""))
            if not terms[-1][0]:
                raise FilterError(f"The label term {part!r} has no key; write key=value.")
        desc = ("not " if invert else "") + "labels " + ",".join(
            k if op == "exists" else f"{k}{op}{v}" for k, op, v in terms)
        return RowFilter(src, labels=tuple(terms), invert=invert, description=desc)
    plain = False
    try:
        pattern = re.compile(body, re.IGNORECASE)
    except re.error:
        pattern = re.compile(re.escape(body), re.IGNORECASE)
        plain = True
    desc = ("not " if invert else "") + (f'"{body}"' if plain else f"/{body}/")
    return RowFilter(src, pattern=pattern, invert=invert, plain=plain, description=desc)
