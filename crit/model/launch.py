"""Launch form state: what the New pod / New container forms hold, how it is validated, and how it becomes the
``PodSandboxConfig`` / ``ContainerConfig`` sent to the runtime (and back, for import).

Pure Python: no textual, no grpc. Every value a user types is kept as the text they typed (so a form can show it
back unchanged after an error); numbers are parsed when the config is built. ``validate()`` returns the errors in
form order, each a :class:`FieldError` whose ``field`` is the id of the field it belongs to (``"name"``,
``"port_mappings.1.host_port"``, ``"labels.0"`` …) and whose ``message`` is one sentence.

Fields a form does not show (seccomp, devices, …) survive an import: ``from_config`` keeps the whole imported
message as ``base`` and ``to_config`` starts from a copy of it, overwriting only what the form covers.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from google.protobuf.message import Message

from crit.cri.pb import api_pb2 as pb

PROTOCOLS = ("TCP", "UDP", "SCTP")
PROPAGATIONS = ("private", "host-to-container", "bidirectional")
NETWORK_MODES = ("pod", "node")

_PROTOCOL_TO_PB = {"TCP": pb.TCP, "UDP": pb.UDP, "SCTP": pb.SCTP}
_PROTOCOL_FROM_PB = {v: k for k, v in _PROTOCOL_TO_PB.items()}
_PROPAGATION_TO_PB = {
    "private": pb.PROPAGATION_PRIVATE,
    "host-to-container": pb.PROPAGATION_HOST_TO_CONTAINER,
    "bidirectional": pb.PROPAGATION_BIDIRECTIONAL,
}
_PROPAGATION_FROM_PB = {v: k for k, v in _PROPAGATION_TO_PB.items()}

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SYSCTL_NAME = re.compile(r"^[a-z0-9]([-_a-z0-9]*[a-z0-9])?([./][a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$")
_MEMORY = re.compile(r"^(\d+)\s*(|b|k|kb|ki|kib|m|mb|mi|mib|g|gb|gi|gib|t|tb|ti|tib)$", re.IGNORECASE)
_MEMORY_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "ki": 1024,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mi": 1024**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gi": 1024**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "ti": 1024**4,
    "tib": 1024**4,
}
_SPLIT_LIST = re.compile(r"[\s,]+")

UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1
MAX_UID = 2**32 - 2  # (uid_t)-1 is reserved


class FormInvalid(ValueError):
    """Raised by ``to_config`` when the form does not validate; ``errors`` lists every problem in form order."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        first = errors[0].message if errors else "The form is invalid."
        more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        super().__init__(first + more)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class PortMappingRow:
    protocol: str = "TCP"
    container_port: str = ""
    host_port: str = ""
    host_ip: str = ""

    def is_blank(self) -> bool:
        return not (self.container_port.strip() or self.host_port.strip() or self.host_ip.strip())


@dataclass
class MountRow:
    host_path: str = ""
    container_path: str = ""
    readonly: bool = False
    propagation: str = "private"

    def is_blank(self) -> bool:
        return not (self.host_path.strip() or self.container_path.strip())


def new_uid() -> str:
    """A fresh pod uid (containerd accepts an empty one, but crictl can then no longer inspect or stop the pod)."""
    return str(uuid.uuid4())


def default_network_mode(network_ready: bool | None, reason: str = "", message: str = "") -> tuple[str, str]:
    """The network mode a new pod starts with, and why.

    ``node`` (host network) only when the runtime reports the NetworkReady condition false, since a pod network
    cannot be set up then; otherwise ``pod``. ``network_ready`` None means the status is unknown.
    """
    if network_ready is False:
        why = " ".join(p for p in (reason.strip(), message.strip()) if p) or "no reason given"
        return "node", f"Network mode is node because the runtime reports NetworkReady false ({why})."
    return "pod", ""


# ---------------------------------------------------------------------------------------------------------------
# small parsing helpers (pure, used by validation and building)
# ---------------------------------------------------------------------------------------------------------------


def split_list(text: str) -> list[str]:
    """Split a comma/whitespace separated list as typed in a one-line field."""
    return [p for p in _SPLIT_LIST.split(text.strip()) if p]


