"""Events are collected from crit's start by the model (issue 10 D), and the header says "+ events" only once the
event stream is known to work (containerd 1.6 has none).

* A container stopped before `:events` is opened is in it: on the embedded node (GetContainerEvents), on the
  embedded node answering Unimplemented (changes seen between polls), and on the real containerd 1.6 test bed.
* The model holds the one subscription; the events view opens none of its own.
* The model never says "streaming" for a runtime whose stream fails with Unimplemented once read (as containerd
  1.6 does), and the header never shows "+ events" there; a stream that stays open is confirmed.
"""

from __future__ import annotations

import asyncio

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.model import NodeModel
from crit.model.events import MAX_EVENTS, Event, EventLog
from crit.options import Options
from crit.ui.app import CritApp
from crit.ui.events import EventsScreen
from crit.ui.header import NodeHeader
from tests.fixed_node import NOW, FixedNode, fixed_app, settled
from tests.test_ui_events import NoEventsClient, run_lifecycle
from tests.test_ui_logs import Opts, Workload, started
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(120)]


def kinds(events, cid: str) -> list[str]:
    return [e.kind for e in events if e.obj_id == cid]


async def _stopped_before_open(runtime, client_class, mode: str, prefix: str) -> None:
    async with Workload(runtime, prefix) as w:
        client = client_class(runtime.endpoint, timeout=10)
        app = CritApp(client, Opts(runtime.endpoint, refresh=0.3))
        try:
            async with app.run_test(size=(160, 40)) as pilot:
                await started(app, pilot)
                await wait_for(lambda: app.model.events.mode == mode, 10, f"events mode {mode}")
                cid = await run_lifecycle(w, "before")
                await w.client.stop_container(cid, timeout=1)
                await wait_for(
                    lambda: "stopped" in kinds(app.model.events.events, cid),
                    15,
                    "the model collected the stop while :events was closed",
                )
                assert isinstance(app.screen, type(app.main))  # no events view was open meanwhile

                app.run_command("events")
                await wait_for(lambda: isinstance(app.screen, EventsScreen), 5, "the events view")
                screen = app.screen
                await pilot.pause()
                assert kinds(screen.events, cid) == ["created", "started", "stopped"]
                await wait_for(lambda: "before" in screen_text(app), 5, "the history drawn")
                rows = [ln for ln in screen_text(app).splitlines() if "before" in ln]
                assert [r.split()[1] for r in rows] == ["CREATED", "STARTED", "STOPPED"], rows
                assert all(w.name in r for r in rows)
                # live after the history, from the same (model's) source
                await w.client.remove_container(cid)
                await wait_for(lambda: kinds(screen.events, cid)[-1:] == ["deleted"], 15, "the live deletion")
                await wait_for(lambda: "DELETED" in screen_text(app), 5, "the deletion drawn")
                listeners = app.model.events.listeners
                assert screen._on_event in listeners and len(listeners) == 1
                await pilot.press("escape")
                await wait_for(lambda: app.screen is app.main, 5, "back on the main screen")
                assert app.model.events.listeners == []
        finally:
            await client.close()


async def test_stopped_before_events_opened_streaming_node(node):
    await _stopped_before_open(node, CriClient, "stream", "evh")


async def test_stopped_before_events_opened_polled_node(node):
    await _stopped_before_open(node, NoEventsClient, "poll", "evhp")


@pytest.mark.containerd
async def test_stopped_before_events_opened_containerd(containerd):
    await _stopped_before_open(containerd, CriClient, "poll", "evhc")


class _CountingClient(CriClient):
    """Counts the GetContainerEvents subscriptions opened."""

    opened = 0

    def get_container_events(self):
        type(self).opened += 1
        return super().get_container_events()


async def test_the_events_view_opens_no_subscription_of_its_own(node):
    _CountingClient.opened = 0
    client = _CountingClient(node.endpoint, timeout=10)
    app = CritApp(client, Opts(node.endpoint, refresh=0.3))
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await started(app, pilot)
            await wait_for(lambda: app.model.events.mode == "stream", 10, "the model's stream")
            assert _CountingClient.opened == 1
            for _ in range(2):
                app.run_command("events")
                await wait_for(lambda: isinstance(app.screen, EventsScreen), 5, "the events view")
                await pilot.press("escape")
                await wait_for(lambda: app.screen is app.main, 5, "back on the main screen")
            assert _CountingClient.opened == 1
    finally:
        await client.close()


def test_event_log_is_a_bounded_ring_with_listeners():
    log = EventLog(maxlen=3)
    got: list = []
    log.subscribe(got.append)
    for i in range(5):
        log.add(Event(float(i), "created", "p", f"c{i}", f"id{i}"))
    assert [e.container for e in log.events] == ["c2", "c3", "c4"] and log.total == 5
    log.set_mode("poll", "Unimplemented")
    assert got[-1] is None and len(got) == 6
    log.unsubscribe(got.append)
    log.add(Event(9.0, "deleted", "p", "c9", "id9"))
    assert len(got) == 6
    assert EventLog().events.maxlen == MAX_EVENTS


# ------------------------------------------------------------------ "+ events" only when the stream works


