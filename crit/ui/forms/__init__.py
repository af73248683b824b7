"""Launch forms: the New pod (``n``, ``:new pod``) and New container (``r``, ``:run``) screens.

Push :class:`NewPodScreen` / :class:`NewContainerScreen` with a ``CriClient``; they dismiss with a
:class:`LaunchResult` (or None when cancelled) after notifying the new object's id.
"""

from crit.ui.forms.entry import open_from_options, open_new_container, open_new_pod
from crit.ui.forms.screens import LaunchResult, NewContainerScreen, NewPodScreen, PathDialog

__all__ = [
    "LaunchResult",
    "NewContainerScreen",
    "NewPodScreen",
    "PathDialog",
    "open_from_options",
    "open_new_container",
    "open_new_pod",
]
