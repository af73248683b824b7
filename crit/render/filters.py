r"""The `/` filter language of the panels, and the text matching shared with the log and describe searches (pure).

* ``text`` — case-insensitive regex over the row's visible columns (ID included) and its names; besides the
  regex, ``text`` is also tried as a literal substring (so ``a.b`` or ``(`` find themselves), and so is the text
  with the escapes :func:`crit.render.sanitize.sanitize` shows decoded (``\u202e``, ``\x9b``, ``^[``: a
  hidden character is found by typing what the screen shows for it);
* ``=name`` — a name exactly (as the runtime has it, or as the screen shows it);
* ``!text`` — inverted (``!=name`` too);
* ``-n namespace`` — the pods (and their containers) of one namespace (``:pods NS`` sets it);
* ``-l key=value,key2!=value2,key3`` — by labels (``=`` equal, ``!=`` not equal, bare key: present);
  ``!-l …`` inverts that too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crit.render.sanitize import sanitize

__all__ = ["RowFilter", "parse_filter", "FilterError", "text_pattern", "decode_escapes"]

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\x([0-9a-fA-F]{2})|\^([@A-Z\[\\\]^_?])")


def decode_escapes(text: str) -> str:
    r"""``text`` with the escapes :func:`~crit.render.sanitize.sanitize` writes for hidden characters decoded:
    ``\u202e``/``\U0001f600``/``\x9b`` and caret notation (``^[`` is ESC, ``^?`` DEL)."""
    if "\\" not in text and "^" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        hexa = m.group(1) or m.group(2) or m.group(3)
        if hexa is not None:
            code = int(hexa, 16)
            return chr(code) if code <= 0x10FFFF else m.group(0)
        caret = m.group(4)
        return "\x7f" if caret == "?" else chr(ord(caret) - 0x40)

    return _ESCAPE.sub(one, text)


def text_pattern(query: str, *, ignore_case: bool = True) -> tuple[re.Pattern[str], bool]:
    """The one way crit matches typed text (panel filter, log search, describe search): a pattern that finds
    ``query`` as a regex, or as a literal substring, or literally with the escapes the screen shows decoded.
    Returns ``(pattern, plain)``; ``plain`` when ``query`` is not a valid regex (then only the literals)."""
    flags = re.IGNORECASE if ignore_case else 0
    literals = [re.escape(query)]
    decoded = decode_escapes(query)
    if decoded != query:
        literals.append(re.escape(decoded))
    literal = "|".join(literals)
    try:
        re.compile(query, flags)
        pattern = re.compile(f"(?:{query})|{literal}", flags)
    except re.error:
        return re.compile(literal, flags), True
    return pattern, False


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
    exact: str | None = None  # ``=name``: a name equal to this
    namespace: str | None = None  # ``-n NS``

    def matches(
        self,
        text: str,
        labels: Mapping[str, str] | None = None,
        names: Sequence[str] = (),
        namespace: str | None = None,
    ) -> bool:
        """``text``: the row's visible columns and ID; ``names``: the object's names as the runtime has them
        (not sanitised); ``namespace``: its (pod's) namespace."""
        if self.namespace is not None:
            ok = namespace == self.namespace or (namespace is not None and sanitize(namespace) == self.namespace)
        elif self.labels:
            lab = labels or {}
            ok = all(_label_ok(lab, k, op, v) for k, op, v in self.labels)
        elif self.exact is not None:
            want, decoded = self.exact, decode_escapes(self.exact)
            ok = any(n == want or n == decoded or sanitize(n) == want for n in names)
        elif self.pattern is not None:
            ok = self.pattern.search(text) is not None or any(self.pattern.search(n) for n in names)
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
    if body == "-n" or body.startswith("-n ") or body.startswith("-n="):
        ns = body[2:].lstrip(" =").strip()
        if not ns or " " in ns:
            raise FilterError("'-n' needs one namespace, e.g. -n kube-system.")
        desc = ("not " if invert else "") + f"namespace {ns}"
        return RowFilter(src, invert=invert, namespace=ns, description=desc)
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
        desc = (
            ("not " if invert else "")
            + "labels "
            + ",".join(k if op == "exists" else f"{k}{op}{v}" for k, op, v in terms)
        )
        return RowFilter(src, labels=tuple(terms), invert=invert, description=desc)
    if body.startswith("="):
        name = body[1:].strip()
        if not name:
            raise FilterError("'=' needs a name to match exactly, e.g. =nginx.")
        desc = ("not " if invert else "") + f"name = {name}"
        return RowFilter(src, invert=invert, exact=name, description=desc)
    pattern, plain = text_pattern(body)
    desc = ("not " if invert else "") + (f'"{body}"' if plain else f"/{body}/")
    return RowFilter(src, pattern=pattern, invert=invert, plain=plain, description=desc)
