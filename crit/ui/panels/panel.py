"""A bordered panel around one NodeTable, with a title that counts rows, marks, filter and pod scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from crit.model.kinds import ResourceKind
from crit.render.filters import RowFilter
from crit.render.layout import fit_cell
from crit.render.rows import Column
from crit.render.sanitize import sanitize
from crit.ui.panels.table import NodeTable, Row

__all__ = ["ResourcePanel"]

_STATE_STYLE = {
    "Ready": "ok",
    "Running": "ok",
    "NotReady": "warn",
    "Created": "warn",
    "Exited": "muted",
    "Unknown": "bad",
}


# what an empty panel says while crit has never reached the runtime (the header says why): "no pods" there would
# look like an empty runtime (issue 10 D); before the first answer or failure it is still connecting
NOT_CONNECTED = "not connected — see the header"
CONNECTING = "connecting…"

_TITLE_TEXT_MAX = 24  # cells of a filter or pod name in a title: the counts after it must stay visible


def _cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells with an ellipsis (not padded)."""
    return fit_cell(text, width).rstrip(" ") if cell_len(text) > width else text


def _styler(cols: tuple[Column, ...]) -> Callable[[int, str], str | None]:
    state_i = next((i for i, c in enumerate(cols) if c.key == "state"), -1)
    exit_i = next((i for i, c in enumerate(cols) if c.key == "exit"), -1)
    id_i = next((i for i, c in enumerate(cols) if c.key == "id"), -1)

    def style_cell(i: int, text: str) -> str | None:
        if i == state_i:
            return _STATE_STYLE.get(text)
        if i == exit_i and text not in ("", "0", "…"):
            return "bad"
        if i == id_i:
            return "muted"
        return None

    return style_cell


def pod_namespace(obj: Any) -> str | None:
    md = getattr(obj, "metadata", None)
    return getattr(md, "namespace", None)


def row_names(obj: Any) -> tuple[str, ...]:
    """The names of a row's object as the runtime has them (for `/` filters: ``=name``, hidden characters)."""
    md = getattr(obj, "metadata", None)
    if md is not None:
        return (md.name,)
    tags = list(getattr(obj, "repo_tags", ()))
    repos = [t.rsplit(":", 1)[0] for t in tags if ":" in t and "/" not in t.rsplit(":", 1)[1]]  # as IMAGE shows
    return (*tags, *repos, *getattr(obj, "repo_digests", ()))


class ResourcePanel(Vertical):
    DEFAULT_CSS = """
    ResourcePanel {
        height: 1fr;
        border-top: round $panel-lighten-2;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        border-title-align: left;
        border-subtitle-align: right;
    }
    ResourcePanel:focus-within {
        height: 2fr;
        border-top: round $accent;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text;
    }
    """

    def __init__(self, kind: ResourceKind) -> None:
        super().__init__(id=f"panel-{kind.name}")
        self.kind = kind
        self.table = NodeTable(
            kind.columns, style_cell=_styler(kind.columns), id=f"table-{kind.name}", empty_text=CONNECTING
        )
        self.filter: RowFilter | None = None
        self.scope_pod: tuple[str, str] | None = None  # (pod id, pod name) for the containers panel
        # a row object's namespace (for containers the app sets its pod's)
        self.namespace_of: Callable[[Any], str | None] = pod_namespace
        self.stale = False

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.update_title()

    def fit_height(self) -> None:
        """Cap the panel at what it has to show (its title, the header and its rows, at least one line for
        "no pods"): a panel with few rows shrinks to them and the others share the space (issue 10 D)."""
        lines = 2 + max(1, self.table.row_count)
        if self.styles.max_height is None or self.styles.max_height.value != lines:
            self.styles.max_height = lines

    def update_title(self) -> None:
        self.fit_height()
        t = self.table
        title = Text()
        title.append(self.kind.title)
        if self.scope_pod is not None:
            title.append(" of pod ")
            title.append(_cut(sanitize(self.scope_pod[1]), _TITLE_TEXT_MAX), style="bold")
        shown, total = t.row_count, len(t.rows)
        # a filter or a scope is on: always "shown/total", even when every row matches
        narrowed = self.filter is not None or self.scope_pod is not None
        title.append(f" [{shown}/{total}]" if narrowed or shown != total else f" [{shown}]")
        if self.filter is not None:
            title.append(" ")
            title.append("/" + _cut(sanitize(self.filter.source), _TITLE_TEXT_MAX), style="bold")
        if t.marks:
            title.append(f" {len(t.marks)} marked", style="bold")
        if t.new_above:
            title.append(f" ↑{t.new_above} new", style="bold")
        if self.stale:
            title.append(" STALE", style="bold red")
        self.border_title = title
        sub = Text()
        if self.filter is not None:
            sub.append("filter: ")
            sub.append(self.filter.description)
            sub.append("  esc clears")
        elif self.scope_pod is not None:
            sub.append("esc shows all")
        self.border_subtitle = sub if sub.plain else None

    def on_node_table_new_above_changed(self, event: NodeTable.NewAboveChanged) -> None:
        event.stop()
        self.update_title()

    def apply_filter(self, row_filter: RowFilter | None) -> None:
        self.filter = row_filter
        if row_filter is None:
            self.table.set_filter(None)
        else:
            ns_of = self.namespace_of
            self.table.set_filter(
                lambda row: row_filter.matches(row.text, row.labels, row_names(row.obj), ns_of(row.obj))
            )
        self.update_title()

    def apply_scope(self, pod: tuple[str, str] | None) -> None:
        self.scope_pod = pod
        if pod is None:
            self.table.set_scope(None)
        else:
            pid = pod[0]
            self.table.set_scope(lambda row: row.obj.pod_sandbox_id == pid)
        self.update_title()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.table.set_class(stale, "-stale")
            self.update_title()

    def set_connection(self, connected: bool, ever_connected: bool) -> None:
        """Follow the connection: rows kept and marked STALE after a disconnect; while never connected an empty
        panel says so (not "no pods")."""
        self.set_stale(not connected and ever_connected)
        text = f"no {self.kind.name}" if connected or ever_connected else NOT_CONNECTED
        if text != self.table.empty_text:
            self.table.empty_text = text
            self.table.refresh()

    def update_rows(self, changed: list[Row], removed: set[str]) -> None:
        self.table.update_rows(changed, removed)
        self.update_title()
