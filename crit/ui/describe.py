"""`d` describe (full status, verbose info included, as YAML) and `y` config (crictl YAML), plus the
scrollable, searchable text view that shows them."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import json_format
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets.text_area import Selection

from crit.cri import spec
from crit.model import export_place
from crit.model.kinds import ResourceKind, parse_info
from crit.render.filters import text_pattern
from crit.render.human import age, timestamp
from crit.render.sanitize import sanitize, sanitize_multiline
from crit.ui.prompt import PromptBar, PromptInput

__all__ = ["TextViewScreen", "describe_yaml", "config_yaml", "status_to_data"]


# ---------------------------------------------------------------------------------------------- data → YAML


def _humanize_times(data: Any) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key.endswith("_at") and isinstance(value, (str, int)) and str(value).lstrip("-").isdigit():
                ns = int(value)
                out[key] = f"{timestamp(ns)} ({age(ns)} ago, {ns})" if ns else "0"
            else:
                out[key] = _humanize_times(value)
        return out
    if isinstance(data, list):
        return [_humanize_times(v) for v in data]
    return data


def status_to_data(status_msg: Any, info: dict[str, str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = _humanize_times(
        json_format.MessageToDict(
            status_msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    )
    if info:
        data["info"] = parse_info(info)
    return data


def to_yaml(data: Any) -> str:
    """YAML of the runtime's data, exact (copied and saved as it is): a string with a non-printable character is
    written double-quoted with escapes, so the text shown is the text exported."""
    return spec.exact_yaml(data, width=100)


def describe_yaml(kind: ResourceKind, resp: Any) -> str:
    """The YAML of a *StatusResponse (pods, containers) or ImageStatusResponse."""
    status = kind.status_of(resp)
    if status is None:
        return f"# the runtime no longer knows this {kind.singular}\n"
    return to_yaml(status_to_data(status, dict(resp.info)))


# ---------------------------------------------------------------------------------------------- config


def _dump_spec(msg: Any) -> str:
    """crictl YAML, exact: the runtime's strings as they are (escaped by the YAML emitter, never sanitised), so the
    copied or saved text loads back to the same names, labels and annotations."""
    try:
        return spec.dump_yaml(msg)
    except Exception:  # noqa: BLE001 - fall back to a plain dump with proto field names
        return spec.exact_yaml(json_format.MessageToDict(msg, preserving_proto_field_name=True))


def config_yaml(kind: ResourceKind, resp: Any) -> str:
    """The object's config as crictl YAML (what `crictl runp` / `crictl create` accept); for an image, the
    reference to pull and its OCI config."""
    cfg = kind.config(resp)
    if cfg is None:
        return f"# the runtime no longer knows this {kind.singular}\n"
    return cfg.note + (_dump_spec(cfg.message) if cfg.message is not None else to_yaml(cfg.data))


# ---------------------------------------------------------------------------------------------- the view


class ViewArea(TextArea):
    """The read-only text of a view, moved like less/k9s: j/k and ↑/↓ scroll the text a line (the cursor, a
    single cell nobody sees in a read-only view, stays on the top line shown), pgup/pgdn a page, g/home the
    top, G/end the bottom (TextArea's home/end move within a line, which in a read-only view did nothing)."""

    BINDINGS = [
        Binding("j,down", "line(1)", "Down", show=False),
        Binding("k,up", "line(-1)", "Up", show=False),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "bottom", "Bottom", show=False),
    ]

    def action_line(self, delta: int) -> None:
        """Scroll the text ``delta`` lines; n/N search on from the first line shown."""
        top = max(0, min(round(self.scroll_y) + delta, self.max_scroll_y))
        self.scroll_to(y=top, animate=False, immediate=True)
        row = min(top, self.document.line_count - 1)
        if self.selection.is_empty or not (top <= self.selection.end[0] < top + self.scrollable_content_region.height):
            self.selection = Selection.cursor((row, 0))

    def action_top(self) -> None:
        self.move_cursor((0, 0))
        self.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.move_cursor((self.document.line_count - 1, 0))
        self.scroll_end(animate=False)


