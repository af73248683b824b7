"""Exec sessions never leak: session markers and the kill-on-close workflow (no Textual, no gRPC).

Closing an exec stream does not end the process on containerd 1.6 (with a TTY the process keeps its terminal and
gets no hangup), and neither does losing the connection (containerd restarted, the network dropped).  So every
exec session crit opens carries a marker in its environment, ``CRIT_SESSION=<token>``, inherited by whatever it
starts; ending a session hangs up every process carrying the marker through ExecSync (:data:`KILL_SCRIPT`), then
kills what is left.

:class:`SessionJanitor` does that for one runtime endpoint:

* :meth:`~SessionJanitor.started` — a session runs with its marker: the marker is written to the state file
  (so that a crit that dies or quits while the runtime is down leaves a note for the next start);
* :meth:`~SessionJanitor.exited` — the process ended and said so (an exit status): the marker is forgotten;
* :meth:`~SessionJanitor.end` — end the processes now (``x`` in :sessions, quitting); when the runtime does not
  answer, the marker stays pending;
* :meth:`~SessionJanitor.lost` — the connection was lost without an exit status: the processes may still run;
  the marker is pending, and a retry task kills them as soon as the runtime answers again;
* :meth:`~SessionJanitor.sweep` — at start: markers left in the state file by an earlier crit (whose process is
  gone) for this endpoint become pending too;
* :meth:`~SessionJanitor.shutdown` — at quit: one last try for everything pending; what the runtime did not take
  stays in the state file for the next start.

Also here, what a session is apart from its screen: its :class:`SessionKind` (a shell, a command, an attach), its
:class:`Marker`, the command line a user types split like a shell does (:func:`parse_command`), whether the
container has sh to carry the marker (:func:`has_sh`), and whether attaching makes sense (:func:`attach_blocker`).

The state file, :func:`state_file` (``$XDG_STATE_HOME/crit/sessions.json``, default
``~/.local/state/crit/sessions.json``), is a JSON list of entries — runtime endpoint, container id, marker, time
(and the owning crit process) — written atomically (a temp file renamed over it) with mode 0600, under a lock
file so that two crits on one machine do not lose each other's entries.  An entry is removed once its processes
were killed or its container is gone.  A file that cannot be read or written costs the note, never the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crit.cri.errors import ConnectError, CriError, DeadlineExceeded, NotFound
from crit.errors import CritError
from crit.model.statedir import state_path, write_private

log = logging.getLogger(__name__)

__all__ = [
    "SessionKind",
    "Marker",
    "BadCommand",
    "parse_command",
    "has_sh",
    "attach_blocker",
    "MARK_ENV",
    "SHELL_SCRIPT",
    "KILL_SCRIPT",
    "new_token",
    "marked",
    "marked_shell",
    "kill_argv",
    "Leftover",
    "MarkerStore",
    "SessionJanitor",
    "kill_marked",
    "state_file",
    "process_identity",
    "KILLED",
    "NONE",
    "GONE",
    "UNREACHABLE",
]

MARK_ENV = "CRIT_SESSION"
#: like k9s: bash when the image has it, sh otherwise
SHELL_SCRIPT = "command -v bash >/dev/null 2>&1 && exec bash || exec sh"
#: run as ``sh -c KILL_SCRIPT sh CRIT_SESSION=<token>``: hang up every process whose environment holds the
#: marker, then kill what is left (the marker is hex: never a pattern character)
KILL_SCRIPT = r"""t="$1"; pids=""
for d in /proc/[0-9]*; do
  grep -q "$t" "$d/environ" 2>/dev/null && pids="$pids ${d#/proc/}"
