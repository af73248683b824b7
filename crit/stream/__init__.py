"""The Kubernetes streaming client: the WebSocket channel protocol (exec, attach) and port-forward (no textual,
no grpc)."""