class TextViewScreen(Screen[None]):
    """A read-only, scrollable, searchable text (YAML) view; `esc`/`q` close it."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", show=True),
        Binding("slash", "search", "Search", show=True),
        Binding("n", "next_match", "Next", show=True),
        Binding("N", "prev_match", "Previous", show=True),
        Binding("c", "copy", "Copy all", show=True),
        Binding("s", "save", "Save", show=True),
        Binding("question_mark", "app.view_help", "Help", show=False),
    ]
    HELP_MOVES = [
        ("j k  ↑ ↓", "a line down / up"),
        ("pgdn pgup", "a page down / up"),
        ("g  home", "the top"),
        ("G  end", "the bottom"),
    ]

    DEFAULT_CSS = """
    TextViewScreen #title { background: $panel; color: $text; text-style: bold; padding: 0 1; height: 1; }
    TextViewScreen TextArea, TextViewScreen TextArea:focus { height: 1fr; border: none; padding: 0 1; }
    TextViewScreen #status { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, title: str, loader: Callable[[], Awaitable[str]] | str, save_name: str = "") -> None:
        super().__init__()
        self.view_title = sanitize(title)
        self.loader = loader
        self.save_name = save_name  # `s` proposes NAME.yaml
        self.pattern: re.Pattern[str] | None = None
        self.text = ""  # what is shown (sanitised)
        self.export_text = ""  # what copy exports: the text as loaded, exact

    def compose(self) -> ComposeResult:
        yield Static(self.view_title, id="title", markup=False)
        yield ViewArea("loading…", read_only=True, id="text", soft_wrap=False, show_line_numbers=False)
        yield Static("", id="status", markup=False)
        yield PromptBar(
            PromptInput(
                placeholder="search: regex or text, case-insensitive   ⏎ finds, n/N next/prev, esc cancels",
                id="search",
                on_submit=self._search_entered,
                on_cancel=self._close_search,
            )
        )
        yield Footer()

    async def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        if isinstance(self.loader, str):
            self.set_text(self.loader)
        else:
            self.run_worker(self._load(), exclusive=True, group="load")

    async def _load(self) -> None:
        try:
            text = await self.loader()  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - a runtime failure is one sentence in the view
            text = f"# {sanitize(str(exc))}\n"
            self.notify(sanitize(str(exc)), severity="error", markup=False)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.export_text = text
        self.text = sanitize_multiline(text)
        area = self.query_one(TextArea)
        area.load_text(self.text)
        area.move_cursor((0, 0))

    def action_close(self) -> None:
        search = self.query_one("#search", PromptInput)
        if search.is_open:
            self._close_search()
            return
        self.dismiss()

    def action_search(self) -> None:
        search = self.query_one("#search", PromptInput)
        search.open(search.value)

    def _close_search(self) -> None:
        self.query_one("#search", PromptInput).close()
        self.set_focus(self.query_one(TextArea))

    def on_key(self, event: events.Key) -> None:
        self.query_one("#search", PromptInput).search_key(event, self.action_search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search_entered(event.value)

    def _search_entered(self, value: str) -> None:
        self._close_search()
        if not value:
            self.pattern = None
            return
        self.pattern, _plain = text_pattern(value)  # the panels' `/` matching: regex, or the text literally
        self._find(forward=True, from_start=True)

    def action_next_match(self) -> None:
        self._find(forward=True)

    def action_prev_match(self) -> None:
        self._find(forward=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.export_text)
        self.notify("Copied the whole text to the clipboard.")

    def action_save(self, path: str | None = None) -> None:
        """`s`: write the text as loaded (exact) to a file: ``NAME.yaml`` in the last directory used is proposed,
        an existing file is overwritten only when the user says so."""
        from crit.ui.forms.screens import PathDialog

        if not self.export_text:
            self.notify("Nothing to save yet: the text is still loading.", severity="warning")
            return
        proposal = export_place.propose(self.save_name, "crit")
        self.app.push_screen(
            PathDialog(
                "Save this text to a file",
                path or proposal,
                hint="enter: save · esc: cancel · the text is written as it is",
            ),
            self._save_to,
        )

    def _save_to(self, answer: tuple[str, str] | None) -> None:
        if not answer:
            return
        path = answer[0]
        if os.path.isdir(path):
            name = export_place.file_name(self.save_name, "crit")
            self.notify(
                f"Not saved: {sanitize(path)} is a directory; add a file name such as {name}.",
                severity="error",
                markup=False,
            )
            return
        if os.path.lexists(path):
            from crit.ui.dialogs.confirm import ConfirmDialog

            def overwrite(yes: bool | None) -> None:
                if yes:
                    self._write(path)
                else:  # back to the path, to choose another name
                    self.action_save(path)

            self.app.push_screen(ConfirmDialog(f"{path} already exists. Overwrite it?", verb="Overwrite"), overwrite)
            return
        self._write(path)

    def _write(self, path: str) -> None:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.export_text)
        except OSError as exc:
            self.notify(
                f"Not saved: cannot write {sanitize(path)}: {sanitize(exc.strerror or exc)}.",
                severity="error",
                markup=False,
            )
            return
        problem = export_place.remember(path)
        self.notify(f"Saved the text to {sanitize(path)}.", markup=False)
        if problem:
            self.notify(sanitize(problem), severity="warning", markup=False)

    def _find(self, forward: bool, from_start: bool = False) -> None:
        status = self.query_one("#status", Static)
        if self.pattern is None:
            status.update("No search yet: press / to search.")
            return
        area = self.query_one(TextArea)
        lines = self.text.split("\n")
        row, col = area.selection.end if forward else area.selection.start
        if from_start:
            row, col = 0, 0
        matches: list[tuple[int, int, int]] = []
        for i, line in enumerate(lines):
            for m in self.pattern.finditer(line):
                if m.end() > m.start():
                    matches.append((i, m.start(), m.end()))
        if not matches:
            status.update(f"Not found: {self.pattern.pattern}")
            return
        if forward:
            nxt = next((m for m in matches if (m[0], m[1]) >= (row, col)), matches[0])
        else:
            nxt = next((m for m in reversed(matches) if (m[0], m[1]) < (row, col)), matches[-1])
        area.selection = Selection((nxt[0], nxt[1]), (nxt[0], nxt[2]))
        area.scroll_cursor_visible(center=True)
        status.update(f"match {matches.index(nxt) + 1} of {len(matches)}: {self.pattern.pattern}")
