"""Reading the end of a (possibly huge) CRI log file, and following it.

:func:`read_tail` reads backwards in fixed-size blocks from the end (or from a given offset) until it has the
requested number of records, so opening the tail of a 1 GB file costs a few blocks, never the whole file, and the
memory held is bounded by ``max_bytes``.

:class:`LogFollower` then polls the file (no inotify) for appended lines and handles rotation: the path pointing
to a new file (different device/inode) -> drain the old file and reopen by path; the file shrinking or being
rewritten under us (truncation) -> start again from offset 0.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

from crit.logs.errors import LogFileError, describe_os_error
from crit.logs.parse import LineJoiner, LogRecord, _split
from crit.render.human import size as human_size

__all__ = ["TailResult", "read_tail", "LogFollower", "BLOCK_SIZE", "MAX_TAIL_BYTES"]

BLOCK_SIZE = 64 * 1024
MAX_TAIL_BYTES = 32 * 1024 * 1024
LOOKBEHIND_BYTES = 1024 * 1024


@dataclass(slots=True)
class TailResult:
    records: list[LogRecord]
    """Complete records, oldest first."""
    pending: list[LogRecord]
    """Trailing partial lines (``P`` parts whose ``F`` part is not written yet), shown provisionally."""
    start: int
    """File offset of the first raw line read (0 = the whole file is covered)."""
    end: int
    """Offset just after the last complete raw line: following continues from here."""
    size: int
    """The file size when it was read."""
    bytes_read: int
    """Bytes actually read from the file (proof that a tail does not read the whole file)."""
    limited: bool = False
    """``max_bytes`` was reached before the requested number of records were found."""
    joiner: LineJoiner = field(default_factory=LineJoiner)
    """The joiner holding the trailing partial parts, for a follower to continue with."""
    dev_ino: tuple[int, int] = (0, 0)

    @property
    def at_start(self) -> bool:
        return self.start == 0


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def open_log(path: str) -> int:
    """Open a log file for reading; anything but a regular file raises :class:`LogFileError`.

    ``O_NONBLOCK`` (no effect on a regular file) keeps ``open`` from waiting for a writer when the path is a FIFO,
    which blocked the worker thread for good; a device would be "read" as an endless or empty log.  OSError
    (missing, no permission) propagates for the caller to describe.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(mode)), "not a file")
        raise LogFileError(f"Cannot read the log file {path}: it is {kind}, not a regular file.", path)
    return fd


def _open(path: str) -> int:
    try:
        return open_log(path)
    except OSError as exc:
        raise LogFileError(describe_os_error(path, exc), path) from exc


def read_tail_fd(
    fd: int, lines: int, *, before: int | None = None, block_size: int = BLOCK_SIZE, max_bytes: int = MAX_TAIL_BYTES
) -> TailResult:
    """Like :func:`read_tail` on an open file descriptor."""
    st = os.fstat(fd)
    size = st.st_size
    limit = size if before is None else max(0, min(before, size))
    bytes_read = 0
    limited = False

    # 1. find ``end``: just after the last LF at or before ``limit`` (a line still being written is left out).
    end = 0
    pos = limit
    tail_fragment = 0
    first = b""  # the block holding the last LF, up to (not including) that LF: reused by step 2
    while pos > 0:
        n = min(block_size, pos)
        pos -= n
        buf = os.pread(fd, n, pos)
        bytes_read += len(buf)
        idx = buf.rfind(b"\n")
        if idx >= 0:
            end = pos + idx + 1
            first = buf[:idx]
            break
        tail_fragment += len(buf)
        if tail_fragment > max_bytes:
            limited = True
            break
    # 2. collect complete raw lines backwards from ``end``.
    rev: list[bytes] = []  # the lines taken, newest first
    look: list[tuple[bytes, str | None]] = []  # lines read past the cut-off, not (yet) taken
    look_bytes = 0
    held = 0
    terminated = 0  # taken lines that end a record: F lines and bad lines
    seen_streams: set[str] = set()
    open_streams: set[str] = set()
    cutoff = False
    lookbehind = min(LOOKBEHIND_BYTES, max_bytes)
    done = False
    carry = b""
    start = end

    def commit(line: bytes) -> None:
        nonlocal held, start
        rev.append(line)
        held += len(line) + 1
        start -= len(line) + 1

    def take(line: bytes) -> bool:
        """Consider one complete line (newest to oldest); return False to stop reading backwards.

        Until ``lines`` records are complete every line is taken.  Past that cut-off, the window's oldest
        record of each stream may still be missing its first ``P`` parts (stdout and stderr parts interleave),
        so lines are looked at further back: a ``P`` line of a stream still "open" pulls everything up to it
        into the window; a non-``P`` line of that stream closes it.  Reading stops when no stream is open
        (or after ``LOOKBEHIND_BYTES``).
        """
        nonlocal terminated, cutoff, look_bytes
        part = _split(line)
        stream = part.stream if part is not None else None
        partial = part is not None and not part.full
        if not cutoff:
            commit(line)
            if stream is not None:
                seen_streams.add(stream)
            if not partial:
                terminated += 1
                if terminated >= lines:
                    cutoff = True
                    open_streams.update(seen_streams)
            return True
        look.append((line, stream))
        look_bytes += len(line) + 1
        if stream is not None and stream in open_streams:
            if partial:
                for held_line, held_stream in look:
                    commit(held_line)
                    if held_stream is not None:
                        open_streams.add(held_stream)
                look.clear()
                look_bytes = 0
            else:
                open_streams.discard(stream)
        return bool(open_streams) and look_bytes <= lookbehind

    if lines > 0 and end > 0:
        buf = first  # starts at ``pos``
        while True:
            buf += carry
            parts = buf.split(b"\n")
            carry = parts[0]
            for line in reversed(parts[1:]):
                if not take(line):
                    done = True
                    break
                if held + look_bytes > max_bytes:
                    limited = True
                    done = True
                    break
            if done:
                break
            if pos == 0:
                take(carry)  # ``carry`` is the file's first line: it starts at offset 0.
                break
            if len(carry) > max_bytes:
                limited = True
                break
            n = min(block_size, pos)
            pos -= n
            buf = os.pread(fd, n, pos)
            bytes_read += len(buf)
    rev.reverse()
    joiner = LineJoiner()
    records = joiner.feed_many(rev)
    return TailResult(
        records=records,
        pending=joiner.pending(),
        start=max(start, 0),
        end=end,
        size=size,
        bytes_read=bytes_read,
        limited=limited,
        joiner=joiner,
        dev_ino=(st.st_dev, st.st_ino),
    )


