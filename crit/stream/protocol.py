"""The Kubernetes streaming channel protocol's constants, the only definition in crit: the WebSocket subprotocol
names and the channel numbers. The client (:mod:`crit.stream.channel`, :mod:`crit.stream.portforward`) and the
embedded node's streaming server (:mod:`crit.node.streaming`) both use them.

Every binary message is ``channel byte + payload``::

    0 stdin (client → server)      1 stdout        2 stderr
    3 status/error JSON (server → client, then the server closes)
    4 resize JSON ``{"Width": W, "Height": H}`` (client → server)
    255 (v5 only, client → server) "close channel N": half-closes stdin
"""

from __future__ import annotations

__all__ = [
    "CLOSE",
    "DATA",
    "ERROR",
    "PORTFORWARD",
    "PORTFORWARD_PROTOCOLS",
    "PROTOCOLS",
    "RESIZE",
    "STATUS",
    "STDERR",
    "STDIN",
    "STDOUT",
    "V4",
    "V5",
]

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
#: What exec and attach offer, best first (containerd 1.6 takes only v4; newer runtimes take v5).
PROTOCOLS: tuple[str, ...] = (V5, V4)
#: The port-forward subprotocol (a server also accepts v4 for port-forward).
PORTFORWARD = "portforward.k8s.io"
PORTFORWARD_PROTOCOLS: tuple[str, ...] = (V4, PORTFORWARD)

STDIN = 0
STDOUT = 1
STDERR = 2
STATUS = 3  # the server's status (error) JSON
RESIZE = 4
CLOSE = 255

#: Port-forward: the i-th port of a connection has data on channel ``2*i + DATA`` and errors on ``2*i + ERROR``;
#: the server first sends the port number (2 bytes, little endian) on both.
DATA = 0
ERROR = 1
