"""Translate Textual key events (``key`` name + ``character``) into the bytes a terminal program expects.

Pure functions, no Textual import. Modes come from the screen: application cursor (DECCKM, ``CSI ? 1 h``) makes the
arrows/home/end send SS3 (``ESC O A``) instead of CSI (``ESC [ A``); bracketed paste (``CSI ? 2004 h``) wraps pasted
text in ``ESC [ 200 ~`` … ``ESC [ 201 ~``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["key_to_bytes", "paste_to_bytes", "normalize_key", "DEFAULT_DETACH_KEY"]

ESC = "\x1b"
CSI = "\x1b["
SS3 = "\x1bO"

#: Textual's name for ctrl+] (the detach key)
DEFAULT_DETACH_KEY = "ctrl+right_square_bracket"

_MODIFIERS = ("shift", "alt", "meta", "ctrl", "super", "hyper")

# keys whose unmodified form is CSI/SS3 + letter; the flag says whether app-cursor mode switches them to SS3
_LETTER_KEYS = {
    "up": ("A", True),
    "down": ("B", True),
    "right": ("C", True),
    "left": ("D", True),
    "home": ("H", True),
    "end": ("F", True),
    "f1": ("P", False),
    "f2": ("Q", False),
    "f3": ("R", False),
    "f4": ("S", False),
}
_TILDE_KEYS = {
    "insert": 2,
    "delete": 3,
    "pageup": 5,
    "pagedown": 6,
    "f5": 15,
    "f6": 17,
    "f7": 18,
    "f8": 19,
    "f9": 20,
    "f10": 21,
    "f11": 23,
    "f12": 24,
}
_SIMPLE = {"enter": "\r", "return": "\r", "tab": "\t", "backspace": "\x7f", "escape": ESC, "space": " "}
# ctrl + punctuation names Textual uses → control characters
_CTRL_NAMED = {
    "at": "\x00",
    "space": "\x00",
    "left_square_bracket": ESC,
    "backslash": "\x1c",
    "right_square_bracket": "\x1d",
    "circumflex_accent": "\x1e",
    "underscore": "\x1f",
    "question_mark": "\x7f",
    "2": "\x00",
    "3": ESC,
    "4": "\x1c",
    "5": "\x1d",
    "6": "\x1e",
    "7": "\x1f",
    "8": "\x7f",
    "slash": "\x1f",
    "minus": "\x1f",
}
_NAMED_CHARS = {"plus": "+", "minus": "-", "slash": "/", "backslash": "\\", "at": "@", "underscore": "_"}


def _split(key: str) -> tuple[set[str], str]:
    parts = key.split("+")
    mods: set[str] = set()
    while len(parts) > 1 and parts[0] in _MODIFIERS:
        mods.add(parts.pop(0))
    if "meta" in mods:
        mods.discard("meta")
        mods.add("alt")
    return mods, "+".join(parts)


def _modifier_param(mods: set[str]) -> int:
    return 1 + ("shift" in mods) + 2 * ("alt" in mods) + 4 * ("ctrl" in mods)


def _base_char(base: str) -> str | None:
    """The character a key name stands for: ``"a"`` → ``a``, ``"comma"`` → ``,``."""
    if len(base) == 1:
        return base
    if base in _NAMED_CHARS:
        return _NAMED_CHARS[base]
    try:
        return unicodedata.lookup(base.replace("_", " ").upper())
    except KeyError:
        return None


def key_to_bytes(key: str, character: str | None = None, *, app_cursor: bool = False) -> bytes | None:
    """Bytes for one key press, or ``None`` when the key has no terminal meaning."""
    mods, base = _split(key)
    mod_param = _modifier_param(mods)

    if base in _LETTER_KEYS:
        letter, switches = _LETTER_KEYS[base]
        if mod_param > 1:
            return f"{CSI}1;{mod_param}{letter}".encode()
        if not switches or app_cursor:
            return f"{SS3}{letter}".encode()
        return f"{CSI}{letter}".encode()
    if base in _TILDE_KEYS:
        n = _TILDE_KEYS[base]
        return (f"{CSI}{n};{mod_param}~" if mod_param > 1 else f"{CSI}{n}~").encode()
    if base == "tab" and mods == {"shift"} or base == "backtab":
        return f"{CSI}Z".encode()

    prefix = ESC if "alt" in mods else ""
    if "ctrl" in mods:
        if base in _CTRL_NAMED:
            return (prefix + _CTRL_NAMED[base]).encode()
        if base == "backspace":
            return (prefix + "\x08").encode()
        if base in ("enter", "return"):
            return (prefix + "\r").encode()
        if base == "tab":
            return (prefix + "\t").encode()
        ch = _base_char(base)
        if ch is not None and ch.isascii() and ch.isalpha():
            return (prefix + chr(ord(ch.lower()) & 0x1F)).encode()
        return None
    if base in _SIMPLE:
        return (prefix + _SIMPLE[base]).encode()
    if prefix:  # alt + printable: ESC prefix
        ch = _base_char(base)
        if ch is None:
            return None
        if "shift" in mods and len(ch) == 1:
            ch = ch.upper()
        return (prefix + ch).encode()
    if character is not None and character.isprintable() and character != "":
        return character.encode("utf-8")
    if character is not None and len(character) == 1 and ord(character) < 0x20:
        return character.encode()  # a raw control character Textual passed through
    ch = _base_char(base)
    if ch is not None and ch.isprintable():
        if "shift" in mods:
            ch = ch.upper()
        return ch.encode("utf-8")
    return None


def paste_to_bytes(text: str, *, bracketed: bool) -> bytes:
    """Pasted text: newlines become CR (like a terminal), wrapped when bracketed paste is on.

    The end marker is removed from the text so a paste cannot break out of the bracket.
    """
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    if bracketed:
        text = text.replace("\x1b[201~", "").replace("\x1b[200~", "")
        return ("\x1b[200~" + text + "\x1b[201~").encode("utf-8")
    return text.encode("utf-8")


def normalize_key(spec: str) -> str:
    """A user-written key (``ctrl+]``, ``Ctrl+A``, ``f10``) as Textual names it (``ctrl+right_square_bracket``)."""
    spec = spec.strip()
    if not spec:
        raise ValueError("the key is empty")
    parts = spec.split("+")
    if parts[-1] == "" and len(parts) > 1:  # "ctrl++"
        parts = parts[:-2] + ["+"]
    mods = [p.lower() for p in parts[:-1]]
    for m in mods:
        if m not in _MODIFIERS:
            raise ValueError(f"{m!r} in {spec!r} is not a key modifier")
    base = parts[-1]
    if len(base) == 1 and not base.isalnum():
        name = unicodedata.name(base, "").lower().replace("-", "_").replace(" ", "_")
        base = {
            "solidus": "slash",
            "reverse_solidus": "backslash",
            "commercial_at": "at",
            "hyphen_minus": "minus",
            "plus_sign": "plus",
            "low_line": "underscore",
        }.get(name, name or base)
    elif len(base) > 1:
        base = base.lower()
    elif mods:
        base = base.lower()
    return "+".join(mods + [base])