class _LazyUnimplemented:
    """A runtime like containerd 1.6: lists answer, GetContainerEvents fails only once the stream is read."""

    def __init__(self, quiet_stream: bool = False) -> None:
        self.quiet_stream = quiet_stream

    async def version(self):
        return pb.VersionResponse(runtime_name="lazy", runtime_version="1.6", runtime_api_version="v1")

    async def status(self, verbose=False):
        return pb.StatusResponse(status=pb.RuntimeStatus())

    async def list_pod_sandbox(self, *a, **k):
        return []

    async def list_containers(self, *a, **k):
        return []

    async def list_images(self, *a, **k):
        return []

    async def get_container_events(self):
        await asyncio.sleep(0.05)  # the round trip before the runtime's answer
        if self.quiet_stream:
            await asyncio.Event().wait()  # open and quiet: no event, no error
        raise E.Unsupported("The runtime does not implement GetContainerEvents.")
        yield  # pragma: no cover - an async generator, like the real method


def _header_line(state) -> str:
    header = NodeHeader("unix:///run/containerd/containerd.sock")
    header.state = state
    return header.render_state(200).renderables[0].plain


async def _run_model(client, until) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    model = NodeModel(client, 0.1, on_state=lambda st: seen.append((st.events, _header_line(st))), fetch_details=False)
    task = asyncio.ensure_future(model.run())
    try:
        await wait_for(lambda: until(model), 10, "the model's event state")
        cycles = model.cycles
        await wait_for(lambda: model.cycles >= cycles + 3, 10, "three more refreshes")
    finally:
        await model.close()
        task.cancel()
    return seen


async def test_no_plus_events_while_the_stream_is_not_known_to_work():
    seen = await _run_model(_LazyUnimplemented(), lambda m: m.state.events == "not supported")
    assert seen and all(events != "streaming" for events, _ in seen), seen
    assert all("+ events" not in line for _, line in seen), seen
    assert seen[-1][0] == "not supported"


async def test_plus_events_once_the_stream_is_known_to_work():
    seen = await _run_model(_LazyUnimplemented(quiet_stream=True), lambda m: m.state.events == "streaming")
    first = next(i for i, (events, _) in enumerate(seen) if events == "streaming")
    assert first > 0 and all(events == "unknown" for events, _ in seen[:first])  # not at once
    assert "+ events" in seen[-1][1] and "(every 100ms + events)" in seen[-1][1]


@pytest.mark.containerd
async def test_containerd_16_never_shows_plus_events(containerd):
    client = CriClient(containerd.endpoint, timeout=10)
    try:
        version = await client.version()
        if not version.runtime_version.startswith("1.6"):
            pytest.skip(f"containerd {version.runtime_version} streams events")
        seen = await _run_model(client, lambda m: m.state.events == "not supported")
    finally:
        await client.close()
    assert all(events != "streaming" and "+ events" not in line for events, line in seen), seen


# ------------------------------------------------------------------ the view, as drawn


async def _events_with_history(pilot) -> None:
    app = pilot.app
    await settled(pilot)
    await wait_for(lambda: app.model.events.mode == "poll", 10, "the fixed node has no event stream")
    log = app.model.events
    log.add(Event(NOW - 12.5, "created", "web-7c9d8f6b5-abcde", "nginx", "c" * 64, "attempt 0", "poll"))
    log.add(Event(NOW - 12.0, "started", "web-7c9d8f6b5-abcde", "nginx", "c" * 64, "attempt 0", "poll"))
    log.add(Event(NOW - 10.0, "stopped", "[bold red]x[/]", "evil\x1bname", "d" * 64, "exit code 1", "poll"))
    app.open_view(EventsScreen(app))  # (the frozen fixture keeps :commands out of the picture)
    await wait_for(
        lambda: isinstance(app.screen, EventsScreen) and "STOPPED" in screen_text(app),
        5,
        "the events view with its history",
    )
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_snap_events_view_shows_history(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=_events_with_history)


# ------------------------------------------------------------------ the header, as drawn


class _GatedEventsNode(FixedNode):
    """The fixed node with a GetContainerEvents that is open (no event, no error) until ``gate`` is set, then
    answers Unimplemented — containerd 1.6 in slow motion."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = asyncio.Event()
        self.gate = asyncio.Event()

    async def get_container_events(self):
        self.opened.set()
        await self.gate.wait()
        raise E.Unsupported("The runtime does not implement GetContainerEvents.")
        yield  # pragma: no cover - an async generator, like the real method


def _SlowOpts() -> Options:
    # no second refresh during the test: only the stream's own answer can change the header
    return Options(refresh=30.0, theme="crit-dark", runtime_endpoint="unix:///run/containerd/containerd.sock")


def _header(app) -> str:
    return "\n".join(screen_text(app).splitlines()[:2])


async def _stream_open_not_answered(pilot) -> None:
    await settled(pilot)
    node = pilot.app.client
    await wait_for(node.opened.is_set, 10, "the event stream opened")
    await pilot.pause()
    await wait_for(lambda: "updated" in _header(pilot.app), 5, "the header drawn")


async def test_header_has_no_plus_events_before_the_stream_answers(frozen):
    app = fixed_app(_GatedEventsNode(), _SlowOpts())
    async with app.run_test(size=(160, 48)) as pilot:
        await _stream_open_not_answered(pilot)
        assert "(every 30s)" in _header(app) and "+ events" not in _header(app), _header(app)
        app.client.gate.set()  # the runtime's answer: Unimplemented
        await wait_for(lambda: app.model.state.events == "not supported", 5, "the answer")
        await pilot.pause()
        assert "(every 30s)" in _header(app) and "+ events" not in _header(app), _header(app)
        assert app.model.events.mode == "poll"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_snap_header_while_the_event_stream_is_unanswered(frozen, snap_compare, size):
    assert snap_compare(
        fixed_app(_GatedEventsNode(), _SlowOpts()), terminal_size=size, run_before=_stream_open_not_answered
    )
