"""Neutralising untrusted text (names, labels, messages from the runtime or a container).

Everything a runtime or a container sends may contain terminal escape sequences, control characters,
bidirectional overrides or Rich markup.  Widgets never parse it as markup (they get plain ``str`` or
``rich.text.Text``), and before it reaches any widget it goes through :func:`sanitize`, which makes every
control or format character visible instead of letting it reach the host terminal:

* C0 controls and DEL become caret notation: ``\\x1b`` → ``^[``, ``\\x00`` → ``^@``, ``\\x7f`` → ``^?``;
* C1 controls become ``\\x9b``-style text;
* other invisible/format code points (bidi overrides, zero-width joiners, line/paragraph separators,
  surrogates, private use, unassigned) become ``\\u202e``-style text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["sanitize", "sanitize_multiline", "visible_char"]

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@lru_cache(maxsize=1024)
def visible_char(ch: str) -> str:
    """Return the visible replacement for one unsafe character, or the character itself when it is safe."""
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if 0x80 <= code <= 0x9F:
        return f"\\x{code:02x}"
    if unicodedata.category(ch) in _UNSAFE_CATEGORIES:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return ch


def sanitize(value: object) -> str:
    """Return ``value`` as a single-line string with every control/format character made visible.

    Safe to display in any widget; never contains a character that a terminal would interpret.
    ``None`` becomes the empty string.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() or text.isascii() and _ascii_printable(text):
        return text
    return "".join(visible_char(ch) if not ch.isprintable() else ch for ch in text)


def _ascii_printable(text: str) -> bool:
    # str.isprintable() is False for '\t' etc.; for pure ASCII this second check is equivalent.
    return all(0x20 <= ord(c) < 0x7F for c in text)


def sanitize_multiline(value: object) -> str:
    """Like :func:`sanitize` but keeps newlines (and expands tabs), for multi-line views such as describe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").expandtabs(4)
    return "\n".join(sanitize(line) for line in text.split("\n"))
