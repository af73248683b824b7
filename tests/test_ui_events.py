"""Pilot tests of `:events` against the embedded CRI node: the live GetContainerEvents timeline, and the polling
fallback when the runtime answers Unimplemented (as containerd 1.6 does)."""

from __future__ import annotations

import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient
from crit.cri.pb import api_pb2 as pb
from crit.ui.app import CritApp
from crit.ui.events import EventsScreen
from tests.test_ui_logs import Opts, Workload, started, wait_for
from tests.ui_helpers import screen_text

pytestmark = [pytest.mark.timeout(120)]


def seen(screen: EventsScreen, container: str) -> list[str]:
    return [e.kind for e in screen.events if e.container == container]


async def run_lifecycle(w: Workload, name: str) -> str:
    cid = await w.container(name, "sleep 30", start=False)
    await w.client.start_container(cid)
    await w.wait_state(cid, pb.CONTAINER_RUNNING)
    return cid


async def test_events_live_from_get_container_events(node):
    async with Workload(node, "ev") as w:
        client = CriClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint))
        async with app.run_test(size=(160, 40)) as pilot:
            await started(app, pilot)
            await pilot.press("colon", *"events", "enter")
            await wait_for(lambda: isinstance(app.screen, EventsScreen) and app.screen.mode == "stream", 5)
            screen = app.screen
            assert "Live from GetContainerEvents" in screen_text(app)
            cid = await run_lifecycle(w, "lifecycle")
            await wait_for(lambda: seen(screen, "lifecycle")[:2] == ["created", "started"], 10)
            await w.client.stop_container(cid, timeout=1)
            await w.client.remove_container(cid)
            await wait_for(lambda: seen(screen, "lifecycle") == ["created", "started", "stopped", "deleted"], 10)
            ev = [e for e in screen.events if e.container == "lifecycle"]
            assert all(e.pod == w.name and e.obj_id == cid and e.source == "stream" for e in ev)
            await pilot.pause()
            text = screen_text(app)
            for word in ("CREATED", "STARTED", "STOPPED", "DELETED"):
                assert word in text
            assert w.name in text and "lifecycle" in text and "(polled)" not in text
            # the pod sandbox's own events: its removal carries no status any more, the name is remembered
            pod_id = w.pod_id
            await w.client.stop_pod_sandbox(pod_id)
            await w.client.remove_pod_sandbox(pod_id)
            w.pod_id = ""
            await wait_for(lambda: any(e.kind == "deleted" and e.obj_id == pod_id for e in screen.events), 10)
            gone = [e for e in screen.events if e.obj_id == pod_id and e.kind == "deleted"][-1]
            assert gone.pod == w.name and gone.container == "" and gone.detail == "pod sandbox"
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.main
        await client.close()


class NoEventsClient(CriClient):
    """Like containerd 1.6: GetContainerEvents is Unimplemented."""

    async def get_container_events(self):
        raise E.Unsupported("The runtime does not implement GetContainerEvents.")
        yield  # pragma: no cover - an async generator, like the real method


async def test_events_fallback_to_polled_transitions(node):
    async with Workload(node, "evpoll") as w:
        client = NoEventsClient(node.endpoint, timeout=10)
        app = CritApp(client, Opts(node.endpoint, refresh=0.3))
        async with app.run_test(size=(180, 40)) as pilot:
            await started(app, pilot)
            app.run_command("events")
            await wait_for(lambda: isinstance(app.screen, EventsScreen) and app.screen.mode == "poll", 5)
            screen = app.screen
            await pilot.pause()
            text = screen_text(app)
            assert "does not stream container events" in text and "Unimplemented" in text
            assert "between two list polls" in text
            cid = await run_lifecycle(w, "polled")
            await wait_for(lambda: seen(screen, "polled")[:2] == ["created", "started"], 10)
            await w.client.stop_container(cid, timeout=1)
            await wait_for(lambda: "stopped" in seen(screen, "polled"), 10)
            await w.client.remove_container(cid)
            await wait_for(lambda: seen(screen, "polled") == ["created", "started", "stopped", "deleted"], 10)
            ev = [e for e in screen.events if e.container == "polled"]
            assert all(e.pod == w.name and e.obj_id == cid and e.source == "poll" for e in ev)
            # the pod's own lifecycle is detected too
            await w.client.stop_pod_sandbox(w.pod_id)
            await wait_for(lambda: any(e.kind == "stopped" and e.obj_id == w.pod_id for e in screen.events), 10)
            await pilot.pause()
            assert "(polled)" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert screen._on_event not in app.model.events.listeners  # the listener goes with the screen
        await client.close()
