"""A footer that keeps the most useful keys when the terminal is narrow.

Textual's footer shows the keys in binding order and cuts the line at the right edge: at 80 columns the keys
other parts of crit add (``l`` logs, ``s`` shell) were never seen.  :class:`RankedFooter` asks its screen for a
rank per action (``screen.footer_rank(action) -> int``, lower is more useful), drops the least useful keys until
the rest fit the width, and shows those in their usual order.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer

__all__ = ["RankedFooter", "keep_fitting"]

GAP = 1  # cells between two keys in the compact footer


def keep_fitting(items: list[tuple[int, int]], width: int) -> set[int]:
    """``items``: (rank, cells) in display order; the indexes to keep: the best-ranked that fit ``width``
    (ties: the earlier first)."""
    order = sorted(range(len(items)), key=lambda i: (items[i][0], i))
    kept: set[int] = set()
    used = 0
    for i in order:
        need = items[i][1] + (GAP if kept else 0)
        if used + need <= width:
            kept.add(i)
            used += need
    return kept


class RankedFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        rank_of = getattr(self.screen, "footer_rank", None)
        width = self.size.width
        if rank_of is None or width <= 0:
            yield from widgets
            return
        items = []
        for w in widgets:
            action = getattr(w, "action", None)
            if action is None:  # not a key (a group label): keep it, it is short
                items.append((-1, 0))
                continue
            text = f"{getattr(w, 'key_display', '')} {getattr(w, 'description', '')}".rstrip()
            items.append((rank_of(action), cell_len(text)))
        kept = keep_fitting(items, width)
        self.styles.grid_size_columns = len(kept)
        for i, w in enumerate(widgets):
            if i in kept:
                yield w

    def on_resize(self, event: events.Resize) -> None:
        self.refresh(recompose=True)
