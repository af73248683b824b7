"""The crit test bed: fixtures for a private containerd, a local docker-registry, and the runtimes under test.

Fixtures
--------
``containerd`` (session)  a private containerd + runc under a temp dir with the test images imported; attributes
                          ``.endpoint`` (``unix://…``), ``.socket``, ``.shell_image``, ``.pause_image``,
                          ``.log_dir`` (writable; make one subdirectory per pod), ``.root``, ``.name``, ``.kind``,
                          ``.version`` (dict from CRI Version), ``.raw()`` (a tiny sync CRI client),
                          ``.cleanup(keep)`` (stop + remove pods not in ``keep``).
``registry`` (session)    Debian's docker-registry with ``.pull_ref`` (``localhost:5000/crit-test/pullme:1.0``) pushed
                          to it, ``.address`` (``127.0.0.1:PORT``); containerd is configured to pull
                          ``localhost:5000/…`` from it over plain HTTP.
``cri`` (function)        parametrized over the runtimes under test; the same kind of object as ``containerd``.
                          Pods a test creates are stopped and removed after it.

With ``CI=true`` a missing prerequisite (binaries, root) FAILS the test instead of skipping it.
"""

from __future__ import annotations

import os
import warnings

import pytest

from tests.bed import containerd as ctd_bed
from tests.bed import registry as reg_bed
from tests.fixed_node import frozen  # noqa: F401 - the frozen-clock fixture of the screen tests


def require(missing: list[str], what: str) -> None:
    """Skip (or, with CI=true, fail) when prerequisites are missing."""
    if not missing:
        return
    msg = f"{what} needs {', '.join(missing)}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the test bed cannot run: {msg}", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def containerd():
    require(ctd_bed.missing_prerequisites(), "the containerd test bed")
    ctd_bed.reap_stale()
    ctd = ctd_bed.start()
    v = ctd.version
    _bed_runtime["containerd"] = f"containerd {v.get('runtime_version')} CRI {v.get('runtime_api_version')}"
    try:
        yield ctd
    finally:
        problems = ctd.stop()
        if problems:
            warnings.warn(f"test bed: containerd teardown: {'; '.join(problems)}", stacklevel=1)


@pytest.fixture(scope="session")
def registry(containerd):
    require(reg_bed.missing_prerequisites(), "the registry test bed")
    reg = reg_bed.start()
    try:
        containerd.set_registry(reg_bed.REGISTRY_HOST, reg.address)
        yield reg
    finally:
        problems = reg.stop()
        if problems:
            warnings.warn(f"test bed: registry teardown: {'; '.join(problems)}", stacklevel=1)


@pytest.fixture(autouse=True)
def _private_state_home(tmp_path_factory, monkeypatch):
    """crit's state files ($XDG_STATE_HOME/crit/: exec session markers, …) go to a fresh directory per test, never
    to the user's ~/.local/state (and one test's leftovers never reach the next)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _containerd_hygiene(request):
    """For every test that uses the private containerd: remove the pods it left behind, and re-import the bed's
    images if it removed them, so one test cannot break the next."""
    if "containerd" not in request.fixturenames:
        yield
        return
    ctd = request.getfixturevalue("containerd")
    before = ctd.pod_ids()
    yield
    ctd.cleanup(keep=before)
    ctd.ensure_images()


# The runtimes every `cri` test runs against: the private containerd and crit's embedded node.
CRI_RUNTIMES = ["containerd", "node"]


# --- the embedded node (owned by the embedded-node engineer) ----------------------------------------------------


class _EmbeddedNode:
    """``python -m crit.node serve`` in a subprocess, with the bed's image names present, shaped like ``containerd``."""

    name = kind = "node"

    def __init__(self) -> None:
        from pathlib import Path

        from crit.node.process import NodeProcess
        from tests.bed import images

        self.shell_image, self.pause_image = images.SHELL_IMAGE, images.PAUSE_IMAGE
        self.proc = NodeProcess(images=[self.shell_image, self.pause_image]).start()
        self.root = Path(self.proc.root)
        self.socket = Path(self.proc.socket)
        self.endpoint = self.image_endpoint = self.proc.endpoint
        self.log_dir = self.root / "logs"
        self.log_dir.mkdir()
        with self.raw() as raw:
            self.version = raw.version()

    def raw(self, timeout: float = 30.0):
        from tests.bed.rawcri import RawCri

        return RawCri(self.endpoint, timeout=timeout)

    def pod_ids(self) -> set[str]:
        with self.raw() as raw:
            return {p["id"] for p in raw.list_pod_sandboxes()}

    def cleanup(self, keep: set[str] = frozenset()) -> list[str]:
        with self.raw(timeout=60) as raw:
            return raw.remove_all_pods(keep)

    def stop(self) -> None:
        self.proc.stop()


@pytest.fixture(scope="session")
def node():
    n = _EmbeddedNode()
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture(params=CRI_RUNTIMES)
def cri(request):
    if request.param == "containerd":
        runtime = request.getfixturevalue("containerd")
    else:  # pragma: no cover - filled in when another runtime is added to CRI_RUNTIMES
        runtime = request.getfixturevalue(request.param)
    before = runtime.pod_ids()
    yield runtime
    runtime.cleanup(keep=before)
    if hasattr(runtime, "ensure_images"):
        runtime.ensure_images()


# --- a summary line proving the runtime tests ran (not skipped) ------------------------------------------------

_BED_FIXTURES = {"containerd", "cri", "registry"}
_bed_items: set[str] = set()
_bed_outcomes: dict[str, str] = {}
_bed_runtime: dict[str, str] = {}


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if _BED_FIXTURES & set(getattr(item, "fixturenames", ())):
            _bed_items.add(item.nodeid)


def pytest_runtest_logreport(report):
    if report.nodeid not in _bed_items:
        return
    if report.when == "call" or report.outcome != "passed":
        # A failure or skip in setup/teardown counts too; the last non-pass wins.
        if _bed_outcomes.get(report.nodeid) in (None, "passed"):
            _bed_outcomes[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter):
    if not _bed_items:
        return
    counts: dict[str, int] = {}
    for outcome in _bed_outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    ran = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "none run"
    rt = _bed_runtime.get("containerd", "not started")
    terminalreporter.write_line(
        f"test bed: {len(_bed_outcomes)} tests used the real runtime ({rt}; CI={os.environ.get('CI', '')}): {ran}"
    )
