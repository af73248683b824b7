"""The crit test bed: tiny OCI images, a private containerd + runc, a local docker-registry."""
