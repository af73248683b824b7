"""C13: without a terminal crit refuses to start its UI in one sentence (exit 2) — it used to draw the TUI into a
pipe for ever, spinning at 100% CPU on a stdin at end of file and deaf to SIGTERM.  The non-UI commands still
work in pipes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TMPDIR=str(tmp_path),
        HOME=str(tmp_path),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        TERM="xterm-256color",
    )
    return env


def _run(args: list[str], tmp_path: Path, *, stdin_tty: bool, stdout_tty: bool) -> tuple[int, str, str]:
    """Run ``crit ARGS`` with stdin / stdout each a pty slave or not (stdin /dev/null, stdout a pipe); stderr is
    always a pipe.  A crit that starts its UI anyway is killed by the timeout (the test then fails)."""
    fds = []
    master = slave = None
    if stdin_tty or stdout_tty:
        master, slave = pty.openpty()
        fds = [master, slave]
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crit", *args],
            stdin=slave if stdin_tty else subprocess.DEVNULL,
            stdout=slave if stdout_tty else subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(tmp_path),
            cwd=str(tmp_path),
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            pytest.fail(f"crit {' '.join(args)} did not end within 30 s without a terminal (it ran its UI)")
        return proc.returncode, (out or b"").decode(), err.decode()
    finally:
        for fd in fds:
            os.close(fd)


def _one_sentence(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("crit: ") and lines[0].endswith("."), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "args,stdin_tty,stdout_tty,which",
    [
        (["-r", "unix:///nonexistent.sock"], False, False, "stdin and stdout are not one"),  # </dev/null | head
        (["-r", "unix:///nonexistent.sock"], True, False, "stdout is not one"),  # | head
        (
            ["new", "pod", "--from", str(FIXTURES / "pod.yaml"), "-r", "unix:///nonexistent.sock"],
            False,
            True,
            "stdin is not one",
        ),  # </dev/null
        (["--demo"], False, True, "stdin is not one"),
    ],
    ids=["plain-no-tty", "plain-stdout-pipe", "new-pod-stdin-devnull", "demo-stdin-devnull"],
)
def test_the_ui_refuses_to_start_without_a_terminal(tmp_path, args, stdin_tty, stdout_tty, which):
    rc, out, err = _run(args, tmp_path, stdin_tty=stdin_tty, stdout_tty=stdout_tty)
    line = _one_sentence(err)
    assert rc == 2, (rc, err)
    assert "The terminal UI needs a terminal" in line and which in line, line
    assert out == ""
    if args == ["--demo"]:  # refused before a demo node was started: nothing left in TMPDIR
        assert not [p for p in tmp_path.iterdir() if p.name.startswith("crit-demo-")]


def test_non_ui_commands_work_in_pipes(tmp_path):
    rc, out, err = _run(["--version"], tmp_path, stdin_tty=False, stdout_tty=False)
    assert rc == 0 and out.startswith("crit "), (rc, out, err)
    rc, out, err = _run(["--help"], tmp_path, stdin_tty=False, stdout_tty=False)
    assert rc == 0 and "usage: crit" in out, (rc, out, err)
    # --check answers in a pipe (here: with the runtime's own one sentence, not the terminal one)
    rc, out, err = _run(
        ["--check", "-r", f"unix://{tmp_path}/gone.sock", "-t", "1s"], tmp_path, stdin_tty=False, stdout_tty=False
    )
    assert rc == 1 and "runtime endpoint:" in out, (rc, out, err)
    assert "needs a terminal" not in err


def test_node_serve_works_in_pipes(tmp_path):
    sock = tmp_path / "n.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crit", "node", "serve", "--listen", f"unix://{sock}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
        cwd=str(tmp_path),
    )
    try:
        banner = proc.stdout.readline().decode()  # printed once the node serves; EOF if it exited
        assert str(sock) in banner and sock.exists(), (banner, proc.poll())
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