def read_tail(
    path: str,
    lines: int = 1000,
    *,
    before: int | None = None,
    block_size: int = BLOCK_SIZE,
    max_bytes: int = MAX_TAIL_BYTES,
) -> TailResult:
    """Return the last ``lines`` records of the CRI log at ``path`` (ending at offset ``before`` if given).

    Reads backwards in ``block_size`` blocks and holds at most about ``max_bytes`` of lines.  Raises
    :class:`LogFileError` (one sentence) when the file cannot be opened or read.
    """
    fd = _open(path)
    try:
        return read_tail_fd(fd, lines, before=before, block_size=block_size, max_bytes=max_bytes)
    except OSError as exc:
        raise LogFileError(describe_os_error(path, exc), path) from exc
    finally:
        os.close(fd)


def _notice(text: str) -> LogRecord:
    return LogRecord(text, "", "", notice=True)


class LogFollower:
    """Open a log at its tail and follow appended lines, across rotation and truncation.

    ``await open()`` returns the initial :class:`TailResult`; then either ``await poll()`` repeatedly or
    ``async for batch in follow()``.  File work runs in a worker thread so the event loop never blocks on disk.
    """

    def __init__(
        self,
        path: str,
        *,
        tail_lines: int = 1000,
        interval: float = 0.5,
        max_read: int = 4 * 1024 * 1024,
        max_bytes: int = MAX_TAIL_BYTES,
        skip_bytes: int = 32 * 1024 * 1024,
        runtime_endpoint: str | None = None,
    ) -> None:
        self.path = path
        self.tail_lines = tail_lines
        self.interval = interval
        self.max_read = max_read
        self.max_bytes = max_bytes
        self.skip_bytes = max(skip_bytes, max_read)
        self.runtime_endpoint = runtime_endpoint
        self.fd: int | None = None
        self.offset = 0
        self.dev_ino: tuple[int, int] | None = None
        self.joiner = LineJoiner()
        self.bytes_read = 0
        self.rotations = 0
        self.truncations = 0
        self.missing = False
        self._last_byte = b"\n"  # the byte just before ``offset`` (checked to detect a rewritten file)
        self._stopped = asyncio.Event()

    # -- opening ---------------------------------------------------------------------------------------------
    def _fail(self, exc: BaseException) -> LogFileError:
        return LogFileError(describe_os_error(self.path, exc, runtime_endpoint=self.runtime_endpoint), self.path)

    def open_sync(self) -> TailResult:
        if not self.path:
            raise LogFileError("The runtime reported no log path for this container, so there is no log file to read.")
        try:
            fd = open_log(self.path)
        except OSError as exc:
            raise self._fail(exc) from exc
        try:
            result = read_tail_fd(fd, self.tail_lines, max_bytes=self.max_bytes)
        except OSError as exc:
            os.close(fd)
            raise self._fail(exc) from exc
        self.close()
        self.fd = fd
        self.offset = result.end
        self._last_byte = b"\n"
        self.dev_ino = result.dev_ino
        self.joiner = result.joiner
        self.bytes_read += result.bytes_read
        return result

    async def open(self) -> TailResult:
        return await asyncio.to_thread(self.open_sync)

    # -- following -------------------------------------------------------------------------------------------
    def _read_new(self, fd: int, out: list[LogRecord], *, drain: bool = False) -> None:
        """Read the complete lines appended since ``self.offset``: one ``max_read`` chunk per call, or everything
        left when ``drain`` (the old file after a rotation).  A backlog larger than ``skip_bytes`` (the container
        logs faster than it can be shown) is skipped: only its last ``tail_lines`` records are read, after a
        notice, so memory and catch-up time stay bounded."""
        size = os.fstat(fd).st_size
        if size - self.offset > self.skip_bytes:
            res = read_tail_fd(fd, self.tail_lines, max_bytes=self.max_bytes)
            self.bytes_read += res.bytes_read
            if res.start > self.offset:
                out.append(
                    _notice(f"skipped {human_size(res.start - self.offset)} of log written faster than it can be shown")
                )
                self.joiner = res.joiner
                out.extend(res.records)
                self.offset = res.end
                self._last_byte = b"\n"
                return
        while self.offset < size:
            n = min(size - self.offset, self.max_read)
            data = os.pread(fd, n, self.offset)
            if not data:
                return
            self.bytes_read += len(data)
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) < self.max_read:
                    return  # the last line is still being written
                # a single line longer than max_read without LF: pass it on rather than stall forever
                self.offset += len(data)
                self._last_byte = data[-1:]
                rec = self.joiner.feed(data)
                if rec is not None:
                    out.append(rec)
            else:
                complete = data[: cut + 1]
                self.offset += len(complete)
                self._last_byte = b"\n"
                lines = complete.split(b"\n")
                lines.pop()  # empty after the final LF
                out.extend(self.joiner.feed_many(lines))
            if not drain:
                return

    def _truncated(self, fd: int, size: int) -> bool:
        if size < self.offset:
            return True
        if self.offset > 0:
            # rewritten under us (truncated, then grew past our offset between two polls)?
            try:
                return os.pread(fd, 1, self.offset - 1) != self._last_byte
            except OSError:
                return False
        return False

    def _reopen(self) -> bool:
        """Open the file the path names now, from its start; False (and ``missing``) when there is none."""
        try:
            self.fd = open_log(self.path)
        except FileNotFoundError:
            self.missing = True
            return False
        except OSError as exc:
            raise self._fail(exc) from exc
        fst = os.fstat(self.fd)
        self.dev_ino = (fst.st_dev, fst.st_ino)
        self.offset = 0
        return True

    def poll_sync(self) -> list[LogRecord]:
        out: list[LogRecord] = []
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            # rotated away and not recreated yet, or the container was removed: drain what we have
            if self.fd is not None:
                self._read_new(self.fd, out)
            self.missing = True
            return out
        except OSError as exc:
            raise self._fail(exc) from exc
        if self.fd is None:
            if not self._reopen():
                return out
            if self.missing:
                out.append(_notice("log file re-created: reading it from the start"))
            self.missing = False
        self.missing = False
        fd = cast(int, self.fd)  # open: it was, or _reopen() just opened it
        if (st.st_dev, st.st_ino) != self.dev_ino:
            # rotation: the path now names another file. Finish the old one, then reopen by path.
            self._read_new(fd, out, drain=True)
            os.close(fd)
            self.fd = None
            if not self._reopen():
                return out
            fd = cast(int, self.fd)  # _reopen() just opened it
            self.rotations += 1
            out.append(_notice("log file rotated: following the new file"))
        else:
            size = os.fstat(fd).st_size
            if self._truncated(fd, size):
                self.offset = 0
                self.joiner.reset()
                self.truncations += 1
                out.append(_notice("log file truncated: reading it from the start"))
        try:
            self._read_new(fd, out)
        except OSError as exc:
            raise self._fail(exc) from exc
        return out

    async def poll(self) -> list[LogRecord]:
        """New records since the last call (possibly with a notice about rotation/truncation)."""
        return await asyncio.to_thread(self.poll_sync)

    def pending(self) -> list[LogRecord]:
        """Partial lines seen but not yet completed by their ``F`` part."""
        return self.joiner.pending()

    async def follow(self) -> AsyncIterator[list[LogRecord]]:
        """Yield batches of new records until :meth:`stop` (opens at the tail first if not opened yet)."""
        if self.fd is None and self.dev_ino is None:
            await self.open()
        while not self._stopped.is_set():
            batch = await self.poll()
            if batch:
                yield batch
            try:
                await asyncio.wait_for(self._stopped.wait(), self.interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        self.close()
