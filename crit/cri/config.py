"""Endpoint and configuration resolution, the way crictl does it.

Precedence (read from cri-tools ``cmd/crictl/main.go`` and ``pkg/common``):

* runtime endpoint: ``-r/--runtime-endpoint`` flag > ``CONTAINER_RUNTIME_ENDPOINT`` env >
  ``runtime-endpoint`` in the config file > the first reachable of :data:`DEFAULT_RUNTIME_ENDPOINTS`.
* image endpoint: ``-i/--image-endpoint`` > ``IMAGE_SERVICE_ENDPOINT`` > ``image-endpoint`` in the config
  file > the runtime endpoint.
* timeout: ``-t/--timeout`` > ``timeout`` in the config file (whole seconds; 0 or less means "default") >
  2 seconds.  A flag value of 0 or less also means the default.  There is no timeout env variable.
* debug: ``--debug`` > ``debug`` in the config file > off.
* config file: ``-c/--config`` > ``CRI_CONFIG_FILE`` > ``/etc/crictl.yaml``.  A file named explicitly (flag
  or env) must exist; the default file may be absent (crictl then also looks for ``crictl.yaml`` next to its
  own binary, which has no equivalent for a Python program and is not done).
* an environment variable set to the empty string counts as unset.

Where crictl is lax we are strict on purpose: an empty string given to ``-r``/``-i`` or a malformed
config file (even the default one, which crictl silently ignores) is an error, reported as one sentence
naming the file and line.  Every resolved value remembers where it came from (:class:`Source`) so that
``crit --check`` can show it.

This module never imports textual or grpc.
"""

from __future__ import annotations

import math
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from crit.cri.duration import format_duration
from crit.cri.errors import CriError

__all__ = [
    "ConfigError",
    "ConfigFile",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_RUNTIME_ENDPOINTS",
    "DEFAULT_TIMEOUT",
    "Endpoint",
    "ENV_CONFIG_FILE",
    "ENV_IMAGE_ENDPOINT",
    "ENV_RUNTIME_ENDPOINT",
    "ResolvedConfig",
    "Source",
    "first_reachable",
    "parse_endpoint",
    "parse_timeout",
    "probe_endpoint",
    "read_config_file",
    "resolve",
]

DEFAULT_CONFIG_PATH = "/etc/crictl.yaml"
DEFAULT_RUNTIME_ENDPOINTS: tuple[str, ...] = (
    "unix:///run/containerd/containerd.sock",
    "unix:///run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
)
DEFAULT_TIMEOUT = 2.0  # seconds, crictl's defaultTimeout on Linux
MAX_TIMEOUT = 24 * 3600.0  # seconds: a call that may wait longer than a day is a typo

ENV_RUNTIME_ENDPOINT = "CONTAINER_RUNTIME_ENDPOINT"
ENV_IMAGE_ENDPOINT = "IMAGE_SERVICE_ENDPOINT"
ENV_CONFIG_FILE = "CRI_CONFIG_FILE"

SET_RUNTIME_HINT = f"set -r/--runtime-endpoint, {ENV_RUNTIME_ENDPOINT} or runtime-endpoint in {DEFAULT_CONFIG_PATH}"


class ConfigError(CriError):
    """A configuration problem the user can fix; ``str()`` is one sentence."""

    # set only by first_reachable: every default endpoint tried and why it failed, for `crit --check`'s table
    failures: list[tuple[str, str]]


# --------------------------------------------------------------------------------------------------
# endpoints


@dataclass(frozen=True)
class Endpoint:
    """A parsed CRI endpoint.

    ``scheme`` is ``"unix"`` or ``"tcp"``; ``address`` is the socket path (unix) or ``host:port`` (tcp).
    ``url`` is the canonical form (``unix:///path`` or ``tcp://host:port``); ``grpc_target`` is what to hand
    to ``grpc.aio.insecure_channel``.
    """

    scheme: str
    address: str

    @property
    def url(self) -> str:
        if self.scheme == "unix":
            return "unix://" + self.address
        return "tcp://" + self.address

    @property
    def grpc_target(self) -> str:
        if self.scheme == "unix":
            return "unix://" + self.address
        return self.address

    @property
    def path(self) -> str | None:
        return self.address if self.scheme == "unix" else None

    def __str__(self) -> str:
        return self.url


_HOSTPORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9_.\-]+)):(?P<port>[0-9]{1,5})$")


def parse_endpoint(text: str, *, what: str = "endpoint") -> Endpoint:
    """Parse ``unix:///PATH``, ``unix://PATH`` (relative form is rejected), a bare absolute path, or
    ``tcp://HOST:PORT``.  Raises :class:`ConfigError` naming ``what`` on anything else."""
    raw = text
    text = text.strip()
    if not text:
        raise ConfigError(f"The {what} is empty; give unix:///PATH, an absolute socket path or tcp://HOST:PORT.")
    if text.startswith("unix://"):
        path = text[len("unix://") :]
        if not path.startswith("/"):
            raise ConfigError(
                f"The {what} {raw!r} is not an absolute unix socket path; write it as unix:///ABSOLUTE/PATH."
            )
        return Endpoint("unix", os.path.normpath(path) if path != "/" else path)
    if text.startswith("/"):
        return Endpoint("unix", os.path.normpath(text))
    if text.startswith("tcp://"):
        hostport = text[len("tcp://") :].rstrip("/")
        m = _HOSTPORT.match(hostport)
        if not m or not (0 < int(m.group("port")) < 65536):
            raise ConfigError(f"The {what} {raw!r} is not of the form tcp://HOST:PORT with a port from 1 to 65535.")
        return Endpoint("tcp", hostport)
    scheme = text.split("://", 1)[0] if "://" in text else None
    if scheme:
        raise ConfigError(
            f"The {what} {raw!r} uses the unsupported scheme {scheme!r}; use unix:///PATH or tcp://HOST:PORT."
        )
    raise ConfigError(f"The {what} {raw!r} is neither unix:///PATH, an absolute socket path nor tcp://HOST:PORT.")


def probe_endpoint(endpoint: Endpoint, timeout: float) -> str | None:
    """Try to open a connection to ``endpoint``; return ``None`` when something accepts it, else a short
    reason (``"does not exist"``, ``"permission denied"``, ``"connection refused"``, ...)."""
    addr: str | tuple[Any, ...]  # a socket path, or what getaddrinfo gives for the family
    if endpoint.scheme == "unix":
        fam, addr = socket.AF_UNIX, endpoint.address
        if not os.path.exists(addr):
            return f"socket {addr} does not exist"
    else:
        host, _, port = endpoint.address.rpartition(":")
        host = host.strip("[]")
        try:
            infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except OSError as exc:
            return f"cannot resolve {host}: {exc.strerror or exc}"
        fam, addr = infos[0][0], infos[0][4]
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.settimeout(max(timeout, 0.05))
        s.connect(addr)
    except PermissionError:
        return f"permission denied on {endpoint.address} (run as root or join the socket's group)"
    except ConnectionRefusedError:
        return f"connection refused on {endpoint.address} (is the runtime running?)"
    except TimeoutError:
        return f"no answer from {endpoint.address} within {format_seconds(timeout)}"
    except OSError as exc:
        return f"cannot connect to {endpoint.address}: {exc.strerror or exc}"
    finally:
        s.close()
    return None


def first_reachable(
    candidates: Iterable[str],
    timeout: float,
    probe: Callable[[Endpoint, float], str | None] = probe_endpoint,
) -> tuple[Endpoint, list[tuple[str, str]]]:
    """Return the first candidate that accepts a connection, with the reasons the earlier ones failed.
    Raises :class:`ConfigError` listing every candidate when none is reachable."""
    failures: list[tuple[str, str]] = []
    for url in candidates:
        ep = parse_endpoint(url)
        reason = probe(ep, timeout)
        if reason is None:
            return ep, failures
        failures.append((url, reason))
    tried = "; ".join(f"{u}: {r}" for u, r in failures)
    err = ConfigError(f"No container runtime found at the default endpoints ({tried}); {SET_RUNTIME_HINT}.")
    err.failures = failures
    raise err


