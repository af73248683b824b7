"""Run the real ``crit`` on a pseudo-terminal that the test owns — and can close under it, like a terminal window
closed or an ssh connection dropped.

    with PtyCrit(["--demo"], size=(80, 24)) as p:
        p.wait_text("Pods")              # the screen as a terminal shows it (pyte), not the app's state
        p.send("/toolbox\\r")
        p.hang_up()                       # close the master side: the terminal is gone
        p.wait_gone(timeout=5)

``controlling=True`` makes the pty crit's controlling terminal (crit leads a new session, so closing the master
sends it SIGHUP, as a terminal emulator or sshd does); ``controlling=False`` gives it the pty as stdin/stdout/stderr
only (no SIGHUP: crit must notice the vanished terminal itself).  HOME and XDG_* are private temp dirs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
from pathlib import Path

import pyte

from tests.waiting import wait_for_sync

__all__ = ["PtyCrit", "descendants", "alive"]

ROOT = Path(__file__).resolve().parent.parent

_LAUNCH = (
    "import fcntl, os, sys, termios\n"
    "if sys.argv[1] == '1':\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'crit', *sys.argv[2:]])\n"
)


class PtyCrit:
    def __init__(
        self,
        args: list[str],
        size: tuple[int, int] = (80, 24),
        *,
        controlling: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="crit-pty-"))
        self.width, self.height = size
        home = self.dir / "home"
        home.mkdir()
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in ("CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE")
        }
        environ.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_STATE_HOME=str(home / ".local/state"),
            PYTHONPATH=str(ROOT),
            TERM="xterm-256color",
            COLORTERM="truecolor",
            LANG="C.UTF-8",
            TMPDIR=str(self.dir),
        )
        environ.update(env or {})
        self.master, slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", self.height, self.width, 0, 0))
        self._screen = pyte.Screen(self.width, self.height)
        self._stream = pyte.ByteStream(self._screen)
        self._lock = threading.Lock()
        self._reading = True
        self.received = 0
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, "1" if controlling else "0", *args],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=environ,
                cwd=str(self.dir),
                start_new_session=True,
            )
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ the terminal side

    def _read(self) -> None:
        while True:
            with self._lock:
                if not self._reading or self.master < 0:
                    return
                fd = self.master
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.received += len(data)
                self._stream.feed(data)
                # answer the terminal queries Textual sends, so it does not wait for them
                if b"\x1b[6n" in data:
                    os.write(fd, b"\x1b[1;1R")

    def stop_reading(self) -> None:
        """The terminal stops reading (a frozen terminal): crit's writes pile up in the pty's buffer."""
        with self._lock:
            self._reading = False

    def send(self, data: str | bytes) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def screen(self) -> str:
        with self._lock:
            return "\n".join(line.rstrip() for line in self._screen.display)

    def wait_text(self, text: str, timeout: float = 30.0) -> str:
        wait_for_sync(
            lambda: text in self.screen() or self.proc.poll() is not None,
            timeout,
            what=f"{text!r} on the screen:\n{self.screen()}",
        )
        assert text in self.screen(), f"crit exited ({self.proc.returncode}) before showing {text!r}:\n{self.screen()}"
        return self.screen()

    def hang_up(self) -> None:
        """Close the master side: the terminal is gone."""
        with self._lock:
            fd, self.master = self.master, -1
            self._reading = False
        if fd >= 0:
            os.close(fd)

    # ------------------------------------------------------------------ the process

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tree(self) -> list[int]:
        """crit and every process below it."""
        return [self.pid, *descendants(self.pid)]

    def close(self) -> None:
        self.hang_up()
        for pid in [*self.tree()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PtyCrit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    kids = _children()
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def alive(pid: int) -> bool:
    """Running (a zombie, or a pid gone, is not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    if b")" not in stat:  # read while the process was being reaped: its stat came back empty
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] not in (b"Z", b"X")


def open_demo_shell(send, screen, wait) -> None:
    """In ``crit --demo``: open a shell in the toolbox pod's container, reading the screen between keys (the keys
    and the screen of a PtyCrit or a TmuxCrit).  ``send(text)`` types, ``screen()`` is the screen's text,
    ``wait(predicate, what)`` waits for ``predicate(screen())``."""
    import re

    def bottom(s: str) -> str:
        return s.rstrip("\n").rsplit("\n", 1)[-1]

    wait(lambda s: "toolbox" in s and "Pods [" in s, "the demo's pods")
    for attempt in range(3):  # a key typed while the first frame is drawn may go nowhere: filter again
        send("/")
        send("toolbox")
        try:
            wait(lambda s: "toolbox" in bottom(s) or "Pods [1/" in s, "the filter prompt with toolbox")
            break
        except AssertionError:
            if attempt == 2:
                raise
            send("\x1b")
    send("\r")  # the filter applies and the prompt closes: its text leaves the bottom line
    wait(lambda s: "Pods [1/" in s and "toolbox" not in bottom(s), "the pods filtered to toolbox")
    send("\r")  # the pod's containers
    wait(lambda s: re.search(r"Containers.*\[1/", s) is not None, "the toolbox pod's containers")
    send("s")
    wait(lambda s: "ctrl+]" in s, "the shell")
