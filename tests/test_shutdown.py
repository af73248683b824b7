"""C12: shutdown never hangs.  crit stayed behind (parent 1, deaf to SIGTERM) after its terminal closed: Textual's
writer thread died or blocked writing to the dead terminal, its queue filled, and the main thread blocked for ever
in ``App._shutdown → driver.close → queue.put``.  Now SIGHUP, SIGTERM or a vanished terminal end crit — and the
demo node and the shell it runs — within 2 s (crit.ui.shutdown: plain signal handlers, a hang-up watch, a
watchdog).

The real ``crit --demo`` runs on a pty the test owns, in a busy view (a shell running ``yes``), and the test closes
the pty's master side under it, or signals it."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from crit.ui import shutdown
from tests.ptycrit import PtyCrit, alive, open_demo_shell
from tests.waiting import wait_for_sync

#: crit and everything it started must be gone this long after the terminal closed or the signal was sent:
#: the 2 s promised, plus a margin for a loaded machine (the watchdog itself fires after 1.5 s)
GONE_WITHIN = 2.0 + 2.0
ROUNDS = 20


def _busy(p: PtyCrit) -> list[int]:
    """Open a shell in the demo's toolbox container and run ``yes`` in it: the screen changes all the time.
    Returns crit's process tree (crit, the demo node, the shell, yes)."""
    open_demo_shell(
        p.send, p.screen, lambda pred, what: wait_for_sync(lambda: pred(p.screen()), 30, what=f"{what}:\n{p.screen()}")
    )
    p.send("yes\r")
    wait_for_sync(lambda: p.screen().count("│y ") > 10, 30, what=f"yes flooding the shell view:\n{p.screen()}")
    tree = p.tree()
    assert len(tree) >= 4, tree  # crit, its demo node, the shell, yes
    return tree


def _gone(tree: list[int], within: float) -> list[int]:
    """The pids of ``tree`` still running after ``within`` seconds (waiting no longer than needed)."""
    try:
        wait_for_sync(lambda: not any(alive(pid) for pid in tree), within, what="crit's processes to end", step=0.05)
    except AssertionError:
        pass
    return [pid for pid in tree if alive(pid)]


def test_a_pty_closed_under_a_running_crit_leaves_no_process():
    """20 rounds: crit's terminal closes while a shell floods the screen.  Half the rounds crit has the pty as
    its controlling terminal (it gets SIGHUP); half it has not (nothing tells it but the dead terminal itself);
    in half the terminal stops reading first, so Textual's writer is blocked when the terminal goes."""
    survivors = []
    slow = []
    for i in range(ROUNDS):
        controlling = i % 2 == 0
        frozen = (i // 2) % 2 == 1
        with PtyCrit(["--demo"], size=(80, 24), controlling=controlling) as p:
            tree = _busy(p)
            if frozen:
                p.stop_reading()
                # the pty's buffer fills and Textual's writer thread blocks on its write
                wait_for_sync(lambda: _blocked_writing(tree[0]), 15, what="crit blocked writing to the terminal")
            t0 = time.monotonic()
            p.hang_up()
            left = _gone(tree, GONE_WITHIN)
            took = time.monotonic() - t0
            if left:
                survivors.append((i, controlling, frozen, left))
            elif took > 2.0:
                slow.append((i, round(took, 2)))
    print(f"pty closed under crit {ROUNDS} times: {len(survivors)} survivors; over 2 s: {slow}")
    assert survivors == [], survivors


def _blocked_writing(pid: int) -> bool:
    """A thread of ``pid`` sleeps in the tty write path (its output is not read)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/wchan") as f:
                wchan = f.read()
        except OSError:
            continue
        if wchan in ("n_tty_write", "wait_woken", "tty_write", "file_tty_write"):
            return True
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_crit_within_2s_even_when_its_terminal_is_frozen(sig):
    """The terminal stops reading (Textual's writer blocks, then the queue fills): SIGTERM / SIGHUP still end crit
    and what it started within 2 s, with status 128+signal."""
    with PtyCrit(["--demo"], size=(80, 24), controlling=False) as p:
        tree = _busy(p)
        p.stop_reading()
        wait_for_sync(lambda: _blocked_writing(tree[0]), 15, what="crit blocked writing to the terminal")
        t0 = time.monotonic()
        os.kill(p.pid, sig)
        p.proc.wait(timeout=GONE_WITHIN + 10)
        took = time.monotonic() - t0
        left = _gone(tree, GONE_WITHIN)
        print(f"{signal.Signals(sig).name}: crit ended after {took:.2f}s with status {p.proc.returncode}")
        assert left == []
        assert took < GONE_WITHIN
        assert p.proc.returncode == 128 + sig


# ---------------------------------------------------------------------- the pieces, without a terminal


def test_the_watchdog_ends_the_process_at_its_deadline_after_the_cleanups():
    ended = []
    done = threading.Event()
    said = []
    dog = shutdown.Watchdog(exit=lambda status: (ended.append(status), done.set()), say=said.append)
    order = []
    dog.add_cleanup(lambda: order.append("node stopped"))
    forget = dog.add_cleanup(lambda: order.append("forgotten"))
    forget()
    dog.add_cleanup(lambda: time.sleep(30))  # a cleanup that hangs does not hold the exit
    t0 = time.monotonic()
    dog.arm(0.6, 143, "SIGTERM")
    dog.arm(5.0, 0, "quit")  # a later deadline does not postpone an earlier one
    assert done.wait(10), "the watchdog never fired"
    took = time.monotonic() - t0
    assert ended == [143] and order == ["node stopped"]
    assert said == ["crit: the terminal UI did not finish closing in time after SIGTERM; stopped it without waiting.\n"]
    assert 0.2 < took < 2.0, took


def test_a_disarmed_watchdog_does_nothing():
    fired = threading.Event()
    dog = shutdown.Watchdog(exit=lambda status: fired.set(), say=lambda text: None)
    dog.arm(0.5, 1)
    dog.disarm()
    assert not fired.wait(1.2)


def test_the_hangup_watch_sees_a_closed_terminal_and_nothing_else():
    master, slave = os.openpty()
    seen = threading.Event()
    watch = shutdown.HangupWatch([slave], seen.set).start()
    try:
        os.write(master, b"typed keys are not a hang-up\r")
        assert not seen.wait(0.5)
        os.close(master)
        assert seen.wait(10), "a closed terminal was not noticed"
    finally:
        watch.stop()
        os.close(slave)
