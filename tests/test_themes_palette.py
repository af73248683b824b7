"""The command palette offers exactly the themes `--theme` accepts (crit's themes/*.yaml and the user's), and a
theme chosen there is remembered across runs (`--theme` on the command line wins) — issue 10 D."""

from __future__ import annotations

import pytest
from textual.screen import Screen
from textual.widgets import Static

from crit.options import Options
from crit.ui.themes import load_themes, theme_state_file
from tests.fixed_node import Opts, fixed_app, settled
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
CRIT_THEMES = ["crit-dark", "crit-high-contrast", "crit-light", "crit-solarized"]
TEXTUAL_THEMES = ["textual-dark", "textual-light", "nord", "gruvbox", "dracula", "tokyo-night", "monokai"]


@pytest.fixture
def xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def opts(theme: str | None) -> Options:
    o = Opts()
    o.theme = theme
    return o


async def open_theme_palette(pilot) -> None:
    app = pilot.app
    await settled(pilot)
    app.action_change_theme()
    await wait_for(lambda: "crit-solarized" in screen_text(app), 10, "the theme palette")
    await pilot.pause()


async def test_palette_offers_exactly_the_themes_theme_accepts(xdg):
    user_dir = xdg / "config" / "crit" / "themes"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.yaml").write_text("name: mine\nprimary: '#00aa00'\n")
    accepted = set(load_themes().themes)  # what --theme accepts (crit.ui.app.run_app checks against it)
    assert accepted == set(CRIT_THEMES) | {"mine"}
    app = fixed_app(opts=opts(None))
    async with app.run_test(size=(80, 30)) as pilot:
        assert set(app.available_themes) == accepted
        await open_theme_palette(pilot)
        text = screen_text(app)
        for name in sorted(accepted):
            assert name in text, text
        for name in TEXTUAL_THEMES:
            assert name not in text, text


async def test_a_theme_chosen_in_the_palette_is_remembered(xdg):
    app = fixed_app(opts=opts(None))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "crit-dark"
        await open_theme_palette(pilot)
        await pilot.press(*"solar")
        await wait_for(lambda: "crit-high-contrast" not in screen_text(app), 5, "the palette filtered")
        await pilot.press("enter")
        await wait_for(lambda: app.theme == "crit-solarized", 5, "the chosen theme applied")
        await wait_for(theme_state_file().exists, 5, "the theme remembered")
    assert theme_state_file().read_text().strip() == "crit-solarized"
    assert str(theme_state_file()).startswith(str(xdg / "state" / "crit"))

    again = fixed_app(opts=opts(None))  # the next run, no --theme: the remembered one
    async with again.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert again.theme == "crit-solarized"

    flag = fixed_app(opts=opts("crit-light"))  # --theme wins, and is not remembered by itself
    async with flag.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert flag.theme == "crit-light"
    assert theme_state_file().read_text().strip() == "crit-solarized"


async def test_a_remembered_theme_that_is_gone_says_so(xdg):
    path = theme_state_file()
    path.parent.mkdir(parents=True)
    path.write_text("vanished\n")
    app = fixed_app(opts=opts(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert app.theme == "crit-dark"
        await wait_for(lambda: any("vanished" in n for n in notifications(app)), 5, "a notification")
        assert "The remembered theme 'vanished' is not available any more; using crit-dark." in notifications(app)


class _Plain(Screen):
    """A still background, so the snapshot is about the palette (not the main screen, which changes on its own)."""

    def compose(self):
        yield Static("(background)")


async def _palette_over_a_plain_screen(pilot) -> None:
    await settled(pilot)
    pilot.app.push_screen(_Plain())
    await wait_for(lambda: "(background)" in screen_text(pilot.app), 5, "the plain screen")
    await open_theme_palette(pilot)


@SIZES
def test_snap_theme_palette(frozen, xdg, snap_compare, size):
    assert snap_compare(fixed_app(opts=opts(None)), terminal_size=size, run_before=_palette_over_a_plain_screen)
