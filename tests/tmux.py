"""Run the real ``crit`` in tmux, type into it and read its screen — the way a person at a terminal would.

    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait_text("Pods")                 # what is on the screen, not what the app's state says
        t.keys("/", "redis")                 # tmux send-keys: each argument is a key name or literal text
        assert "redis" in t.screen()
        t.keys("Escape")

Each instance has its own tmux server (private socket under a temp dir): nothing is shared with the user's tmux.
The process runs ``sys.executable -m crit ARGS`` with this checkout's ``crit``; ``env`` adds variables (HOME and
XDG_* default to private temp dirs, so no user state is read or written).  ``close()`` (or leaving the ``with``)
kills the tmux server and with it crit.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.waiting import wait_for_sync

__all__ = ["TmuxCrit", "tmux_missing"]

ROOT = Path(__file__).resolve().parent.parent


def tmux_missing() -> list[str]:
    return [] if shutil.which("tmux") else ["tmux (Debian package tmux)"]


class TmuxCrit:
    def __init__(
        self,
        args: list[str],
        size: tuple[int, int] = (80, 24),
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="crit-tmux-"))
        self.socket = str(self.dir / "tmux.sock")
        self.width, self.height = size
        home = self.dir / "home"
        home.mkdir()
        environ = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "XDG_RUNTIME_DIR": str(self.dir / "run"),
            "PYTHONPATH": str(ROOT),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "C.UTF-8",
        }
        (self.dir / "run").mkdir(mode=0o700)
        environ.update(env or {})
        self.env = environ
        argv = command if command is not None else [sys.executable, "-m", "crit", *args]
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environ.items())
        # `exec` so the pane's process is crit itself; remain-on-exit keeps its last screen and status readable
        shell_cmd = (
            f"cd {shlex.quote(str(cwd or self.dir))} && exec env -u COLUMNS -u LINES {exports} {shlex.join(argv)}"
        )
        self._tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "crit",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "sh",
            "-c",
            shell_cmd,
        )
        self._tmux("set-option", "-s", "escape-time", "0")  # else Escape then q arrives as alt+q
        self._tmux("set-option", "-t", "crit", "remain-on-exit", "on")
        self._tmux("set-option", "-t", "crit", "status", "off")
        self._tmux("resize-window", "-t", "crit", "-x", str(self.width), "-y", str(self.height))

    # ------------------------------------------------------------------ tmux

    def _tmux(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=20)
        if check and proc.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:2])} failed: {proc.stderr.strip()}")
        return proc.stdout

    def keys(self, *keys: str) -> None:
        """Each argument: a tmux key name (``Enter``, ``Escape``, ``C-d``, ``Tab``) or, when it is more than one
        character and not a key name, literal text typed key by key."""
        for key in keys:
            if len(key) > 1 and not _is_key_name(key):
                self._tmux("send-keys", "-t", "crit", "-l", key)
            else:
                self._tmux("send-keys", "-t", "crit", key)

    def keys_together(self, *keys: str) -> None:
        """Key names (``3``, ``C-d``, ``Escape``, ``q``) sent in ONE send-keys: they reach crit together, as a fast
        typist's keys do."""
        self._tmux("send-keys", "-t", "crit", *keys)

    def screen(self) -> str:
        """The visible pane as plain text, one line per row (trailing spaces kept off)."""
        return self._tmux("capture-pane", "-p", "-t", "crit")

    def lines(self) -> list[str]:
        return self.screen().split("\n")[: self.height]

    def wait_text(self, text: str, timeout: float = 20.0) -> str:
        """Wait until ``text`` is on the screen; returns the screen."""
        wait_for_sync(lambda: text in self.screen(), timeout, what=f"{text!r} on the screen:\n{self._last()}")
        return self.screen()

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        wait_for_sync(lambda: text not in self.screen(), timeout, what=f"{text!r} to leave the screen:\n{self._last()}")
        return self.screen()

    def wait(self, predicate, timeout: float = 20.0, what: str = "the screen") -> str:
        wait_for_sync(lambda: predicate(self.screen()), timeout, what=f"{what}:\n{self._last()}")
        return self.screen()

    def _last(self) -> str:
        try:
            return self.screen()
        except Exception as exc:
            return f"(no screen: {exc})"

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "crit", "#{pane_pid}").strip())

    def dead(self) -> bool:
        """True once crit has exited (the pane stays, remain-on-exit)."""
        return self._tmux("display-message", "-p", "-t", "crit", "#{pane_dead}").strip() == "1"

    def exit_status(self) -> int | None:
        out = self._tmux("display-message", "-p", "-t", "crit", "#{pane_dead_status}").strip()
        return int(out) if out else None

    def close(self) -> None:
        self._tmux("kill-server", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TmuxCrit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_KEY_NAMES = {
    "Enter",
    "Escape",
    "Tab",
    "BTab",
    "Space",
    "BSpace",
    "Up",
    "Down",
    "Left",
    "Right",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "PPage",
    "NPage",
    "DC",
    "IC",
}


def _is_key_name(key: str) -> bool:
    return key in _KEY_NAMES or key.startswith(("C-", "M-", "S-")) or (key.startswith("F") and key[1:].isdigit())
