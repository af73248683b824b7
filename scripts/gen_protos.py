#!/usr/bin/env python3
"""Regenerate crit's CRI v1 Python stubs from protos/runtime/v1/api.proto.

Usage: python scripts/gen_protos.py [--out DIR]

Writes api_pb2.py, api_pb2.pyi and api_pb2_grpc.py into crit/cri/pb/ (or DIR). The import of api_pb2 inside
api_pb2_grpc.py is rewritten to be package-relative, so `from crit.cri.pb import api_pb2, api_pb2_grpc` works
without putting anything on sys.path. Needs grpcio-tools (the `test` extra).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PROTO = "runtime/v1/api.proto"
DEFAULT_OUT = ROOT / "crit" / "cri" / "pb"
OUTPUTS = ("api_pb2.py", "api_pb2.pyi", "api_pb2_grpc.py")

_ABSOLUTE_IMPORT = re.compile(r"^from runtime\.v1 import api_pb2 as (\w+)$", re.MULTILINE)


def generate(out_dir: Path) -> list[Path]:
    """Run protoc (from grpc_tools) and write the fixed-up stubs into out_dir; return the written paths."""
    try:
        from grpc_tools import protoc
    except ImportError:  # pragma: no cover - depends on the environment
        raise SystemExit("grpcio-tools is not installed: pip install -e '.[test]' first.") from None
    import grpc_tools

    include = Path(grpc_tools.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            str(PROTO_ROOT / PROTO),
        ]
        rc = protoc.main(args)
        if rc != 0:
            raise SystemExit(f"protoc failed with exit code {rc} on {PROTO_ROOT / PROTO}.")
        gen = Path(tmp) / "runtime" / "v1"
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in OUTPUTS:
            text = (gen / name).read_text()
            if name == "api_pb2_grpc.py":
                text, n = _ABSOLUTE_IMPORT.subn(r"from . import api_pb2 as \1", text)
                if n != 1:
                    raise SystemExit("could not rewrite the api_pb2 import in api_pb2_grpc.py")
            target = out_dir / name
            target.write_text(text)
            written.append(target)
    init = out_dir / "__init__.py"
    if not init.exists():
        init.write_text('"""Generated CRI v1 stubs (runtime.v1). Regenerate with scripts/gen_protos.py."""\n')
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: crit/cri/pb)")
    ns = parser.parse_args(argv)
    for path in generate(ns.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
