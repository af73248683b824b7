"""Panels polish a tester saw in the real crit --demo (issue 10 D): the IMAGE column at 80 columns, panels of a
runtime never reached, empty panels' column widths. Snapshots at 80x24 and 160x48 plus screen-text checks that
say what each picture must show."""

from __future__ import annotations

import pytest

from crit.cri.errors import CriError
from crit.cri.pb import api_pb2 as pb
from tests.fixed_node import FixedNode, at, fixed_app, settled
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])

_IMAGES = (
    "localhost:5000/kube-proxy:v1.27.3",
    "localhost:5000/prom/node-exporter:v1.6.1",
    "localhost:5000/shop/checkout:0.8.0-rc.2",
    "localhost:5000/etcd:3.5.7-0",
)


def _image_node() -> FixedNode:
    """The fixed node plus the demo's images whose IMAGE cells were misleading at 80 columns."""
    node = FixedNode()
    for n, ref in enumerate(_IMAGES):
        iid = "sha256:" + str(5 + n) * 64
        node.images.append(pb.Image(id=iid, repo_tags=[ref], size=20_000_000 + n))
        node.containers.append(
            pb.Container(
                id=f"{n}" * 64,
                pod_sandbox_id="a" * 64,
                metadata=pb.ContainerMetadata(name=f"c{n}"),
                image=pb.ImageSpec(image=ref),
                image_ref=iid,
                state=pb.CONTAINER_RUNNING,
                created_at=at(4 * 3600 + n),
            )
        )
    return node


def _cells(app, kind: str, key: str = "image") -> list[str]:
    """The IMAGE texts drawn in ``kind``'s panel (from the screen, one per visible row)."""
    table = app.main.panels[kind].table
    layout = table._current_layout(table.scrollable_content_region.width)
    x = 0
    for i, w in layout:
        if table.columns[i].key == key:
            break
        x += w + 1
    else:
        raise AssertionError(f"no {key} column in {kind}")
    top = table.region.y + 1
    lines = screen_text(app).splitlines()
    return [
        lines[top + r][table.region.x + x : table.region.x + x + w].rstrip()
        for r in range(table.row_count)
        if top + r < table.region.bottom
    ]


@SIZES
def test_image_cells_keep_the_ellipsis_and_the_tag(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("tab")  # the Containers panel grows: every row in view
        await wait_for(lambda: pilot.app.main.panels["containers"].table.row_count == 6, 10, "six containers")
        await pilot.pause()
        cells = _cells(pilot.app, "containers")
        assert len(cells) >= 5, cells
        for cell in cells:
            assert cell.startswith(("…/", "localhost:5000/")) or len(cell) == 13, cells  # (the init's short id)
        for ref in _IMAGES:  # every tag whole
            tag = ref.rsplit(":", 1)[1]
            assert any(c.endswith(":" + tag) for c in cells), (tag, cells)

    assert snap_compare(fixed_app(_image_node()), terminal_size=size, run_before=run_before)


class _Unreachable(FixedNode):
    """A runtime never reached (as ``crit -r unix:///nonexistent.sock``)."""

    async def _refuse(self, *a, **k):
        raise CriError("Cannot connect to the runtime at unix:///nonexistent.sock: no such socket.")

    version = status = list_pod_sandbox = list_containers = list_images = _refuse


@SIZES
def test_never_connected_panels_say_so_with_their_columns(frozen, snap_compare, size, monkeypatch):
    # every retry waits the cap (half the refresh interval): the header's "retrying every ≤1s" is the same after
    # the first failure as after any later one, however many a loaded machine fits in before the picture
    monkeypatch.setattr("crit.model.poller.FIRST_RETRY", 60.0)

    async def run_before(pilot):
        app = pilot.app
        await wait_for(lambda: app.model.state.failures >= 1, 10, "a failed connection")
        await wait_for(lambda: "not connected" in screen_text(app), 10, "the panels drawn")
        await pilot.pause()
        text = screen_text(app)
        assert text.count("not connected — see the header") == 3, text
        assert "no pods" not in text and "no containers" not in text and "no images" not in text, text
        # the headers keep the columns' widths: not "ID NAME NAMESPACE STATE" squashed with single spaces
        assert "ID NAME" not in text and "IMAGE TAG" not in text, text
        assert "ID            NAME" in text, text

    assert snap_compare(fixed_app(_Unreachable()), terminal_size=size, run_before=run_before)


class _Empty(FixedNode):
    def __init__(self) -> None:
        super().__init__()
        self.containers, self.images = [], []


@SIZES
def test_empty_panels_of_a_connected_runtime(frozen, snap_compare, size):
    async def run_before(pilot):
        app = pilot.app
        await wait_for(app.first_frame.is_set, 15, "the first frame")
        await wait_for(lambda: "no containers" in screen_text(app), 10, "the empty panels")
        await pilot.pause()
        text = screen_text(app)
        assert "no images" in text and "not connected" not in text, text
        assert "IMAGE                TAG" in text, text  # IMAGE keeps its typical width, not its label's

    assert snap_compare(fixed_app(_Empty()), terminal_size=size, run_before=run_before)


def _burst(app) -> None:
    for n in range(8):
        app.notify(f"Notification number {n} of a burst.", timeout=60, markup=False)


async def test_a_burst_of_notifications_shows_the_newest_few(frozen):
    # issue 10 D: notifications piled up over the screen (a toast per message, up to its top)
    app = fixed_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settled(pilot)
        _burst(app)
        newest = [f"Notification number {n} of a burst." for n in (3, 4, 5, 6, 7)]
        await wait_for(lambda: all(m in screen_text(app) for m in newest), 10, "the newest toasts drawn")
        await wait_for(lambda: "number 2 " not in screen_text(app), 10, "the older toasts gone")
        text = screen_text(app)
        assert all(f"number {n} " not in text for n in (0, 1, 2)), text
        assert app.MAX_TOASTS == 5


@SIZES
def test_a_burst_of_notifications_on_screen(frozen, snap_compare, size):
    async def run_before(pilot):
        app = pilot.app
        await settled(pilot)
        _burst(app)
        await wait_for(
            lambda: "number 7 " in screen_text(app) and "number 2 " not in screen_text(app),
            10,
            "the newest toasts drawn, the older gone",
        )
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


def test_tmux_missing_socket_is_not_an_empty_runtime(tmp_path):
    """The real crit on a socket that does not exist: the panels say they are not connected, the IMAGE headers keep
    their widths, and q quits."""
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    sock = tmp_path / "nonexistent.sock"
    with TmuxCrit(["-r", f"unix://{sock}"], size=(80, 24)) as t:
        screen = t.wait(lambda s: s.count("not connected — see the header") == 3, 30, what="three panels not connected")
        assert "DISCONNECTED" in screen and "no pods" not in screen and "no images" not in screen, screen
        assert "ID            NAME" in screen and "IMAGE                TAG" in screen, screen
