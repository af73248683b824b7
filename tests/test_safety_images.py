"""No image name that resolves to a public registry, anywhere: every image crit, its tests, benchmarks and scripts
name is under a loopback registry (``localhost:5000/…``, ``127.0.0.1:PORT/…``) or is an image id.

The seed article's ``tests/fixtures/container.yaml`` keeps its ``docker.io/nginx:1.18-alpine`` (the same content
as the seed); the tests that load it only compare that string and replace it before anything runs, so it is the
one allowed mention, with the two assertions that compare it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ["crit", "tests", "bench", "scripts", "themes"]
FILES = ["README.md", "ARCHITECTURE.md"]
PUBLIC = re.compile(
    r"\b(docker\.io|index\.docker\.io|registry-1\.docker\.io|quay\.io|(?:[a-z0-9-]+\.)?gcr\.io|"
    r"registry\.k8s\.io|ghcr\.io|public\.ecr\.aws|mcr\.microsoft\.com|registry\.access\.redhat\.com)"
    r"(?=[/:])"
)
# (file, reason): the seed fixture and the assertions on its content; the node's reference normalisation (the
# rule containerd applies to a short name, applied in memory: the node never contacts a registry)
ALLOWED = {
    "tests/fixtures/container.yaml": "the seed article's container.yaml, never pulled",
    "tests/test_forms.py": "compares the seed fixture's image string",
    "tests/test_spec.py": "compares the seed fixture's image string",
    "crit/cri/refs.py": "docker.ParseDockerRef normalisation, in memory",
    "tests/test_safety_images.py": "this guard",
}
LOOPBACK = ("localhost:5000/", "localhost/", "127.0.0.1:", "[::1]:", "sha256:")
IMAGE_CALLS = {"pull_image", "image_status", "remove_image", "require_image"}
IMAGE_ATTRS = {"image", "user_specified_image"}


def _files():
    for tree in TREES:
        base = ROOT / tree
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if (
                    p.is_file()
                    and p.suffix in (".py", ".md", ".yaml", ".yml", ".json", ".toml", ".sh", ".txt")
                    and "/pb/" not in str(p)
                    and "__pycache__" not in str(p)
                ):
                    yield p
    for f in FILES:
        if (ROOT / f).is_file():
            yield ROOT / f


def public_registry_mentions() -> list[str]:
    out = []
    for p in _files():
        rel = str(p.relative_to(ROOT))
        if rel in ALLOWED:
            continue
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            if PUBLIC.search(line):
                out.append(f"{rel}:{n}: {line.strip()[:120]}")
    return out


def _bad_image(value: str) -> bool:
    return bool(value) and not value.startswith(LOOPBACK) and not any(c.isspace() for c in value)


def short_image_names() -> list[str]:
    """Image names given as literals to the image RPCs, ``ImageSpec(image=…)`` or ``….image = …`` that are not
    loopback names (``nginx``, ``app:1`` resolve to docker.io)."""
    out = []
    for p in _files():
        if p.suffix != ".py":
            continue
        rel = str(p.relative_to(ROOT))
        tree = ast.parse(p.read_text(), rel)
        for node in ast.walk(tree):
            found: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in IMAGE_CALLS and node.args:
                    found.append(node.args[0])
                found += [k.value for k in node.keywords if k.arg in IMAGE_ATTRS]
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Attribute) and t.attr in IMAGE_ATTRS for t in node.targets):
                    found.append(node.value)
            for value in found:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and _bad_image(value.value):
                    out.append(f"{rel}:{value.lineno}: {value.value!r}")
    return out


def test_no_public_registry_is_named():
    assert public_registry_mentions() == []


def test_no_short_image_name_is_used():
    assert short_image_names() == []


def test_the_seed_fixture_is_never_pulled():
    """Every test function that reads the seed container.yaml either only looks at it (no submit, no create, no
    pull) or replaces its image with a local one first."""
    acting = ("ctrl+s", "create_container", "pull_image", "start_container")
    users = 0
    for p in sorted((ROOT / "tests").glob("test_*.py")):
        if p.name == Path(__file__).name:
            continue
        text = p.read_text()
        if "container.yaml" not in text:
            continue
        for fn in ast.walk(ast.parse(text)):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = ast.get_source_segment(text, fn) or ""
            if '"container.yaml"' not in body and "/container.yaml" not in body:
                continue
            users += 1
            if any(a in body for a in acting):
                assert "image.image = " in body, f"{p.name}::{fn.name} runs the seed container.yaml with its image"
    assert users >= 3  # the guard looks at real users
