"""Image references as the runtime reads them: the one normalisation of a short name (containerd's
``docker.ParseDockerRef``), used by the embedded node to store images and by the panels to match the runtime's
sandbox image to an image.  Pure string work, in memory: nothing here contacts a registry."""

from __future__ import annotations

__all__ = ["normalize_ref"]


def normalize_ref(ref: str) -> str | None:
    """docker.ParseDockerRef, simplified: add docker.io/library and :latest where missing."""
    ref = ref.strip()
    if not ref or any(c.isspace() for c in ref) or ref != ref.strip("/:@"):
        return None
    name, digest = ref, ""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        if not digest.startswith("sha256:") or len(digest) != 71:
            return None
    first, _, rest = name.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if rest else "library/" + name)
    if not digest:
        last = name.rsplit("/", 1)[-1]
        if ":" not in last:
            name += ":latest"
    if name != name.lower() and not digest:
        # repository names must be lower case (the tag may not be)
        repo, _, tag = name.rpartition(":")
        if repo != repo.lower():
            return None
    return name + ("@" + digest if digest else "")
