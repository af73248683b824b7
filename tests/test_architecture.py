"""The layer boundaries of ARCHITECTURE.md, checked on the source (ast, every import statement, also the ones
inside functions): the client and the layers under the UI never import textual; the UI never talks gRPC (it uses
``CriClient``; protobuf messages are fine); rendering and state never import grpc."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import crit

PKG = Path(crit.__file__).resolve().parent

# package → module prefixes it must never import
# (a layer under the UI importing crit.ui would pull textual in through the back door)
RULES: dict[str, tuple[str, ...]] = {
    "cri": ("textual", "crit.ui"),
    "stream": ("textual", "grpc", "crit.ui"),
    "model": ("textual", "grpc", "crit.ui"),
    "render": ("textual", "grpc", "crit.ui"),
    "term": ("textual", "crit.ui"),
    "logs": ("textual", "crit.ui"),
    "node": ("textual", "crit.ui"),
    "ui": ("grpc", "crit.cri.pb.api_pb2_grpc"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file; relative imports resolved against the package."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import starts from (also for __init__.py)
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]  # from crit.cri.pb import api_pb2_grpc
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            out.append((node.lineno, str(node.args[0].value)))
    return out


def _forbidden(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(pkg: str, prefixes: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PKG / pkg).rglob("*.py")):
        if "/pb/" in path.as_posix():
            continue  # generated stubs
        for line, module in imports_of(path):
            if _forbidden(module, prefixes):
                found.append(f"{path.relative_to(PKG.parent)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("pkg", sorted(RULES))
def test_layer_does_not_import_what_it_must_not(pkg):
    assert (PKG / pkg).is_dir()
    assert violations(pkg, RULES[pkg]) == []


def test_the_scan_sees_imports(tmp_path):
    """The checker is not vacuous: it finds plain, from-, relative, nested and importlib imports."""
    ui = PKG / "ui"
    found = {m for f in ui.rglob("*.py") for _, m in imports_of(f)}
    assert "textual.app" in found and "crit.cri.pb.api_pb2" in found
    assert _forbidden("grpc.aio", RULES["ui"]) and _forbidden("crit.cri.pb.api_pb2_grpc", RULES["ui"])
    assert not _forbidden("grpcio_tools", ("grpc",)) and not _forbidden("crit.cri.pb.api_pb2", RULES["ui"])
    render = {m for f in (PKG / "render").rglob("*.py") for _, m in imports_of(f)}
    assert any(m.startswith("crit.render") or m.startswith("crit.cri") for m in render)


def test_importing_the_lower_layers_loads_no_textual():
    """At run time too (transitive imports): a fresh interpreter importing every module under the UI has no
    textual module loaded afterwards, and importing render/model/stream loads no grpc."""
    import subprocess
    import sys

    code = """
import importlib, pkgutil, sys

def load(*packages):
    for name in packages:  # walk each layer's own tree only (walk_packages imports what it walks)
        pkg = importlib.import_module(name)
        for m in pkgutil.walk_packages(pkg.__path__, name + "."):
            if not m.name.endswith("__main__") and not m.name.startswith("crit.cri.pb."):
                importlib.import_module(m.name)

load("crit.render", "crit.model", "crit.stream")
assert not any(k == "grpc" or k.startswith("grpc.") for k in sys.modules), "grpc loaded by render/model/stream"
load("crit.cri", "crit.term", "crit.logs", "crit.node")
bad = sorted(k for k in sys.modules if k == "textual" or k.startswith("textual."))
assert not bad, bad[:5]
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_every_module_opens_with_a_docstring():
    """Every module under crit/ (not the generated stubs in crit/cri/pb) opens with a docstring saying what it owns."""
    missing = [
        str(path.relative_to(PKG.parent))
        for path in sorted(PKG.rglob("*.py"))
        if PKG / "cri" / "pb" not in path.parents and ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert not missing, f"modules without a docstring: {missing}"
