"""The pod and container parts of the launch forms, each reading/writing a :mod:`crit.model.launch` form state."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, Static

from crit.model.launch import ContainerForm, PodForm
from crit.ui.forms.widgets import KV_ROWS, MOUNT_ROWS, PORT_ROWS, RowsEditor, bool_field, fid, select_field, text_field

_SECTION_CSS = """
{name} {{ height: auto; border: round $panel-lighten-2; padding: 0 1; margin: 0 0 1 0; }}
{name} > .section-title {{ text-style: bold; padding: 0 0 0 1; }}
{name} > .subtitle {{ color: $accent; padding: 1 0 0 1; }}
"""


class _Section(Vertical):
    prefix: str = ""

    def p(self, name: str) -> str:
        return self.prefix + name

    def _in(self, name: str) -> Input:
        return self.query_one("#" + fid(self.p(name)), Input)

    def _cb(self, name: str) -> Checkbox:
        return self.query_one("#" + fid(self.p(name)), Checkbox)

    def _sel(self, name: str) -> Select[Any]:
        return self.query_one("#" + fid(self.p(name)), Select)

    def _rows(self, name: str) -> RowsEditor:
        return self.query_one(f"#rows-{self.p(name).replace('.', '-')}", RowsEditor)


class PodSection(_Section):
    """Pod fields. ``prefix`` is ``""`` in the New pod screen and ``"pod."`` inside the New container screen."""

    DEFAULT_CSS = _SECTION_CSS.format(name="PodSection")

    def __init__(
        self, form: PodForm, *, prefix: str = "", title: str = "Pod", network_hint: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.prefix = prefix
        self.form = form
        self.title = title
        self.network_hint = network_hint

    def compose(self) -> ComposeResult:
        f, p = self.form, self.p
        yield Label(Text(self.title), classes="section-title")
        yield Static("Metadata", classes="subtitle")
        yield text_field(p("name"), "Name", f.name, "DNS-1123 name, e.g. web")
        yield text_field(p("namespace"), "Namespace", f.namespace)
        yield text_field(p("uid"), "UID (generated)", f.uid)
        yield text_field(p("attempt"), "Attempt", f.attempt)
        yield Static("Pod", classes="subtitle")
        yield text_field(p("hostname"), "Hostname", f.hostname, "(empty: runtime default)")
        yield text_field(p("log_directory"), "Log directory", f.log_directory, "absolute path, e.g. /var/log/pods/web")
        yield RowsEditor(p("labels"), "Labels", KV_ROWS, list(f.labels))
        yield RowsEditor(p("annotations"), "Annotations", KV_ROWS, list(f.annotations))
        yield RowsEditor(p("port_mappings"), "Port mappings", PORT_ROWS, list(f.port_mappings))
        yield Static("DNS", classes="subtitle")
        yield text_field(p("dns_servers"), "DNS servers", f.dns_servers, "IP addresses, comma separated")
        yield text_field(p("dns_searches"), "DNS searches", f.dns_searches, "domains, comma separated")
        yield text_field(p("dns_options"), "DNS options", f.dns_options, "e.g. ndots:5")
        yield Static("Linux", classes="subtitle")
        yield select_field(
            p("network"),
            "Network mode",
            [("pod (own network namespace)", "pod"), ("node (host network)", "node")],
            f.network,
            hint=self.network_hint,
        )
        yield text_field(p("runtime_handler"), "Runtime handler", f.runtime_handler, "(empty: default)")
        yield text_field(p("cgroup_parent"), "Cgroup parent", f.cgroup_parent, "(empty: runtime default)")
        yield RowsEditor(p("sysctls"), "Sysctls", KV_ROWS, list(f.sysctls), placeholder="net.ipv4.ip_forward=1")
        yield Static("Security", classes="subtitle")
        yield bool_field(p("privileged"), "Privileged", f.privileged)
        yield text_field(p("run_as_user"), "Run as user (uid)", f.run_as_user)
        yield bool_field(p("readonly_rootfs"), "Read-only root filesystem", f.readonly_rootfs)

    def read(self) -> PodForm:
        """The form state as the widgets hold it now (``base`` of an import is kept)."""
        form = PodForm(
            name=self._in("name").value,
            namespace=self._in("namespace").value,
            uid=self._in("uid").value,
            attempt=self._in("attempt").value,
            hostname=self._in("hostname").value,
            log_directory=self._in("log_directory").value,
            labels=self._rows("labels").values(),
            annotations=self._rows("annotations").values(),
            port_mappings=self._rows("port_mappings").values(),
            dns_servers=self._in("dns_servers").value,
            dns_searches=self._in("dns_searches").value,
            dns_options=self._in("dns_options").value,
            network=str(self._sel("network").value),
            runtime_handler=self._in("runtime_handler").value,
            cgroup_parent=self._in("cgroup_parent").value,
            sysctls=self._rows("sysctls").values(),
            privileged=self._cb("privileged").value,
            run_as_user=self._in("run_as_user").value,
            readonly_rootfs=self._cb("readonly_rootfs").value,
        )
        form.base = self.form.base
        return form

    async def load(self, form: PodForm) -> None:
        """Put ``form`` into the widgets (import)."""
        self.form = form
        for name in (
            "name",
            "namespace",
            "uid",
            "attempt",
            "hostname",
            "log_directory",
            "dns_servers",
            "dns_searches",
            "dns_options",
            "runtime_handler",
            "cgroup_parent",
            "run_as_user",
        ):
            self._in(name).value = getattr(form, name)
        self._sel("network").value = form.network
        self._cb("privileged").value = form.privileged
        self._cb("readonly_rootfs").value = form.readonly_rootfs
        for name in ("labels", "annotations", "port_mappings", "sysctls"):
            await self._rows(name).set_values(list(getattr(form, name)))

    def set_network_hint(self, hint: str) -> None:
        h = self.query_one(f"#h-{self.p('network').replace('.', '-')}", Static)
        h.update(Text(hint))
        h.display = bool(hint)


class ContainerSection(_Section):
    """Container fields (no prefix)."""

    DEFAULT_CSS = _SECTION_CSS.format(name="ContainerSection")

    def __init__(self, form: ContainerForm, *, images: list[str] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.form = form
        self.images = images or []
        # the log path follows the name (NAME.log) until the user types a log path of their own
        self.log_path_auto = form.log_path_auto or form.log_path == f"{form.name}.log"

    def compose(self) -> ComposeResult:
        f, p = self.form, self.p
        yield Label("Container", classes="section-title")
        yield text_field(p("name"), "Name", f.name, "DNS-1123 label, e.g. app")
        yield text_field(p("attempt"), "Attempt", f.attempt)
        yield text_field(
            p("image"),
            "Image",
            f.image,
            "e.g. localhost:5000/busybox:latest (→ completes)",
            suggester=SuggestFromList(self.images, case_sensitive=True),
        )
        yield bool_field(p("pull_if_missing"), "Pull image if missing", f.pull_if_missing)
        yield text_field(p("command"), "Command", f.command, "words, shell quoting, e.g. sh -c 'sleep 3600'")
        yield text_field(p("args"), "Args", f.args, "words, shell quoting")
        yield text_field(p("working_dir"), "Working directory", f.working_dir, "absolute path")
        yield RowsEditor(p("env"), "Environment", KV_ROWS, list(f.env), placeholder="NAME=value")
        yield RowsEditor(p("mounts"), "Mounts", MOUNT_ROWS, list(f.mounts))
        yield text_field(p("log_path"), "Log path", f.effective_log_path(), "NAME.log, in the pod's log directory")
        yield bool_field(p("stdin"), "Stdin", f.stdin)
        yield bool_field(p("stdin_once"), "Stdin once", f.stdin_once)
        yield bool_field(p("tty"), "TTY", f.tty)
        yield RowsEditor(p("labels"), "Labels", KV_ROWS, list(f.labels))
        yield RowsEditor(p("annotations"), "Annotations", KV_ROWS, list(f.annotations))
        yield Static("Resources", classes="subtitle")
        yield text_field(p("cpu_period"), "CPU period (µs)", f.cpu_period, "e.g. 100000")
        yield text_field(p("cpu_quota"), "CPU quota (µs)", f.cpu_quota, "e.g. 50000")
        yield text_field(p("cpu_shares"), "CPU shares", f.cpu_shares, "2-262144")
        yield text_field(p("memory_limit"), "Memory limit", f.memory_limit, "bytes or 64Mi, 1Gi …")
        yield Static("Security", classes="subtitle")
        yield text_field(p("run_as_user"), "Run as user (uid)", f.run_as_user)
        yield bool_field(p("privileged"), "Privileged", f.privileged)
        yield bool_field(p("readonly_rootfs"), "Read-only root filesystem", f.readonly_rootfs)

    def read(self) -> ContainerForm:
        form = ContainerForm(
            name=self._in("name").value,
            attempt=self._in("attempt").value,
            image=self._in("image").value,
            command=self._in("command").value,
            args=self._in("args").value,
            working_dir=self._in("working_dir").value,
            env=self._rows("env").values(),
            mounts=self._rows("mounts").values(),
            log_path=self._in("log_path").value,
            log_path_auto=False,
            stdin=self._cb("stdin").value,
            stdin_once=self._cb("stdin_once").value,
            tty=self._cb("tty").value,
            labels=self._rows("labels").values(),
            annotations=self._rows("annotations").values(),
            cpu_period=self._in("cpu_period").value,
            cpu_quota=self._in("cpu_quota").value,
            cpu_shares=self._in("cpu_shares").value,
            memory_limit=self._in("memory_limit").value,
            run_as_user=self._in("run_as_user").value,
            privileged=self._cb("privileged").value,
            readonly_rootfs=self._cb("readonly_rootfs").value,
            pull_if_missing=self._cb("pull_if_missing").value,
        )
        form.base = self.form.base
        return form

    async def load(self, form: ContainerForm) -> None:
        self.form = form
        self.log_path_auto = form.log_path_auto
        for name in (
            "name",
            "attempt",
            "image",
            "command",
            "args",
            "working_dir",
            "cpu_period",
            "cpu_quota",
            "cpu_shares",
            "memory_limit",
            "run_as_user",
        ):
            self._in(name).value = getattr(form, name)
        self._in("log_path").value = form.effective_log_path()
        for name in ("stdin", "stdin_once", "tty", "privileged", "readonly_rootfs"):
            self._cb(name).value = getattr(form, name)
        for name in ("env", "mounts", "labels", "annotations"):
            await self._rows(name).set_values(list(getattr(form, name)))

    def name_changed(self, old: str, new: str) -> None:
        """Keep the log path at NAME.log while the user has not typed one."""
        if self.log_path_auto:
            lp = self._in("log_path")
            want = f"{new}.log" if new else ""
            if lp.value != want:
                lp.value = want

    def log_path_changed(self, value: str) -> None:
        name = self._in("name").value
        self.log_path_auto = value == (f"{name}.log" if name else "")

    def set_images(self, images: list[str]) -> None:
        self.images = images
        self._in("image").suggester = SuggestFromList(images, case_sensitive=True)
