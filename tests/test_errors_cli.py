"""Errors a user can cause on the command line end in one sentence on stderr: no traceback, no library log line."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def crit(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crit", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "Unexpected error" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("path,why", [
    ("/proc/crit-x.sock", "No such file or directory"),           # a directory where no socket can be made
    ("/proc/self/crit-x.sock", "no permission to create files in /proc/self"),
    ("/nonexistent-crit-dir/x.sock", "the directory /nonexistent-crit-dir does not exist"),
])
def test_node_serve_on_a_path_where_no_socket_can_be_bound(path, why):
    r = crit("node", "serve", "--listen", f"unix://{path}")
    assert r.returncode != 0
    line = one_sentence(r.stderr)
    assert line.startswith(f"crit node: cannot listen on {path}") and why in line, line
