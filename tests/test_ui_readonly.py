"""``--readonly`` (issue 10, B10): every key it disables says why, in one line, on the screen; the keys stay out of
the footer; ``:sessions`` and ``:forwards`` do not tell the user to press them."""

from __future__ import annotations

import pytest

from crit.options import Options
from crit.ui.readonly import key_refusal
from tests.fixed_node import FixedNode, Opts, fixed_app, settled
from tests.ui_helpers import screen_text
from tests.waiting import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


def ReadOnlyOpts() -> Options:
    return Opts(readonly=True)


def toast_text(app) -> str:
    """The text of the notifications as drawn: the screen cropped to each toast, lines joined with spaces."""
    lines = screen_text(app).splitlines()
    out = []
    for toast in app.screen.query("Toast"):
        r = toast.region
        part = " ".join(line[r.x : r.right].strip(" ▌▐▎▊") for line in lines[r.y : r.bottom])
        out.append(" ".join(part.split()))
    return "\n".join(out)


# every key --readonly disables, with the panel it is pressed in (where it would act without --readonly)
REFUSED = [
    ("ctrl+k", "1", "crit is read-only (--readonly): stopping pods and containers is disabled."),
    ("ctrl+k", "2", "crit is read-only (--readonly): stopping pods and containers is disabled."),
    ("ctrl+d", "3", "crit is read-only (--readonly): removing pods, containers and images is disabled."),
    ("p", "3", "crit is read-only (--readonly): pulling images is disabled."),
    ("n", "1", "crit is read-only (--readonly): creating pods is disabled."),
    ("r", "1", "crit is read-only (--readonly): running containers is disabled."),
    ("s", "2", "crit is read-only (--readonly): opening a shell in a container is disabled."),
    ("S", "2", "crit is read-only (--readonly): running a command in a container is disabled."),
    ("shift+s", "2", "crit is read-only (--readonly): running a command in a container is disabled."),
    ("a", "2", "crit is read-only (--readonly): attaching to a container is disabled."),
    ("shift+f", "1", "crit is read-only (--readonly): port-forwarding is disabled."),
    ("F", "1", "crit is read-only (--readonly): port-forwarding is disabled."),
]


@pytest.mark.parametrize("key,panel,sentence", REFUSED, ids=[f"{k}-in-{p}" for k, p, _ in REFUSED])
async def test_each_refused_key_says_why_on_screen(key, panel, sentence):
    app = fixed_app(FixedNode(), ReadOnlyOpts())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settled(pilot)
        await pilot.press(panel)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Stop" not in footer and "Remove" not in footer and "Pull" not in footer
        assert "New pod" not in footer and "Shell" not in footer and "Port-fwd" not in footer
        await pilot.press(key)
        await wait_for(lambda: sentence in toast_text(app), 5, f"the refusal of {key} on the screen")
        assert app.screen is app.main  # no dialog, no form, no session
        assert toast_text(app).count("read-only") == 1  # one line, said once


async def test_the_keys_still_act_without_readonly():
    """The refusal bindings are inert without --readonly: ctrl+k and p still open their dialogs."""
    app = fixed_app()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+k")
        await wait_for(lambda: type(app.screen).__name__ == "ConfirmDialog", 5, "the stop confirmation")
        await pilot.press("n")
        await wait_for(lambda: app.screen is app.main, 5, "back on the panels")
        await pilot.press("p")
        await wait_for(lambda: type(app.screen).__name__ == "PullDialog", 5, "the pull dialog")
        assert "read-only" not in toast_text(app)


async def test_ctrl_k_on_images_says_images_cannot_be_stopped():
    app = fixed_app()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settled(pilot)
        await pilot.press("3", "ctrl+k")
        await wait_for(
            lambda: "Images cannot be stopped; ctrl+d removes an image." in toast_text(app), 5, "the explanation"
        )
        assert app.screen is app.main


async def test_refused_commands_use_the_same_wording():
    app = fixed_app(FixedNode(), ReadOnlyOpts())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settled(pilot)
        await pilot.press("colon", *"new pod", "enter")
        await wait_for(
            lambda: "crit is read-only (--readonly): creating pods is disabled." in toast_text(app),
            5,
            "the refusal of :new pod",
        )
        assert app.screen is app.main


def test_unknown_mutating_key_falls_back_to_its_label():
    assert key_refusal("x", "Explode") == "crit is read-only (--readonly): “Explode” (x) is disabled."


@SIZES
def test_snapshot_readonly_refusal(frozen, snap_compare, size):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("3", "ctrl+d")
        await wait_for(lambda: "removing pods" in toast_text(pilot.app), 5, "the refusal")
        await pilot.pause()

    assert snap_compare(fixed_app(FixedNode(), ReadOnlyOpts()), terminal_size=size, run_before=run_before)


def test_tmux_readonly_keys_say_why():
    from tests.conftest import require
    from tests.tmux import TmuxCrit, tmux_missing

    require(tmux_missing(), "the tmux test")
    with TmuxCrit(["--demo", "--readonly"], size=(80, 24)) as t:
        t.wait_text("READ-ONLY")
        t.wait_text("Images [")
        t.keys("3", "C-d")
        screen = t.wait(lambda s: "removing pods, containers and images" in s, what="the ctrl+d refusal")
        assert "crit is read-only (--readonly):" in screen and "Cancel (n)" not in screen
        t.keys("2", "s")
        t.wait(lambda s: "opening a shell in a" in s, what="the s refusal")
