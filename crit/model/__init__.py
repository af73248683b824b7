"""Node state: polling through the CRI client, keyed diffs, caches (never imports Textual or gRPC)."""

from crit.model.poller import Condition, ConnectionState, NodeModel
from crit.model.store import Changes, Diff, KeyedStore

__all__ = ["Changes", "Condition", "ConnectionState", "Diff", "KeyedStore", "NodeModel"]
