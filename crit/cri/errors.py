"""Errors of the CRI client: every failure a user can cause becomes one readable sentence.

:class:`CriError` is the base; ``str(err)`` is a single sentence naming what failed and what to do. The CLI and
the UI print that sentence and never a traceback. :func:`translate` maps a ``grpc.aio.AioRpcError`` (plus the
endpoint, the operation and the object id involved) onto the subclasses below; :func:`check_unix_socket` finds a
missing socket or a permission problem before anything is sent.

This module imports neither textual nor the generated stubs; grpc only inside :func:`translate`, for the status
codes, so the layers that raise or catch these errors (state, streaming, specs, config) load no grpc.
"""

from __future__ import annotations

import grp
import os
import re
import stat
from typing import TYPE_CHECKING

from crit.cri.duration import format_duration
from crit.errors import CritError

if TYPE_CHECKING:
    import grpc

__all__ = [
    "AlreadyExists",
    "ApiVersionError",
    "ConnectError",
    "CriError",
    "DeadlineExceeded",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ReadOnlyError",
    "Unsupported",
    "check_unix_socket",
    "endpoint_hint",
    "object_kind",
    "one_line",
    "translate",
    "undecodable",
]


class CriError(CritError):
    """A failure talking to the container runtime; ``str()`` is one sentence.

    Attributes: ``code`` (the ``grpc.StatusCode`` when the runtime answered, else ``None``), ``endpoint``,
    ``operation`` (the RPC name, e.g. ``"StopPodSandbox"``), ``object_id`` and ``details`` (the runtime's own
    message, untrusted text, already folded onto one line).
    """

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        endpoint: str | None = None,
        operation: str | None = None,
        object_id: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.endpoint = endpoint
        self.operation = operation
        self.object_id = object_id
        self.details = details

    def __str__(self) -> str:
        return self.message


class ConnectError(CriError):
    """The runtime cannot be reached: the socket is missing, nothing listens, the host is unreachable."""


class PermissionDenied(CriError):
    """The socket (or a directory above it) may not be opened by this user, or the runtime refused the call."""


class DeadlineExceeded(CriError):
    """The runtime did not answer within the deadline."""


class ApiVersionError(CriError):
    """The endpoint does not serve CRI v1 (``runtime.v1``)."""


class NotFound(CriError):
    """The pod sandbox, container or image named by an id does not exist."""


class Unsupported(CriError):
    """The runtime does not implement the RPC (gRPC ``Unimplemented``)."""


class ReadOnlyError(CriError):
    """A mutating call was refused by the client because it runs read-only; nothing was sent."""


class AlreadyExists(CriError):
    """The object (e.g. a pod with the same name, namespace, uid and attempt) already exists."""


class InvalidArgument(CriError):
    """The runtime rejected the request as malformed."""


class FailedPrecondition(CriError):
    """The object is not in a state that allows the operation (e.g. starting a running container)."""


# ------------------------------------------------------------------------------------------------------------------
# helpers

DEFAULT_CONFIG_PATH = "/etc/crictl.yaml"


def endpoint_hint(which: str = "runtime") -> str:
    """How to point crit at another endpoint, as crictl users know it."""
    if which == "image":
        return f"set -i/--image-endpoint, IMAGE_SERVICE_ENDPOINT or image-endpoint in {DEFAULT_CONFIG_PATH}"
    return f"set -r/--runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT or runtime-endpoint in {DEFAULT_CONFIG_PATH}"


def undecodable(endpoint: str, operation: str, which: str = "runtime", hint: str | None = None) -> CriError:
    """The runtime answered, but with bytes that are not the expected CRI v1 message (grpc hands back ``None``)."""
    what = "container runtime" if which == "runtime" else "image service"
    return CriError(
        f"The {what} at {endpoint} answered {operation} with a message crit cannot decode as CRI v1 (a broken "
        f"runtime, or not a CRI runtime at all); if this is the wrong socket, {hint or endpoint_hint(which)}.",
        endpoint=endpoint,
        operation=operation,
    )


_WS = re.compile(r"\s+")


def one_line(text: str | None, limit: int = 400) -> str:
    """Fold a (runtime-supplied) message onto one line without a trailing period, cut to ``limit`` characters."""
    if not text:
        return ""
    text = _WS.sub(" ", str(text)).strip().rstrip(".")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "the timeout"
    return format_duration(seconds)


_KIND_BY_OPERATION = {
    "RunPodSandbox": "pod sandbox",
    "StopPodSandbox": "pod sandbox",
    "RemovePodSandbox": "pod sandbox",
    "PodSandboxStatus": "pod sandbox",
    "PodSandboxStats": "pod sandbox",
    "PortForward": "pod sandbox",
    "UpdatePodSandboxResources": "pod sandbox",
    "CreateContainer": "pod sandbox",  # the id given is the pod's
    "StartContainer": "container",
    "StopContainer": "container",
    "RemoveContainer": "container",
    "ContainerStatus": "container",
    "ContainerStats": "container",
    "UpdateContainerResources": "container",
    "ReopenContainerLog": "container",
    "ExecSync": "container",
    "Exec": "container",
    "Attach": "container",
    "CheckpointContainer": "container",
    "ImageStatus": "image",
    "PullImage": "image",
    "RemoveImage": "image",
}


