"""CRI v1 pod and container states, the only definition in crit: their protobuf numbers (``PodSandboxState`` and
``ContainerState`` in api.proto), their names as crictl prints them (``Ready``, ``Running``, ``Exited``…), the
words a state filter accepts, and :class:`ExitInfo` (what ContainerStatus says about an exited container).

Plain numbers, no protobuf import: the model, the renderer and the UI compare states without loading the stubs (a
test checks the numbers against the generated ``api_pb2``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crit.cri.errors import InvalidArgument

__all__ = [
    "CONTAINER_CREATED",
    "CONTAINER_EXITED",
    "CONTAINER_RUNNING",
    "CONTAINER_STATES",
    "CONTAINER_STATE_WORDS",
    "CONTAINER_UNKNOWN",
    "POD_STATES",
    "POD_STATE_WORDS",
    "SANDBOX_NOTREADY",
    "SANDBOX_READY",
    "ExitInfo",
    "container_state",
    "parse_state",
    "pod_state",
]

# PodSandboxState
SANDBOX_READY = 0
SANDBOX_NOTREADY = 1

# ContainerState
CONTAINER_CREATED = 0
CONTAINER_RUNNING = 1
CONTAINER_EXITED = 2
CONTAINER_UNKNOWN = 3

#: Names as ``crictl pods`` / ``crictl ps`` print them.
POD_STATES: Mapping[int, str] = {SANDBOX_READY: "Ready", SANDBOX_NOTREADY: "NotReady"}
CONTAINER_STATES: Mapping[int, str] = {
    CONTAINER_CREATED: "Created",
    CONTAINER_RUNNING: "Running",
    CONTAINER_EXITED: "Exited",
    CONTAINER_UNKNOWN: "Unknown",
}

#: The words a state filter accepts (any case, ``-`` for ``_``): crictl's ``--state`` words and the enum names.
POD_STATE_WORDS: Mapping[str, int] = {
    "ready": SANDBOX_READY,
    "sandbox_ready": SANDBOX_READY,
    "notready": SANDBOX_NOTREADY,
    "not_ready": SANDBOX_NOTREADY,
    "sandbox_notready": SANDBOX_NOTREADY,
}
CONTAINER_STATE_WORDS: Mapping[str, int] = {
    "created": CONTAINER_CREATED,
    "container_created": CONTAINER_CREATED,
    "running": CONTAINER_RUNNING,
    "container_running": CONTAINER_RUNNING,
    "exited": CONTAINER_EXITED,
    "container_exited": CONTAINER_EXITED,
    "unknown": CONTAINER_UNKNOWN,
    "container_unknown": CONTAINER_UNKNOWN,
}


def pod_state(value: int) -> str:
    """A pod sandbox state as crictl prints it (``Ready``/``NotReady``); a number crit does not know as ``State(N)``."""
    return POD_STATES.get(int(value), f"State({int(value)})")


def container_state(value: int) -> str:
    """A container state as crictl prints it (``Running``…); a number crit does not know as ``State(N)``."""
    return CONTAINER_STATES.get(int(value), f"State({int(value)})")


def parse_state(value: int | str | None, words: Mapping[str, int], what: str) -> int | None:
    """A state filter given as a number or a word of ``words`` → its number (``None`` stays ``None``).

    Raises :class:`~crit.cri.errors.InvalidArgument` (one sentence listing the words) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, int):
        if value not in set(words.values()):
            raise InvalidArgument(f"{value} is not a valid {what} state.")
        return value
    key = str(value).strip().lower().replace("-", "_")
    if key not in words:
        names = sorted({k for k in words if "_" not in k or k == "not_ready"})
        raise InvalidArgument(f"{value!r} is not a {what} state; use one of {', '.join(names)}.")
    return words[key]


@dataclass(frozen=True, slots=True)
class ExitInfo:
    """What ContainerStatus says about an exited container (fetched once and cached by the model)."""

    exit_code: int
    reason: str
    message: str = ""
    finished_at: int = 0
