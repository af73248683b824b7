"""Small lists (sessions, forwards) in a Textual DataTable keyed by a string: sync rows in place, read the cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.coordinate import Coordinate
from textual.widgets import DataTable

__all__ = ["sync_rows", "cursor_key"]


def sync_rows(table: DataTable[Any], rows: Mapping[str, Sequence[Any]]) -> None:
    """Make ``table`` show ``rows`` (key → cells): drop rows whose key is gone, update cells of the rest in place
    and append new ones, so the cursor stays on its row."""
    present = {str(k.value) for k in table.rows}
    for gone in present - rows.keys():
        table.remove_row(gone)
    for key, cells in rows.items():
        if key in present:
            for col, cell in zip(table.columns, cells):
                table.update_cell(key, col, cell)
        else:
            table.add_row(*cells, key=key)


def cursor_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if not table.row_count:
        return None
    return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)