# Operations whose NotFound may concern something other than the id passed (an image, a pod's config, ...).
_ID_NOT_PRIMARY = frozenset({"RunPodSandbox", "CreateContainer", "PullImage"})


def object_kind(operation: str | None) -> str:
    """The kind of object the id of ``operation`` names: "pod sandbox", "container", "image" or "object"."""
    return _KIND_BY_OPERATION.get(operation or "", "object")


def _socket_problem(path: str, endpoint: str, which: str, hint: str | None) -> CriError | None:
    """Inspect a unix socket path; return the error a connect would meet, or None when it looks usable."""
    hint = hint or endpoint_hint(which)
    what = "container runtime" if which == "runtime" else "image service"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            return ConnectError(
                f"The {what} socket {path} does not exist (nor does its directory {parent}): is the runtime "
                f"installed and running? If it listens elsewhere, {hint}.",
                endpoint=endpoint,
            )
        return ConnectError(
            f"The {what} socket {path} does not exist: is the runtime running? If it listens elsewhere, {hint}.",
            endpoint=endpoint,
        )
    except PermissionError:
        blocked = _first_unsearchable_dir(path)
        where = f"the directory {blocked}" if blocked else f"the path {path}"
        return PermissionDenied(
            f"Permission denied on {where} leading to the {what} socket {path}: run crit as root (e.g. with sudo) "
            f"or give your user access to it.",
            endpoint=endpoint,
        )
    except NotADirectoryError:
        return ConnectError(
            f"The {what} socket path {path} goes through something that is not a directory; {hint}.",
            endpoint=endpoint,
        )
    except OSError as exc:
        return ConnectError(f"Cannot use the {what} socket {path}: {exc.strerror or exc}; {hint}.", endpoint=endpoint)
    if not stat.S_ISSOCK(st.st_mode):
        kind = (
            "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "a regular file"
            if stat.S_ISREG(st.st_mode)
            else "a special file"
        )
        return ConnectError(f"The {what} endpoint {path} is {kind}, not a unix socket; {hint}.", endpoint=endpoint)
    if not os.access(path, os.R_OK | os.W_OK):
        return PermissionDenied(_permission_sentence(path, st, what), endpoint=endpoint)
    return None


def _permission_sentence(path: str, st: os.stat_result | None, what: str) -> str:
    group = ""
    if st is not None:
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
    fix = f"or add your user to the socket's group ({group})" if group else "or fix the socket's group"
    return f"Permission denied on the {what} socket {path}: run crit as root (e.g. with sudo) {fix}."


def _first_unsearchable_dir(path: str) -> str | None:
    parts = os.path.dirname(os.path.abspath(path)).split(os.sep)
    cur = os.sep
    for part in parts:
        if not part:
            continue
        cur = os.path.join(cur, part)
        if not os.access(cur, os.X_OK):
            return cur
    return None


def check_unix_socket(
    path: str, *, endpoint: str | None = None, which: str = "runtime", hint: str | None = None
) -> None:
    """Raise :class:`ConnectError` or :class:`PermissionDenied` when ``path`` cannot be a usable socket."""
    problem = _socket_problem(path, endpoint or f"unix://{path}", which, hint)
    if problem is not None:
        raise problem


# ------------------------------------------------------------------------------------------------------------------
# translation of gRPC errors

_RESERVED = re.compile(r'failed to reserve (?:sandbox|container) name.*?is reserved for "?([0-9a-f]+)', re.I | re.S)
_UNKNOWN_SERVICE = re.compile(r"unknown service runtime\.v1\.", re.IGNORECASE)
_NOT_FOUND_TEXT = re.compile(r"\bnot found\b|does not exist|no such (?:pod|sandbox|container|image)", re.IGNORECASE)