def join_list(items: Iterable[str]) -> str:
    return ", ".join(items)


def split_kv(row: str) -> tuple[str, str] | None:
    """``key=value`` → (key, value); None when there is no ``=``. Surrounding spaces of the key are dropped."""
    if "=" not in row:
        return None
    key, value = row.split("=", 1)
    return key.strip(), value


def _kv_rows(rows: list[str]) -> list[tuple[int, str]]:
    return [(i, r) for i, r in enumerate(rows) if r.strip()]


def parse_memory(text: str) -> int | None:
    """``"64Mi"`` → 67108864; plain digits are bytes; None when the text is not a size."""
    m = _MEMORY.match(text.strip())
    if not m:
        return None
    return int(m.group(1)) * _MEMORY_UNITS[m.group(2).lower()]


def _parse_int(text: str) -> int | None:
    t = text.strip()
    if not re.fullmatch(r"[+-]?\d+", t):
        return None
    return int(t)


class _Checker:
    """Collects FieldErrors in the order fields are checked."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, fld: str, message: str) -> None:
        self.errors.append(FieldError(self.prefix + fld, message))

    def integer(
        self,
        fld: str,
        label: str,
        text: str,
        lo: int | None,
        hi: int | None,
        *,
        required: bool = False,
        allow_zero: bool = False,
    ) -> None:
        t = text.strip()
        if not t:
            if required:
                self.add(fld, f"{label} is required.")
            return
        v = _parse_int(t)
        if v is None:
            self.add(fld, f"{label} must be a whole number, not {t!r}.")
            return
        if allow_zero and v == 0:
            return
        if lo is not None and hi is not None and not lo <= v <= hi:
            self.add(fld, f"{label} must be between {lo} and {hi}, not {v}.")
        elif lo is not None and v < lo:
            self.add(fld, f"{label} must be at least {lo}, not {v}.")
        elif hi is not None and v > hi:
            self.add(fld, f"{label} must be at most {hi}, not {v}.")

    def dns_name(self, fld: str, label: str, text: str, *, subdomain: bool, max_len: int, required: bool) -> None:
        t = text
        if not t.strip():
            if required:
                self.add(fld, f"{label} is required.")
            return
        kind = "DNS-1123 subdomain" if subdomain else "DNS-1123 label"
        rx = _DNS1123_SUBDOMAIN if subdomain else _DNS1123_LABEL
        if len(t) > max_len:
            self.add(fld, f"{label} must be at most {max_len} characters long, not {len(t)}.")
        elif not rx.match(t):
            what = "lower-case letters, digits, '-' and '.'" if subdomain else "lower-case letters, digits and '-'"
            self.add(
                fld, f"{label} {t!r} is not a valid {kind}: use {what}, starting and ending with a letter or digit."
            )

    def kv_rows(
        self, fld: str, label: str, rows: list[str], *, key_check: Callable[[str], str | None] | None = None
    ) -> None:
        seen: dict[str, int] = {}
        for i, row in _kv_rows(rows):
            kv = split_kv(row)
            f = f"{fld}.{i}"
            if kv is None:
                self.add(f, f"{label} row {i + 1} {row.strip()!r} must be written key=value.")
                continue
            key, _ = kv
            if not key:
                self.add(f, f"{label} row {i + 1} has an empty key.")
                continue
            if key in seen:
                self.add(f, f"{label} key {key!r} appears twice (rows {seen[key] + 1} and {i + 1}).")
                continue
            seen[key] = i
            if key_check is not None:
                msg = key_check(key)
                if msg:
                    self.add(f, f"{label} row {i + 1}: {msg}")

    def abs_path(self, fld: str, label: str, text: str, *, required: bool = False) -> None:
        if not text.strip():
            if required:
                self.add(fld, f"{label} is required.")
            return
        if not text.startswith("/"):
            self.add(fld, f"{label} must be an absolute path (starting with /), not {text!r}.")


def _kv_dict(rows: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for _, row in _kv_rows(rows):
        kv = split_kv(row)
        if kv is not None and kv[0]:
            out[kv[0]] = kv[1]
    return out


def _kv_rows_from(mapping: Mapping[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(mapping.items())]


def _sysctl_key(key: str) -> str | None:
    if not _SYSCTL_NAME.match(key):
        return f"{key!r} is not a sysctl name (like net.ipv4.ip_forward)."
    return None


def _env_key(key: str) -> str | None:
    if any(c.isspace() for c in key):
        return f"environment variable name {key!r} contains white space."
    return None


# ---------------------------------------------------------------------------------------------------------------
# pod
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class PodForm:
    """Everything the New pod form holds, as typed."""

    name: str = ""
    namespace: str = "default"
    uid: str = field(default_factory=new_uid)
    attempt: str = "0"
    hostname: str = ""
    log_directory: str = ""
    labels: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    port_mappings: list[PortMappingRow] = field(default_factory=list)
    dns_servers: str = ""
    dns_searches: str = ""
    dns_options: str = ""
    network: str = "pod"
    runtime_handler: str = ""
    cgroup_parent: str = ""
    sysctls: list[str] = field(default_factory=list)
    privileged: bool = False
    run_as_user: str = ""
    readonly_rootfs: bool = False
    base: pb.PodSandboxConfig | None = field(default=None, repr=False, compare=False)

    # -- validation ------------------------------------------------------------------------------------------
    def validate(self, prefix: str = "") -> list[FieldError]:
        c = _Checker(prefix)
        c.dns_name("name", "Pod name", self.name, subdomain=True, max_len=253, required=True)
        c.dns_name("namespace", "Namespace", self.namespace, subdomain=False, max_len=63, required=True)
        if not self.uid.strip():
            c.add("uid", "Pod uid is required (a generated one is filled in; type any unique text).")
        elif any(ch.isspace() for ch in self.uid):
            c.add("uid", f"Pod uid {self.uid!r} must not contain white space.")
        c.integer("attempt", "Attempt", self.attempt, 0, UINT32_MAX)
        c.dns_name("hostname", "Hostname", self.hostname, subdomain=True, max_len=64, required=False)
        if self.network == "node" and self.hostname.strip():
            c.add("hostname", "Hostname cannot be set with network mode node: the pod shares the node's hostname.")
        c.abs_path("log_directory", "Log directory", self.log_directory)
        c.kv_rows("labels", "Label", self.labels)
        c.kv_rows("annotations", "Annotation", self.annotations)
        seen_ports: dict[tuple[str, str, str], int] = {}
        for i, pm in enumerate(self.port_mappings):
            if pm.is_blank():
                continue
            f = f"port_mappings.{i}"
            if pm.protocol not in PROTOCOLS:
                c.add(f"{f}.protocol", f"Port mapping {i + 1}: protocol must be TCP, UDP or SCTP, not {pm.protocol!r}.")
            c.integer(
                f"{f}.container_port",
                f"Port mapping {i + 1}: container port",
                pm.container_port,
                1,
                65535,
                required=True,
            )
            c.integer(f"{f}.host_port", f"Port mapping {i + 1}: host port", pm.host_port, 1, 65535, allow_zero=True)
            if pm.host_ip.strip():
                try:
                    ipaddress.ip_address(pm.host_ip.strip())
                except ValueError:
                    c.add(f"{f}.host_ip", f"Port mapping {i + 1}: host IP {pm.host_ip.strip()!r} is not an IP address.")
            hp = pm.host_port.strip()
            if hp and hp != "0":
                key = (pm.protocol, hp, pm.host_ip.strip())
                if key in seen_ports:
                    c.add(
                        f"{f}.host_port",
                        f"Port mapping {i + 1}: host port {pm.protocol} {hp} is already "
                        f"mapped by port mapping {seen_ports[key] + 1}.",
                    )
                else:
                    seen_ports[key] = i
        for s in split_list(self.dns_servers):
            try:
                ipaddress.ip_address(s)
            except ValueError:
                c.add("dns_servers", f"DNS server {s!r} is not an IP address.")
                break
        for s in split_list(self.dns_searches):
            d = s[:-1] if s.endswith(".") else s
            if not _DNS1123_SUBDOMAIN.match(d) or len(d) > 253:
                c.add("dns_searches", f"DNS search domain {s!r} is not a valid DNS-1123 subdomain.")
                break
        if self.network not in NETWORK_MODES:
            c.add("network", f"Network mode must be pod or node, not {self.network!r}.")
        if self.runtime_handler.strip() and any(ch.isspace() for ch in self.runtime_handler.strip()):
            c.add("runtime_handler", f"Runtime handler {self.runtime_handler!r} must not contain white space.")
        cg = self.cgroup_parent.strip()
        if cg:
            if any(ch.isspace() for ch in cg):
                c.add("cgroup_parent", f"Cgroup parent {cg!r} must not contain white space.")
            elif not (cg.startswith("/") or cg.endswith(".slice")):
                c.add(
                    "cgroup_parent",
                    f"Cgroup parent {cg!r} must be an absolute cgroup path (starting with /) or "
                    f"a systemd slice (ending in .slice).",
                )
        c.kv_rows("sysctls", "Sysctl", self.sysctls, key_check=_sysctl_key)
        for i, row in _kv_rows(self.sysctls):
            kv = split_kv(row)
            if kv and kv[0] and not kv[1].strip() and _SYSCTL_NAME.match(kv[0]):
                c.add(f"sysctls.{i}", f"Sysctl row {i + 1}: {kv[0]!r} needs a value.")
        c.integer("run_as_user", "Run as user", self.run_as_user, 0, MAX_UID)
        return c.errors

    # -- building --------------------------------------------------------------------------------------------
    def to_config(self) -> pb.PodSandboxConfig:
        """The ``PodSandboxConfig`` this form describes; raises :class:`FormInvalid` when it does not validate."""
        errors = self.validate()
        if errors:
            raise FormInvalid(errors)
        cfg = pb.PodSandboxConfig()
        if self.base is not None:
            cfg.CopyFrom(self.base)
        cfg.metadata.name = self.name
        cfg.metadata.namespace = self.namespace
        cfg.metadata.uid = self.uid.strip()
        cfg.metadata.attempt = int(self.attempt.strip() or 0)
        cfg.hostname = self.hostname
        cfg.log_directory = self.log_directory
        cfg.labels.clear()
        cfg.labels.update(_kv_dict(self.labels))
        cfg.annotations.clear()
        cfg.annotations.update(_kv_dict(self.annotations))
        del cfg.port_mappings[:]
        for pm in self.port_mappings:
            if pm.is_blank():
                continue
            cfg.port_mappings.add(
                protocol=_PROTOCOL_TO_PB[pm.protocol],
                container_port=int(pm.container_port.strip()),
                host_port=int(pm.host_port.strip() or 0),
                host_ip=pm.host_ip.strip(),
            )
        servers, searches, options = (
            split_list(self.dns_servers),
            split_list(self.dns_searches),
            split_list(self.dns_options),
        )
        if servers or searches or options:
            del cfg.dns_config.servers[:]
            del cfg.dns_config.searches[:]
            del cfg.dns_config.options[:]
            cfg.dns_config.servers.extend(servers)
            cfg.dns_config.searches.extend(searches)
            cfg.dns_config.options.extend(options)
        else:
            cfg.ClearField("dns_config")
        linux = cfg.linux
        linux.cgroup_parent = self.cgroup_parent.strip()
        linux.sysctls.clear()
        linux.sysctls.update({k.strip(): v.strip() for k, v in _kv_dict(self.sysctls).items()})
        sc = linux.security_context
        sc.namespace_options.network = pb.NODE if self.network == "node" else pb.POD
        sc.privileged = self.privileged
        sc.readonly_rootfs = self.readonly_rootfs
        if self.run_as_user.strip():
            sc.run_as_user.value = int(self.run_as_user.strip())
        else:
            sc.ClearField("run_as_user")
        _clear_if_empty(sc, "namespace_options")
        _clear_if_empty(linux, "security_context")
        _clear_if_empty(cfg, "linux")
        return cfg

    @classmethod
    def from_config(cls, cfg: pb.PodSandboxConfig, runtime_handler: str = "") -> PodForm:
        """A form holding ``cfg`` (for import and ``--from``); a missing uid gets a generated one."""
        md = cfg.metadata
        linux = cfg.linux
        sc = linux.security_context
        net = sc.namespace_options.network
        form = cls(
            name=md.name,
            namespace=md.namespace,
            uid=md.uid or new_uid(),
            attempt=str(md.attempt),
            hostname=cfg.hostname,
            log_directory=cfg.log_directory,
            labels=_kv_rows_from(cfg.labels),
            annotations=_kv_rows_from(cfg.annotations),
            port_mappings=[
                PortMappingRow(
                    protocol=_PROTOCOL_FROM_PB.get(pm.protocol, "TCP"),
                    container_port=str(pm.container_port) if pm.container_port else "",
                    host_port=str(pm.host_port) if pm.host_port else "",
                    host_ip=pm.host_ip,
                )
                for pm in cfg.port_mappings
            ],
            dns_servers=join_list(cfg.dns_config.servers),
            dns_searches=join_list(cfg.dns_config.searches),
            dns_options=join_list(cfg.dns_config.options),
            network="node" if net == pb.NODE else "pod",
            runtime_handler=runtime_handler,
            cgroup_parent=linux.cgroup_parent,
            sysctls=_kv_rows_from(linux.sysctls),
            privileged=sc.privileged,
            run_as_user=str(sc.run_as_user.value) if sc.HasField("run_as_user") else "",
            readonly_rootfs=sc.readonly_rootfs,
        )
        base = pb.PodSandboxConfig()
        base.CopyFrom(cfg)
        form.base = base
        return form


def _clear_if_empty(parent: Message, name: str) -> None:
    """Clear sub-message ``name`` when nothing in it is set, so exported YAML has no ``linux: {}`` noise.

    "Nothing set" is judged by ``ListFields`` (not ``ByteSize``): a present ``run_as_user {value: 0}`` counts."""
    if parent.HasField(name) and not getattr(parent, name).ListFields():
        parent.ClearField(name)


# ---------------------------------------------------------------------------------------------------------------
# container
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class ContainerForm:
    """Everything the New container form holds, as typed."""

    name: str = ""
    attempt: str = "0"
    image: str = ""
    command: str = ""
    args: str = ""
    working_dir: str = ""
    env: list[str] = field(default_factory=list)
    mounts: list[MountRow] = field(default_factory=list)
    log_path: str = ""
    log_path_auto: bool = True
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False
    labels: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    cpu_period: str = ""
    cpu_quota: str = ""
    cpu_shares: str = ""
    memory_limit: str = ""
    run_as_user: str = ""
    privileged: bool = False
    readonly_rootfs: bool = False
    pull_if_missing: bool = False
    base: pb.ContainerConfig | None = field(default=None, repr=False, compare=False)

    def effective_log_path(self) -> str:
        """``NAME.log`` while the user has not typed a log path of their own."""
        if self.log_path_auto:
            return f"{self.name}.log" if self.name.strip() else ""
        return self.log_path

    # -- validation ------------------------------------------------------------------------------------------
    def validate(self, prefix: str = "", pod: PodForm | None = None) -> list[FieldError]:
        """Errors in form order; ``pod`` (the pod the container goes into, when known) enables cross checks."""
        c = _Checker(prefix)
        c.dns_name("name", "Container name", self.name, subdomain=False, max_len=63, required=True)
        c.integer("attempt", "Attempt", self.attempt, 0, UINT32_MAX)
        img = self.image.strip()
        if not img:
            c.add("image", "Image is required.")
        elif any(ch.isspace() or ord(ch) < 32 for ch in img):
            c.add("image", f"Image {img!r} must not contain white space.")
        for fld, label, text in (("command", "Command", self.command), ("args", "Args", self.args)):
            try:
                shlex.split(text)
            except ValueError as e:
                c.add(fld, f"{label} cannot be split into words: {e}.")
        c.abs_path("working_dir", "Working directory", self.working_dir)
        c.kv_rows("env", "Environment", self.env, key_check=_env_key)
        seen: dict[str, int] = {}
        for i, m in enumerate(self.mounts):
            if m.is_blank():
                continue
            f = f"mounts.{i}"
            c.abs_path(f"{f}.host_path", f"Mount {i + 1}: host path", m.host_path, required=True)
            c.abs_path(f"{f}.container_path", f"Mount {i + 1}: container path", m.container_path, required=True)
            cp = m.container_path.rstrip("/") or "/"
            if m.container_path.strip():
                if cp in seen:
                    c.add(
                        f"{f}.container_path",
                        f"Mount {i + 1}: container path {cp!r} is already used by mount {seen[cp] + 1}.",
                    )
                else:
                    seen[cp] = i
            if m.propagation not in PROPAGATIONS:
                c.add(
                    f"{f}.propagation",
                    f"Mount {i + 1}: propagation must be private, host-to-container or "
                    f"bidirectional, not {m.propagation!r}.",
                )
        lp = self.effective_log_path()
        if lp:
            if lp.startswith("/"):
                c.add("log_path", f"Log path {lp!r} must be relative: it is placed under the pod's log directory.")
            elif ".." in lp.split("/"):
                c.add("log_path", f"Log path {lp!r} must not leave the pod's log directory with '..'.")
        if self.stdin_once and not self.stdin:
            c.add("stdin_once", "Stdin once needs stdin to be ticked too.")
        c.kv_rows("labels", "Label", self.labels)
        c.kv_rows("annotations", "Annotation", self.annotations)
        c.integer("cpu_period", "CPU period", self.cpu_period, 1000, 1_000_000, allow_zero=True)
        c.integer("cpu_quota", "CPU quota", self.cpu_quota, 1000, INT64_MAX, allow_zero=True)
        c.integer("cpu_shares", "CPU shares", self.cpu_shares, 2, 262144, allow_zero=True)
        mem = self.memory_limit.strip()
        if mem:
            v = parse_memory(mem)
            if v is None:
                c.add(
                    "memory_limit",
                    f"Memory limit {mem!r} must be a number of bytes, optionally with a unit (K, M, G, Ki, Mi, Gi …).",
                )
            elif v != 0 and v < 6 * 1024**2:
                c.add("memory_limit", f"Memory limit must be 0 (none) or at least 6Mi, not {mem}.")
            elif v > INT64_MAX:
                c.add("memory_limit", f"Memory limit {mem} is too large.")
        c.integer("run_as_user", "Run as user", self.run_as_user, 0, MAX_UID)
        if self.privileged and pod is not None and not pod.privileged:
            c.add("privileged", "A privileged container needs a privileged pod: tick privileged in the pod too.")
        return c.errors

    # -- building --------------------------------------------------------------------------------------------
    def to_config(self, pod: PodForm | None = None) -> pb.ContainerConfig:
        """The ``ContainerConfig`` this form describes; raises :class:`FormInvalid` when it does not validate."""
        errors = self.validate(pod=pod)
        if errors:
            raise FormInvalid(errors)
        cfg = pb.ContainerConfig()
        if self.base is not None:
            cfg.CopyFrom(self.base)
        cfg.metadata.name = self.name
        cfg.metadata.attempt = int(self.attempt.strip() or 0)
        cfg.image.image = self.image.strip()
        del cfg.command[:]
        cfg.command.extend(shlex.split(self.command))
        del cfg.args[:]
        cfg.args.extend(shlex.split(self.args))
        cfg.working_dir = self.working_dir
        del cfg.envs[:]
        for _, row in _kv_rows(self.env):
            kv = split_kv(row)
            if kv is not None:  # always: the form was validated
                cfg.envs.add(key=kv[0], value=kv[1])
        del cfg.mounts[:]
        for m in self.mounts:
            if m.is_blank():
                continue
            cfg.mounts.add(
                host_path=m.host_path,
                container_path=m.container_path,
                readonly=m.readonly,
                propagation=_PROPAGATION_TO_PB[m.propagation],
            )
        cfg.labels.clear()
        cfg.labels.update(_kv_dict(self.labels))
        cfg.annotations.clear()
        cfg.annotations.update(_kv_dict(self.annotations))
        cfg.log_path = self.effective_log_path()
        cfg.stdin = self.stdin
        cfg.stdin_once = self.stdin_once
        cfg.tty = self.tty
        res = cfg.linux.resources
        res.cpu_period = int(self.cpu_period.strip() or 0)
        res.cpu_quota = int(self.cpu_quota.strip() or 0)
        res.cpu_shares = int(self.cpu_shares.strip() or 0)
        res.memory_limit_in_bytes = (parse_memory(self.memory_limit) or 0) if self.memory_limit.strip() else 0
        sc = cfg.linux.security_context
        sc.privileged = self.privileged
        sc.readonly_rootfs = self.readonly_rootfs
        if self.run_as_user.strip():
            sc.run_as_user.value = int(self.run_as_user.strip())
        else:
            sc.ClearField("run_as_user")
        _clear_if_empty(cfg.linux, "resources")
        _clear_if_empty(cfg.linux, "security_context")
        _clear_if_empty(cfg, "linux")
        return cfg

    @classmethod
    def from_config(cls, cfg: pb.ContainerConfig, pull_if_missing: bool = False) -> ContainerForm:
        linux = cfg.linux
        res = linux.resources
        sc = linux.security_context
        form = cls(
            name=cfg.metadata.name,
            attempt=str(cfg.metadata.attempt),
            image=cfg.image.image,
            command=shlex.join(cfg.command),
            args=shlex.join(cfg.args),
            working_dir=cfg.working_dir,
            env=[f"{kv.key}={kv.value}" for kv in cfg.envs],
            mounts=[
                MountRow(
                    host_path=m.host_path,
                    container_path=m.container_path,
                    readonly=m.readonly,
                    propagation=_PROPAGATION_FROM_PB.get(m.propagation, "private"),
                )
                for m in cfg.mounts
            ],
            log_path=cfg.log_path,
            log_path_auto=False,
            stdin=cfg.stdin,
            stdin_once=cfg.stdin_once,
            tty=cfg.tty,
            labels=_kv_rows_from(cfg.labels),
            annotations=_kv_rows_from(cfg.annotations),
            cpu_period=str(res.cpu_period) if res.cpu_period else "",
            cpu_quota=str(res.cpu_quota) if res.cpu_quota else "",
            cpu_shares=str(res.cpu_shares) if res.cpu_shares else "",
            memory_limit=str(res.memory_limit_in_bytes) if res.memory_limit_in_bytes else "",
            run_as_user=str(sc.run_as_user.value) if sc.HasField("run_as_user") else "",
            privileged=sc.privileged,
            readonly_rootfs=sc.readonly_rootfs,
            pull_if_missing=pull_if_missing,
        )
        base = pb.ContainerConfig()
        base.CopyFrom(cfg)
        form.base = base
        return form


def default_pull_if_missing(pull_image_on_create: bool, disable_pull_on_run: bool, *, new_pod: bool) -> bool:
    """crictl's defaults: ``crictl run`` (container in a new pod) pulls unless ``disable-pull-on-run``;
    ``crictl create`` (container into an existing pod) pulls only with ``pull-image-on-create``."""
    return (not disable_pull_on_run) if new_pod else pull_image_on_create


def sandbox_config_from_status(status: pb.PodSandboxStatus) -> pb.PodSandboxConfig:
    """A ``PodSandboxConfig`` for an existing pod, rebuilt from its ``PodSandboxStatus`` (CreateContainer needs the
    pod's config; crictl reads it from a file, we only have the status): metadata, labels, annotations and the
    namespace options. Callers that got a verbose status with the original config should prefer that."""
    cfg = pb.PodSandboxConfig()
    cfg.metadata.CopyFrom(status.metadata)
    cfg.labels.update(status.labels)
    cfg.annotations.update(status.annotations)
    nso = status.linux.namespaces.options
    if nso.ByteSize():
        cfg.linux.security_context.namespace_options.CopyFrom(nso)
    return cfg
