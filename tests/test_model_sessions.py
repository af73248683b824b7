"""crit.model.sessions without Textual: the markers, the state file ($XDG_STATE_HOME/crit/sessions.json: 0600,
atomic, tolerant) and the kill-on-close workflow — a lost session's marker is killed as soon as the runtime answers
again, at quit, and at the next start for markers an earlier crit left behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from types import SimpleNamespace

import grpc
import pytest

from crit.cri.errors import ConnectError, CriError, NotFound
from crit.model import sessions as S
from tests.waiting import wait_for

ENDPOINT = "unix:///run/test.sock"


class FakeClient:
    """ExecSync that fails while ``down`` (like a runtime that does not answer), records the calls."""

    def __init__(self, down: bool = False, gone: set[str] = frozenset()) -> None:
        self.down = down
        self.gone = set(gone)
        self.calls: list[tuple[str, list[str]]] = []
        self.refused: CriError | None = None
        self.found = True  # the kill script finds processes carrying the marker
        self.done: list[list[str]] = []  # calls the runtime ran

    async def exec_sync(self, container_id, cmd, timeout=0):
        self.calls.append((container_id, list(cmd)))
        if self.down:
            raise ConnectError("Cannot connect to the container runtime at unix:///run/test.sock.")
        if container_id in self.gone:
            raise NotFound(f"Container {container_id} not found.", code=grpc.StatusCode.NOT_FOUND)
        if self.refused is not None:
            raise self.refused
        self.done.append(list(cmd))
        return SimpleNamespace(stdout=b"17 18\n" if self.found else b"", stderr=b"", exit_code=0)

    def killed(self) -> list[str]:
        """Markers the kill script ran for (while the runtime answered)."""
        return [cmd[-1].split("=", 1)[1] for cmd in self.done if cmd[:3] == ["sh", "-c", S.KILL_SCRIPT]]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return S.MarkerStore()


def markers(store: S.MarkerStore) -> list[str]:
    return [e.marker for e in store.load()]


# ------------------------------------------------------------------------------------------ markers


def test_marked_commands_carry_the_token_and_the_kill_script_runs_in_sh():
    token = S.new_token()
    assert len(token) == 16 and all(c in "0123456789abcdef" for c in token)
    out = subprocess.run(S.marked(["sh", "-c", 'echo "$CRIT_SESSION"'], token), capture_output=True, text=True)
    assert out.stdout.strip() == token
    out = subprocess.run(S.marked_shell(token), input='echo "$CRIT_SESSION"\n', capture_output=True, text=True)
    assert out.stdout.strip() == token
    assert S.kill_argv(token) == ["sh", "-c", S.KILL_SCRIPT, "sh", f"CRIT_SESSION={token}"]


def test_the_kill_script_ends_only_the_processes_carrying_the_marker():
    mine, other = S.new_token(), S.new_token()
    procs = [subprocess.Popen(S.marked(["sleep", "60"], t), stdin=subprocess.DEVNULL) for t in (mine, mine, other)]
    try:
        out = subprocess.run(S.kill_argv(mine), check=True, timeout=20, capture_output=True, text=True).stdout
        assert sorted(map(int, out.split())) == sorted(p.pid for p in procs[:2])  # it names what it ends
        out = subprocess.run(S.kill_argv(S.new_token()), check=True, timeout=20, capture_output=True, text=True)
        assert out.stdout == ""  # nothing carried that one
        for p in procs[:2]:
            assert p.wait(10) != 0  # hung up
        assert procs[2].poll() is None
    finally:
        for p in procs:
            p.kill()
            p.wait()


# ------------------------------------------------------------------------------------------ state file


def test_state_file_follows_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "x"))
    assert S.state_file() == tmp_path / "x" / "crit" / "sessions.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert S.state_file() == tmp_path / "home" / ".local" / "state" / "crit" / "sessions.json"


def test_store_writes_0600_atomically_and_removes_entries(store):
    a = S.Leftover(ENDPOINT, "c1", S.new_token(), 1.5, "1:2/ab")
    b = S.Leftover(ENDPOINT, "c2", S.new_token(), 2.5)
    store.put(a)
    store.put(b)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    raw = json.loads(store.path.read_text())
    assert raw[0] == {"endpoint": ENDPOINT, "container_id": "c1", "marker": a.marker, "time": 1.5, "owner": "1:2/ab"}
    assert store.load() == [a, b]
    store.remove(a.marker)
    assert markers(store) == [b.marker]
    store.remove(b.marker)
    assert store.load() == []
    # no temp file left next to it
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["sessions.json", "sessions.json.lock"]


def test_store_survives_a_bad_file_and_rejects_markers_that_are_not_tokens(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json")
    assert store.load() == []
    good = S.new_token()
    store.path.write_text(
        json.dumps(
            [
                {"endpoint": ENDPOINT, "container_id": "c", "marker": "x; rm -rf /", "time": 1},
                {"endpoint": ENDPOINT, "container_id": "c"},
                "junk",
                {"endpoint": ENDPOINT, "container_id": "c", "marker": good, "time": 1},
            ]
        )
    )
    assert markers(store) == [good]


def test_an_unwritable_state_dir_costs_the_note_not_the_session(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = S.MarkerStore(blocker / "crit" / "sessions.json")  # its parent cannot be made
    store.put(S.Leftover(ENDPOINT, "c", S.new_token(), 1))
    assert store.load() == []


# ------------------------------------------------------------------------------------------ kill_marked


@pytest.mark.parametrize(
    "client, outcome",
    [
        (FakeClient(), S.KILLED),
        (FakeClient(down=True), S.UNREACHABLE),
        (FakeClient(gone={"c"}), S.GONE),
    ],
)
async def test_kill_marked_outcomes(client, outcome):
    assert await S.kill_marked(client, "c", S.new_token()) == outcome


async def test_kill_marked_says_when_no_process_carried_the_marker():
    client = FakeClient()
    client.found = False
    assert await S.kill_marked(client, "c", S.new_token()) == S.NONE


async def test_kill_marked_runtime_refusal_settles_but_a_dropped_call_does_not():
    client = FakeClient()
    client.refused = CriError("container is not running", code=grpc.StatusCode.FAILED_PRECONDITION)
    assert await S.kill_marked(client, "c", S.new_token()) == S.GONE
    client.refused = CriError("socket closed", code=grpc.StatusCode.UNAVAILABLE)
    assert await S.kill_marked(client, "c", S.new_token()) == S.UNREACHABLE


# ------------------------------------------------------------------------------------------ the workflow


async def test_a_session_is_noted_while_it_runs_and_forgotten_when_it_exits(store):
    janitor = S.SessionJanitor(FakeClient(), ENDPOINT, store)
    token = S.new_token()
    janitor.started("c1", token)
    [entry] = store.load()
    assert (entry.endpoint, entry.container_id, entry.marker, entry.owner) == (ENDPOINT, "c1", token, janitor.owner)
    janitor.exited(token)
    assert store.load() == []
    await janitor.shutdown()


async def test_a_lost_session_is_killed_as_soon_as_the_runtime_answers_again(store):
    client = FakeClient(down=True)
    janitor = S.SessionJanitor(client, ENDPOINT, store, retry=0.05)
    settled = []
    janitor.on_killed = lambda entry, outcome: settled.append((entry.marker, outcome))
    token = S.new_token()
    janitor.started("c1", token)
    janitor.lost("c1", token)
    await wait_for(lambda: len(client.calls) >= 3, 10, "a few tries while the runtime is down")
    assert client.killed() == [] and token in janitor.pending and markers(store) == [token]
    client.down = False
    await wait_for(lambda: not janitor.pending, 10, "the kill once the runtime answers")
    assert client.killed() == [token]
    assert settled == [(token, S.KILLED)]
    assert store.load() == []
    await janitor.shutdown()


async def test_end_now_or_pending_when_the_runtime_is_down(store):
    client = FakeClient()
    janitor = S.SessionJanitor(client, ENDPOINT, store, retry=60)
    t1, t2 = S.new_token(), S.new_token()
    janitor.started("c1", t1)
    janitor.started("gone", t2)
    client.gone.add("gone")
    assert await janitor.end("c1", t1) == S.KILLED
    assert await janitor.end("gone", t2) == S.GONE
    assert store.load() == [] and not janitor.pending
    client.down = True
    t3 = S.new_token()
    janitor.started("c1", t3)
    assert await janitor.end("c1", t3) == S.UNREACHABLE
    assert list(janitor.pending) == [t3] and markers(store) == [t3]
    await janitor.shutdown(timeout=1)


async def test_quit_while_the_runtime_is_down_then_the_next_start_kills_the_leftover(store):
    client = FakeClient(down=True)
    first = S.SessionJanitor(client, ENDPOINT, store, retry=60)
    token, running = S.new_token(), S.new_token()
    first.started("c1", token)
    first.lost("c1", token)
    first.started("c2", running)  # still running when crit quits; the UI ends it with end() — down as well
    assert await first.end("c2", running) == S.UNREACHABLE
    assert await first.shutdown(timeout=1) == 2
    assert sorted(markers(store)) == sorted([token, running])  # left for the next start

    # another crit on another endpoint takes nothing
    assert S.SessionJanitor(FakeClient(), "unix:///other.sock", store).sweep() == []
    client = FakeClient()
    second = S.SessionJanitor(client, ENDPOINT, store, retry=0.05)
    claimed = second.sweep()
    assert sorted(e.marker for e in claimed) == sorted([token, running])
    await wait_for(lambda: not second.pending, 10, "the leftovers killed at the next start")
    assert sorted(client.killed()) == sorted([token, running])
    assert store.load() == []
    await second.shutdown()


async def test_the_next_start_does_not_touch_sessions_of_a_crit_that_still_runs(store):
    """Two crits on one node: the second does not kill the first one's live sessions."""
    live = S.SessionJanitor(FakeClient(), ENDPOINT, store)
    token = S.new_token()
    live.started("c1", token)
    # an entry of another live process (our parent) and one of a process that is gone
    parent = S.Leftover(ENDPOINT, "c1", S.new_token(), 1, f"{S.process_identity(os.getppid())}/aa")
    dead_proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    dead = S.Leftover(ENDPOINT, "c1", S.new_token(), 1, f"{dead_proc}:1/bb")
    store.put(parent)
    store.put(dead)
    other = S.SessionJanitor(FakeClient(), ENDPOINT, store, retry=60)
    assert [e.marker for e in other.sweep()] == [dead.marker]
    await other.shutdown(timeout=1)
    await live.shutdown()


async def test_a_crit_that_ended_but_was_not_reaped_is_not_running(store):
    """A crit whose terminal went away ends after its tmux/ssh parent, is re-parented to init, and stays a zombie
    until init reaps it (this machine's init does not): its leftovers are claimed at the next start all the same."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    from tests.waiting import wait_for_sync

    def zombie() -> bool:
        try:
            with open(f"/proc/{child.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return False

    try:
        wait_for_sync(zombie, 10, "the child to end (a zombie: not reaped yet)")
        assert S.process_identity(child.pid) == ""  # a zombie is no running crit
        entry = S.Leftover(ENDPOINT, "c1", S.new_token(), 1, f"{child.pid}:1/zz")
        store.put(entry)
        other = S.SessionJanitor(FakeClient(), ENDPOINT, store, retry=60)
        assert [e.marker for e in other.sweep()] == [entry.marker]
        await other.shutdown(timeout=1)
    finally:
        child.wait()
    assert S.process_identity(os.getpid()).startswith(f"{os.getpid()}:")  # a running process still is one
