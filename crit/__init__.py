"""crit — a full-screen terminal UI for the container runtime (CRI v1) of a Kubernetes node."""

import os as _os

# gRPC's C core writes INFO lines (e.g. "Got goaway") straight to stderr, which would scribble over the full-screen
# UI; keep it to errors unless the user asked for more (set before any gRPC channel or server starts).
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

__version__ = "0.1.0"