# --------------------------------------------------------------------------------------------------
# timeouts

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_timeout(text: str | float | int) -> float:
    """Parse a timeout as crictl's ``--timeout`` does (a Go duration such as ``2s``, ``1m30s``, ``500ms``);
    a bare number is taken as seconds.  Returns seconds; 0 or less means "use the default" (crictl)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        sign = -1.0 if s.startswith("-") else 1.0
        body = s.lstrip("+-")
        try:
            value = sign * float(body)
        except ValueError:
            pos, total = 0, 0.0
            for m in _DURATION_PART.finditer(body):
                if m.start() != pos:
                    break
                total += float(m.group(1)) * _UNIT[m.group(2)]
                pos = m.end()
            if pos != len(body) or not body:
                raise ConfigError(
                    f"The timeout {text!r} is not a duration; write it like 2s, 500ms or 1m30s."
                ) from None
            value = sign * total
    if math.isnan(value) or math.isinf(value):
        raise ConfigError(f"The timeout {text!r} is not a finite duration.")
    return value


def format_seconds(seconds: float) -> str:
    """A duration as people write it (``1ns``, ``1µs``, ``1ms``, ``2s``, ``1m30s``): see crit.cri.duration."""
    return format_duration(seconds)


# --------------------------------------------------------------------------------------------------
# config file


_BOOL_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_BOOL_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_CONFIG_KEYS = {
    # key: (attribute, kind)
    "runtime-endpoint": ("runtime_endpoint", "str"),
    "image-endpoint": ("image_endpoint", "str"),
    "timeout": ("timeout", "int"),
    "debug": ("debug", "bool"),
    "pull-image-on-create": ("pull_image_on_create", "bool"),
    "disable-pull-on-run": ("disable_pull_on_run", "bool"),
    # accepted by newer crictl releases; read and kept, not used by crit
    "max-retries": ("max_retries", "int"),
    "enable-streaming": ("enable_streaming", "bool"),
}


@dataclass
class ConfigFile:
    """The contents of a crictl config file (``/etc/crictl.yaml``)."""

    path: str
    runtime_endpoint: str = ""
    image_endpoint: str = ""
    timeout: int = 0  # whole seconds; 0 or less means "default"
    debug: bool = False
    pull_image_on_create: bool = False
    disable_pull_on_run: bool = False
    max_retries: int = 0
    enable_streaming: bool = False
    lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based line number


def read_config_file(path: str) -> ConfigFile:
    """Read and validate a crictl config file.  Every problem raises :class:`ConfigError` with one sentence
    naming the file and, where there is one, the line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise ConfigError(
            f"The config file {path} does not exist; create it or point -c/--config or {ENV_CONFIG_FILE} elsewhere."
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"The config file {path} is a directory, not a file.") from None
    except PermissionError:
        raise ConfigError(f"The config file {path} cannot be read: permission denied.") from None
    except OSError as exc:
        raise ConfigError(f"The config file {path} cannot be read: {exc.strerror or exc}.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"The config file {path} is not valid UTF-8 (line {line}).") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark else ""
        problem = (exc.problem or exc.context or "syntax error").rstrip(".")
        raise ConfigError(f"The config file {path} is not valid YAML{where}: {problem}.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"The config file {path} is not valid YAML: {exc}.") from None

    cfg = ConfigFile(path=path)
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == "tag:yaml.org,2002:null"):
        return cfg
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            f"The config file {path} must be a mapping of keys such as runtime-endpoint"
            f" (line {root.start_mark.line + 1})."
        )
    for knode, vnode in root.value:
        line = knode.start_mark.line + 1
        if not isinstance(knode, yaml.ScalarNode):
            raise ConfigError(f"The config file {path} has a key that is not a plain name at line {line}.")
        key = knode.value
        if key not in _CONFIG_KEYS:
            valid = ", ".join(sorted(_CONFIG_KEYS))
            raise ConfigError(
                f"The config file {path} has an unknown option {key!r} at line {line}; valid options are {valid}."
            )
        attr, kind = _CONFIG_KEYS[key]
        vline = vnode.start_mark.line + 1
        if not isinstance(vnode, yaml.ScalarNode):
            raise ConfigError(
                f"The config file {path} option {key!r} at line {vline} must be a single value, not a list or mapping."
            )
        value = vnode.value
        is_null = vnode.tag == "tag:yaml.org,2002:null"
        if kind == "str":
            setattr(cfg, attr, "" if is_null else value)
        elif kind == "int":
            try:
                setattr(cfg, attr, 0 if is_null else int(value, 10))
            except ValueError:
                raise ConfigError(
                    f"The config file {path} option {key!r} at line {vline} must be a whole number of seconds,"
                    f" not {value!r}."
                    if key == "timeout"
                    else f"The config file {path} option {key!r} at line {vline} must be a whole number, not {value!r}."
                ) from None
        else:  # bool, parsed like Go's strconv.ParseBool
            if is_null:
                setattr(cfg, attr, False)
            elif value in _BOOL_TRUE:
                setattr(cfg, attr, True)
            elif value in _BOOL_FALSE:
                setattr(cfg, attr, False)
            else:
                raise ConfigError(
                    f"The config file {path} option {key!r} at line {vline} must be true or false, not {value!r}."
                )
        cfg.lines[key] = line
    return cfg


