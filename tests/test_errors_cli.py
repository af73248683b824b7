"""Errors a user can cause on the command line end in one sentence on stderr: no traceback, no library log line."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def crit(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crit", *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "Unexpected error" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    "path,why",
    [
        ("/proc/crit-x.sock", "No such file or directory"),  # a directory where no socket can be made
        ("/proc/self/crit-x.sock", "no permission to create files in /proc/self"),
        ("/nonexistent-crit-dir/x.sock", "the directory /nonexistent-crit-dir does not exist"),
    ],
)
def test_node_serve_on_a_path_where_no_socket_can_be_bound(path, why):
    r = crit("node", "serve", "--listen", f"unix://{path}")
    assert r.returncode != 0
    line = one_sentence(r.stderr)
    assert line.startswith(f"crit node: cannot listen on {path}") and why in line, line


def test_a_directory_given_as_spec_file_keeps_its_name(tmp_path, monkeypatch):
    """The sentence was capitalised after the fact: 'dir.yaml is a directory' became 'Dir.yaml …' (another path)."""
    from crit.cri import pb  # noqa: F401 - the stubs load
    from crit.cri.pb import api_pb2
    from crit.cri.spec import SpecError, load_file

    (tmp_path / "dir.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as exc:
        load_file("dir.yaml", api_pb2.PodSandboxConfig)
    assert str(exc.value) == "The path dir.yaml is a directory, not a YAML or JSON file."


def test_endpoint_that_is_a_regular_file_says_so(tmp_path):
    f = tmp_path / "runtime.sock"
    f.write_text("")
    r = crit("--check", "-r", f"unix://{f}")
    assert r.returncode == 1
    line = one_sentence(r.stderr)
    assert line == (
        f"crit: The container runtime endpoint {f} is a regular file, not a unix socket; fix the "
        f"-r/--runtime-endpoint flag."
    ), line


@pytest.mark.parametrize(
    "args,where",
    [
        (["-t", "99999999999h"], "flag -t/--timeout"),
        (["-c", "{cfg}"], "config file {cfg}:2"),
    ],
)
def test_an_absurd_timeout_is_refused_in_one_sentence(tmp_path, args, where):
    """gRPC cannot hold a deadline that far away: it raised OverflowError ('Unexpected error') at the first call."""
    cfg = tmp_path / "crictl.yaml"
    cfg.write_text("runtime-endpoint: unix:///nonexistent.sock\ntimeout: 100000000000000000000\n")
    r = crit("--check", "-r", f"unix://{tmp_path}/x.sock", *[a.format(cfg=cfg) for a in args])
    assert r.returncode == 1
    line = one_sentence(r.stderr)
    assert line.startswith("crit: The timeout ") and "is too long" in line and where.format(cfg=cfg) in line, line


@pytest.mark.parametrize(
    "reply", [b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"\x1b[2J\x1b]0;pwned\x07hello [bold]x[/]\r\n"]
)
def test_a_socket_that_does_not_speak_grpc_is_named_as_such(tmp_path, reply):
    """Not "is it running?" (it is): what answers is not a gRPC server, so the endpoint is the wrong one."""
    import socket
    import threading

    path = str(tmp_path / "other.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(1)
                    conn.recv(4096)
                    conn.sendall(reply)
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        r = crit("--check", "-r", f"unix://{path}", "-t", "5s")
    finally:
        stop.set()
        t.join(5)
        srv.close()
    assert r.returncode == 1
    line = one_sentence(r.stderr)
    assert line.startswith(f"crit: Something listens at unix://{path}, but it does not speak gRPC"), line
    assert "\x1b" not in r.stderr


def test_a_spec_file_that_is_a_device_or_huge_is_refused(tmp_path):
    """``--from /dev/zero`` (or the import dialog given it) read forever and filled memory; a pipe
    (``--from <(…)``) still works."""
    from crit.cri.pb import api_pb2
    from crit.cri.spec import SpecError, load_file

    with pytest.raises(SpecError) as exc:
        load_file("/dev/zero", api_pb2.PodSandboxConfig)
    assert str(exc.value) == "The path /dev/zero is a character device, not a YAML or JSON file."
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.write(b"# " + b"x" * (17 * 1024 * 1024) + b"\n")
    with pytest.raises(
        SpecError,
        match=r"^The file .*big\.yaml is larger than 16 MiB: it is not a pod or container "
        r"config\.$",
    ):
        load_file(big, api_pb2.PodSandboxConfig)
    r, w = __import__("os").pipe()
    __import__("os").write(w, b"metadata:\n  name: piped\n")
    __import__("os").close(w)
    try:
        cfg = load_file(f"/dev/fd/{r}", api_pb2.PodSandboxConfig)
    finally:
        __import__("os").close(r)
    assert cfg.metadata.name == "piped"


LOGGING_TUI = """
import logging, sys
from crit import cli

def fake_tui(opts):
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("crit.ui.app").exception("change listener failed")
    logging.getLogger("crit.ui.terminal.actions").warning("session 1 left installed")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    return 0

cli._run_tui = fake_tui
sys.exit(cli.main(["-r", "unix:///nonexistent.sock"] + sys.argv[1:]))
"""


def test_log_records_never_reach_the_terminal(tmp_path):
    """Python's last-resort handler wrote crit's warnings and tracebacks to stderr, over the UI and after it."""
    r = subprocess.run(
        [sys.executable, "-c", LOGGING_TUI],
        capture_output=True,
        text=True,
        timeout=30,
        env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stderr


def test_debug_sends_log_records_to_a_private_file(tmp_path):
    r = subprocess.run(
        [sys.executable, "-c", LOGGING_TUI, "--debug"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0
    line = one_sentence(r.stderr)
    assert line.startswith("crit: the debug log is ") and line.endswith(".")
    path = line[len("crit: the debug log is ") : -1]
    text = open(path).read()
    assert "change listener failed" in text and "ZeroDivisionError" in text and "session 1 left installed" in text
    assert "Task exception was never retrieved" in text
    import os

    assert os.stat(path).st_mode & 0o077 == 0
