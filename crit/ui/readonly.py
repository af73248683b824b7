"""What ``--readonly`` disables, said in one place: the one sentence every refused key or command shows.

    refusal("pulling images")   → "crit is read-only (--readonly): pulling images is disabled."
    key_refusal("ctrl+k")       → "crit is read-only (--readonly): stopping pods and containers is disabled."

The keymap's keys and commands marked ``mutating=True`` (:mod:`crit.ui.keymap`) are named here, by their first key; one
that is not falls back to its footer description.
"""

from __future__ import annotations

__all__ = ["refusal", "key_refusal", "command_refusal", "DISABLED_KEYS", "DISABLED_COMMANDS"]

#: key → what it does (an -ing phrase), for the keys --readonly refuses
DISABLED_KEYS: dict[str, str] = {
    "ctrl+k": "stopping pods and containers",
    "ctrl+d": "removing pods, containers and images",
    "p": "pulling images",
    "n": "creating pods",
    "r": "running containers",
    "s": "opening a shell in a container",
    "S": "running a command in a container",
    "a": "attaching to a container",
    "shift+f": "port-forwarding",
}

#: `:` command → what it does
DISABLED_COMMANDS: dict[str, str] = {
    "new pod": "creating pods",
    "run": "running containers",
    "new container": "creating containers",
}


def refusal(what: str) -> str:
    """The sentence for a refused action: ``what`` is an -ing phrase ("pulling images")."""
    return f"crit is read-only (--readonly): {what} is disabled."


def key_refusal(key: str, description: str = "") -> str:
    """The sentence for a refused key (``description``: its footer label, when the key is not listed here)."""
    what = DISABLED_KEYS.get(key)
    if what is None:
        what = f"“{description}” ({key})" if description else f"the key {key}"
    return refusal(what)


def command_refusal(name: str) -> str:
    """The sentence for a refused ``:name`` command."""
    return refusal(DISABLED_COMMANDS.get(name, f":{name}"))