# --------------------------------------------------------------------------------------------------
# resolution


@dataclass(frozen=True)
class Source:
    """Where a setting came from: ``kind`` is ``flag``, ``env``, ``config file`` or ``default``;
    ``detail`` names the flag, variable, file:line, or explains the default."""

    kind: str
    detail: str

    def __str__(self) -> str:
        if self.kind == "default":
            return f"default: {self.detail}" if self.detail else "default"
        return f"{self.kind} {self.detail}"


@dataclass
class ResolvedConfig:
    """The result of :func:`resolve`.

    ``runtime_endpoint`` is ``None`` when nothing set it: then the caller picks the first reachable of
    :data:`DEFAULT_RUNTIME_ENDPOINTS` (see :meth:`with_default_endpoint`).  ``image_endpoint`` is ``None``
    when it follows the runtime endpoint (see :attr:`effective_image_endpoint`)."""

    runtime_endpoint: Endpoint | None
    runtime_source: Source
    image_endpoint: Endpoint | None
    image_source: Source
    timeout: float
    timeout_source: Source
    debug: bool
    debug_source: Source
    config_path: str
    config_source: Source
    config_file: ConfigFile | None  # None when the (default) file does not exist
    pull_image_on_create: bool = False
    disable_pull_on_run: bool = False
    default_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def effective_image_endpoint(self) -> Endpoint | None:
        return self.image_endpoint if self.image_endpoint is not None else self.runtime_endpoint

    @property
    def effective_image_source(self) -> Source:
        if self.image_endpoint is not None:
            return self.image_source
        return Source("default", "same as the runtime endpoint")

    def with_default_endpoint(self, probe: Callable[[Endpoint, float], str | None] = probe_endpoint) -> ResolvedConfig:
        """Fill in the runtime endpoint from the defaults when nothing set it (crictl's fallback: the first
        of the default sockets that is reachable).  Returns ``self``; raises :class:`ConfigError` when none
        is reachable."""
        if self.runtime_endpoint is None:
            self.runtime_source = Source("default", "first reachable of " + ", ".join(DEFAULT_RUNTIME_ENDPOINTS))
            try:
                ep, failures = first_reachable(DEFAULT_RUNTIME_ENDPOINTS, self.timeout, probe)
            except ConfigError as exc:
                self.default_failures = list(getattr(exc, "failures", []))
                raise
            self.runtime_endpoint = ep
            self.default_failures = failures
        return self

    def how_to_set(self, which: str = "runtime") -> str:
        """A hint naming the flag, variable or file line that set (or can set) the endpoint."""
        src = self.runtime_source if which == "runtime" else self.effective_image_source
        flag = "-r/--runtime-endpoint" if which == "runtime" else "-i/--image-endpoint"
        env = ENV_RUNTIME_ENDPOINT if which == "runtime" else ENV_IMAGE_ENDPOINT
        key = "runtime-endpoint" if which == "runtime" else "image-endpoint"
        if src.kind == "flag":
            return f"fix the {flag} flag"
        if src.kind == "env":
            return f"fix or unset {env}"
        if src.kind == "config file":
            return f"fix {key} in {src.detail}"
        return f"set {flag}, {env} or {key} in {self.config_path}"


def _flag_given(value: object) -> bool:
    return value is not None


