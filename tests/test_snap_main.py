"""The main screen as the user sees it (SVG snapshots via snap_compare, from the fixed node with a frozen clock)."""

from __future__ import annotations

import pytest

from tests.fixed_node import fixed_app, settled

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@SIZES
def test_main_screen(frozen, snap_compare, size):
    assert snap_compare(fixed_app(), terminal_size=size, run_before=settled)