def translate(
    err: grpc.aio.AioRpcError | grpc.RpcError,
    *,
    endpoint: str,
    operation: str,
    object_id: str | None = None,
    runtime: str | None = None,
    timeout: float | None = None,
    socket_path: str | None = None,
    which: str = "runtime",
    hint: str | None = None,
) -> CriError:
    """Turn a failed RPC into a :class:`CriError` subclass with one readable sentence.

    ``runtime`` is "NAME VERSION" when known (from Version) and is named in "not supported" messages.
    ``socket_path`` (unix endpoints) lets connection failures be diagnosed precisely by looking at the file.
    """
    import grpc

    code = err.code() if callable(getattr(err, "code", None)) else None
    raw = err.details() if callable(getattr(err, "details", None)) else str(err)
    details = one_line(raw)
    kw = dict(code=code, endpoint=endpoint, operation=operation, object_id=object_id, details=details)
    kind = object_kind(operation)
    what = "container runtime" if which == "runtime" else "image service"
    hint = hint or endpoint_hint(which)
    said = f" (runtime said: {details})" if details else ""

    if code == grpc.StatusCode.UNAVAILABLE and "before receiving SETTINGS" not in (raw or ""):
        low = (raw or "").lower()
        if socket_path is not None:
            problem = _socket_problem(socket_path, endpoint, which, hint)
            if problem is not None:
                problem.code, problem.operation = code, operation
                problem.object_id, problem.details = object_id, details
                return problem
        if "permission denied" in low:
            return PermissionDenied(
                f"Permission denied connecting to the {what} at {endpoint}: run crit as root (e.g. with sudo) or "
                f"fix the socket's group.",
                **kw,
            )
        if "no such file" in low:
            return ConnectError(f"The {what} socket at {endpoint} does not exist; {hint}.", **kw)
        if "failed parsing http/2" in low or "http1.x server" in low:
            return ConnectError(
                f"Something listens at {endpoint}, but it does not speak gRPC (HTTP/2), so it is not a CRI "
                f"runtime; {hint}.",
                **kw,
            )
        if "connection refused" in low:
            return ConnectError(
                f"Nothing is listening at {endpoint} (connection refused): is the runtime running? If it listens "
                f"elsewhere, {hint}.",
                **kw,
            )
        return ConnectError(
            f"Cannot reach the {what} at {endpoint} for {operation}{said}: is it running? If it listens "
            f"elsewhere, {hint}.",
            **kw,
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED or (
        code == grpc.StatusCode.UNAVAILABLE and "before receiving SETTINGS" in (raw or "")
    ):
        return DeadlineExceeded(
            f"The {what} at {endpoint} did not answer {operation} within {_fmt_seconds(timeout)}: it may be hung or "
            f"overloaded, or not be a CRI runtime; check it, or allow more time with -t/--timeout.",
            **kw,
        )
    if code == grpc.StatusCode.UNIMPLEMENTED:
        if operation == "Version" or _UNKNOWN_SERVICE.search(raw or ""):
            return ApiVersionError(
                f"The endpoint {endpoint} does not serve the CRI v1 API (runtime.v1){said}: crit needs a runtime "
                f"with CRI v1 such as containerd 1.6 or newer with its CRI plugin enabled (not listed in "
                f"disabled_plugins), CRI-O or cri-dockerd; if this is the wrong socket, {hint}.",
                **kw,
            )
        name = f" ({runtime})" if runtime else ""
        return Unsupported(f"{operation} is not supported by this runtime{name}.", **kw)
    if code == grpc.StatusCode.NOT_FOUND or (
        object_id and code in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL) and _NOT_FOUND_TEXT.search(raw or "")
    ):
        if operation == "PullImage" and object_id:
            return NotFound(
                f"Cannot pull image {object_id}: it was not found in its registry{said}; check the name and tag.",
                **kw,
            )
        if object_id and operation not in _ID_NOT_PRIMARY:
            return NotFound(f"{kind.capitalize()} {object_id} not found.", **kw)
        return NotFound(f"{operation} failed: not found{said}.", **kw)
    if code == grpc.StatusCode.ALREADY_EXISTS or (code == grpc.StatusCode.UNKNOWN and _RESERVED.search(raw or "")):
        # containerd reports a duplicate pod/container name as Unknown "failed to reserve ... name".
        made = {"RunPodSandbox": "pod sandbox", "CreateContainer": "container"}.get(operation, kind)
        m = _RESERVED.search(raw or "")
        owner = f" as {made} {m.group(1)[:13]}" if m else ""
        return AlreadyExists(
            f"{operation} failed because a {made} with the same name and attempt already exists{owner}; remove it "
            f"or use another name or attempt{said}.",
            **kw,
        )
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        target = f" for {kind} {object_id}" if object_id else ""
        return PermissionDenied(f"The runtime refused {operation}{target}: {details or 'permission denied'}.", **kw)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidArgument(f"The runtime rejected {operation} as invalid: {details or 'invalid argument'}.", **kw)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        target = f" {kind} {object_id}" if object_id else ""
        return FailedPrecondition(
            f"{operation} is not possible in the current state of the{target or ' object'}: "
            f"{details or 'failed precondition'}.",
            **kw,
        )
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in (raw or ""):
        return CriError(
            f"The answer to {operation} from {endpoint} is larger than the 16 MiB message limit; narrow it with a "
            f"filter.",
            **kw,
        )
    if code == grpc.StatusCode.CANCELLED:
        return CriError(f"{operation} was cancelled before the runtime answered.", **kw)
    if operation == "PullImage" and object_id:
        return CriError(f"Cannot pull image {object_id}: {details or 'the runtime gave no reason'}.", **kw)
    target = f" for {kind} {object_id}" if object_id else ""
    name = code.name if code is not None else "error"
    return CriError(f"{operation}{target} failed ({name}): {details or 'no details given'}.", **kw)
