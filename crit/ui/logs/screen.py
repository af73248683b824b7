"""The logs screen: a container's CRI log file, opened at its tail and followed.

``l`` on a container opens it.  Keys: ``f`` follow (on by default), ``t`` timestamps, ``w`` wrap, ``/`` search
with ``n`` / ``N``, ``ctrl+s`` save, ``p`` the previous attempt's log (again: back to the current one), ``o``
older lines (the file's history before the loaded tail), ``c`` copy the file's path, ``esc`` / ``q`` back.

The file is read with :class:`crit.logs.LogFollower` (tail read backwards in blocks, then polled; rotation and
truncation handled), in worker threads, so a 1 GB log opens as fast as its last blocks can be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from crit.cri.states import CONTAINER_CREATED
from crit.logs import (
    LogFileError,
    LogFollower,
    check_log_access,
    compile_query,
    copy_log,
    find_next,
    find_prev,
    previous_log_path,
    read_tail,
    save_records,
)
from crit.logs.paths import previous_attempt_ids
from crit.render.human import short_id
from crit.render.human import size as human_size
from crit.render.sanitize import sanitize
from crit.ui.guard import unless_torn_down
from crit.ui.logs.dialogs import SaveDialog, SaveRequest
from crit.ui.logs.logview import LogView
from crit.ui.prompt import PromptBar, PromptInput

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp

__all__ = ["LogScreen", "LogTarget", "TAIL_LINES"]

TAIL_LINES = 2000
POLL_INTERVAL = 0.5


@dataclass
class LogTarget:
    """The container whose log is shown (from ContainerStatus)."""

    container_id: str
    name: str = ""
    pod_id: str = ""
    pod_name: str = ""
    attempt: int = 0
    log_path: str = ""


class LogScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("f", "toggle_follow", "Follow", show=True),
        Binding("t", "toggle_timestamps", "Timestamps", show=True),
        Binding("w", "toggle_wrap", "Wrap", show=True),
        Binding("slash", "search", "Search", show=True),
        Binding("n", "next_match(1)", "Next", show=True),
        Binding("N", "next_match(-1)", "Prev", show=False),
        Binding("ctrl+s", "save", "Save", show=True),
        Binding("p", "previous", "Prev attempt", show=True),
        Binding("o", "older", "Older", show=False),
        Binding("c", "copy_path", "Copy path", show=False),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]

    DEFAULT_CSS = """
    LogScreen { layout: vertical; }
    LogScreen #log-error { height: auto; color: $error; padding: 1 2; display: none; }
    LogScreen #log-error.-shown { display: block; }
    LogScreen #log-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(
        self,
        app: CritApp,
        container_id: str = "",
        *,
        path: str | None = None,
        tail_lines: int = TAIL_LINES,
        interval: float = POLL_INTERVAL,
    ) -> None:
        """Show the log of ``container_id`` (its log_path from ContainerStatus), or of the CRI log file ``path``."""
        super().__init__()
        self.crit = app
        self.target = LogTarget(container_id, log_path=path or "")
        self.direct_path = path
        self.tail_lines = tail_lines
        self.interval = interval
        self.view = LogView(id="log-view")
        self.follower: LogFollower | None = None
        self.path = ""  # the file shown now
        self.previous = False  # showing the previous attempt's log
        self.follow = True
        self.start_offset = 0  # file offset of the first loaded line (older lines: `o`)
        self.error: str | None = None
        self.poll_error: str | None = None
        self.pattern: re.Pattern[str] | None = None
        self.search_text = ""
        self.loaded = asyncio.Event()  # the first load finished (tests)
        self._marks = (0, 0)  # follower rotations/truncations seen

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="log-title", classes="view-title", markup=False)
        yield Static("", id="log-error", markup=False)
        yield self.view
        yield Static("", id="log-status", markup=False)
        yield PromptBar(
            PromptInput(
                id="log-search",
                on_submit=self._search_entered,
                on_cancel=self._close_search,
                placeholder="search: regex or text, smart case   ⏎ finds, n/N next/prev, esc cancels",
            )
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.view.focus()
        self._update_title()
        self._update_status()
        self.run_worker(self._open(), group="log-open", exclusive=True)
        self.run_worker(self._poll_loop(), group="log-poll", exclusive=True)

    def on_unmount(self) -> None:
        if self.follower is not None:
            self.follower.close()
            self.follower = None

    # ------------------------------------------------------------------ loading

    @property
    def endpoint(self) -> str:
        return self.crit.endpoint_label

    async def _open(self) -> None:
        t = self.target
        if self.direct_path is not None:
            t.name = os.path.basename(self.direct_path)
            await self._load(self.direct_path)
            self.loaded.set()
            return
        try:
            resp = await self.crit.client.container_status(t.container_id)
        except Exception as exc:  # noqa: BLE001 - one sentence on screen, never a traceback
            self._show_error(sanitize(str(exc)) or type(exc).__name__, "")
            self.loaded.set()
            return
        st = resp.status
        t.name = st.metadata.name
        t.attempt = int(st.metadata.attempt)
        t.log_path = st.log_path
        ctr = self.crit.model.containers.items.get(t.container_id) if hasattr(self.crit, "model") else None
        if ctr is not None:
            t.pod_id = ctr.pod_sandbox_id
            pod = self.crit.model.pods.items.get(ctr.pod_sandbox_id)
            t.pod_name = pod.metadata.name if pod is not None else ""
        if not t.pod_name:
            t.pod_name = st.labels.get("io.kubernetes.pod.name", "")
        if (
            int(st.state) == CONTAINER_CREATED
            and st.log_path
            and not await asyncio.to_thread(os.path.exists, st.log_path)
        ):
            # not started yet: no file until it starts; follow the path so its first lines show up
            self.path = st.log_path
            self._update_title()
            self.follower = LogFollower(
                st.log_path, tail_lines=self.tail_lines, interval=self.interval, runtime_endpoint=self.endpoint
            )
            self.view.empty_text = (
                f"(container {sanitize(t.name)} has not started yet: its log appears here when it starts)"
            )
            self.view.refresh()
            self.loaded.set()
            return
        await self._load(st.log_path)
        self.loaded.set()

    async def _load(self, path: str, *, previous: bool = False) -> bool:
        """Show ``path`` from its tail; False (and the reason on screen) when it cannot be read."""
        if self.follower is not None:
            self.follower.close()
            self.follower = None
        self.path = path
        self.previous = previous
        self.pattern, self.search_text = None, ""
        self.view.set_pattern(None)
        self._update_title()
        try:
            check_log_access(path, self.endpoint)
            follower = LogFollower(
                path, tail_lines=self.tail_lines, interval=self.interval, runtime_endpoint=self.endpoint
            )
            result = await follower.open()
        except LogFileError as exc:
            self.view.set_records([])
            self._show_error(str(exc), path)
            return False
        self._show_error(None, path)
        self.follower = follower
        self._marks = (0, 0)
        self.start_offset = result.start
        self.view.empty_text = "(the log file is empty)"
        self.view.set_records(result.records, result.pending)
        self.view.to_end()
        self._update_status()
        return True

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            follower = self.follower
            if follower is None or not self.follow:
                continue
            try:
                batch = await follower.poll()
            except LogFileError as exc:
                if self.poll_error != str(exc):
                    self.poll_error = str(exc)
                    self._update_status()
                continue
            if follower is not self.follower:  # another file was opened meanwhile
                continue
            if self.poll_error is not None:
                self.poll_error = None
                self._update_status()
            marks = (follower.rotations, follower.truncations)
            if marks != self._marks:
                self._marks = marks
                self.start_offset = 0  # older lines of a rotated/truncated file are not reachable
            pending = follower.pending()
            if batch or pending != self.view.pending:
                self.view.append(batch, pending)
                if self.follow:
                    self.view.to_end()
                self._update_status()

    # ------------------------------------------------------------------ display

    def _show_error(self, message: str | None, path: str) -> None:
        self.error = message
        if not self.is_attached:
            return
        box = self.query_one("#log-error", Static)
        if message is None:
            box.remove_class("-shown")
            box.update("")
            return
        text = Text(sanitize(message))
        if path:
            text.append("\n\nLog file: ", style="bold")
            text.append(sanitize(path))
            text.append("   (c copies the path)", style="dim")
        box.update(text)
        box.add_class("-shown")
        self.view.empty_text = "(no log lines: the file cannot be read)"
        self.view.refresh()
        self._update_status()

    @unless_torn_down
    def _update_title(self) -> None:
        if not self.is_attached:
            return
        t = self.target
        title = Text("Logs  ")
        title.append(sanitize(t.name) or short_id(t.container_id), style="bold")
        if t.pod_name:
            title.append("  pod ")
            title.append(sanitize(t.pod_name), style="bold")
        attempt = t.attempt - 1 if self.previous else t.attempt
        title.append(f"  attempt {attempt}")
        if self.previous:
            title.append("  (previous attempt)", style="bold")
        if self.path:
            title.append("  " + sanitize(self.path), style="dim")
        self.query_one("#log-title", Static).update(title)

    @unless_torn_down
    def _update_status(self) -> None:
        if not self.is_attached:
            return
        parts = []
        view = self.view
        if self.error is not None:
            parts.append("cannot read the log")
        else:
            parts.append("FOLLOWING" if self.follow else "paused (f follows)")
        parts.append(f"{len(view.records)} lines")
        if self.start_offset > 0:
            parts.append(f"{human_size(self.start_offset)} earlier not loaded (o loads older)")
        if view.dropped:
            parts.append(f"{view.dropped} oldest dropped")
        parts.append("timestamps" if view.timestamps else "no timestamps")
        if view.wrap:
            parts.append("wrap")
        if self.follower is not None and self.follower.missing:
            parts.append("log file gone")
        if self.pattern is not None:
            total = self._match_count()
            if view.current is not None and total:
                before = sum(
                    1 for r in view.records[: view.current] if self.pattern.search(r.to_file_line(view.timestamps))
                )
                parts.append(f"/{sanitize(self.search_text)}: match {before + 1} of {total}")
            else:
                parts.append(f"/{sanitize(self.search_text)}: {total} matches")
        line = "  |  ".join(parts)
        if self.poll_error:
            line += "  |  " + sanitize(self.poll_error)
        self.query_one("#log-status", Static).update(line)

    def _match_count(self) -> int:
        pat, ts = self.pattern, self.view.timestamps
        if pat is None:
            return 0
        return sum(1 for r in self.view.records if pat.search(r.to_file_line(ts)))

    # ------------------------------------------------------------------ toggles

    def action_close(self) -> None:
        search = self.query_one("#log-search", Input)
        if search.has_class("-shown"):
            self._close_search()
            return
        self.dismiss()

    def set_follow(self, on: bool) -> None:
        self.follow = on
        if on:
            self.view.to_end()
        self._update_status()

    def action_toggle_follow(self) -> None:
        self.set_follow(not self.follow)

    @on(LogView.UserScrolled)
    def _user_scrolled(self) -> None:
        if self.follow:
            self.set_follow(False)

    def action_toggle_timestamps(self) -> None:
        self.view.set_timestamps(not self.view.timestamps)
        self._update_status()

    def action_toggle_wrap(self) -> None:
        self.view.set_wrap(not self.view.wrap)
        if self.follow:
            self.view.to_end()
        self._update_status()

    def action_copy_path(self) -> None:
        if not self.path:
            self.notify("The runtime reported no log path for this container.", severity="warning")
            return
        self.app.copy_to_clipboard(self.path)
        self.notify(f"Copied {sanitize(self.path)} to the clipboard.", markup=False)

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        self.query_one("#log-search", PromptInput).open(self.search_text)

    def on_key(self, event: events.Key) -> None:
        self.query_one("#log-search", PromptInput).search_key(event, self.action_search)

    def _close_search(self) -> None:
        self.query_one("#log-search", PromptInput).close()
        self.set_focus(self.view)

    def _search_entered(self, value: str) -> None:
        self._close_search()
        self.search(value)

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search_entered(event.value)

    def search(self, query: str) -> int | None:
        """Find ``query``: the nearest match at or above the bottom of the screen (newest first); returns
        the record index, or None (and a notification) when nothing matches."""
        if not query:
            self.pattern, self.search_text = None, ""
            self.view.set_pattern(None)
            self._update_status()
            return None
        pattern = compile_query(query)  # the panels' `/` matching, smart case
        self.pattern, self.search_text = pattern, query
        self.view.set_pattern(pattern)
        records = self.view.records
        start = min(self.view.bottom_record() + 1, len(records))
        index = find_prev(records, pattern, start if start < len(records) else -1, timestamps=self.view.timestamps)
        if index is None:  # the view does not move: it goes on following if it was
            self.notify(f"No line matches {sanitize(query)!r}.", severity="warning", markup=False)
        else:
            if self.follow:  # the view moves to the match: following would take it away
                self.set_follow(False)
            self.view.show_record(index)
        self._update_status()
        return index

    def action_next_match(self, step: int) -> None:
        if self.pattern is None:
            self.notify("Nothing to repeat: / searches first.", severity="warning")
            return
        records = self.view.records
        current = self.view.current if self.view.current is not None else self.view.top_record()
        if step > 0:
            index = find_next(records, self.pattern, current, timestamps=self.view.timestamps)
        else:
            index = find_prev(records, self.pattern, current, timestamps=self.view.timestamps)
        if index is None:
            self.notify(f"No line matches {sanitize(self.search_text)!r}.", severity="warning", markup=False)
            return
        if self.follow:
            self.set_follow(False)
        self.view.show_record(index)
        self._update_status()

    # ------------------------------------------------------------------ save

    def _default_save_path(self) -> str:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", self.target.name or "container")[:60]
        suffix = "-previous" if self.previous else ""
        return os.path.join(os.getcwd(), f"{name}-{short_id(self.target.container_id)}{suffix}.log")

    def action_save(self) -> None:
        if not self.path or self.error is not None:
            self.notify("There is no log loaded to save.", severity="warning")
            return

        def answered(req: SaveRequest | None) -> None:
            if req is not None:
                self.run_worker(self.save(req), group="log-save")

        self.app.push_screen(
            SaveDialog(self._default_save_path(), lines=len(self.view.records), timestamps=self.view.timestamps),
            answered,
        )

    async def save(self, req: SaveRequest) -> bool:
        dest = os.path.expanduser(req.path)
        try:
            if req.raw:
                n = await asyncio.to_thread(copy_log, self.path, dest)
                done = f"Saved the whole log file ({human_size(n)}) to {dest}."
            else:
                records = list(self.view.records)
                n = await asyncio.to_thread(save_records, records, dest, timestamps=req.timestamps)
                done = f"Saved {n} lines to {dest}."
        except LogFileError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=10)
            return False
        self.notify(sanitize(done), markup=False)
        return True

    # ------------------------------------------------------------------ previous attempt / older lines

    async def previous_path(self) -> str:
        """The previous attempt's log: the old container's own log_path when the runtime still has it, else
        the path the kubelet layout gives (``N-1.log``) — both worked out by :mod:`crit.logs.paths`.  Raises
        LogFileError with one sentence (attempt 0: there is no previous attempt)."""
        t = self.target
        listed = self.crit.model.containers.items.values()
        ids = previous_attempt_ids(listed, pod_id=t.pod_id, name=t.name, attempt=t.attempt, current_id=t.container_id)
        for old_id in ids:
            with contextlib.suppress(Exception):
                st = (await self.crit.client.container_status(old_id)).status
                found: bool = bool(st.log_path) and await asyncio.to_thread(os.path.exists, st.log_path)
                if found:
                    return st.log_path
        return await asyncio.to_thread(previous_log_path, t.log_path, t.attempt, container_name=sanitize(t.name))

    def action_previous(self) -> None:
        self.run_worker(self.toggle_previous(), group="log-open", exclusive=True)

    async def toggle_previous(self) -> None:
        if self.previous:
            await self._load(self.target.log_path)
            self.notify("Showing the current attempt's log.", markup=False, timeout=3)
            return
        try:
            path = await self.previous_path()
        except LogFileError as exc:
            self.notify(str(exc), severity="warning", markup=False, timeout=8)
            return
        if await self._load(path, previous=True):
            self.notify(
                f"Showing the previous attempt's log; p goes back to attempt {self.target.attempt}.",
                markup=False,
                timeout=4,
            )

    def action_older(self) -> None:
        self.run_worker(self.load_older(), group="log-older", exclusive=True)

    async def load_older(self) -> int:
        """Prepend up to ``tail_lines`` records from before the loaded ones; returns how many."""
        if not self.path or self.start_offset <= 0:
            self.notify("The whole log file is loaded: there are no older lines.", timeout=3)
            return 0
        room = self.view.max_records - len(self.view.records)
        if room <= 0:
            self.notify(
                f"{len(self.view.records)} lines are loaded, the most kept at once.", severity="warning", markup=False
            )
            return 0
        try:
            res = await asyncio.to_thread(read_tail, self.path, min(room, self.tail_lines), before=self.start_offset)
        except LogFileError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return 0
        if self.follow:
            self.set_follow(False)
        self.start_offset = res.start
        self.view.prepend(res.records)
        self._update_status()
        return len(res.records)