def resolve(
    *,
    runtime_endpoint: str | None = None,
    image_endpoint: str | None = None,
    timeout: str | float | None = None,
    config: str | None = None,
    debug: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedConfig:
    """Resolve the settings from command-line values (``None`` = flag not given), the environment and the
    config file, with crictl's precedence.  Does not touch the network: when no endpoint is set,
    ``runtime_endpoint`` stays ``None`` (see :meth:`ResolvedConfig.with_default_endpoint`)."""
    env = os.environ if env is None else env

    # -- config file: -c > CRI_CONFIG_FILE > /etc/crictl.yaml
    if config is not None:
        if not config.strip():
            raise ConfigError("The -c/--config flag is empty; give the path of a crictl config file.")
        config_path, config_source, explicit = config, Source("flag", "-c/--config"), True
    elif env.get(ENV_CONFIG_FILE):
        config_path, config_source, explicit = env[ENV_CONFIG_FILE], Source("env", ENV_CONFIG_FILE), True
    else:
        config_path, config_source, explicit = DEFAULT_CONFIG_PATH, Source("default", ""), False
    cfg: ConfigFile | None
    if not os.path.exists(config_path):
        if explicit and config_source.kind == "env":
            raise ConfigError(
                f"The config file {config_path} named by {ENV_CONFIG_FILE} does not exist;"
                f" create it or unset {ENV_CONFIG_FILE}."
            )
        if explicit:
            raise ConfigError(f"The config file {config_path} given with -c/--config does not exist.")
        cfg = None
    else:
        cfg = read_config_file(config_path)

    def cfg_source(key: str) -> Source:
        assert cfg is not None
        line = cfg.lines.get(key)
        return Source("config file", f"{cfg.path}:{line}" if line else cfg.path)

    def endpoint(
        what: str, flag_value: str | None, flag: str, env_name: str, cfg_value: str, key: str, default: str
    ) -> tuple[Endpoint | None, Source]:
        """One endpoint, flag > env > config file > default (None: the caller's default)."""
        if _flag_given(flag_value):
            if not str(flag_value).strip():
                raise ConfigError(
                    f"The {flag} flag is empty; give unix:///PATH, an absolute socket path or tcp://HOST:PORT."
                )
            return parse_endpoint(str(flag_value), what=f"{what} from {flag}"), Source("flag", flag)
        if env.get(env_name, "").strip():
            return parse_endpoint(env[env_name], what=f"{what} from {env_name}"), Source("env", env_name)
        if cfg_value.strip():
            src = cfg_source(key)
            return parse_endpoint(cfg_value, what=f"{key} in {src.detail}"), src
        return None, Source("default", default)

    rt, rt_src = endpoint(
        "runtime endpoint",
        runtime_endpoint,
        "-r/--runtime-endpoint",
        ENV_RUNTIME_ENDPOINT,
        cfg.runtime_endpoint if cfg is not None else "",
        "runtime-endpoint",
        "first reachable of " + ", ".join(DEFAULT_RUNTIME_ENDPOINTS),
    )
    im, im_src = endpoint(
        "image endpoint",
        image_endpoint,
        "-i/--image-endpoint",
        ENV_IMAGE_ENDPOINT,
        cfg.image_endpoint if cfg is not None else "",
        "image-endpoint",
        "same as the runtime endpoint",
    )

    # -- timeout
    if timeout is not None:
        t = parse_timeout(timeout)
        if t > 0:
            to, to_src = t, Source("flag", "-t/--timeout")
        else:
            to, to_src = DEFAULT_TIMEOUT, Source("default", "-t/--timeout 0 or less means the default")
    elif cfg is not None and cfg.timeout > 0:
        to, to_src = float(cfg.timeout), cfg_source("timeout")
    else:
        to, to_src = DEFAULT_TIMEOUT, Source("default", "")
    if to > MAX_TIMEOUT:  # gRPC cannot even hold such a deadline (OverflowError at the first call)
        raise ConfigError(f"The timeout {format_seconds(to)} ({to_src}) is too long; use at most 24h.")

    # -- debug
    if debug:
        dbg, dbg_src = True, Source("flag", "--debug")
    elif cfg is not None and "debug" in cfg.lines:
        dbg, dbg_src = cfg.debug, cfg_source("debug")
    else:
        dbg, dbg_src = False, Source("default", "")

    return ResolvedConfig(
        runtime_endpoint=rt,
        runtime_source=rt_src,
        image_endpoint=im,
        image_source=im_src,
        timeout=to,
        timeout_source=to_src,
        debug=dbg,
        debug_source=dbg_src,
        config_path=config_path,
        config_source=config_source,
        config_file=cfg,
        pull_image_on_create=cfg.pull_image_on_create if cfg else False,
        disable_pull_on_run=cfg.disable_pull_on_run if cfg else False,
    )
