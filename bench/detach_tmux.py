"""Benchmark: detach latency during ``yes`` in the real app, as a person at a terminal sees it.

The real ``crit --demo`` runs in a private tmux (tests/tmux.py): a shell is opened in the demo's toolbox container
(``/toolbox`` ⏎, ⏎, ``s``: tests.ptycrit.open_demo_shell), ``yes`` floods it, then ``--rounds`` times: ctrl+] is
sent with ``tmux send-keys`` and the time is measured until ``capture-pane`` shows the main screen (the ``Pods [``
panel title); the session is re-entered through ``:sessions`` ⏎ ⏎ and the flood waited for before the next round,
then ``--dwell`` seconds spent looking at it (a person does not detach the instant the session is back; 0 = at
once).  Prints JSON: p50 / p90 / max of the detach latency in ms, each round's figure, and the resolution of the
measurement (one capture-pane call, which is a process start: the figures include up to one of those).

    python bench/detach_tmux.py [--rounds 15] [--size 80x24] [--dwell 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ptycrit import open_demo_shell
from tests.tmux import TmuxCrit, tmux_missing

FLOOD = "│y "  # a line of yes's output inside the terminal view's border


def flooding(screen: str) -> bool:
    return screen.count(FLOOD) > 10


def main_screen(screen: str) -> bool:
    return "Pods [" in screen


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(rounds: int, size: tuple[int, int], dwell: float = 0.0) -> dict:
    with TmuxCrit(["--demo"], size=size) as t:
        t.wait_text("toolbox", timeout=60)
        open_demo_shell(
            lambda text: t._tmux("send-keys", "-t", "crit", "-l", text),
            t.screen,
            lambda pred, what: t.wait(pred, what=what),
        )
        t.keys("yes", "Enter")
        t.wait(flooding, timeout=30, what="yes flooding the shell")
        latencies: list[float] = []
        captures: list[float] = []
        for _ in range(rounds):
            sent = time.monotonic()
            t.keys("C-]")
            while True:
                c0 = time.monotonic()
                screen = t.screen()
                captures.append(time.monotonic() - c0)
                if main_screen(screen):
                    break
                if time.monotonic() - sent > 30:
                    raise SystemExit(f"no main screen 30 s after ctrl+]:\n{screen}")
            latencies.append((time.monotonic() - sent) * 1000)
            t.keys(":", "sessions", "Enter")
            t.wait_text("Terminal sessions")
            t.keys("Enter")
            t.wait(lambda s: flooding(s) and not main_screen(s), timeout=30, what="the flooding session again")
            if dwell:
                time.sleep(dwell)  # the person reads the session (not a wait for a condition)
        t.keys("C-]")
        t.wait(main_screen, what="the main screen")
    return {
        "benchmark": "detach_tmux",
        "what": "ctrl+] (tmux send-keys) during yes in a shell of crit --demo -> main screen in capture-pane",
        "size": f"{size[0]}x{size[1]}",
        "rounds": rounds,
        "dwell_s": dwell,
        "detach_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(percentile(latencies, 0.9), 1),
            "max": round(max(latencies), 1),
            "each": [round(x, 1) for x in latencies],
        },
        "capture_pane_ms": {
            "median": round(statistics.median(captures) * 1000, 1),
            "max": round(max(captures) * 1000, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", default="80x24", help="terminal size WxH")
    parser.add_argument(
        "--dwell", type=float, default=0.0, help="seconds in the re-entered session before ctrl+] (default 0: at once)"
    )
    args = parser.parse_args()
    missing = tmux_missing()
    if missing:
        print(json.dumps({"benchmark": "detach_tmux", "skipped": f"needs {', '.join(missing)}"}))
        return 0
    w, h = (int(x) for x in args.size.lower().split("x"))
    print(json.dumps(run(args.rounds, (w, h), args.dwell), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
