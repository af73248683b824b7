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

import pytest

from tests.bed import containerd as ctd_bed
from tests.bed import registry as reg_bed


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
    try:
        yield ctd
    finally:
        problems = ctd.stop()
        if problems:
            print(f"\n[test bed] containerd teardown: {'; '.join(problems)}")


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
            print(f"\n[test bed] registry teardown: {'; '.join(problems)}")


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


# The runtimes every `cri` test runs against.
# >>> EMBEDDED NODE: the embedded-node engineer adds "node" here and a branch in `cri` below that returns an
# >>> object with the same attributes (.endpoint, .socket, .shell_image, .pause_image, .log_dir, .root, .name,
# >>> .kind='node', .pod_ids(), .cleanup(keep)), e.g. from a session-scoped `node` fixture.
CRI_RUNTIMES = ["containerd"]


@pytest.fixture(params=CRI_RUNTIMES)
def cri(request):
    if request.param == "containerd":
        runtime = request.getfixturevalue("containerd")
    else:  # pragma: no cover - filled in when another runtime is added to CRI_RUNTIMES
        runtime = request.getfixturevalue(request.param)
    before = runtime.pod_ids()
    yield runtime
    runtime.cleanup(keep=before)
