"""Shutdown never hangs: SIGTERM, SIGHUP or a vanished terminal end crit within two seconds.

Textual's Linux driver writes to the terminal from a thread through a queue of 30 writes; when the terminal goes
away (a closed window, a killed tmux session, a dropped ssh connection) that thread dies or blocks on its write,
the queue fills, and the main thread blocks for ever in ``App._shutdown → driver.close → queue.put``: crit stayed
behind with parent 1 and ignored SIGTERM (the asyncio signal handler never ran, its loop being blocked).

So, when crit runs in a terminal:

* :func:`install_signal_handlers` — SIGTERM and SIGHUP are caught with plain :func:`signal.signal` handlers (they
  run in the main thread even while it waits on a lock); each arms the :data:`WATCHDOG` and asks the app to quit
  the way ``q`` does, from the event loop.
* :class:`HangupWatch` — a thread blocked in ``poll()`` on the terminal's file descriptors (no events asked for, so
  only a hang-up or an error wakes it) does the same when the terminal vanishes without a SIGHUP (crit not the
  terminal's session, or SIGHUP ignored).
* :class:`Watchdog` — a daemon thread started when shutdown begins; if the process is still there at the
  deadline it runs the registered cleanups (each bounded), restores what it can of the terminal, says so in one
  sentence on stderr and ends the process with ``os._exit``.

No textual import: the command line registers its cleanups here (the demo node) without loading the UI.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "SIGNAL_DEADLINE",
    "QUIT_DEADLINE",
    "Watchdog",
    "WATCHDOG",
    "HangupWatch",
    "install_signal_handlers",
    "RESET_TERMINAL",
]

#: seconds from SIGTERM, SIGHUP or a vanished terminal to the end of the process (the cleanups run inside it)
SIGNAL_DEADLINE = 1.5
#: seconds from a quit the user asked for (q, ctrl+c) to the end of the process, whatever blocks
QUIT_DEADLINE = 10.0
#: what the watchdog writes to a terminal that is still there: leave the alternate screen, show the cursor, stop
#: mouse reports, focus events, bracketed paste and the kitty keyboard protocol, wrap lines again
RESET_TERMINAL = "\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?7h"


def _bounded(fn: Callable[[], Any], seconds: float) -> None:
    """Run ``fn`` in a daemon thread and wait at most ``seconds`` for it (a write to a dead terminal, a call to a
    runtime that does not answer: nothing here may block the exit)."""
    if seconds <= 0:
        return

    def run() -> None:
        try:
            fn()
        except BaseException:  # noqa: BLE001 - best effort, never in the way of the exit
            pass

    t = threading.Thread(target=run, name="crit-shutdown-step", daemon=True)
    t.start()
    t.join(seconds)


class Watchdog:
    """Ends the process at a deadline once armed, unless :meth:`disarm` is called first."""

    def __init__(self, exit: Callable[[int], Any] = os._exit, say: Callable[[str], Any] | None = None) -> None:
        self._exit = exit
        self._write = say if say is not None else (lambda text: os.write(2, text.encode()))
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._status = 1
        self._reason = ""
        self._thread: threading.Thread | None = None
        self._cleanups: list[Callable[[], Any]] = []
        self.terminal_fd: int | None = None  # where to write RESET_TERMINAL, if still there
        self.terminal_attrs: Any = None  # termios attributes from before the UI started
        self.fired = False

    # ------------------------------------------------------------------ API

    @property
    def armed(self) -> bool:
        return self._deadline is not None

    def arm(self, seconds: float, status: int, reason: str = "") -> None:
        """End the process with ``status`` in ``seconds`` at most (an earlier deadline already set is kept)."""
        with self._cond:
            deadline = time.monotonic() + seconds
            if self._deadline is None or deadline < self._deadline:
                self._deadline = deadline
                self._status = status
                self._reason = reason
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="crit-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None
            self._cond.notify_all()

    def add_cleanup(self, fn: Callable[[], Any]) -> Callable[[], None]:
        """Run ``fn`` (in its own thread, bounded) before the watchdog ends the process; returns its remover."""
        with self._cond:
            self._cleanups.append(fn)

        def remove() -> None:
            with self._cond:
                if fn in self._cleanups:
                    self._cleanups.remove(fn)

        return remove

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._thread = None  # disarmed: a later arm starts a new thread
                    return
                left = self._deadline - time.monotonic()
                if left <= 0.3:  # the last 0.3 s are for the cleanups, the terminal and the sentence
                    break
                self._cond.wait(left - 0.3)
            status, reason, cleanups = self._status, self._reason, list(self._cleanups)
            end = self._deadline
            self.fired = True
        for fn in cleanups:
            _bounded(fn, min(0.2, end - time.monotonic() - 0.1))
        _bounded(self._restore_terminal, 0.05)
        _bounded(lambda: self._say(reason), 0.05)
        self._exit(status)

    def _restore_terminal(self) -> None:
        fd = self.terminal_fd
        if fd is None:
            return
        if self.terminal_attrs is not None:
            import termios

            termios.tcsetattr(fd, termios.TCSANOW, self.terminal_attrs)
        os.write(fd, RESET_TERMINAL.encode())

    def _say(self, reason: str) -> None:
        text = "crit: the terminal UI did not finish closing in time" + (f" after {reason}" if reason else "")
        self._write(f"{text}; stopped it without waiting.\n")


#: the process's watchdog
WATCHDOG = Watchdog()


class HangupWatch:
    """Calls ``on_hangup()`` once, from its own thread, when any of ``fds`` hangs up or fails."""

    def __init__(self, fds: list[int], on_hangup: Callable[[], Any]) -> None:
        self._fds = fds
        self._on_hangup = on_hangup
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="crit-hangup-watch", daemon=True)

    def start(self) -> HangupWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        self._thread.join(1.0)
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._stop_r, select.POLLIN)
        for fd in self._fds:
            poller.register(fd, 0)  # no events asked for: only POLLHUP / POLLERR / POLLNVAL are reported
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            except OSError:
                return
            if any(fd == self._stop_r for fd, _ in events):
                return
            if events:
                try:
                    self._on_hangup()
                except BaseException:  # noqa: BLE001 - the watch calls once and ends quietly whatever that raised
                    pass
                return


def install_signal_handlers(
    on_signal: Callable[[int], Any], signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)
) -> Callable[[], None]:
    """``on_signal(signum)`` for each of ``signals`` (main thread only); returns a function that puts the previous
    handlers back.  Outside the main thread nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        on_signal(signum)

    for sig in signals:
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            pass

    def restore() -> None:
        for sig, old in previous.items():
            try:
                signal.signal(sig, old if old is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass

    return restore


def terminal_fds() -> list[int]:
    """stdin and stdout when they are terminals."""
    fds = []
    for fd in (0, 1):
        try:
            if os.isatty(fd):
                fds.append(fd)
        except OSError:
            pass
    return fds


def save_terminal(fd: int) -> Any:
    try:
        import termios

        return termios.tcgetattr(fd)
    except Exception:  # noqa: BLE001 - not a terminal, or no termios
        return None
