"""What the command line hands to the app: :class:`Options`, one typed record (built by :mod:`crit.cli`, read by
:class:`crit.ui.app.CritApp` and the views).  No behaviour lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from crit.cri.config import ResolvedConfig
    from crit.cri.pb import api_pb2 as pb

__all__ = ["DEFAULT_REFRESH", "DEFAULT_STATS_INTERVAL", "Options"]

DEFAULT_REFRESH = 2.0  # seconds between list refreshes
DEFAULT_STATS_INTERVAL = 5.0  # seconds between statistics polls


@dataclass
class Options:
    """What the command line hands to the TUI (``crit.ui.app.run_app(client, options)``).

    Connection (already resolved; see :mod:`crit.cri.config` for precedence):
      ``runtime_endpoint`` / ``image_endpoint``  canonical endpoint URLs (``unix:///…`` or ``tcp://…``)
      ``timeout``                                 seconds, the deadline of every unary call
      ``config``                                  the full :class:`~crit.cri.config.ResolvedConfig` (sources, file)
      ``pull_image_on_create`` / ``disable_pull_on_run``  crictl's config-file switches (default of "pull if missing")

    UI:
      ``refresh``          seconds between list refreshes (``--refresh``, default 2)
      ``stats_interval``   seconds between statistics polls (``--stats-interval``, default 5)
      ``readonly``         hide and refuse every mutating action (the client refuses too)
      ``theme``            theme name from ``--theme`` or ``None`` for the default
      ``stream_insecure``  skip TLS verification of https/wss streaming URLs
      ``debug``            ``-D/--debug`` or ``debug: true`` in the config file
      ``demo``             the endpoint is the embedded demo node started by ``--demo``

    Launch forms (``crit new …``; loaded and validated by :mod:`crit.cri.spec`, ``None`` when not asked for):
      ``new_pod``             a ``PodSandboxConfig`` to prefill the new-pod form
      ``new_container``       a ``ContainerConfig`` to prefill the new-container form
      ``new_container_pod``   for ``new container --pod``: a ``PodSandboxConfig`` (a new pod, as ``crictl run``)
                              or a ``str`` pod id/prefix (an existing pod); ``None`` = the pod selected in the UI
    """

    runtime_endpoint: str = ""
    image_endpoint: str = ""
    timeout: float = 2.0
    refresh: float = DEFAULT_REFRESH
    stats_interval: float = DEFAULT_STATS_INTERVAL
    readonly: bool = False
    theme: str | None = None
    stream_insecure: bool = False
    debug: bool = False
    demo: bool = False
    pull_image_on_create: bool = False
    disable_pull_on_run: bool = False
    config: ResolvedConfig | None = None
    new_pod: pb.PodSandboxConfig | None = None
    new_container: pb.ContainerConfig | None = None
    new_container_pod: pb.PodSandboxConfig | str | None = None
