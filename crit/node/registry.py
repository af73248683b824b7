"""An image as containerd sees it after pulling from a registry on this machine (plain HTTP, no auth).

This module owns reading a manifest (or an index, resolved to this machine's platform) and the image config
from a loopback registry, and turning them into what containerd's CRI plugin reports: the image id is the config
digest, the size is the sum of the descriptors containerd walks (manifest, config, layers; the index too when
there is one), the repo digest names the manifest (or index) that was pulled, and the config's ``User`` gives the
uid or username.  It never reaches off the machine: callers only pass loopback hosts.
"""

from __future__ import annotations

import hashlib
import json
import platform
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from crit.node.state import Image

ACCEPT = (
    "application/vnd.oci.image.manifest.v1+json,"
    " application/vnd.docker.distribution.manifest.v2+json,"
    " application/vnd.oci.image.index.v1+json,"
    " application/vnd.docker.distribution.manifest.list.v2+json"
)
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x"}
TIMEOUT = 5.0


class RegistryError(Exception):
    """The registry answered, but not with a usable image (a broken manifest or config)."""


class NotFound(Exception):
    """The registry does not know the reference."""


@dataclass(slots=True)
class Pulled:
    manifest_digest: str  # the digest the reference resolved to (index or manifest)
    config_digest: str
    size: int
    config: dict[str, Any]  # the whole image config (created, architecture, os, config, rootfs, history)

    @property
    def chain_id(self) -> str:
        """The OCI chain id of the layers (the snapshot key containerd unpacks to)."""
        diff_ids = list(self.config.get("rootfs", {}).get("diff_ids") or [])
        if not diff_ids:
            return ""
        chain = str(diff_ids[0])
        for d in diff_ids[1:]:
            chain = "sha256:" + hashlib.sha256(f"{chain} {d}".encode()).hexdigest()
        return chain


def _get(url: str, accept: str | None = None) -> tuple[bytes, str, str]:
    """(body, content type, Docker-Content-Digest) of a GET; HTTPError/OSError go to the caller."""
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        body = r.read()
        return body, r.headers.get("Content-Type", ""), r.headers.get("Docker-Content-Digest", "")


def _split(norm: str) -> tuple[str, str, str]:
    host, _, rest = norm.partition("/")
    if "@" in rest:
        repo, ref = rest.split("@", 1)
    else:
        repo, _, ref = rest.rpartition(":")
    return host, repo, ref


def _json(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as e:
        raise RegistryError(f"the {what} is not JSON") from e
    if not isinstance(data, dict):
        raise RegistryError(f"the {what} is not a JSON object")
    return data


def _pick_platform(index: dict[str, Any]) -> dict[str, Any]:
    arch = _ARCH.get(platform.machine(), platform.machine())
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
    for m in manifests:
        p = m.get("platform") or {}
        if p.get("os", "linux") == "linux" and p.get("architecture") == arch:
            return m
    raise RegistryError(f"no manifest for linux/{arch} in the index")


def fetch(norm: str) -> Pulled | None:
    """The image a normalized reference names on a registry of this machine; None if the registry is unreachable.

    A reference the registry does not know raises NotFound; a broken answer raises RegistryError.
    """
    host, repo, ref = _split(norm)
    base = f"http://{host}/v2/{repo}"
    try:
        try:
            body, ctype, digest = _get(f"{base}/manifests/{ref}", ACCEPT)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise NotFound(norm) from e
            return None
        top = _json(body, "manifest")
        size = len(body)
        manifest_digest = digest or "sha256:" + hashlib.sha256(body).hexdigest()
        manifest = top
        if ctype in _INDEX_TYPES or top.get("mediaType") in _INDEX_TYPES or "manifests" in top:
            desc = _pick_platform(top)
            body, _, _ = _get(f"{base}/manifests/{desc.get('digest', '')}", ACCEPT)
            manifest = _json(body, "manifest")
            size += len(body)
        cfg_desc = manifest.get("config") or {}
        config_digest = str(cfg_desc.get("digest", ""))
        if not config_digest.startswith("sha256:"):
            raise RegistryError("the manifest names no config")
        size += int(cfg_desc.get("size", 0))
        size += sum(int(layer.get("size", 0)) for layer in manifest.get("layers") or [] if isinstance(layer, dict))
        body, _, _ = _get(f"{base}/blobs/{config_digest}")
        config = _json(body, "image config")
    except urllib.error.HTTPError as e:
        raise RegistryError(f"the registry answered {e.code} for a part of the image") from e
    except (OSError, ValueError):
        return None
    return Pulled(manifest_digest=manifest_digest, config_digest=config_digest, size=size, config=config)


def to_image(norm: str, pulled: Pulled) -> Image:
    """The node's image record for a pulled reference (tags of one manifest meet in one record: same id)."""
    repo = norm.split("@", 1)[0] if "@" in norm else norm.rsplit(":", 1)[0]
    inner = pulled.config.get("config")
    return Image(
        id=pulled.config_digest,
        repo_tags=[] if "@" in norm else [norm],
        repo_digests=[f"{repo}@{pulled.manifest_digest}"],
        size=pulled.size,
        config=inner if isinstance(inner, dict) else {},
        created=str(pulled.config.get("created") or "1970-01-01T00:00:00Z"),
        chain_id=pulled.chain_id,
        spec=pulled.config,
    )
