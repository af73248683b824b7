"""``python -m crit.node [serve] --listen unix:///PATH [--demo] [--scale P:C:I] [--churn RATE]``."""

from __future__ import annotations

import argparse
import sys

from crit.node.serve import run


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        args = args[1:]
    ap = argparse.ArgumentParser(prog="python -m crit.node", description="Run crit's embedded CRI v1 node.")
    ap.add_argument("--listen", required=True, help="unix:///PATH of the gRPC socket (created with mode 0600)")
    ap.add_argument("--demo", action="store_true", help="seed a small believable node")
    ap.add_argument("--scale", metavar="PODS:CONTAINERS:IMAGES", help="seed a large deterministic node")
    ap.add_argument(
        "--churn",
        type=float,
        default=0.0,
        metavar="RATE",
        help="create/stop/remove containers at RATE operations per second",
    )
    ap.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="REF",
        help="an image present from the start (repeatable; loopback registries only)",
    )
    ns = ap.parse_args(args)
    return run(ns.listen, demo=ns.demo, scale=ns.scale, churn=ns.churn, images=ns.image)


if __name__ == "__main__":
    raise SystemExit(main())
