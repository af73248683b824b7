"""The header: endpoint, runtime name/version/API version, RuntimeReady/NetworkReady with reasons,
refresh interval, last successful refresh or DISCONNECTED with the reason."""

from __future__ import annotations

import time

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from crit.model import ConnectionState
from crit.render.sanitize import sanitize

__all__ = ["NodeHeader"]


class NodeHeader(Static):
    DEFAULT_CSS = """
    NodeHeader {
        height: auto;
        max-height: 3;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, endpoint: str, readonly: bool = False, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.endpoint = endpoint
        self.readonly = readonly
        self.state: ConnectionState | None = None

    def update_state(self, state: ConnectionState) -> None:
        self.state = state
        self.update(self.render_state())

    def render_state(self) -> Group:
        first, second = self._lines()
        return Group(first, second)

    def _lines(self) -> tuple[Text, Text]:
        st = self.state
        t = Text(no_wrap=True, overflow="ellipsis")
        t2 = Text(no_wrap=False, overflow="fold")
        t.append("crit ", style="bold")
        t.append(sanitize(self.endpoint), style="bold")
        if self.readonly:
            t.append("  READ-ONLY", style="bold reverse")
        if st is None:
            t.append("  connecting…")
            return t, t2
        if st.runtime_name or st.runtime_version:
            t.append("  ")
            t.append(sanitize(f"{st.runtime_name} {st.runtime_version}".strip()))
            if st.api_version:
                t.append(f" (CRI {sanitize(st.api_version)})")
        if st.connected:
            when = time.strftime("%H:%M:%S", time.localtime(st.last_ok)) if st.last_ok else "-"
            t.append(f"  updated {when}")
            t.append(f" (every {st.refresh_interval:g}s{' + events' if st.events == 'streaming' else ''})",
                     style="dim")
        else:
            t.append(f"  refresh every {st.refresh_interval:g}s")
        first = t  # the first line is done; conditions or DISCONNECTED go to the second
        t = t2
        if not st.connected:
            t.append(" DISCONNECTED ", style="bold reverse red")
            t.append(" " + sanitize(st.reason or "the runtime does not answer"), style="red")
            if st.ever_connected:
                t.append("  (data shown is stale", style="dim")
                if st.last_ok:
                    t.append(" since " + time.strftime("%H:%M:%S", time.localtime(st.last_ok)), style="dim")
                t.append(")", style="dim")
            if st.next_retry is not None:
                t.append(f"  retrying every ≤{st.next_retry:.2g}s", style="dim")
            return first, t
        if not st.conditions:
            t.append("no runtime conditions reported", style="dim")
        for i, cond in enumerate(st.conditions):
            if i:
                t.append("  ")
            t.append(sanitize(cond.type) + " ")
            t.append("✓" if cond.status else "✗", style="bold green" if cond.status else "bold red")
            if not cond.status or cond.reason:
                detail = ": ".join(x for x in (sanitize(cond.reason), sanitize(cond.message)) if x)
                if detail:
                    t.append(" " + detail, style="dim" if cond.status else "yellow")
        return first, t
