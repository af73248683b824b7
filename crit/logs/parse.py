"""The CRI container log format.

Every line the runtime writes is ``TIMESTAMP SP STREAM SP TAGS SP CONTENT LF`` where TIMESTAMP is RFC3339Nano,
STREAM is ``stdout`` or ``stderr`` and TAGS is ``:``-separated with the first tag ``F`` (full line) or ``P``
(partial: the runtime split a long line or the process has not written its newline yet).  Partial parts of one
stream are joined until the ``F`` part of the same stream arrives.

Lines that do not follow the format are kept (``bad=True``, the whole line is the text) so nothing a container
wrote is silently dropped.  Bytes are decoded as UTF-8 with replacement characters for invalid sequences.

All text here is untrusted: :attr:`LogRecord.text` is the decoded content as written, :meth:`LogRecord.display`
is the neutralised form meant for the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crit.logs.sanitize import neutralise

__all__ = ["LogRecord", "LineJoiner", "parse_line", "parse_lines", "STDOUT", "STDERR"]

STDOUT = "stdout"
STDERR = "stderr"

_TS_RE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)\Z")
_STREAMS = {b"stdout": STDOUT, b"stderr": STDERR}


@dataclass(slots=True)
class LogRecord:
    """One logical log line (partial parts already joined)."""

    text: str
    """Decoded content, exactly as the container wrote it (untrusted: use :meth:`display` for the screen)."""
    stream: str = STDOUT
    """``stdout`` or ``stderr``; ``""`` for bad lines and notices."""
    timestamp: str = ""
    """The raw RFC3339Nano timestamp of the line's first part (``""`` for bad lines and notices)."""
    bad: bool = False
    """The line did not follow the CRI format; :attr:`text` is the whole raw line."""
    partial: bool = False
    """Only ``P`` parts were seen so far (the ``F`` part has not been written yet)."""
    notice: bool = False
    """A line made up by crit (rotation, truncation), not read from the file."""

    @property
    def is_stderr(self) -> bool:
        return self.stream == STDERR

    @property
    def time(self) -> datetime | None:
        """The timestamp as an aware datetime (microsecond precision), or None when absent or unparsable."""
        if not self.timestamp:
            return None
        try:
            return datetime.fromisoformat(self.timestamp)
        except ValueError:
            return None

    def display(self, timestamps: bool = False) -> str:
        """The text to show: escapes and control characters neutralised, optionally prefixed by the timestamp."""
        text = neutralise(self.text)
        if timestamps and self.timestamp:
            return f"{self.timestamp} {text}"
        return text

    def to_file_line(self, timestamps: bool = False) -> str:
        """The line as written by :func:`crit.logs.save_records` (original text, no neutralising)."""
        if timestamps and self.timestamp:
            return f"{self.timestamp} {self.text}"
        return self.text


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass(slots=True)
class _Part:
    timestamp: str
    stream: str
    full: bool
    content: bytes


def _split(line: bytes) -> _Part | None:
    """Split one raw line (without its LF) into its fields, or None when it does not follow the format."""
    first = line.find(b" ")
    if first <= 0:
        return None
    ts = line[:first]
    if not _TS_RE.match(ts):
        return None
    second = line.find(b" ", first + 1)
    if second < 0:
        return None
    stream = _STREAMS.get(line[first + 1 : second])
    if stream is None:
        return None
    third = line.find(b" ", second + 1)
    if third < 0:
        # ``TS STREAM F`` with nothing after it: an empty line written without the trailing separator.
        tags = line[second + 1 :]
        content = b""
    else:
        tags = line[second + 1 : third]
        content = line[third + 1 :]
    tag = tags.split(b":", 1)[0]
    if tag == b"F":
        full = True
    elif tag == b"P":
        full = False
    else:
        return None
    return _Part(ts.decode("ascii"), stream, full, content)


def _split_raw(line: bytes) -> _Part | LogRecord:
    """A raw line without its LF (and CR) split into its parts, or the bad-line record when it has none."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    part = _split(line)
    return LogRecord(_decode(line), "", "", bad=True) if part is None else part


def parse_line(line: bytes) -> LogRecord:
    """Parse one raw line on its own (no joining): a ``P`` line comes back with ``partial=True``."""
    part = _split_raw(line)
    if isinstance(part, LogRecord):
        return part
    return LogRecord(_decode(part.content), part.stream, part.timestamp, partial=not part.full)


class LineJoiner:
    """Turns raw lines into :class:`LogRecord`s, joining ``P`` parts per stream until their ``F`` part.

    A bad line never interrupts a pending partial line (it is emitted on its own).  ``max_pending`` bounds the
    bytes held for one stream: beyond it, the parts so far are emitted as one ``partial`` record.
    """

    def __init__(self, max_pending: int = 4 * 1024 * 1024) -> None:
        self.max_pending = max_pending
        self._pending: dict[str, tuple[str, list[bytes], int]] = {}

    def feed(self, line: bytes) -> LogRecord | None:
        """Feed one raw line (with or without its LF); return the completed record, if any."""
        part = _split_raw(line)
        if isinstance(part, LogRecord):
            return part
        pending = self._pending.get(part.stream)
        if pending is None:
            if part.full:
                return LogRecord(_decode(part.content), part.stream, part.timestamp)
            self._pending[part.stream] = (part.timestamp, [part.content], len(part.content))
            return None
        ts, chunks, size = pending
        chunks.append(part.content)
        size += len(part.content)
        if part.full:
            del self._pending[part.stream]
            return LogRecord(_decode(b"".join(chunks)), part.stream, ts)
        if size >= self.max_pending:
            del self._pending[part.stream]
            return LogRecord(_decode(b"".join(chunks)), part.stream, ts, partial=True)
        self._pending[part.stream] = (ts, chunks, size)
        return None

    def feed_many(self, lines: Iterable[bytes]) -> list[LogRecord]:
        out: list[LogRecord] = []
        for line in lines:
            rec = self.feed(line)
            if rec is not None:
                out.append(rec)
        return out

    def pending(self) -> list[LogRecord]:
        """Records for the partial lines still waiting for their ``F`` part (not consumed)."""
        return [
            LogRecord(_decode(b"".join(chunks)), stream, ts, partial=True)
            for stream, (ts, chunks, _size) in self._pending.items()
        ]

    def flush(self) -> list[LogRecord]:
        """Return the pending partial lines as records and forget them."""
        out = self.pending()
        self._pending.clear()
        return out

    def reset(self) -> None:
        self._pending.clear()


def parse_lines(lines: Iterable[bytes], *, flush: bool = True) -> list[LogRecord]:
    """Parse raw lines with partial lines joined; with ``flush`` trailing partial parts become partial records."""
    joiner = LineJoiner()
    out = joiner.feed_many(lines)
    if flush:
        out.extend(joiner.flush())
    return out
