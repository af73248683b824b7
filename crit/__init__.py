"""crit — a full-screen terminal UI for the container runtime (CRI v1) of a Kubernetes node."""

__version__ = "0.1.0"
