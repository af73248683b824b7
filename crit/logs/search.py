"""Searching loaded log records and saving them to a file."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence

from crit.logs.errors import LogFileError, describe_os_error
from crit.logs.parse import LogRecord
from crit.render.filters import text_pattern

__all__ = ["compile_query", "find_next", "find_prev", "match_spans", "save_records", "copy_log"]


def compile_query(query: str) -> re.Pattern[str]:
    """The log search's pattern: crit's one way of matching typed text (:func:`crit.render.filters.text_pattern`:
    a regex, or the text literally, or with the escapes the screen shows decoded) with smart case —
    case-insensitive unless the query has an upper-case letter.  ``ValueError`` (one sentence) for an empty query."""
    if not query:
        raise ValueError("Type something to search for.")
    return text_pattern(query, ignore_case=query == query.lower())[0]


def _pattern(query: str | re.Pattern[str]) -> re.Pattern[str]:
    return query if isinstance(query, re.Pattern) else compile_query(query)


def find_next(
    records: Sequence[LogRecord],
    query: str | re.Pattern[str],
    start: int = -1,
    *,
    backwards: bool = False,
    wrap: bool = True,
    timestamps: bool = False,
) -> int | None:
    """Index of the next record after ``start`` (before it when ``backwards``) whose text matches, or None.

    ``start=-1`` searches from the beginning (from the end when backwards).  With ``wrap`` the search continues
    from the other end; the record at ``start`` itself is checked last.
    """
    pat = _pattern(query)
    n = len(records)
    if n == 0:
        return None
    if start < 0 or start >= n:
        start = n if backwards else -1
    step = -1 if backwards else 1
    count = n if wrap else (start if backwards else n - 1 - start)
    i = start
    for _ in range(count):
        i += step
        if wrap:
            i %= n
        elif not 0 <= i < n:
            return None
        rec = records[i]
        text = rec.to_file_line(timestamps)
        if pat.search(text):
            return i
    return None


def find_prev(
    records: Sequence[LogRecord],
    query: str | re.Pattern[str],
    start: int = -1,
    *,
    wrap: bool = True,
    timestamps: bool = False,
) -> int | None:
    return find_next(records, query, start, backwards=True, wrap=wrap, timestamps=timestamps)


def match_spans(text: str, query: str | re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) spans of every non-empty match in ``text``, for highlighting."""
    return [m.span() for m in _pattern(query).finditer(text) if m.end() > m.start()]


def save_records(
    records: Sequence[LogRecord],
    path: str,
    *,
    timestamps: bool = False,
    overwrite: bool = False,
    include_streams: bool = False,
) -> int:
    """Write the records' original text (one per line) to ``path``; return the number of lines written.

    Notices made up by crit are left out.  Raises :class:`LogFileError` with one sentence on failure
    (including an existing file when ``overwrite`` is false).
    """
    path = os.path.expanduser(path)
    mode = "w" if overwrite else "x"
    written = 0
    try:
        with open(path, mode, encoding="utf-8", errors="replace", newline="\n") as fh:
            for rec in records:
                if rec.notice:
                    continue
                line = rec.to_file_line(timestamps)
                if include_streams and rec.stream:
                    line = f"{rec.stream} {line}"
                fh.write(line)
                fh.write("\n")
                written += 1
    except FileExistsError:
        raise LogFileError(
            f"Cannot save the log to {path}: the file already exists (choose another name).", path
        ) from None
    except OSError as exc:
        raise LogFileError(describe_os_error(path, exc, action="save the log to"), path) from exc
    return written


def copy_log(src: str, dst: str, *, overwrite: bool = False) -> int:
    """Copy the raw CRI log file ``src`` to ``dst`` (streamed, any size); return the bytes copied."""
    dst = os.path.expanduser(dst)
    try:
        with open(src, "rb") as fin:
            try:
                fout = open(dst, "wb" if overwrite else "xb")
            except FileExistsError:
                raise LogFileError(
                    f"Cannot save the log to {dst}: the file already exists (choose another name).", dst
                ) from None
            except OSError as exc:
                raise LogFileError(describe_os_error(dst, exc, action="save the log to"), dst) from exc
            with fout:
                shutil.copyfileobj(fin, fout, 1024 * 1024)
                return fout.tell()
    except LogFileError:
        raise
    except OSError as exc:
        raise LogFileError(describe_os_error(src, exc), src) from exc
