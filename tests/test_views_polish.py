"""Views polish a tester saw at 80x24 in the real crit --demo (issue 10): wording, ages, key help, fitting."""

from __future__ import annotations

import time
from types import SimpleNamespace

from crit.render.human import age, age_seconds
from crit.ui.terminal.actions import SessionsScreen, _detached_name


def test_one_age_formatter_for_panels_and_sessions():
    now = 1_000_000.0
    for secs in (0, 21, 119, 600, 3 * 3600, 5 * 86400):
        assert age_seconds(secs) == age(int((now - secs) * 1e9), now)
    assert age_seconds(21) == "21s" and age_seconds(-3) == "0s"
    session = SimpleNamespace(state="running", number=1, container="web", pod="p", command="shell", bytes_in=0,
                              started=time.monotonic() - 21.4)
    cells = [str(c) for c in SessionsScreen.row(session)]
    assert cells[-1] in ("21s", "22s"), cells  # was 0m21s while the main screen says 21s


def test_detach_names_the_session_and_the_container():
    def s(kind: str, command: str = "shell") -> SimpleNamespace:
        return SimpleNamespace(kind=kind, container="shell", command=command)

    assert _detached_name(s("shell")) == "the shell in container shell"  # was "shell in shell"
    assert _detached_name(s("exec", "top")) == "the command top in container shell"
    assert _detached_name(s("attach")) == "the main process of container shell"
