"""The header: endpoint, runtime name/version/API version, RuntimeReady/NetworkReady with reasons,
refresh interval, last successful refresh or DISCONNECTED with the reason."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from crit.cri.duration import format_duration
from crit.model import ConnectionState
from crit.render.sanitize import sanitize

__all__ = ["NodeHeader"]


class NodeHeader(Widget):
    DEFAULT_CSS = """
    NodeHeader {
        height: auto;
        max-height: 5;  /* a long DISCONNECTED sentence wraps onto up to four lines, to its end */
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, endpoint: str, readonly: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.readonly = readonly
        self.state: ConnectionState | None = None

    def update_state(self, state: ConnectionState) -> None:
        self.state = state
        self.refresh(layout=True)

    def render(self) -> Group:
        return self.render_state(max(20, self.size.width - 2))

    def render_state(self, width: int = 200) -> Group:
        """Two lines; the first drops details (most expendable first) until it fits ``width``."""
        variants = [self._first_line(level) for level in range(6)]
        first = next((v for v in variants if v.cell_len <= width), variants[-1])
        first.no_wrap = True
        first.overflow = "ellipsis"
        return Group(first, self._second_line())

    def _first_line(self, level: int) -> Text:
        """level 0: everything; 1: without the cadence; 2: also without the API version; 3: also without 'crit';
        4: also the endpoint's directory shortened to …; 5: also without the runtime's name and version (the
        time of the last refresh stays)."""
        st = self.state
        t = Text()
        if level < 3:
            t.append("crit ", style="bold")
        endpoint = sanitize(self.endpoint)
        if level >= 4 and "/" in endpoint.rstrip("/"):
            scheme = endpoint.split("://", 1)[0] + "://" if "://" in endpoint else ""
            endpoint = scheme + "…/" + endpoint.rstrip("/").rsplit("/", 1)[-1]
        t.append(endpoint, style="bold")
        if self.readonly:
            t.append("  READ-ONLY", style="bold reverse")
        if st is None:
            t.append("  connecting…")
            return t
        if (st.runtime_name or st.runtime_version) and level < 5:
            t.append("  ")
            t.append(sanitize(f"{st.runtime_name} {st.runtime_version}".strip()))
            if st.api_version and level < 2:
                t.append(f" (CRI {sanitize(st.api_version)})")
        if st.connected:
            when = time.strftime("%H:%M:%S", time.localtime(st.last_ok)) if st.last_ok else "-"
            t.append(f"  updated {when}")
            if level < 1:
                # "+ events" only once the event stream is known to work (containerd 1.6 has none)
                events = " + events" if st.events == "streaming" else ""
                t.append(f" (every {format_duration(st.refresh_interval)}{events})", style="dim")
        elif level < 1:
            t.append(f"  refresh every {format_duration(st.refresh_interval)}")
        return t

    def _second_line(self) -> Text:
        st = self.state
        t = Text(no_wrap=False, overflow="fold")
        if st is None:
            return t
        if not st.connected:
            # the short notes first, the sentence last: wrapped, it ends on screen (its end says what to fix)
            t.append(" DISCONNECTED ", style="bold reverse red")
            if st.next_retry is not None:
                t.append(f" retrying every ≤{format_duration(st.next_retry)}", style="dim")
            if st.ever_connected:
                t.append("  (data shown is stale", style="dim")
                if st.last_ok:
                    t.append(" since " + time.strftime("%H:%M:%S", time.localtime(st.last_ok)), style="dim")
                t.append(")", style="dim")
            t.append("  " + sanitize(st.reason or "the runtime does not answer"), style="red")
            return t
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
        return t
