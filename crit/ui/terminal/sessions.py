"""Session factories for :class:`~crit.ui.terminal.TerminalView`: ask the runtime for a streaming URL through
``CriClient`` (Exec/Attach), then open it with :class:`~crit.stream.channel.ExecStream`.

Interactive sessions always use ``tty=True`` with ``stdin=True`` (the runtime stalls a TTY stream without stdin).
Each call of a factory asks for a fresh URL (tokens are single-use).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crit.stream.channel import ExecStream
from crit.ui.terminal.view import SessionFactory

__all__ = ["SHELL_COMMAND", "exec_session", "shell_session", "attach_session"]

#: like k9s: bash when the image has it, sh otherwise
SHELL_COMMAND = ["sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash || exec sh"]


def exec_session(
    client: Any, container_id: str, cmd: Sequence[str], *, insecure: bool = False, timeout: float = 10.0
) -> SessionFactory:
    """A factory running ``cmd`` in the container with a TTY."""

    async def factory() -> ExecStream:
        url = await client.exec(container_id, list(cmd), tty=True, stdin=True)
        return await ExecStream.connect(url, tty=True, insecure=insecure, timeout=timeout, what="exec")

    return factory


def shell_session(client: Any, container_id: str, *, insecure: bool = False) -> SessionFactory:
    """A factory for an interactive shell (bash, falling back to sh)."""
    return exec_session(client, container_id, SHELL_COMMAND, insecure=insecure)


def attach_session(client: Any, container_id: str, *, insecure: bool = False, timeout: float = 10.0) -> SessionFactory:
    """A factory attaching to the container's main process (it must have been created with stdin and tty)."""

    async def factory() -> ExecStream:
        url = await client.attach(container_id, tty=True, stdin=True)
        return await ExecStream.connect(url, tty=True, insecure=insecure, timeout=timeout, what="attach")

    return factory
