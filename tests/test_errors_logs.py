"""A log path that is not a regular file (the runtime reports whatever path the container config named: a FIFO,
a device) is refused in one sentence: opening a FIFO for reading blocked a worker thread forever (and crit could
not exit, the executor waits for its threads); a device was "read" as an empty log."""

from __future__ import annotations

import asyncio
import os

import pytest

from crit.logs.errors import LogFileError
from crit.logs.tail import LogFollower, read_tail

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "ctr.log"
    os.mkfifo(path)
    return str(path)


async def test_follower_refuses_a_fifo_without_blocking(fifo):
    f = LogFollower(fifo, tail_lines=10, interval=0.1)
    with pytest.raises(LogFileError) as exc:
        await asyncio.wait_for(f.open(), 3)
    assert str(exc.value) == f"Cannot read the log file {fifo}: it is a FIFO, not a regular file."
    f.close()


def test_read_tail_refuses_a_fifo_and_a_device(fifo):
    with pytest.raises(LogFileError, match="it is a FIFO, not a regular file"):
        read_tail(fifo, 10)
    with pytest.raises(LogFileError, match=r"/dev/zero: it is a character device, not a regular file\.$"):
        read_tail("/dev/zero", 10)


async def test_a_fifo_appearing_at_the_path_while_following_is_refused(tmp_path):
    path = tmp_path / "ctr.log"
    path.write_text("2024-01-01T00:00:00.000000000Z stdout F hello\n")
    f = LogFollower(str(path), tail_lines=10, interval=0.1)
    await f.open()
    path.unlink()
    os.mkfifo(path)  # "rotated" into a FIFO: the reopen must not block either
    with pytest.raises(LogFileError, match="FIFO"):
        await asyncio.wait_for(f.poll(), 3)
    f.close()
