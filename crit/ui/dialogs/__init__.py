"""Modal dialogs of the main screen."""

from crit.ui.dialogs.confirm import ConfirmDialog
from crit.ui.dialogs.pull import PullDialog, PullRequest

__all__ = ["ConfirmDialog", "PullDialog", "PullRequest"]
