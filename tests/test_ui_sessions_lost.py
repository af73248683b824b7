"""The session manager tells a lost exec connection (no exit status: the processes may still run, the janitor ends
them once the runtime answers) from an ended one (an exit status, or a failure status: the runtime answered), and
notes a running session's marker in the state file (issue 10 C11).  A fake stream on the fixed node."""

from __future__ import annotations

from crit.model.sessions import KILL_SCRIPT, MarkerStore
from crit.ui.terminal.actions import Marker, sessions_of
from tests.fixed_node import Opts, fixed_app, settled
from tests.test_snap_terminal import ScriptedStream
from tests.ui_helpers import notifications
from tests.waiting import wait_for


class Runtime:
    """ExecSync of the fixed node: down until ``up`` is set; the kill script reports one process ended."""

    def __init__(self, app) -> None:
        self.up = False
        self.kills: list[str] = []
        app.client.exec_sync = self.exec_sync

    async def exec_sync(self, container_id, cmd, timeout=0):
        from crit.cri.errors import ConnectError
        from crit.cri.pb import api_pb2 as pb

        if not self.up:
            raise ConnectError("Cannot connect to the container runtime.")
        if cmd[:3] == ["sh", "-c", KILL_SCRIPT]:
            self.kills.append(cmd[-1])
        return pb.ExecSyncResponse(stdout=b"42\n", exit_code=0)


async def open_session(app, stream: ScriptedStream) -> tuple[object, Marker]:
    marker = Marker()

    async def factory():
        marker.active = True
        return stream

    session = sessions_of(app).open(
        factory,
        kind="shell",
        container_id="c" * 64,
        container="nginx",
        pod="web-7c9d8f6b5-abcde",
        command="shell",
        marker=marker,
    )
    await wait_for(lambda: session.view.connected.is_set(), 10, "the session")
    await wait_for(
        lambda: [e.marker for e in MarkerStore().load()] == [marker.token], 10, "the marker noted in the state file"
    )
    return session, marker


async def test_a_lost_connection_is_ended_once_the_runtime_answers_an_exit_is_forgotten(frozen):
    app = fixed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        runtime = Runtime(app)
        manager = sessions_of(app)
        manager.janitor.retry = 0.05

        # an exit status: nothing to end, the note goes
        stream = ScriptedStream([], 0)
        stream.status = {"status": "Success"}
        stream.go.set()
        session, marker = await open_session(app, stream)
        stream.release.set()
        await wait_for(lambda: session.view.ended, 10, "the exit")
        await wait_for(lambda: MarkerStore().load() == [], 10, "the note removed")
        assert not session.lost and not manager.janitor.pending
        await pilot.press("space")
        await wait_for(lambda: app.screen is app.main, 10, "back to the panels")

        # a failure status is an answer too
        stream = ScriptedStream([], None)
        stream.status = {"status": "Failure", "message": "exec failed"}
        stream.go.set()
        session, marker = await open_session(app, stream)
        stream.release.set()
        await wait_for(lambda: session.view.ended, 10, "the failure")
        await wait_for(lambda: MarkerStore().load() == [], 10, "the note removed")
        assert not session.lost
        await pilot.press("space")
        await wait_for(lambda: app.screen is app.main, 10, "back to the panels")

        # no status at all: lost — kept, retried while the runtime is down, ended once it answers
        stream = ScriptedStream([], None)
        stream.status = None
        stream.go.set()
        session, marker = await open_session(app, stream)
        stream.release.set()
        await wait_for(lambda: session.view.ended, 10, "the loss")
        assert session.lost and marker.token in manager.janitor.pending
        assert [e.marker for e in MarkerStore().load()] == [marker.token] and runtime.kills == []
        runtime.up = True
        await wait_for(lambda: not manager.janitor.pending, 10, "the kill once the runtime answers")
        assert runtime.kills == [f"CRIT_SESSION={marker.token}"]
        assert MarkerStore().load() == []
        await wait_for(
            lambda: (
                "Ended the processes of an exec session in nginx whose connection had been lost." in notifications(app)
            ),
            10,
            "the notification",
        )


async def test_the_start_ends_what_an_earlier_crit_left_and_readonly_leaves_it(frozen):
    from crit.model.sessions import Leftover, new_token

    token, other = new_token(), new_token()
    # entries nobody owns any more (an earlier crit that is gone)
    MarkerStore().put(Leftover(Opts().runtime_endpoint, "c" * 64, token, 1.0, ""))
    MarkerStore().put(Leftover("unix:///elsewhere.sock", "c" * 64, other, 1.0, ""))  # another runtime's

    app = fixed_app(opts=Opts(readonly=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
    # read-only: nothing is run in containers
    assert [e.marker for e in MarkerStore().load()] == [token, other]

    app = fixed_app()
    runtime = Runtime(app)
    runtime.up = True
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await wait_for(lambda: runtime.kills == [f"CRIT_SESSION={token}"], 10, "the leftover ended at start")
        # (the fixed node names the container nginx)
        await wait_for(
            lambda: (
                "Ended the processes of an exec session in nginx that an earlier crit left running."
                in notifications(app)
            ),
            10,
            "the notification",
        )
    assert [e.marker for e in MarkerStore().load()] == [other]  # left for a crit on that runtime
