"""The panels as the user sees them (issue 10: A3, A5 and the D items of the tables): snapshots at 80x24 and
160x48 from the fixed node with a frozen clock, plus screen-text checks that say what each picture must show."""

from __future__ import annotations

import types

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.render.filters import parse_filter
from crit.ui.textual_private import screen_strips
from tests.conftest import require
from tests.fixed_node import NOW, FixedNode, at, fixed_app, settled
from tests.tmux import TmuxCrit, tmux_missing
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def _title_line(app, title: str) -> str:
    """The screen line holding the panel title that starts with ``title``."""
    for line in screen_text(app).splitlines():
        if line.lstrip("─╭").startswith(title):
            return line
    raise AssertionError(f"no {title!r} title on screen:\n{screen_text(app)}")


async def _filter(pilot, text: str) -> None:
    """Type ``/text⏎`` on the focused panel, as a user does, and wait until the filter is on."""
    app = pilot.app
    await pilot.press("slash", *text, "enter")
    await wait_for(
        lambda: (
            app.main.prompt_mode is None
            and any(p.filter is not None and p.filter.source == text for p in app.main.panels.values())
        ),
        10,
        f"the filter {text!r} applied",
    )
    await pilot.pause()


# ---------------------------------------------------------------------------------------------- A3: the filter