done
[ -z "$pids" ] && exit 0
echo $pids
kill -HUP $pids 2>/dev/null
sleep 0.3 2>/dev/null || sleep 1
for p in $pids; do [ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null; done
exit 0"""

#: outcomes of :func:`kill_marked`
KILLED = "killed"  # the runtime ran the kill script and it ended processes: nothing carries the marker any more
NONE = "none"  # the runtime ran the kill script and no process carried the marker
GONE = "gone"  # the container is gone (or cannot run anything): nothing left to end
UNREACHABLE = "unreachable"  # the runtime did not answer: try again later


class SessionKind(StrEnum):
    """What a terminal session runs: a shell, a command the user typed, or an attach to the main process."""

    SHELL = "shell"
    EXEC = "exec"
    ATTACH = "attach"


def new_token() -> str:
    return secrets.token_hex(8)


class Marker:
    """The marker of one exec session; ``active`` once the session really runs with it."""

    def __init__(self) -> None:
        self.token = new_token()
        self.active = False


def marked(argv: list[str], token: str) -> list[str]:
    """``argv`` run through sh with ``CRIT_SESSION=token`` in its environment (the token is hex: safe inline)."""
    return ["sh", "-c", f'{MARK_ENV}={token}; export {MARK_ENV}; exec "$@"', "sh", *argv]


def marked_shell(token: str) -> list[str]:
    return ["sh", "-c", f"{MARK_ENV}={token}; export {MARK_ENV}; {SHELL_SCRIPT}"]


def kill_argv(token: str) -> list[str]:
    return ["sh", "-c", KILL_SCRIPT, "sh", f"{MARK_ENV}={token}"]


async def kill_marked(client: Any, container_id: str, token: str, timeout: float = 5.0) -> str:
    """End every process carrying ``token`` in the container (ExecSync); :data:`KILLED`, :data:`NONE`,
    :data:`GONE` or :data:`UNREACHABLE`."""
    try:
        resp = await asyncio.wait_for(
            client.exec_sync(container_id, kill_argv(token), timeout=max(1, int(timeout))), timeout + 2
        )
    except NotFound:
        return GONE
    except (TimeoutError, ConnectError, DeadlineExceeded, OSError):
        return UNREACHABLE
    except CriError as exc:
        # the runtime answered and refused (the container stopped, no sh in it): nothing more can be done —
        # unless it is the connection that failed
        name = getattr(getattr(exc, "code", None), "name", None)
        if name in (None, "UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"):
            return UNREACHABLE
        log.info("ending the processes of %s in %s: %s", token, container_id, exc)
        return GONE
    except Exception as exc:  # noqa: BLE001 - a client failing some other way: try again later
        log.info("ending the processes of %s in %s: %r", token, container_id, exc)
        return UNREACHABLE
    return KILLED if (getattr(resp, "stdout", b"") or b"").strip() else NONE  # the script names what it ended


async def has_sh(client: Any, container_id: str) -> bool:
    """Whether the container runs ``sh`` (ExecSync), so a command can carry its marker; no answer counts as no."""
    try:
        return bool((await client.exec_sync(container_id, ["sh", "-c", "exit 0"], timeout=5)).exit_code == 0)
    except Exception:  # noqa: BLE001 - no sh (or no answer, whatever the failure): run the command as it is
        return False


# ---------------------------------------------------------------------------------------------- commands, attach


class BadCommand(CritError):
    """A command line that cannot be run; ``str()`` says why in one sentence."""


def parse_command(text: str) -> list[str]:
    """Split a command line like a shell; a bad one raises :class:`BadCommand` with one sentence."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        reason = str(exc).lower()
        if "quotation" in reason:
            raise BadCommand("The command has a quote that is never closed; close it or escape it with \\.") from None
        if "escape" in reason:
            raise BadCommand("The command ends with a lone backslash; remove it or escape it as \\\\.") from None
        raise BadCommand(f"The command cannot be split into words: {reason}.") from None
    if not argv:
        raise BadCommand("Type a command to run (for example: top, or sh -c 'ls /'), or press escape.")
    return argv


def attach_blocker(info: dict[str, str], name: str) -> tuple[str | None, bool]:
    """From a verbose ContainerStatus ``info``: (why attaching makes no sense or None, whether that is known).

    containerd (and the embedded node) put the creation config in ``info["info"]`` as JSON: ``config.tty`` and
    ``config.stdin`` (Go's encoding/json omits false fields), with ``runtimeSpec.process.terminal`` as a second
    source for the tty.
    """
    raw = info.get("info", "") if info else ""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        return None, False
    cfg = data["config"]
    tty = bool(cfg.get("tty"))
    if not tty:
        spec = data.get("runtimeSpec")
        proc = spec.get("process") if isinstance(spec, dict) else None
        tty = isinstance(proc, dict) and bool(proc.get("terminal"))
    stdin = bool(cfg.get("stdin"))
    alt = "l shows its log and s opens a shell in it"
    if not tty and not stdin:
        return (
            f"Container {name} was created without stdin and tty, so its main process has no terminal to "
            f"attach to; {alt}."
        ), True
    if not tty:
        return (
            f"Container {name} was created without a tty, so its main process has no terminal to attach to; {alt}."
        ), True
    if not stdin:
        return (
            f"Container {name} was created without stdin, so nothing typed would reach its main process; {alt}."
        ), True
    return None, True


# ---------------------------------------------------------------------------------------------- state file


def state_file() -> Path:
    """``$XDG_STATE_HOME/crit/sessions.json`` (``~/.local/state/crit/sessions.json`` when unset)."""
    return state_path("sessions.json")


def process_identity(pid: int | None = None) -> str:
    """``PID:STARTTIME`` of a live process (robust against pid reuse), ``""`` when there is none."""
    pid = os.getpid() if pid is None else pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return ""  # a zombie has ended: its parent (init, once crit's terminal is gone) has not reaped it yet
        return f"{pid}:{fields[19]}"
    except (OSError, IndexError):
        pass
    try:  # no /proc: the pid alone
        os.kill(pid, 0)
    except PermissionError:
        return str(pid)
    except OSError:
        return ""
    return str(pid)


#: owners (see :meth:`SessionJanitor.__init__`) of the janitors of this process that have not shut down
_LIVE: set[str] = set()


def _alive(owner: str) -> bool:
    """Whether the crit owning an entry still runs: its process lives (and, for this process, its janitor has
    not shut down — tests run several apps one after the other in one process)."""
    proc = owner.split("/", 1)[0]
    head = proc.split(":", 1)[0]
    if not head.isdigit():
        return False
    if int(head) == os.getpid():
        return owner in _LIVE
    return process_identity(int(head)) == proc


@dataclass
class Leftover:
    """A marker whose processes may still run: ``time`` is when it was written (Unix time), ``owner`` names the
    crit that runs the session (``PID:STARTTIME/NONCE``, see :func:`process_identity`)."""

    endpoint: str
    container_id: str
    marker: str
    time: float
    owner: str = ""

    @classmethod
    def parse(cls, raw: Any) -> Leftover | None:
        if not isinstance(raw, dict):
            return None
        try:
            entry = cls(
                str(raw["endpoint"]),
                str(raw["container_id"]),
                str(raw["marker"]),
                float(raw["time"]),
                str(raw.get("owner", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None
        # the marker goes into a shell argument: only what new_token makes
        if not entry.marker or not all(c in "0123456789abcdef" for c in entry.marker):
            return None
        return entry


class MarkerStore:
    """The state file (see the module docstring); every change is read-modify-write under a lock."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else state_file()

    def load(self) -> list[Leftover]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        entries = [Leftover.parse(item) for item in raw] if isinstance(raw, list) else []
        return [e for e in entries if e is not None]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            except (ImportError, OSError):  # pragma: no cover - no flock: last writer wins
                pass
            yield
        finally:
            os.close(fd)

    def _write(self, entries: list[Leftover]) -> None:
        write_private(self.path, json.dumps([asdict(e) for e in entries], indent=1))

    def update(self, change: Callable[[list[Leftover]], list[Leftover]]) -> list[Leftover] | None:
        """Apply ``change`` to the entries and write the result; the new entries, or None when the file could
        not be written (logged)."""
        try:
            with self._locked():
                entries = self.load()
                new = change(list(entries))
                if new != entries:
                    if new or self.path.exists():
                        self._write(new)
                return new
        except OSError as exc:
            log.warning("crit could not update its session state file %s: %s", self.path, exc)
            return None

    def put(self, entry: Leftover) -> None:
        self.update(lambda es: [e for e in es if e.marker != entry.marker] + [entry])

    def remove(self, marker: str) -> None:
        self.update(lambda es: [e for e in es if e.marker != marker])

    def claim(self, endpoint: str, owner: str) -> list[Leftover]:
        """The entries of ``endpoint`` whose owner is gone, now owned by ``owner`` (an earlier crit's leftovers)."""
        claimed: list[Leftover] = []

        def change(entries: list[Leftover]) -> list[Leftover]:
            claimed.clear()
            for e in entries:
                if e.endpoint == endpoint and e.owner != owner and not _alive(e.owner):
                    e.owner = owner
                    claimed.append(e)
            return entries

        # the owner changes, so the list differs from what was read: compare on a copy
        if self.update(lambda es: change([Leftover(**asdict(e)) for e in es])) is None:
            return []
        return claimed


# ---------------------------------------------------------------------------------------------- the workflow


class SessionJanitor:
    """Ends the processes of crit's exec sessions on one runtime endpoint, even across a lost connection, a
    runtime restart or a restart of crit (see the module docstring).  ``on_killed(entry, outcome)`` is called
    for each pending entry that got settled (from the retry task, the sweep or :meth:`shutdown`)."""

    def __init__(
        self,
        client: Any,
        endpoint: str,
        store: MarkerStore | None = None,
        *,
        retry: float = 1.0,
        on_killed: Callable[[Leftover, str], Any] | None = None,
    ) -> None:
        self.client = client
        self.endpoint = str(endpoint)
        self.store = store if store is not None else MarkerStore()
        self.retry = retry
        self.on_killed = on_killed
        self.owner = f"{process_identity()}/{secrets.token_hex(4)}"
        _LIVE.add(self.owner)
        self.pending: dict[str, Leftover] = {}
        self.adopted: set[str] = set()  # markers an earlier crit left (see sweep)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def _entry(self, container_id: str, token: str) -> Leftover:
        return Leftover(self.endpoint, container_id, token, time.time(), self.owner)

    def started(self, container_id: str, token: str) -> None:
        self.store.put(self._entry(container_id, token))

    def exited(self, token: str) -> None:
        if token not in self.pending:
            self.store.remove(token)

    def lost(self, container_id: str, token: str) -> None:
        """The connection ended without an exit status: end the processes as soon as the runtime answers."""
        entry = self._entry(container_id, token)
        self.pending[token] = entry
        self.store.put(entry)
        self._kick()

    async def end(self, container_id: str, token: str, timeout: float = 5.0) -> str:
        """End the processes now; when the runtime does not answer, the marker stays pending."""
        outcome = await kill_marked(self.client, container_id, token, timeout)
        if outcome == UNREACHABLE:
            self.lost(container_id, token)
        else:
            self.pending.pop(token, None)
            self.store.remove(token)
        return outcome

    def sweep(self) -> list[Leftover]:
        """Adopt the markers an earlier crit left for this endpoint (its process is gone); they are ended as soon
        as the runtime answers.  Returns them."""
        claimed = self.store.claim(self.endpoint, self.owner)
        for entry in claimed:
            self.pending[entry.marker] = entry
            self.adopted.add(entry.marker)
        if claimed:
            self._kick()
        return claimed

    def _kick(self) -> None:
        self._wake.set()
        if self._task is None or self._task.done():
            try:
                self._task = asyncio.get_running_loop().create_task(self._retry_loop(), name="crit-session-janitor")
            except RuntimeError:  # no loop (a synchronous caller): shutdown() or the next start does it
                self._task = None

    async def settle(self, timeout: float = 5.0) -> int:
        """One try for every pending marker; the number still pending."""
        entries = list(self.pending.values())
        outcomes = await asyncio.gather(
            *(kill_marked(self.client, e.container_id, e.marker, timeout) for e in entries), return_exceptions=True
        )
        for entry, outcome in zip(entries, outcomes):
            if outcome in (KILLED, NONE, GONE):
                self.pending.pop(entry.marker, None)
                self.store.remove(entry.marker)
                log.info("ended the leftover session %s in %s (%s)", entry.marker, entry.container_id, outcome)
                if self.on_killed is not None:
                    try:
                        self.on_killed(entry, outcome)
                    except Exception:
                        log.exception("on_killed")
        return len(self.pending)

    async def _retry_loop(self) -> None:
        while self.pending:
            self._wake.clear()
            if await self.settle() == 0:
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.retry)

    async def shutdown(self, timeout: float = 3.0) -> int:
        """Crit is quitting: stop retrying, one last try for what is pending (what stays is in the state file for
        the next start).  Returns the number left."""
        _LIVE.discard(self.owner)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if not self.pending:
            return 0
        try:
            return await asyncio.wait_for(self.settle(timeout), timeout + 2)
        except TimeoutError:
            return len(self.pending)
