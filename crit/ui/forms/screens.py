"""New pod / New container screens: validate as you type, live crictl YAML preview, import/export, submit.

The screens talk to the runtime only through :class:`crit.cri.client.CriClient`. On success they notify with the
new id and dismiss with a :class:`LaunchResult` (the app selects that object in its panels); on a runtime error
they stay open, keep everything typed and show the runtime's sentence.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, ProgressBar, Select, Static

from crit.cri import spec
from crit.cri.errors import CriError
from crit.cri.pb import api_pb2 as pb
from crit.errors import one_sentence
from crit.model import export_place
from crit.model.launch import (
    ContainerForm,
    FieldError,
    PodForm,
    default_network_mode,
    default_pull_if_missing,
)
from crit.model.launching import CreatedPod, LaunchFailed, LaunchKind, launch_container, launch_pod
from crit.render.sanitize import sanitize, sanitize_multiline
from crit.ui.forms.sections import ContainerSection, PodSection
from crit.ui.forms.widgets import ErrorLine, Row, RowsEditor, eid, fid
from crit.ui.guard import unless_torn_down
from crit.ui.keyorder import OrderedInput, OrderedSelect

if TYPE_CHECKING:  # pragma: no cover
    from crit.cri.client import CriClient

NEW_POD = "__new_pod__"
PREVIEW_DELAY = 0.15  # seconds after the last change before the YAML preview is rebuilt


@dataclass
class LaunchResult:
    """What a launch screen created. ``kind`` a pod or a container; ``id`` the new object's id;
    ``pod_id`` the pod it is in; ``severity`` ``"information"``, or ``"error"`` when a created container did
    not start (it is left as the runtime left it)."""

    kind: LaunchKind
    id: str
    pod_id: str
    name: str
    message: str
    severity: str = "information"


def _short(id_: str) -> str:
    return id_[:13]


def _one_sentence(exc: BaseException) -> str:
    return sanitize(one_sentence(exc))


class PathDialog(ModalScreen[tuple[str, str] | None]):
    """Ask for a file path (and, when there is a choice, what the file holds)."""

    DEFAULT_CSS = """
    PathDialog { align: center middle; }
    PathDialog > Vertical { width: 72; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    PathDialog .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#path"  # focused as the dialog opens: the keys typed behind ctrl+o/ctrl+e go into the path

    def __init__(
        self,
        title: str,
        path: str,
        kinds: list[str] | None = None,
        kind: str | None = None,
        proposals: dict[str, str] | None = None,
        hint: str = "enter: OK · esc: cancel · a name ending in .json means JSON",
    ) -> None:
        super().__init__()
        self.hint = hint
        self.title_text = title
        self.path = path
        self.kinds = kinds or []
        self.kind = kind or (self.kinds[0] if self.kinds else "")
        self.proposals = proposals or {}  # kind → proposed path: follows the kind until the user edits the path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text))
            if len(self.kinds) > 1:
                yield OrderedSelect([(k, k) for k in self.kinds], value=self.kind, allow_blank=False, id="kind")
            yield OrderedInput(self.path, placeholder="path of a crictl YAML or JSON file", id="path")
            yield Static(self.hint, classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#path", Input)
        new = self.proposals.get(str(event.value))
        if new is not None and path.value == self.proposals.get(self.kind, path.value):
            path.value = new
            path.cursor_position = len(new)
        self.kind = str(event.value)

    @on(Input.Submitted, "#path")
    def _ok(self, event: Input.Submitted) -> None:
        event.stop()
        kind = self.kind
        if len(self.kinds) > 1:
            kind = str(self.query_one("#kind", Select).value)
        path = os.path.expanduser(event.value.strip())
        self.dismiss((path, kind) if path else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LaunchScreen(Screen[LaunchResult | None]):
    """Shared behaviour of the two launch screens."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", priority=True),
        Binding("ctrl+o", "import_file", "Import", priority=True),
        Binding("ctrl+e", "export_file", "Export", priority=True),
        Binding("f2", "toggle_preview", "Preview"),
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    LaunchScreen { layout: vertical; }
    LaunchScreen #title { height: 1; padding: 0 1; background: $accent; color: $text; text-style: bold; }
    LaunchScreen #body { height: 1fr; }
    LaunchScreen #form { width: 3fr; height: 1fr; }
    LaunchScreen #side { width: 2fr; height: 1fr; border-left: solid $panel-lighten-2; }
    LaunchScreen #side > Label { padding: 0 1; color: $text-muted; }
    LaunchScreen #preview-scroll { height: 1fr; }
    LaunchScreen #preview { padding: 0 1; width: auto; }
    LaunchScreen.-narrow #side { display: none; }
    LaunchScreen.-narrow.-preview #side { display: block; width: 1fr; }
    LaunchScreen.-narrow.-preview #form { display: none; }
    LaunchScreen #busy { height: 1; display: none; padding: 0 1; }
    LaunchScreen #busy.-shown { display: block; }
    LaunchScreen #busy ProgressBar { width: 30; }
    LaunchScreen #elapsed { width: 1fr; padding: 0 1; }
    LaunchScreen #status { height: auto; max-height: 4; padding: 0 1; }
    LaunchScreen #status.-error { color: $error; }
    /* a checkbox reads on or off by its mark, not only by its colour: off draws no X (the mark takes the box's
       colour), on a bold X in the success colour */
    LaunchScreen Checkbox > .toggle--button { color: $panel; }
    LaunchScreen Checkbox.-on > .toggle--button { color: $text-success; text-style: bold; }
    """

    title_text = "New"
    # the first field is focused as the screen opens (before, the form's scroll box was, until on_mount's focus a
    # turn later): the keys typed behind the key that opened the form (held by crit.ui.keyorder) go into it
    AUTO_FOCUS = "#form Input"

    def __init__(self, client: CriClient) -> None:
        super().__init__()
        self.client = client
        self.touched: set[str] = set()
        self.show_all = False
        self.errors: list[FieldError] = []
        self.busy = False
        self.last_preview = ""
        self._busy_text = ""
        self._busy_start = 0.0
        self._busy_timer: Timer | None = None
        self._refresh_pending = False
        self._preview_timer: Timer | None = None
        self._preview_text: str | None = None
        self._network_default: tuple[str, str] | None = None
        self.edited = False  # the user changed a field, added/removed a row or imported a file
        self._initial_state: object = None

    # -- layout ----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text), id="title")
        with Horizontal(id="body"):
            with VerticalScroll(id="form"):
                yield from self.form_widgets()
            with Vertical(id="side"):
                yield Label("crictl YAML preview (f2 hides, ctrl+e exports)")
                with VerticalScroll(id="preview-scroll"):
                    yield Static("", id="preview", markup=False)
        with Horizontal(id="busy"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
            yield Static("", id="elapsed", markup=False)
        yield Static("", id="status", markup=False)
        yield Footer()

    def form_widgets(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_mount(self) -> None:
        self._initial_state = self.form_state()
        self.refresh_form()
        first = self.query("#form Input").first()
        self.set_focus(first)
        self.run_worker(self.load_runtime_facts(), group="facts", exit_on_error=False)

    async def load_runtime_facts(self) -> None:
        """Ask the runtime for what the form needs to know (network readiness, images)."""

    # -- live validation -------------------------------------------------------------------------------------
    def _touch(self, widget: Widget) -> None:
        if widget.has_focus:
            self.edited = True
        if widget.id and widget.id.startswith("f-") and widget.has_focus:
            self.touched.add(widget.id)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if not (event.input.id or "").startswith("f-"):
            return
        self._touch(event.input)
        self.field_changed(event.input.id or "", event.value)
        self.schedule_refresh()

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._touch(event.checkbox)
        self.schedule_refresh()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self._touch(event.select)
        self.field_changed(event.select.id or "", event.value)
        self.schedule_refresh()

    def field_changed(self, widget_id: str, value: object) -> None:
        """Hook for cross-field behaviour (log path follows the name, target pod switch)."""

    def schedule_refresh(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            self.call_after_refresh(self._do_refresh)

    def _do_refresh(self) -> None:
        self._refresh_pending = False
        if self.is_attached:
            self.refresh_form()

    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if not bid.startswith(("add-", "rm-")):
            return
        event.stop()
        editor = next((a for a in event.button.ancestors if isinstance(a, RowsEditor)), None)
        row = next((a for a in event.button.ancestors if isinstance(a, Row)), None)
        if editor is None:
            return
        self.edited = True
        if bid.startswith("add-"):
            await editor.add_row()
        elif row is not None:
            await editor.remove_row(row.index)
        self.schedule_refresh()

    def validate_all(self) -> list[FieldError]:  # pragma: no cover - overridden
        return []

    def build_preview(self) -> str:  # pragma: no cover - overridden
        return ""

    def refresh_form(self) -> None:
        self.errors = self.validate_all()
        lines = list(self.query(ErrorLine))
        self._lines_by_id = {line.id: line for line in lines if line.id}
        shown: dict[str, list[str]] = {}
        for err in self.errors:
            target = self._error_line_for(err.field)
            if target is None:
                continue
            # shown once the user has been in the field (or, for a row, in any field of that row), or after submit
            if self.show_all or self._touched_under("f-" + (target.id or "")[2:]) or fid(err.field) in self.touched:
                shown.setdefault(target.id or "", []).append(err.message)
        for line in lines:
            line.show(" ".join(shown.get(line.id or "", [])))
        # the preview is rebuilt a moment after typing stops (a YAML dump and a re-layout per key is wasted work)
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self.update_preview)

    @unless_torn_down
    def update_preview(self) -> None:
        """Show the config exactly as crictl's YAML (or, while the form has errors, what to fix first)."""
        self._preview_timer = None
        if not self.is_attached:
            return
        preview = self.query_one("#preview", Static)
        if not self.errors:
            try:
                self.last_preview = self.build_preview()
            except Exception as exc:  # noqa: BLE001 - a config the dumper cannot write, however it fails: say so
                self.last_preview = f"# cannot show this config: {exc}\n"
            text = self.last_preview
        else:
            n = len(self.errors)
            head = f"# {n} problem{'s' if n > 1 else ''} to fix in the form\n"
            text = head + (("# last valid config:\n" + self.last_preview) if self.last_preview else "")
        if text != self._preview_text:
            self._preview_text = text
            preview.update(Text(sanitize_multiline(text)))

    def _touched_under(self, prefix: str) -> bool:
        return any(t == prefix or t.startswith(prefix + "-") for t in self.touched)

    def _error_line_for(self, path: str) -> ErrorLine | None:
        by_id = getattr(self, "_lines_by_id", None)
        if by_id is None:
            by_id = self._lines_by_id = {line.id: line for line in self.query(ErrorLine) if line.id}
        parts = path.split(".")
        while parts:
            line = by_id.get(eid(".".join(parts)))
            if line is not None:
                return line
            parts.pop()
        return None

    def focus_field(self, path: str) -> bool:
        parts = path.split(".")
        while parts:
            found = self.query("#" + fid(".".join(parts)))
            if found:
                w = found.first()
                w.focus()
                w.scroll_visible()
                return True
            parts.pop()
        return False

    NARROW = 110  # columns below which the preview is a separate view (f2) instead of a side pane

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < self.NARROW, "-narrow")

    def action_toggle_preview(self) -> None:
        """f2: on a narrow terminal switch between the form and the preview (on a wide one: show/hide it)."""
        if self.has_class("-narrow"):
            self.toggle_class("-preview")
        else:
            side = self.query_one("#side")
            side.display = not side.display

    # -- status / busy ---------------------------------------------------------------------------------------
    def set_status(self, message: str, error: bool = False) -> None:
        st = self.query_one("#status", Static)
        st.update(Text(message))
        st.set_class(error, "-error")

    def start_busy(self, text: str) -> None:
        self._busy_text = text
        self._busy_start = time.monotonic()
        self.query_one("#busy").add_class("-shown")
        self._tick()
        if self._busy_timer is None:
            self._busy_timer = self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._busy_start
        self.query_one("#elapsed", Static).update(Text(f"{self._busy_text} … {elapsed:.1f} s"))

    def stop_busy(self) -> None:
        self.query_one("#busy").remove_class("-shown")
        if self._busy_timer is not None:
            self._busy_timer.stop()
            self._busy_timer = None

    def fail(self, message: str) -> None:
        """A runtime error after submit: shown in the form, everything typed is kept."""
        self.stop_busy()
        self.busy = False
        self.set_status(message, error=True)

    # -- actions ---------------------------------------------------------------------------------------------
    def form_state(self) -> object:  # pragma: no cover - overridden
        """Everything the form holds, comparable (to tell whether closing it would lose input)."""
        return None

    def has_changes(self) -> bool:
        """True when closing would lose something typed or imported."""
        return self.edited and self.form_state() != self._initial_state

    def action_cancel(self) -> None:
        if self.busy:
            self.set_status("Still talking to the runtime; wait for it to answer.", error=True)
            return
        if self.has_changes():
            from crit.ui.dialogs.confirm import ConfirmDialog

            self.app.push_screen(
                ConfirmDialog("Discard the changes to this form?", verb="Discard"), self._discard_answer
            )
            return
        self.dismiss(None)

    def _discard_answer(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)

    def action_submit(self) -> None:
        if self.busy:
            return
        self.show_all = True
        self.refresh_form()
        if self.errors:
            first = self.errors[0]
            self.focus_field(first.field)
            n = len(self.errors)
            self.set_status(
                f"Not submitted: {first.message}" + (f" ({n - 1} more below.)" if n > 1 else ""), error=True
            )
            return
        self.busy = True
        self.set_status("")
        self.run_worker(self._submit_guarded(), group="submit", exclusive=True, exit_on_error=False)

    async def _submit_guarded(self) -> None:
        try:
            await self.submit()
        except Exception as exc:  # noqa: BLE001 - never lose the form (and what was typed) to an unexpected error
            self.fail(f"Submitting failed: {_one_sentence(exc)}")

    async def submit(self) -> None:  # pragma: no cover - overridden
        pass

    def export_kinds(self) -> list[str]:  # pragma: no cover - overridden
        return []

    def export_name(self, kind: str) -> str:  # pragma: no cover - overridden
        """The name of the object of ``kind`` as typed (the proposed file is ``NAME.yaml``)."""
        return ""

    def action_export_file(self, path: str | None = None, kind: str | None = None) -> None:
        if self.busy:
            return
        kinds = self.export_kinds()
        proposals = {k: export_place.propose(self.export_name(k), k) for k in kinds}
        kind = kind if kind in kinds else kinds[0]
        self.app.push_screen(
            PathDialog("Export to file", path or proposals[kind], kinds, kind, proposals), self._export_to
        )

    def _export_to(self, answer: tuple[str, str] | None) -> None:
        if not answer:
            return
        path, kind = answer
        self.show_all = True
        self.refresh_form()
        errors = [e for e in self.errors if self.error_kind(e) == kind]
        if errors:
            self.focus_field(errors[0].field)
            self.set_status(f"Not exported: {errors[0].message}", error=True)
            return
        if os.path.isdir(path):
            self.set_status(
                f"Not exported: {sanitize(path)} is a directory; add a file name such as "
                f"{export_place.file_name(self.export_name(kind), kind)}.",
                error=True,
            )
            return
        if os.path.lexists(path):
            from crit.ui.dialogs.confirm import ConfirmDialog

            def overwrite(yes: bool | None) -> None:
                if yes:
                    self._export(path, kind)
                else:  # back to the path, to choose another name
                    self.action_export_file(path, kind)

            self.app.push_screen(ConfirmDialog(f"{path} already exists. Overwrite it?", verb="Overwrite"), overwrite)
            return
        self._export(path, kind)

    def _export(self, path: str, kind: str) -> None:
        try:
            spec.dump_file(self.config_for(kind), path)
        except CriError as exc:
            self.set_status(f"Export failed: {_one_sentence(exc)}", error=True)
            return
        problem = export_place.remember(path)
        # said once, in the form's status line (a toast repeating it was drawn over it, cutting it off)
        self.set_status(f"Exported the {kind} config to {sanitize(path)}.")
        if problem:
            self.app.notify(sanitize(problem), severity="warning", markup=False)

    def error_kind(self, err: FieldError) -> str:
        return LaunchKind.POD if err.field.startswith("pod.") else self.export_kinds()[0]

    def config_for(self, kind: str) -> pb.PodSandboxConfig | pb.ContainerConfig:  # pragma: no cover - overridden
        raise NotImplementedError

    def action_import_file(self) -> None:
        if self.busy:
            return
        kinds = self.export_kinds()
        directory = export_place.last_dir()
        start = os.path.join(directory, "") if directory else ""
        self.app.push_screen(
            PathDialog(
                "Import a crictl YAML or JSON file",
                start,
                kinds,
                hint="enter: import · esc: cancel · YAML or JSON, whatever the name",
            ),
            self._import_from,
        )

    async def _import_from(self, answer: tuple[str, str] | None) -> None:
        if not answer:
            return
        path, kind = answer
        try:
            if kind == LaunchKind.POD:
                cfg = spec.load_pod_config(path)
            else:
                cfg = spec.load_container_config(path)
        except CriError as exc:
            self.set_status(f"Import failed: {_one_sentence(exc)}", error=True)
            return
        if not cfg.ListFields():
            self.set_status(
                f"Not imported: {sanitize(path)} holds no {kind} config (it is empty); the form is unchanged.",
                error=True,
            )
            return
        self.edited = True
        export_place.remember(path)  # the next export or import starts there
        await self.load_config(kind, cfg)
        self.show_all = True
        self.refresh_form()
        self.set_status(f"Imported the {kind} config from {sanitize(path)}.")

    async def load_config(self, kind: str, cfg: Any) -> None:  # pragma: no cover - overridden
        pass

    async def network_default(self, section: PodSection) -> None:
        """Network mode node only when the runtime reports NetworkReady false (and say why)."""
        if self._network_default is None:
            try:
                st = await self.client.status()
            except Exception:  # noqa: BLE001 - a hint only: no answer, whatever the failure, keeps pod mode
                return
            self._network_default = ("pod", "")
            for cond in st.status.conditions:
                if cond.type == "NetworkReady":
                    self._network_default = default_network_mode(
                        cond.status, sanitize(cond.reason), sanitize(cond.message)
                    )
        if self.is_attached and section.is_mounted:
            self.apply_network_default(section)

    def apply_network_default(self, section: PodSection) -> None:
        """Set the runtime's default network mode unless the user chose one or the loaded config names one."""
        if self._network_default is None:
            return
        mode, why = self._network_default
        if mode != "node":
            return
        base = section.form.base
        explicit = base is not None and base.linux.security_context.HasField("namespace_options")
        if fid(section.p("network")) not in self.touched and not explicit:
            section._sel("network").value = "node"
            if base is not None:
                why += " The loaded file does not choose a network mode."
        elif section._sel("network").value != "node":
            why = (
                why.replace(
                    "Network mode is node because the runtime reports", "Pod networking may fail: the runtime reports"
                ).rstrip(".")
                + "; node is the safe choice."
            )
        section.set_network_hint(why)


class NewPodScreen(LaunchScreen):
    """``n`` / ``:new pod``: build a PodSandboxConfig and run it (RunPodSandbox)."""

    title_text = "New pod — ctrl+s create · ctrl+o import · ctrl+e export · esc cancel"

    def __init__(
        self,
        client: CriClient,
        *,
        form: PodForm | None = None,
        config: pb.PodSandboxConfig | None = None,
        runtime_handler: str = "",
    ) -> None:
        super().__init__(client)
        if form is None:
            form = PodForm.from_config(config, runtime_handler=runtime_handler) if config is not None else PodForm()
        self.pod_form = form
        self.show_all = config is not None

    def form_widgets(self) -> ComposeResult:
        yield PodSection(self.pod_form, id="pod-section")

    @property
    def section(self) -> PodSection:
        return self.query_one("#pod-section", PodSection)

    async def load_runtime_facts(self) -> None:
        await self.network_default(self.section)

    def validate_all(self) -> list[FieldError]:
        return self.section.read().validate()

    def form_state(self) -> object:
        return self.section.read()

    def build_preview(self) -> str:
        return spec.dump_yaml(self.section.read().to_config())

    def export_kinds(self) -> list[str]:
        return [LaunchKind.POD]

    def export_name(self, kind: str) -> str:
        return self.section.read().name

    def config_for(self, kind: str) -> pb.PodSandboxConfig | pb.ContainerConfig:
        return self.section.read().to_config()

    async def load_config(self, kind: str, cfg: Any) -> None:
        handler = self.section.read().runtime_handler
        await self.section.load(PodForm.from_config(cfg, runtime_handler=handler))
        self.apply_network_default(self.section)

    async def submit(self) -> None:
        form = self.section.read()
        try:
            pod_id = await launch_pod(self.client, form, self.start_busy)
        except LaunchFailed as exc:
            self.fail(sanitize(exc.message))
            return
        self.stop_busy()
        msg = sanitize(f"Pod {form.name} created: {pod_id}")
        self.app.notify(msg, title="New pod", markup=False)
        self.dismiss(LaunchResult(LaunchKind.POD, pod_id, pod_id, form.name, msg))


class NewContainerScreen(LaunchScreen):
    """``r`` / ``:run``: build a ContainerConfig and create + start it in the selected pod or in a new pod built
    in the same screen (like ``crictl run``)."""

    title_text = "New container — ctrl+s run · ctrl+o import · ctrl+e export · esc cancel"
    DEFAULT_CSS = """
    NewContainerScreen #target-box { height: auto; padding: 0 1 0 2; margin: 0 0 1 0; }
    NewContainerScreen #target-box > Label { width: 26; text-style: bold; }
    NewContainerScreen #target-box > Select { width: 1fr; }
    """

    def __init__(
        self,
        client: CriClient,
        *,
        pod_id: str | None = None,
        pod_label: str = "",
        form: ContainerForm | None = None,
        config: pb.ContainerConfig | None = None,
        pod_form: PodForm | None = None,
        pod_config: pb.PodSandboxConfig | None = None,
        pod_sandbox_config: pb.PodSandboxConfig | None = None,
        pull_image_on_create: bool = False,
        disable_pull_on_run: bool = False,
    ) -> None:
        super().__init__(client)
        self.pod_id = pod_id
        self.pod_label = pod_label
        self.known_sandbox_config = pod_sandbox_config
        self.pull_image_on_create = pull_image_on_create
        self.disable_pull_on_run = disable_pull_on_run
        new_pod = pod_id is None
        pull = default_pull_if_missing(pull_image_on_create, disable_pull_on_run, new_pod=new_pod)
        if form is None:
            form = (
                ContainerForm.from_config(config, pull_if_missing=pull)
                if config is not None
                else ContainerForm(pull_if_missing=pull)
            )
        if pod_form is None:
            pod_form = PodForm.from_config(pod_config) if pod_config is not None else PodForm()
        self.container_form = form
        self.pod_form = pod_form
        self.show_all = config is not None or pod_config is not None
        self.images: list[str] = []

    def form_widgets(self) -> ComposeResult:
        options: list[tuple[Text, str]] = [(Text("a new pod (fields below)"), NEW_POD)]
        if self.pod_id:
            options.insert(0, (Text(self.pod_label or f"pod {_short(self.pod_id)}"), self.pod_id))
        with Horizontal(id="target-box"):
            yield Label("Into pod")
            yield Select(options, value=self.pod_id or NEW_POD, allow_blank=False, id="target", compact=True)
        yield ContainerSection(self.container_form, id="container-section")
        if self.pod_id is None:  # built on demand otherwise (a quicker screen for the common case)
            yield PodSection(self.pod_form, prefix="pod.", title="New pod", id="pod-section")

    @property
    def has_pod_section(self) -> bool:
        return bool(self.query("#pod-section"))

    async def _ensure_pod_section(self) -> None:
        if self.has_pod_section:
            self.pod_section.display = True
        else:
            section = PodSection(self.pod_form, prefix="pod.", title="New pod", id="pod-section")
            await self.query_one("#form").mount(section)
            self.refresh_form()
            await self.network_default(section)
        self.refresh_form()

    @property
    def section(self) -> ContainerSection:
        return self.query_one("#container-section", ContainerSection)

    @property
    def pod_section(self) -> PodSection:
        return self.query_one("#pod-section", PodSection)

    @property
    def target(self) -> str:
        return str(self.query_one("#target", Select).value)

    async def load_runtime_facts(self) -> None:
        if self.has_pod_section:
            await self.network_default(self.pod_section)
        try:
            pods = await self.client.list_pod_sandbox(state="SANDBOX_READY")
            images = await self.client.list_images()
        except Exception:  # noqa: BLE001 - suggestions only: the form works without them, whatever failed
            return
        if not self.is_attached:
            return
        names = sorted({t for img in images for t in img.repo_tags})
        self.images = names
        self.section.set_images(names)
        sel = self.query_one("#target", Select)
        current = sel.value
        options: list[tuple[Text, str]] = []
        for p in sorted(pods, key=lambda p: (p.metadata.namespace, p.metadata.name)):
            label = f"{sanitize(p.metadata.name)} ({sanitize(p.metadata.namespace)}) {_short(p.id)}"
            options.append((Text(label), p.id))
        if self.pod_id and self.pod_id not in {p.id for p in pods}:
            options.insert(0, (Text(self.pod_label or f"pod {_short(self.pod_id)}"), self.pod_id))
        options.append((Text("a new pod (fields below)"), NEW_POD))
        with self.prevent(Select.Changed):
            sel.set_options(options)
            sel.value = current
        self.refresh_form()

    def field_changed(self, widget_id: str, value: object) -> None:
        if widget_id == fid("name"):
            self.section.name_changed("", str(value))
        elif widget_id == fid("log_path"):
            self.section.log_path_changed(str(value))
        elif widget_id == "target":
            new = value == NEW_POD
            if new:
                self.run_worker(self._ensure_pod_section(), group="pod-section")
            elif self.has_pod_section:
                self.pod_section.display = False
            if fid("pull_if_missing") not in self.touched:
                self.section._cb("pull_if_missing").value = default_pull_if_missing(
                    self.pull_image_on_create, self.disable_pull_on_run, new_pod=new
                )

    @property
    def new_pod(self) -> bool:
        return self.target == NEW_POD and self.has_pod_section

    def form_state(self) -> object:
        return (self.target, self.section.read(), self.pod_section.read() if self.has_pod_section else None)

    def validate_all(self) -> list[FieldError]:
        cform = self.section.read()
        if self.new_pod:
            pform = self.pod_section.read()
            return cform.validate(pod=pform) + pform.validate(prefix="pod.")
        return cform.validate()

    def build_preview(self) -> str:
        cform = self.section.read()
        out = "# container config (crictl create/run CONTAINER.yaml)\n" + spec.dump_yaml(cform.to_config())
        if self.new_pod:
            out += "---\n# pod config (crictl runp POD.yaml)\n" + spec.dump_yaml(self.pod_section.read().to_config())
        return out

    def export_kinds(self) -> list[str]:
        return [LaunchKind.CONTAINER, LaunchKind.POD] if self.new_pod else [LaunchKind.CONTAINER]

    def export_name(self, kind: str) -> str:
        return (self.pod_section if kind == LaunchKind.POD else self.section).read().name

    def config_for(self, kind: str) -> pb.PodSandboxConfig | pb.ContainerConfig:
        if kind == LaunchKind.POD:
            return self.pod_section.read().to_config()
        return self.section.read().to_config()

    async def load_config(self, kind: str, cfg: Any) -> None:
        if kind == LaunchKind.POD:
            handler = self.pod_section.read().runtime_handler
            await self.pod_section.load(PodForm.from_config(cfg, runtime_handler=handler))
            self.apply_network_default(self.pod_section)
        else:
            pull = self.section._cb("pull_if_missing").value
            await self.section.load(ContainerForm.from_config(cfg, pull_if_missing=pull))

    async def submit(self) -> None:
        if self.target == NEW_POD and not self.has_pod_section:
            self.fail("The new pod's fields are still being built; submit again in a moment.")
            return
        cform = self.section.read()
        pform = self.pod_section.read() if self.new_pod else None
        pod_id = "" if pform is not None else self.target
        known = self.known_sandbox_config if pform is None and pod_id == self.pod_id else None
        try:
            done = await launch_container(
                self.client, cform, pod_form=pform, pod_id=pod_id, pod_config=known, progress=self.start_busy
            )
        except LaunchFailed as exc:
            if exc.created_pod is not None:
                self._keep_created_pod(exc.created_pod)
            self.fail(sanitize(exc.message))
            return
        self.stop_busy()
        msg = sanitize(done.message)
        if done.started:
            self.app.notify(msg, title="New container", markup=False)
            self.dismiss(LaunchResult(LaunchKind.CONTAINER, done.container_id, done.pod_id, done.name, msg))
        else:
            self.app.notify(msg, title="New container", severity="error", timeout=15, markup=False)
            self.dismiss(
                LaunchResult(LaunchKind.CONTAINER, done.container_id, done.pod_id, done.name, msg, severity="error")
            )

    def _keep_created_pod(self, pod: CreatedPod) -> None:
        """After the container failed in a pod we just created: point the form at that pod (no second pod)."""
        self.pod_id = pod.id
        self.known_sandbox_config = pod.config
        sel = self.query_one("#target", Select)
        options = [
            (Text(f"{sanitize(pod.form.name)} ({sanitize(pod.form.namespace)}) {_short(pod.id)}"), pod.id),
            (Text("a new pod (fields below)"), NEW_POD),
        ]
        with self.prevent(Select.Changed):
            sel.set_options(options)
            sel.value = pod.id
        if self.has_pod_section:
            self.pod_section.display = False
        self.refresh_form()
