"""Durations are printed the way people write them (issue 10 D: `--timeout 1ns` printed `1e-06ms`), and
`crit --check` with no runtime found still prints its resolution table before the one-sentence failure."""

from __future__ import annotations

import pytest

from crit import cli
from crit.cri import config
from crit.cri.config import format_seconds
from crit.cri.duration import format_duration
from crit.cri.errors import _fmt_seconds  # the RPC deadline sentences


@pytest.mark.parametrize(
    "seconds, text",
    [
        (1e-9, "1ns"),
        (5e-7, "500ns"),
        (1e-6, "1µs"),
        (1.5e-6, "1.5µs"),
        (1e-3, "1ms"),
        (0.25, "250ms"),
        (0.0015, "1.5ms"),
        (0.9999999, "1s"),
        (1, "1s"),
        (2, "2s"),
        (2.5, "2.5s"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "24h"),
        (0, "0s"),
        (1e-12, "<1ns"),
        (-2, "-2s"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
    assert format_seconds(seconds) == text
    assert _fmt_seconds(seconds) == text
    assert "e-" not in text and "e+" not in text


@pytest.fixture
def no_runtime(monkeypatch, tmp_path, capsys):
    for k in ("CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", str(tmp_path / "no-crictl.yaml"))
    defaults = [f"unix://{tmp_path}/one.sock", f"unix://{tmp_path}/two.sock"]
    monkeypatch.setattr(config, "DEFAULT_RUNTIME_ENDPOINTS", defaults)
    return defaults


def test_check_timeout_is_printed_humanly(no_runtime, capsys, tmp_path):
    rc = cli.main(["--check", "-t", "1ns", "-r", f"unix://{tmp_path}/gone.sock"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "timeout:          1ns  (flag -t/--timeout)" in out.splitlines(), out
    assert "e-0" not in out + err


def test_check_without_a_runtime_prints_the_table_then_one_sentence(no_runtime, capsys, tmp_path):
    rc = cli.main(["--check"])
    out, err = capsys.readouterr()
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith("runtime endpoint: none reachable  (default: first reachable of "), out
    assert no_runtime[0] in lines[0] and no_runtime[1] in lines[0]
    assert lines[1].startswith("image endpoint:   none  (default: same as the runtime endpoint)"), out
    assert lines[2] == f"config file:      {tmp_path}/no-crictl.yaml (not found, not used)  (default)"
    assert lines[3] == "timeout:          2s  (default)"
    assert lines[4] == f"                  skipped {no_runtime[0]}: socket {tmp_path}/one.sock does not exist"
    assert lines[5] == f"                  skipped {no_runtime[1]}: socket {tmp_path}/two.sock does not exist"
    assert len(lines) == 6, out
    sentence = [ln for ln in err.splitlines() if ln.strip()]
    assert len(sentence) == 1 and sentence[0].startswith("crit: No container runtime found at the default endpoints"), (
        err
    )
    assert "Traceback" not in err


def test_stats_view_says_its_cadence_humanly():
    from crit.model.stats import CONTAINER, StatsTracker
    from crit.ui.stats.screen import stats_renderable
    from tests.test_stats import T0, S, cstats

    t = StatsTracker(window=60, max_points=100)
    t.update_containers([cstats("a", T0, 10 * S, mem=1000, fs=4096)], now=100.0)
    t.update_containers([cstats("a", T0 + 50 * S, 11 * S, mem=1000, fs=4096)], now=150.0)
    text = stats_renderable(t, CONTAINER, "a", interval=0.001).plain
    assert "2 samples over 50s, one every 1ms; newest on the right" in text, text
    assert "e-0" not in text
