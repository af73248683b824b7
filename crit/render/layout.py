"""Fitting table columns into a width: drop by priority, then truncate flexible columns (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

from crit.render.rows import Column

__all__ = ["fit_columns", "fit_cell", "cut_path"]

GAP = 1  # spaces between columns


def fit_columns(columns: Sequence[Column], natural: Sequence[int], width: int) -> list[tuple[int, int]]:
    """Choose which columns to show and how wide, for a total ``width``.

    ``natural[i]`` is the widest cell (header included) of column i.  Returns ``[(column index, width), …]`` in
    column order.  Columns with the highest ``priority`` number are dropped first until the minimum widths fit;
    then each shown column gets its natural width (capped by ``max_width``), and if that is too wide, the
    widest flexible columns are shrunk toward their ``min_width``; spare room goes to the last column.
    """
    wants = []
    for col, nat in zip(columns, natural):
        w = max(nat, cell_len(col.label))
        if col.max_width is not None:
            w = min(w, max(col.max_width, cell_len(col.label)))
        wants.append(w)
    shown = list(range(len(columns)))

    def min_total(idx: list[int]) -> int:
        return sum(min(columns[i].min_width, wants[i]) for i in idx) + GAP * max(0, len(idx) - 1)

    while len(shown) > 1 and min_total(shown) > width:
        worst = max(shown, key=lambda i: (columns[i].priority, i))
        if columns[worst].priority == 0 and all(columns[i].priority == 0 for i in shown):
            break
        shown.remove(worst)

    widths = {i: wants[i] for i in shown}
    total = sum(widths.values()) + GAP * max(0, len(shown) - 1)
    excess = total - width
    while excess > 0:
        # shrink the widest column that can still shrink, one cell at a time (few iterations: widths are small)
        candidates = [i for i in shown if widths[i] > min(columns[i].min_width, wants[i])]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: (widths[i] - columns[i].min_width, i))
        floor = min(columns[widest].min_width, wants[widest])
        others = sorted((widths[i] - columns[i].min_width for i in candidates if i != widest), reverse=True)
        target_gap = others[0] if others else 0
        step = max(1, min(excess, widths[widest] - floor, (widths[widest] - columns[widest].min_width) - target_gap))
        widths[widest] -= step
        excess -= step
    return [(i, widths[i]) for i in shown]


def fit_cell(text: str, width: int, align: str = "left", cut: str = "end") -> str:
    """``text`` padded or truncated (with an ellipsis) to exactly ``width`` cells; ``cut="path"`` shortens a
    path-like text (an image reference) from the left, whole ``/`` parts first (see :func:`cut_path`)."""
    n = cell_len(text)
    if n > width and cut == "path" and width > 1:
        text = cut_path(text, width)
        n = cell_len(text)
    if n > width:
        if width <= 1:
            return set_cell_size(text, width)
        cut = set_cell_size(text, width - 1).rstrip(" ") + "…"
        return cut + " " * (width - cell_len(cut))
    if align == "right":
        return " " * (width - n) + text
    return text + " " * (width - n)


def cut_path(text: str, width: int) -> str:
    """A path-like ``text`` (``localhost:5000/library/nginx:1.25.3``) shortened to ``width`` cells by dropping its
    leading ``/`` parts first, so the last part (the image's ``name:tag``) stays: ``…/library/nginx:1.25.3``,
    ``…/nginx:1.25.3``.  Whenever a leading part is dropped the text starts with ``…/``, so a local image never
    looks like a Docker Hub one.  When ``…/name:tag`` is still too wide the name loses its end, the tag stays
    whole: ``…/node-e…:v1.6.1`` (a text without ``/`` too: ``node-e…:v1.6.1``); when even that is too wide,
    ``…/name:tag`` is returned (the caller cuts its end).  A text that fits is returned unchanged."""
    if cell_len(text) <= width:
        return text
    start = 0
    while True:
        slash = text.find("/", start)
        if slash < 0:
            break
        tail = "…" + text[slash:]
        if cell_len(tail) <= width:
            return tail
        start = slash + 1
    prefix, last = ("…/" if start else ""), text[start:]
    colon = last.rfind(":")
    if "@" not in last and colon > 0:
        name, tag = last[:colon], last[colon:]
        room = width - cell_len(prefix) - cell_len(tag) - 1  # "…" after what is kept of the name
        if room >= 1:
            return prefix + set_cell_size(name, room).rstrip(" ") + "…" + tag
    return prefix + last
