"""CRI v1 client layer: generated stubs (pb), CriClient (client), errors, config and specs.

gRPC's C core writes INFO lines (e.g. "Got goaway") straight to stderr, which would scribble over a full-screen
UI; keep it to errors unless the user asked for more. This must run before grpc is first imported.
"""

import os as _os

_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
