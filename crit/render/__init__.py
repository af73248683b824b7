"""Pure rendering helpers: sanitising untrusted text, human ages/sizes, row cells, column fitting."""

from crit.render.human import age, short_id, size, timestamp
from crit.render.sanitize import sanitize, sanitize_multiline

__all__ = ["age", "sanitize", "sanitize_multiline", "short_id", "size", "timestamp"]
