"""crit's error base and the one way any exception becomes a sentence.

This module sits at the very bottom of crit and imports nothing from it. Every failure a user can cause is raised
as a :class:`CritError` (the client's ``CriError``, the log, stream, node and command-line errors derive from it)
whose ``str()`` is one readable sentence naming what failed and what to do. :func:`one_sentence` turns any
exception, ours or not, into one line ending in a period: the CLI and the UI print that and never a traceback.
"""

from __future__ import annotations

__all__ = ["CritError", "as_sentence", "one_sentence"]


class CritError(Exception):
    """A failure a user can cause; ``str()`` is one readable sentence."""


def as_sentence(text: str) -> str:
    """``text`` folded onto one line, starting with a capital letter and ending with a period (or ``?``/``!``)."""
    text = _ended(text)
    return text[:1].upper() + text[1:]


def _ended(text: str) -> str:
    """``text`` folded onto one line and ending with a period (or ``?``/``!``); empty stays empty."""
    text = " ".join(str(text).split())
    return text if not text or text.endswith((".", "?", "!")) else text + "."


def one_sentence(exc: BaseException) -> str:
    """``exc`` as one sentence on one line.

    A :class:`CritError` is its own sentence; an ``OSError`` says its reason (and the file involved); anything
    else is named by its type and message (``ValueError: bad value.``), so an unexpected error still reads as one.
    """
    text = " ".join(str(exc).split())
    if isinstance(exc, CritError) and text:
        return _ended(text)
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return _ended(f"{exc.strerror}{where}")
    kind = type(exc).__name__
    return f"{kind}: {text.rstrip('.') or 'no message'}."
