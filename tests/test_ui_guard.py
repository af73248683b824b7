"""crit.ui.guard.unless_torn_down: a screen's periodic updater whose widgets are gone does nothing; any other
error still surfaces.  Which updaters carry it is checked here too, so a new one cannot silently lose it."""

from __future__ import annotations

import pytest
from textual.css.query import NoMatches

from crit.ui.guard import unless_torn_down


class Fake:
    def __init__(self, exc: Exception | None) -> None:
        self.exc = exc
        self.calls = 0

    @unless_torn_down
    def redraw(self, value: int) -> int:
        self.calls += 1
        if self.exc is not None:
            raise self.exc
        return value * 2


def test_widgets_gone_means_nothing_to_do():
    f = Fake(NoMatches("No nodes match '#x'"))
    assert f.redraw(3) is None and f.calls == 1


def test_result_and_other_errors_pass_through():
    assert Fake(None).redraw(3) == 6
    with pytest.raises(ValueError):
        Fake(ValueError("a real bug")).redraw(1)


@pytest.mark.parametrize(
    "where",
    [
        "crit.ui.logs.screen:LogScreen._update_status",
        "crit.ui.logs.screen:LogScreen._update_title",
        "crit.ui.forms.screens:LaunchScreen.update_preview",
        "crit.ui.forwards.screen:ForwardsScreen.redraw",
        "crit.ui.terminal.actions:SessionsScreen.redraw",
        "crit.ui.stats.screen:StatsScreen.redraw",
    ],
)
def test_timer_driven_updaters_are_guarded(where):
    import importlib

    module, qual = where.split(":")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    assert getattr(obj, "__wrapped__", None) is not None, f"{where} is not wrapped by unless_torn_down"
