"""Record real terminal sessions (busybox vi, top, less, sh + colored ls) as raw output bytes.

Run as ``python tests/data/record_term_sessions.py``; writes ``tests/data/term/*.bin`` (the output bytes exactly as
the programs wrote them to a PTY of the given size). The screen-equivalence tests feed these to stock pyte and to
crit's fast screen and compare every cell. Needs /usr/bin/busybox.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

BUSYBOX = "/usr/bin/busybox"
OUT = Path(__file__).resolve().parent / "term"


def record(
    argv: list[str],
    keys: list[tuple[float, bytes]],
    *,
    cols: int = 80,
    rows: int = 24,
    cwd: str | None = None,
    tail: float = 0.5,
) -> bytes:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {"TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "HOME": cwd or "/tmp", "LANG": "C.UTF-8", "PS1": "$ "}
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env=env,
        cwd=cwd,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    out = bytearray()

    def drain(seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([master], [], [], left)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                out.extend(data)

    for delay, data in keys:
        drain(delay)
        os.write(master, data)
    drain(tail)
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    drain(0.1)
    os.close(master)
    return bytes(out)


def main() -> int:
    if not os.path.exists(BUSYBOX):
        print("busybox is missing", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp, "notes.txt")
        text.write_text(
            "".join(
                f"line {i:03d}: the quick brown fox jumps over the lazy dog – naïve café 日本語\n" for i in range(120)
            )
        )
        for name in ("alpha", "beta", "gamma", "delta"):
            Path(tmp, name).mkdir()
            Path(tmp, name + ".sh").write_text("#!/bin/sh\n")
            os.chmod(Path(tmp, name + ".sh"), 0o755)
            os.symlink(name, Path(tmp, name + ".link"))
        sessions = {
            "vi": record(
                [BUSYBOX, "vi", "notes.txt"],
                [
                    (0.4, b"jjjj"),
                    (0.1, b"\x1b[B\x1b[B\x1b[C\x1b[C"),
                    (0.1, b"i"),
                    (0.1, "inserted text ✓ wide 漢字 and more ".encode()),
                    (0.1, b"\x1b"),
                    (0.2, b"dd"),
                    (0.1, b"20j"),
                    (0.1, b"o"),
                    (0.1, b"a new line below\x1b"),
                    (0.1, b"\x06"),
                    (0.2, b"\x02"),
                    (0.2, b"G"),
                    (0.2, b"gg"),
                    (0.2, b"/fox\r"),
                    (0.2, b"n"),
                    (0.2, b"x"),
                    (0.1, b"u"),
                    (0.1, b":q!\r"),
                ],
                cwd=tmp,
            ),
            "top": record(
                ["unshare", "-fp", "--mount-proc", BUSYBOX, "top", "-d", "1"], [(1.5, b"q")], cols=100, rows=30
            ),
            "less": record(
                [BUSYBOX, "less", "-N", "notes.txt"],
                [
                    (0.4, b" "),
                    (0.2, b" "),
                    (0.2, b"b"),
                    (0.2, b"j" * 5),
                    (0.2, b"/lazy\r"),
                    (0.2, b"n"),
                    (0.2, b"G"),
                    (0.2, b"g"),
                    (0.2, b"q"),
                ],
                cwd=tmp,
            ),
            "shell_ls": record(
                [BUSYBOX, "sh"],
                [
                    (0.3, b"ls --color=always -la\r"),
                    (0.2, b"ls --color=always -1 /usr/bin | head -40\r"),
                    (
                        0.3,
                        b"printf '\\033[1;31mred\\033[0m \\033[38;5;208m256\\033[0m "
                        b"\\033[38;2;1;2;3mtrue\\033[0m\\n'\r",
                    ),
                    (0.2, b"printf '\\033[2J\\033[5;10Hmoved\\033[K\\033[1;1Hhome\\033[3@ins\\033[2Pdel\\n'\r"),
                    (0.2, b"printf '\\033[3;10r\\033[10;1H\\n\\n\\nscrolled in region\\033[r\\n'\r"),
                    (0.2, b"printf '\\033[5;1H\\033[2L\\033[1M\\033[3X\\033[1J\\033[0J'\r"),
                    (
                        0.2,
                        b"printf '\\033[?25l\\033[7mrev\\033[27m\\033[4munder\\033[24m"
                        b"\\033[3mital\\033[0m\\033[?25h\\n'\r",
                    ),
                    (0.2, b"printf 'wrap:%0200d\\n' 7\r"),
                    (0.2, b"printf 'tab\\tstop\\tend\\r\\ncombin\\xcc\\x81e e\\xcc\\x81 \\xe2\\x80\\x8bzw\\n'\r"),
                    (0.2, b"exit\r"),
                ],
                cwd=tmp,
                cols=90,
                rows=28,
            ),
        }
    for name, data in sessions.items():
        (OUT / f"{name}.bin").write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
