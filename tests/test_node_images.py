"""Fidelity of pulled images: the embedded node and the real containerd 1.6 pull the same images from the test
bed's registry and report them alike — the id is the config digest, the size is containerd's (manifest, config
and layers), the repo digest names the manifest, three tags of one manifest are one image, and the config's
``User`` gives ``uid`` (numeric) or ``username`` (a name)."""

from __future__ import annotations

import asyncio
import json
import platform
import urllib.request
import uuid

import pytest

from crit.cri.pb import api_pb2 as pb
from tests.bed import images as bed_images
from tests.bed import registry as reg_bed
from tests.test_node_fidelity import Raw

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory):
    """Two images in the bed's registry: one with ``USER 1002`` under three tags, one with ``USER www-data:www``."""
    if registry.address != "127.0.0.1:5000":
        pytest.skip(f"the registry runs on {registry.address}: the node reaches only localhost:5000 by that name")
    tmp = tmp_path_factory.mktemp("images")
    raw = bed_images.build_rootfs_layer()
    gz = bed_images._gzip(raw)
    repo = f"crit-test/tags-{uuid.uuid4().hex[:6]}"
    numeric = bed_images._build_archive(f"x/{repo}:1", raw, gz, {"Cmd": ["sh"], "User": "1002"}, tmp / "n.tar")
    for tag in ("1", "2", "3"):
        registry.push(numeric, f"{repo}:{tag}")
    named = bed_images._build_archive(f"x/{repo}-named:1", raw, gz, {"User": "www-data:www"}, tmp / "u.tar")
    registry.push(named, f"{repo}-named:1")
    # an index of two platforms: this machine's gets a third image, the other platform the named one
    seven = bed_images._build_archive(f"x/{repo}:seven", raw, gz, {"User": "7"}, tmp / "s.tar")
    registry.push(seven, f"{repo}:seven")  # pulled only through the index: its size counts the index
    registry.push(named, f"{repo}:other")
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    entries = []
    for tag, plat in (("seven", arch), ("other", "s390x" if arch != "s390x" else "amd64")):
        status, body, headers = registry.get(f"/v2/{repo}/manifests/{tag}", accept=MT_MANIFEST)
        assert status == 200, body
        entries.append(
            {
                "mediaType": MT_MANIFEST,
                "digest": headers["Docker-Content-Digest"],
                "size": len(body),
                "platform": {"architecture": plat, "os": "linux"},
            }
        )
    index = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries}).encode()
    req = urllib.request.Request(
        f"{registry.url}/v2/{repo}/manifests/multi", data=index, method="PUT", headers={"Content-Type": MT_INDEX}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
    host = reg_bed.REGISTRY_HOST
    return {
        "registry": registry,
        "archives": (numeric, named),
        "repo": repo,
        "digest": f"{host}/{repo}@{numeric.manifest_digest}",
        "move": f"{host}/{repo}:move",
        "tags": [f"{host}/{repo}:{t}" for t in ("1", "2", "3")],
        "index": f"{host}/{repo}:multi",
        "named": f"{host}/{repo}-named:1",
        "numeric_config": numeric.config_digest,
        "named_config": named.config_digest,
    }


async def pulled(cri, refs: dict) -> list:
    r = Raw(cri.endpoint)
    out: list = []
    try:
        for ref in [*refs["tags"], refs["named"]]:
            resp = await r.im.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=60)
            out.append(("pull", ref, resp.image_ref))
        for ref in [*refs["tags"], refs["named"]]:
            st = (await r.im.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref)))).image
            out.append(
                (
                    "status",
                    ref,
                    st.id,
                    sorted(st.repo_tags),
                    sorted(st.repo_digests),
                    st.size,
                    st.uid.value if st.HasField("uid") else None,
                    st.username,
                )
            )
        # a pull by digest adds no tag; a tag pushed again over another manifest moves to that image
        await r.im.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=refs["digest"])), timeout=60)
        st = (await r.im.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=refs["digest"])))).image
        out.append(("by digest", st.id, sorted(st.repo_tags), sorted(st.repo_digests), st.size))
        numeric, named = refs["archives"]
        for archive in (numeric, named):
            refs["registry"].push(archive, refs["move"].split("/", 1)[1])
            await r.im.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=refs["move"])), timeout=60)
            for ref in (refs["move"], refs["tags"][0], refs["named"]):
                st = (await r.im.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref)))).image
                out.append(("moved", ref, st.id, sorted(st.repo_tags), sorted(st.repo_digests)))
        # an index: this machine's platform is pulled; the repo digest names the index, the size counts it
        await r.im.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=refs["index"])), timeout=60)
        st = (await r.im.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=refs["index"])))).image
        out.append(("index", st.id, sorted(st.repo_tags), sorted(st.repo_digests), st.size, st.uid.value))
        iv = await r.im.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=refs["named"]), verbose=True))
        out.append(("verbose info", json.loads(iv.info["info"])))
        ours = set(refs["tags"]) | {refs["named"], refs["move"], refs["index"]}
        listed = (await r.im.ListImages(pb.ListImagesRequest())).images
        out.append(("list", sorted((i.id, tuple(sorted(i.repo_tags))) for i in listed if ours & set(i.repo_tags))))
    finally:
        for ref in [*refs["tags"], refs["named"], refs["move"], refs["digest"], refs["index"]]:
            await r.err(r.im.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=60))
        await r.ch.close()
    return out


def test_pulled_images_match_containerd(node, containerd, pushed):
    theirs = asyncio.run(pulled(containerd, pushed))
    mine = asyncio.run(pulled(node, pushed))
    # pin what containerd said
    status = {x[1]: x[2:] for x in theirs if x[0] == "status"}
    first = status[pushed["tags"][0]]
    assert first[0] == pushed["numeric_config"] and first[1] == sorted(pushed["tags"]) and first[4:] == (1002, "")
    assert status[pushed["named"]][0] == pushed["named_config"] and status[pushed["named"]][4:] == (None, "www-data")
    for m, t in zip(mine, theirs):
        assert m == t, f"node differs from containerd at {t[:2]!r}"
    assert len(mine) == len(theirs)
