#!/usr/bin/env python3
"""Before/after in one run: a benchmark script run on an earlier commit and on this tree, side by side.

    python bench/compare.py --before REF [--rounds 2] [--out FILE] -- bench/panels.py --no-containerd

The earlier commit is checked out into a temporary git worktree; each tree's own copy of the script runs (the
scripts put their tree first on ``sys.path``; ``PYTHONPATH`` is set to it as well), alternating before/after for
``--rounds`` rounds so that load on the machine falls on both sides alike.  Every number in the scripts' JSON is
listed with the before and after values (the median over the rounds) and the change in percent.  Prints one JSON
object (and writes it to ``--out``); a failed run is reported with its stderr's last lines, never hidden.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def leaves(obj: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON value, by its dotted path (lists by index)."""
    out: dict[str, float] = {}
    if isinstance(obj, bool):
        return out
    if isinstance(obj, (int, float)):
        out[prefix] = float(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(leaves(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(leaves(v, f"{prefix}[{i}]"))
    return out


def run_once(tree: Path, script: str, args: list[str], timeout: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run(
        [sys.executable, str(tree / script), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"{script} failed in {tree} (exit {proc.returncode}): {tail}")
    text = proc.stdout.strip()
    start = text.find("{")  # a script may print progress lines before its JSON object
    result: dict[str, Any] = json.loads(text[start:])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the git ref measured as 'before'")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("script", help="the benchmark script (path in this tree)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="its arguments (after --)")
    ns = ap.parse_args()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args  # the separator only: a later "--" is the script's
    script = str(Path(ns.script).resolve().relative_to(ROOT)) if Path(ns.script).is_absolute() else ns.script
    before_rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ns.before], capture_output=True, text=True, check=True
    ).stdout.strip()
    after_rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="crit-bench-before-") as tmp:
        before_tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(before_tree), before_rev],
            capture_output=True,
            check=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        try:
            for _ in range(ns.rounds):
                runs["before"].append(run_once(before_tree, script, args, ns.timeout))
                runs["after"].append(run_once(ROOT, script, args, ns.timeout))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)], capture_output=True
            )
    side: dict[str, dict[str, float | None]] = {}
    b_leaves = [leaves(r) for r in runs["before"]]
    a_leaves = [leaves(r) for r in runs["after"]]
    for key in sorted({k for d in b_leaves + a_leaves for k in d}):
        b = [d[key] for d in b_leaves if key in d]
        a = [d[key] for d in a_leaves if key in d]
        bm = statistics.median(b) if b else None
        am = statistics.median(a) if a else None
        change = round(100.0 * (am - bm) / bm, 1) if bm and am is not None else None
        side[key] = {"before": bm, "after": am, "change_pct": change}
    result = {
        "script": ns.script,
        "args": args,
        "before": before_rev,
        "after": after_rev,
        "rounds": ns.rounds,
        "side_by_side": side,
        "runs": runs,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if ns.out:
        Path(ns.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
