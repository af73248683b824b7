"""crit's state files: one place for where they live and how they are written."""

from __future__ import annotations

import stat

import pytest

from crit.model import export_place, sessions
from crit.model.statedir import state_path, write_private
from crit.ui import themes


def test_every_state_file_is_under_xdg_state_home_crit(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert state_path("x") == tmp_path / "crit" / "x"
    assert {export_place.state_file(), themes.theme_state_file(), sessions.state_file()} == {
        tmp_path / "crit" / "export-dir",
        tmp_path / "crit" / "theme",
        tmp_path / "crit" / "sessions.json",
    }
    monkeypatch.setenv("XDG_STATE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_path("x") == tmp_path / "home" / ".local" / "state" / "crit" / "x"


def test_written_privately_and_atomically(tmp_path):
    path = tmp_path / "state" / "crit" / "f"
    write_private(path, "one\n")
    write_private(path, "two\n")
    assert path.read_text() == "two\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["f"]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "crit" / "f"
    write_private(path, "old\n")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_private(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in path.parent.iterdir()] == ["f"]
