"""Node state: polling through the CRI client, keyed diffs, caches, lifecycle events (never imports Textual or
gRPC)."""

from crit.model.events import Event, EventLog
from crit.model.poller import Condition, ConnectionState, NodeModel
from crit.model.store import Changes, Diff, KeyedStore

__all__ = ["Changes", "Condition", "ConnectionState", "Diff", "Event", "EventLog", "KeyedStore", "NodeModel"]
