"""The keyed virtual table: keyed updates keep cursor, marks and scroll; only visible rows are drawn;
columns drop by priority; cells are drawn literally.  Also themes."""

from __future__ import annotations

import pytest
from textual.app import App

from crit.options import Options
from crit.render.rows import CONTAINER_COLUMNS, Column
from crit.ui.panels.table import NodeTable, Row
from crit.ui.themes import ThemeError, load_theme_file, load_themes
from tests.ui_helpers import screen_text

COLS = (Column("id", "ID", 1, 4, 6), Column("name", "NAME", 0, 6, 30), Column("state", "STATE", 2, 5, 8))


def row(i: int, name: str | None = None, state: str = "Ready") -> Row:
    return Row(f"k{i:04d}", (f"{i:04d}", name or f"row-{i}", state), (i,), {"n": str(i % 3)}, None)


class TableApp(App):
    def __init__(self, columns=COLS) -> None:
        super().__init__()
        self.columns = columns

    def compose(self):
        yield NodeTable(self.columns, id="t")


async def test_keyed_updates_keep_cursor_marks_and_scroll():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        t = app.query_one(NodeTable)
        t.update_rows([row(i) for i in range(100)])
        t.focus()
        await pilot.press("j", "j", "space")  # mark k0002; the cursor moves on to k0003
        assert t.marks == {"k0002"} and t.cursor_key == "k0003"
        await pilot.press(*["pagedown"] * 3)
        key, top = t.cursor_key, int(t.scroll_y)
        assert top > 0
        top_key = t.view_keys[top]
        # rows inserted before the viewport, some removed, some updated: the same rows stay in view
        t.update_rows([row(i) for i in range(-20, 0)] + [row(50, "renamed")], removed=["k0001", "k0099"])
        await pilot.pause()
        assert t.cursor_key == key and t.view_keys[int(t.scroll_y)] == top_key
        assert t.marks == {"k0002"} and t.rows["k0050"].cells[1] == "renamed"
        # the cursor row itself removed: the cursor stays at the same position
        index = t.cursor_index
        t.update_rows([], removed=[key])
        assert t.cursor_index == index and t.cursor_key != key
        # a marked row that disappears is unmarked
        t.update_rows([], removed=["k0002"])
        assert not t.marks


async def test_filter_scope_and_selection():
    app = TableApp()
    async with app.run_test(size=(60, 12)):
        t = app.query_one(NodeTable)
        t.update_rows([row(i) for i in range(30)])
        t.set_filter(lambda r: r.labels["n"] == "0")
        assert t.row_count == 10 and len(t.rows) == 30
        t.set_scope(lambda r: int(r.key[1:]) < 15)
        assert t.view_keys == ["k0000", "k0003", "k0006", "k0009", "k0012"]
        t.set_filter(None)
        t.set_scope(None)
        assert t.row_count == 30
        assert [r.key for r in t.selected_rows()] == [t.cursor_key]
        t.marks.update({"k0005", "k0001"})
        assert [r.key for r in t.selected_rows()] == ["k0001", "k0005"]


async def test_only_visible_rows_are_drawn_and_text_is_literal():
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        t = app.query_one(NodeTable)
        t.update_rows([row(i, name="[b]x[/b]" if i == 0 else None) for i in range(50_000)])
        calls = []
        original = t.render_line

        def counting(y):
            calls.append(y)
            return original(y)

        t.render_line = counting
        t.refresh()
        await pilot.pause()
        assert 0 < len(calls) <= 16  # the screen's lines, not 50,000 rows
        text = screen_text(app)
        assert "[b]x[/b]" in text and "NAME" in text


async def test_columns_drop_by_priority_on_narrow_screens():
    app = TableApp(CONTAINER_COLUMNS)
    async with app.run_test(size=(80, 8)) as pilot:
        t = app.query_one(NodeTable)
        cells = (
            "0123456789abc",
            "my-container",
            "my-pod-abcdef",
            "localhost:5000/busybox:1.36",
            "Running",
            "5m",
            "3",
            "",
            "",
        )
        t.update_rows([Row("x", cells, (0,), {}, None)])
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "NAME" in header and "STATE" in header and "IMAGE" in header and "ATTEMPT" not in header
        await pilot.resize_terminal(200, 8)
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "ATTEMPT" in header and "REASON" in header


def test_builtin_themes_and_user_themes(tmp_path, monkeypatch):
    loaded = load_themes(include_user=False)
    assert {"crit-dark", "crit-light", "crit-solarized"} <= set(loaded.themes) and not loaded.errors
    assert loaded.themes["crit-light"].dark is False
    user = tmp_path / "crit" / "themes"
    user.mkdir(parents=True)
    (user / "mine.yaml").write_text("name: mine\nprimary: '#ff0000'\ndark: false\n")
    (user / "broken.yaml").write_text("name: [unclosed\n")
    (user / "typo.yaml").write_text("name: typo\nprimay: '#ff0000'\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    loaded = load_themes()
    assert "mine" in loaded.themes and "crit-dark" in loaded.themes
    assert len(loaded.errors) == 2
    assert any("broken.yaml is not valid YAML at line" in e for e in loaded.errors)
    assert any("typo.yaml has unknown key(s) primay" in e for e in loaded.errors)
    bad = tmp_path / "bad.yaml"
    bad.write_text("primary: not-a-colour\n")
    with pytest.raises(ThemeError, match="bad value"):
        load_theme_file(bad)


async def test_theme_option_and_palette(tmp_path, monkeypatch):
    from crit.ui.app import CritApp
    from tests.test_model import ScriptedClient

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    app = CritApp(ScriptedClient(), Options(refresh=5, theme="crit-light", runtime_endpoint="unix:///x.sock"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "crit-light"
        assert {"crit-dark", "crit-light", "crit-solarized", "crit-high-contrast"} <= set(app.available_themes)
        app.theme = "crit-solarized"  # what the command palette's theme switch does
        await pilot.pause()
        assert app.theme == "crit-solarized"


def test_unknown_theme_is_one_sentence(capsys):
    from crit.ui.app import run_app

    assert run_app(object(), Options(theme="no-such-theme")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("crit: there is no theme named 'no-such-theme'") and "\n" not in err