@SIZES
def test_filter_shown_in_title(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _filter(pilot, "web")
        assert "Pods [1/2] /web" in _title_line(pilot.app, "Pods")

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@SIZES
def test_filter_matching_everything_still_shown(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _filter(pilot, ".")
        assert "Pods [2/2] /." in _title_line(pilot.app, "Pods")

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


async def test_filter_title_is_sanitised_and_cut(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await _filter(pilot, "x" * 40)
        line = _title_line(app, "Pods")
        assert "Pods [0/2] /" + "x" * 23 + "…" in line, line
        # a hostile filter: shown literally (markup not parsed), control characters made visible
        app.main.panels["pods"].apply_filter(parse_filter("[bold]\x1b"))
        await pilot.pause()
        assert "/[bold]^[" in _title_line(app, "Pods")


# ---------------------------------------------------------------------------------------------- D: AGE width


def _young_node() -> FixedNode:
    """The fixed node with every pod and container 9 s old (all ages short when the rows are measured)."""
    node = FixedNode()
    for obj in (*node.pods, *node.containers):
        obj.created_at = at(9)
    return node


async def _advance_ages(pilot, monkeypatch, seconds: float) -> None:
    """Move the clock the ages are computed with (only it: the header's clock stays frozen) and wait for the
    panels to be redrawn with it."""
    import crit.render.human as human

    monkeypatch.setattr(human, "time", types.SimpleNamespace(time=lambda: NOW + seconds))
    app = pilot.app
    for panel in app.main.panels.values():
        panel.table.refresh()
    want = human.age(at(9))  # with the clock just moved
    await wait_for(lambda: want in _title_block(app, "Pods"), 10, f"ages of {want}")


def _title_block(app, title: str) -> str:
    lines = screen_text(app).splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("─╭").startswith(title))
    return "\n".join(lines[start : start + 5])


async def test_age_column_fits_ages_that_grow(frozen, monkeypatch):
    app = fixed_app(_young_node())
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert " 9s " in _title_block(app, "Pods")
        await _advance_ages(pilot, monkeypatch, 104)
        block = _title_block(app, "Pods")
        assert "113s" in block and "11…" not in block, block


@SIZES
def test_age_grows_from_9s_to_113s(frozen, monkeypatch, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _advance_ages(pilot, monkeypatch, 104)

    assert snap_compare(fixed_app(_young_node()), terminal_size=size, run_before=run_before)


# ---------------------------------------------------------------------------------------------- D: IMAGE cut


def test_image_keeps_name_and_tag_at_80_columns(frozen, snap_compare):
    async def run_before(pilot):
        await settled(pilot)
        block = _title_block(pilot.app, "Containers")
        assert "…/nginx:1.25.3" in block and "localhost:5000/…" not in block, block

    assert snap_compare(fixed_app(), terminal_size=(80, 24), run_before=run_before)


# ---------------------------------------------------------------------------------------------- A5: cursor on a mark


def _line_backgrounds(app, needle: str) -> set:
    """The background colours drawn on the screen line that holds ``needle``."""
    for strip in screen_strips(app):
        if needle in strip.text:
            return {seg.style.bgcolor for seg in strip if seg.text.strip() and seg.style is not None}
    raise AssertionError(f"{needle!r} not on screen")


async def _mark_both_pods(pilot) -> None:
    """Mark both pods with space (the cursor moves on, then stays on the last one): the cursor ends on a marked
    row, the other marked row is not under the cursor."""
    app = pilot.app
    await pilot.press("space", "space")
    table = app.main.panels["pods"].table
    await wait_for(lambda: len(table.marks) == 2, 10, "two marked pods")
    await pilot.pause()


async def test_cursor_visible_on_marked_row(frozen):
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.main.panels["pods"].table
        await pilot.pause()
        assert table.cursor_key == "b" * 64
        plain = _line_backgrounds(app, "aaaaaaaaaaaaa")  # not marked, not under the cursor
        cursor_bg = table.get_component_rich_style("nodetable--cursor").bgcolor
        await _mark_both_pods(pilot)
        assert table.cursor_key == "a" * 64
        under = _line_backgrounds(app, "●aaaaaaaaaaaa")  # marked, under the cursor
        other = _line_backgrounds(app, "●bbbbbbbbbbbb")  # marked, not under the cursor
        assert under == {cursor_bg}, (under, cursor_bg)
        assert other == plain and cursor_bg not in other
        # the mark still shows under the cursor: its text has the marked colour, not the cursor's
        marked_fg = table.get_component_rich_style("nodetable--marked").color
        colours = {
            seg.style.color
            for strip in screen_strips(app)
            if "aaaaaaaaaaaa" in strip.text
            for seg in strip
            if seg.text.strip()
        }
        assert colours == {marked_fg}


@SIZES
def test_marked_rows_with_and_without_cursor(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _mark_both_pods(pilot)
        # the marks read without colour: a glyph before each marked row's id, none on the others (issue 10 D)
        lines = screen_text(pilot.app).splitlines()
        assert any(line.startswith("●aaaaaaaaaaaa web-") for line in lines), lines
        assert any(line.startswith("●bbbbbbbbbbbb [bold red]x[/]") for line in lines), lines
        assert sum("●" in line for line in lines) == 2, lines

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


# ---------------------------------------------------------------------------------------------- D: heights


async def _scope_to_web_pod(pilot) -> None:
    """Enter on the web pod (the second row): the Containers panel shows its containers only."""
    app = pilot.app
    await pilot.press("j", "enter")
    ctrs = app.main.panels["containers"]
    await wait_for(
        lambda: ctrs.scope_pod is not None and app.screen.focused is ctrs.table,
        10,
        "the containers of the web pod, focused",
    )
    await pilot.pause()


def _panel_heights(app) -> dict[str, int]:
    return {kind: panel.size.height + 1 for kind, panel in app.main.panels.items()}  # + its title line


@SIZES
def test_panel_heights_follow_content_with_pod_scope(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await _scope_to_web_pod(pilot)
        app = pilot.app
        # every panel is as tall as its title, header and rows: no panel is cut, none has blank lines
        assert _panel_heights(app) == {"pods": 4, "containers": 4, "images": 5}, _panel_heights(app)
        assert "Containers of pod web-7c9d8f6b5-abcde [2/2]" in _title_line(app, "Containers")

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


def _crowded_node(pods: int = 30) -> FixedNode:
    """The fixed node plus ``pods`` more pods without containers (older than the others)."""
    node = FixedNode()
    for i in range(pods):
        node.pods.append(
            pb.PodSandbox(
                id=f"{i:02d}" * 32,
                metadata=pb.PodSandboxMetadata(name=f"batch-{i:02d}", namespace="jobs", uid=f"b{i}"),
                state=pb.SANDBOX_READY,
                created_at=at(7 * 3600 + i),
            )
        )
    return node


async def test_pods_take_the_space_a_scoped_panel_leaves(frozen):
    app = fixed_app(_crowded_node())
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        heights = _panel_heights(app)
        assert heights["containers"] == 4 and heights["images"] == 5, heights  # content only: 2 and 3 rows
        await _scope_to_web_pod(pilot)
        heights = _panel_heights(app)
        # 24 lines - header 2 - footer 1 = 21: Containers (2 rows) and Images (3 rows) keep what they show,
        # Pods gets all the rest (12 lines: 10 rows), where it was cut to a share before
        assert heights == {"pods": 12, "containers": 4, "images": 5}, heights
        rows_shown = sum(1 for line in screen_text(app).splitlines() if "batch-" in line)
        assert rows_shown == 12 - 2 - 2  # title, header, and the two other pods above the batch ones


# ---------------------------------------------------------------------------------------------- D: rows above


def _new_pods(node: FixedNode, n: int) -> None:
    for i in range(n):
        node.pods.append(
            pb.PodSandbox(
                id=f"n{i}" * 32,
                metadata=pb.PodSandboxMetadata(name=f"new-{i}", namespace="jobs", uid=f"n{i}"),
                state=pb.SANDBOX_READY,
                created_at=at(1 + i),
            )
        )


async def _pods_after_refresh(pilot, count: int) -> None:
    app = pilot.app
    app.model.request_refresh()
    table = app.main.panels["pods"].table
    await wait_for(lambda: len(table.rows) == count, 10, f"{count} pods in the panel")
    await pilot.pause()


def _pod_lines(app) -> list[str]:
    lines = screen_text(app).splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("─╭").startswith("Pods"))
    end = next(i for i, line in enumerate(lines) if line.lstrip("─╭").startswith("Containers"))
    return [line[:-1] for line in lines[start + 1 : end]]  # without the scrollbar column (its thumb moves)


async def test_rows_added_above_keep_the_view_and_hint(frozen):
    node = _crowded_node()
    app = fixed_app(node)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.main.panels["pods"].table
        await pilot.press("j", "j", "j")  # the user moved down: the view is theirs now
        before = _pod_lines(app)
        cursor = table.cursor_key
        _new_pods(node, 3)
        await _pods_after_refresh(pilot, 35)
        # the same rows on the same lines, the cursor on the same row, and the title says what is above
        assert _pod_lines(app) == before and table.cursor_key == cursor
        assert "Pods [35] ↑3 new" in _title_line(app, "Pods")
        # moving up into them shows them and the hint counts down, home clears it
        await pilot.press("k", "k", "k", "k")
        await wait_for(lambda: table.new_above == 2, 10, "one new row seen")
        await pilot.pause()
        assert "↑2 new" in _title_line(app, "Pods") and any("new-" in line for line in _pod_lines(app))
        await pilot.press("home")
        await wait_for(lambda: table.new_above == 0, 10, "all new rows seen")
        await pilot.pause()
        assert "new" not in _title_line(app, "Pods").replace("Pods", "")
        assert [line.split()[1] for line in _pod_lines(app)[1:4]] == ["new-0", "new-1", "new-2"]


async def test_rows_added_at_the_top_show_while_the_user_watches_the_top(frozen):
    node = _crowded_node()
    app = fixed_app(node)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        table = app.main.panels["pods"].table
        cursor = table.cursor_key
        _new_pods(node, 2)
        await _pods_after_refresh(pilot, 34)
        # nothing moved the cursor off the first row: the new rows show at the top, the cursor keeps its row
        assert [line.split()[1] for line in _pod_lines(app)[1:3]] == ["new-0", "new-1"]
        assert table.cursor_key == cursor and table.new_above == 0


@SIZES
def test_new_rows_above_hint(frozen, snap_compare, size):
    node = _crowded_node(60)

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("pagedown")
        _new_pods(node, 3)
        await _pods_after_refresh(pilot, 65)
        assert "↑3 new" in _title_line(pilot.app, "Pods")

    assert snap_compare(fixed_app(node), terminal_size=size, run_before=run_before)


# ---------------------------------------------------------------------------------------------- the real crit


def test_tmux_filter_and_scope_titles_in_the_real_crit():
    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo"], size=(80, 24)) as t:
        t.wait_text("Pods [")
        t.keys("/", "redis", "Enter")
        screen = t.wait(
            lambda s: any(line.startswith("─Pods [") and "/redis" in line for line in s.split("\n")),
            what="the filter in the Pods title",
        )
        title = next(line for line in screen.split("\n") if line.startswith("─Pods ["))
        shown, total = title.split("[", 1)[1].split("]", 1)[0].split("/")
        assert 0 < int(shown) < int(total), title
        t.keys("Enter")  # the containers of the (filtered) pod under the cursor
        screen = t.wait(
            lambda s: any(line.startswith("─Containers of pod ") for line in s.split("\n")),
            what="the pod scope in the Containers title",
        )
        lines = screen.split("\n")
        start = next(i for i, line in enumerate(lines) if line.startswith("─Containers of pod "))
        end = next(i for i, line in enumerate(lines) if line.startswith("─Images"))
        rows = [line for line in lines[start + 2 : end] if line.strip()]
        assert rows and end - start == 2 + len(rows), screen  # no blank lines under its few rows
