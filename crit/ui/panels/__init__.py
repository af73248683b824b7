"""The three live panels of the main screen."""

from crit.ui.panels.panel import ResourcePanel
from crit.ui.panels.table import NodeTable, Row

__all__ = ["NodeTable", "ResourcePanel", "Row"]
