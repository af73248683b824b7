"""Build tiny OCI image archives from /usr/bin/busybox in pure Python.

Two images are built:

* ``SHELL_IMAGE`` — busybox with every applet linked into /bin, Cmd ``["sh"]``;
* ``PAUSE_IMAGE`` — the same root filesystem whose entrypoint sleeps until SIGTERM/SIGINT and then exits 0
  (used as the sandbox image of the private containerd).

The archives are ``oci-archive`` tarballs (``oci-layout``, ``index.json``, ``blobs/sha256/...``) whose index carries
both ``org.opencontainers.image.ref.name`` and ``io.containerd.image.name`` so that ``ctr images import`` names the
image and ``skopeo copy oci-archive:...`` accepts it. They are cached under a per-user cache directory, keyed by the
sha256 of busybox and a builder version, so only the first run pays for building.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

BUSYBOX = Path("/usr/bin/busybox")
REGISTRY_HOST = "localhost:5000"
SHELL_IMAGE = f"{REGISTRY_HOST}/crit-test/busybox:1.0"
PAUSE_IMAGE = f"{REGISTRY_HOST}/crit-test/pause:1.0"

# Bump when the image layout below changes, so cached archives are rebuilt.
BUILDER_VERSION = "3"

# A fixed timestamp keeps the archives reproducible (same busybox -> same digests).
EPOCH = 1_700_000_000
CREATED = "2023-11-14T22:13:20Z"

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PAUSE_SCRIPT = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n"

MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"


@dataclass(frozen=True)
class ImageArchive:
    """An OCI archive on disk and the name it is imported under."""

    ref: str
    path: Path
    manifest_digest: str
    config_digest: str


def busybox_applets(busybox: Path = BUSYBOX) -> list[str]:
    out = subprocess.run([str(busybox), "--list"], check=True, capture_output=True, text=True).stdout
    names = sorted({n.strip() for n in out.split() if n.strip() and "/" not in n and n.strip() != "busybox"})
    return names


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tarinfo(name: str, kind: bytes, mode: int, size: int = 0, linkname: str = "") -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.size = size
    ti.linkname = linkname
    ti.mtime = EPOCH
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def build_rootfs_layer(busybox: Path = BUSYBOX) -> bytes:
    """Return the uncompressed layer tar: /bin/busybox, applet symlinks, /etc files, /tmp, /root."""
    applets = busybox_applets(busybox)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d, mode in [
            ("bin", 0o755),
            ("sbin", 0o755),
            ("usr", 0o755),
            ("usr/bin", 0o755),
            ("usr/sbin", 0o755),
            ("etc", 0o755),
            ("root", 0o700),
            ("tmp", 0o1777),
            ("var", 0o755),
            ("var/tmp", 0o1777),
            ("home", 0o755),
            ("proc", 0o555),
            ("sys", 0o555),
            ("dev", 0o755),
            ("run", 0o755),
        ]:
            tar.addfile(_tarinfo(d, tarfile.DIRTYPE, mode))
        data = busybox.read_bytes()
        tar.addfile(_tarinfo("bin/busybox", tarfile.REGTYPE, 0o755, len(data)), io.BytesIO(data))
        for name in applets:
            tar.addfile(_tarinfo(f"bin/{name}", tarfile.SYMTYPE, 0o777, linkname="busybox"))
        for name, text in [
            ("etc/passwd", PASSWD),
            ("etc/group", GROUP),
            ("etc/shells", "/bin/sh\n/bin/ash\n"),
            ("etc/hostname", "crit-test\n"),
            ("etc/os-release", 'NAME="crit test busybox"\nID=busybox\n'),
        ]:
            raw = text.encode()
            tar.addfile(_tarinfo(name, tarfile.REGTYPE, 0o644, len(raw)), io.BytesIO(raw))
    return buf.getvalue()


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return out.getvalue()


def _json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _build_archive(ref: str, layer_tar: bytes, layer_gz: bytes, process: dict, dest: Path) -> ImageArchive:
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [PATH_ENV], "WorkingDir": "/", **process},
        "rootfs": {"type": "layers", "diff_ids": [_sha256(layer_tar)]},
        "history": [{"created": CREATED, "created_by": "crit test bed (tests/bed/images.py)"}],
    }
    config_raw = _json(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": _sha256(config_raw), "size": len(config_raw)},
        "layers": [{"mediaType": MT_LAYER_GZIP, "digest": _sha256(layer_gz), "size": len(layer_gz)}],
    }
    manifest_raw = _json(manifest)
    tag = ref.rsplit(":", 1)[1]
    index = {
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [
            {
                "mediaType": MT_MANIFEST,
                "digest": _sha256(manifest_raw),
                "size": len(manifest_raw),
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {
                    "io.containerd.image.name": ref,
                    "org.opencontainers.image.ref.name": tag,
                },
            }
        ],
    }
    files = [
        ("oci-layout", _json({"imageLayoutVersion": "1.0.0"})),
        ("index.json", _json(index)),
    ]
    for blob in (layer_gz, config_raw, manifest_raw):
        files.append(("blobs/sha256/" + _sha256(blob).split(":", 1)[1], blob))

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for d in ("blobs", "blobs/sha256"):
                tar.addfile(_tarinfo(d, tarfile.DIRTYPE, 0o755))
            for name, blob in files:
                tar.addfile(_tarinfo(name, tarfile.REGTYPE, 0o644, len(blob)), io.BytesIO(blob))
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ImageArchive(ref, dest, _sha256(manifest_raw), _sha256(config_raw))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "crit-test-images"


_PROCESSES = {
    "busybox": {"Cmd": ["sh"]},
    "pause": {"Entrypoint": ["/bin/sh", "-c", PAUSE_SCRIPT], "Cmd": None},
    "pullme": {"Cmd": ["sh"], "Labels": {"io.crit.test": "pullme"}},
}


def _clean(process: dict) -> dict:
    return {k: v for k, v in process.items() if v is not None}


def build_images(
    refs: dict[str, str] | None = None, busybox: Path = BUSYBOX, cache: Path | None = None
) -> dict[str, ImageArchive]:
    """Build (or reuse from the cache) the test images; return {kind: ImageArchive}.

    ``refs`` maps a kind (``busybox``, ``pause``, ``pullme``) to the image name to give it.
    """
    if refs is None:
        refs = {"busybox": SHELL_IMAGE, "pause": PAUSE_IMAGE}
    key = hashlib.sha256(f"{_file_sha256(busybox)}:{BUILDER_VERSION}".encode()).hexdigest()[:16]
    folder = (cache or cache_dir()) / key
    result: dict[str, ImageArchive] = {}
    layer: tuple[bytes, bytes] | None = None
    for kind, ref in refs.items():
        safe = ref.replace("/", "_").replace(":", "_")
        dest = folder / f"{safe}.oci.tar"
        meta = dest.with_suffix(".json")
        if dest.exists() and meta.exists():
            try:
                m = json.loads(meta.read_text())
                result[kind] = ImageArchive(ref, dest, m["manifest"], m["config"])
                continue
            except (ValueError, KeyError):
                pass
        if layer is None:
            raw = build_rootfs_layer(busybox)
            layer = (raw, _gzip(raw))
        arch = _build_archive(ref, layer[0], layer[1], _clean(_PROCESSES[kind]), dest)
        meta.write_text(json.dumps({"manifest": arch.manifest_digest, "config": arch.config_digest}))
        result[kind] = arch
    return result


if __name__ == "__main__":  # pragma: no cover - manual helper
    for k, a in build_images(
        {"busybox": SHELL_IMAGE, "pause": PAUSE_IMAGE, "pullme": "localhost:5000/crit-test/pullme:1.0"}
    ).items():
        print(k, a.ref, a.path, a.manifest_digest)
