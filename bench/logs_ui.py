"""Benchmark: the logs screen opening a 1 GB CRI log — time until its last line is on screen, and memory.

Generates the same realistic log as ``bench/logs.py`` (``--size-mb``, default 1024), then in a fresh child process
runs a headless Textual app that pushes :class:`crit.ui.logs.LogScreen` on the file and measures, with the file's
pages dropped from the cache (cold) and again hot:

* ``open_to_last_line_s``: from pushing the screen to the file's last line being drawn (tail read of 2000 lines
  in a worker thread, neutralising, layout, first frame);
* the bytes the follower read and the child's peak RSS (a 1 GB file must cost a few MB, not a GB).

Prints one JSON object; deletes the file afterwards.  Target: < 0.5 s with bounded memory.

    python bench/logs_ui.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

TARGET_S = 0.5

CHILD = r"""
import asyncio, json, os, resource, sys, time
from textual.app import App
from crit.ui.logs import LogScreen
from crit.ui.textual_private import screen_strips

path = sys.argv[1]

def drop_cache():
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

class Bench(App):
    endpoint_label = ""

def screen_text(app):
    return "\n".join(s.text for s in screen_strips(app))

async def main():
    out = {}
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    app = Bench()
    async with app.run_test(size=(160, 50)) as pilot:
        for label in ("cold", "hot"):
            if label == "cold":
                drop_cache()
            screen = LogScreen(app, path=path)
            t0 = time.perf_counter()
            app.push_screen(screen)
            while "final line 9" not in screen_text(app):
                await asyncio.sleep(0.002)
                if time.perf_counter() - t0 > 30:
                    raise SystemExit("the last line never appeared")
            dt = time.perf_counter() - t0
            out[label] = {"open_to_last_line_s": round(dt, 4), "records": len(screen.view.records),
                          "bytes_read": screen.follower.bytes_read}
            app.pop_screen()
            await pilot.pause()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = round(rss / 1024, 1)
    out["peak_rss_delta_mb"] = round((rss - base) / 1024, 1)
    print(json.dumps(out))

asyncio.run(main())
"""


def _generator():
    spec = importlib.util.spec_from_file_location("bench_logs", os.path.join(os.path.dirname(__file__), "logs.py"))
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod.generate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="crit-bench-logs-ui-") as tmp:
        path = os.path.join(tmp, "0.log")
        result: dict = {"benchmark": "logs.ui_open", "target_s": TARGET_S}
        result.update(_generator()(path, args.size_mb * 1024 * 1024))
        proc = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()
            result["error"] = tail[-1] if tail else f"exit {proc.returncode}"
            print(json.dumps(result))
            return 1
        child = json.loads(proc.stdout.strip().splitlines()[-1])
        result.update(child)
        worst = max(child["cold"]["open_to_last_line_s"], child["hot"]["open_to_last_line_s"])
        result["worst_s"] = worst
        result["meets_target"] = bool(worst < TARGET_S and child["cold"]["bytes_read"] < 16 * 1024 * 1024)
    print(json.dumps(result, indent=2))
    return 0 if result["meets_target"] else 2


if __name__ == "__main__":
    sys.exit(main())
