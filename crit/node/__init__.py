"""crit's embedded CRI v1 node: a real gRPC server (RuntimeService + ImageService) with in-memory state,
simulated workloads and a streaming server.  Start it with ``crit node serve`` or :func:`crit.node.serve.run`.

Exec, attach and containers created with a command run as real processes on this host; the gRPC socket is
created with mode 0600 for that reason.
"""
