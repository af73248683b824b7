"""Fidelity of the refusals: invalid security contexts (the ones critest checks, and their neighbours in
containerd's code) sent to the real containerd 1.6 and to the embedded node give the same gRPC code and message;
the valid neighbours are accepted by both, and a refused name can be used again (containerd releases it)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest

from crit.cri.pb import api_pb2 as pb
from tests.bed import specs
from tests.test_node_fidelity import Raw, norm

pytestmark = [pytest.mark.containerd, pytest.mark.timeout(180)]


def _pod(name: str, **sc: object) -> pb.PodSandboxConfig:
    cfg = specs.pod_config(name, namespace="refusals", cgroup_parent=False)
    for k, v in sc.items():
        if isinstance(v, pb.Int64Value | pb.SecurityProfile):
            getattr(cfg.linux.security_context, k).CopyFrom(v)
        else:
            setattr(cfg.linux.security_context, k, v)
    return cfg


def _ctr(name: str, image: str, **sc: object) -> pb.ContainerConfig:
    cfg = specs.container_config(name, image, ["sleep", "60"])
    for k, v in sc.items():
        if isinstance(v, pb.Int64Value | pb.SecurityProfile):
            getattr(cfg.linux.security_context, k).CopyFrom(v)
        else:
            setattr(cfg.linux.security_context, k, v)
    return cfg


async def refusals(cri, files: Path) -> list[tuple]:
    """Each step: (what, code, normalized message); the message of an accepted call is empty."""
    r = Raw(cri.endpoint)
    out: list[tuple] = []
    tag = uuid.uuid4().hex[:6]
    good = files / "allow.json"
    good.write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    absent = files / "absent.json"

    def clean(msg: str) -> str:
        return norm(msg.replace(str(files), "<DIR>"), tag)

    gid = pb.Int64Value(value=1002)
    uid = pb.Int64Value(value=1001)
    pods: list[str] = []
    try:
        for what, sc in [
            ("pod: group without user", {"run_as_group": gid}),
            ("pod: seccomp path without localhost/", {"seccomp_profile_path": str(good)}),
            ("pod: seccomp path unknown word", {"seccomp_profile_path": "no-such-word"}),
            ("pod: seccomp localhost file absent", {"seccomp_profile_path": f"localhost/{absent}"}),
            (
                "pod: localhost_ref on RuntimeDefault",
                {"seccomp": pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault, localhost_ref="x")},
            ),
        ]:
            code, msg = await r.err(r.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=_pod(f"p-{tag}", **sc))))
            out.append((what, code, clean(msg)))
        # the refused name is free again; a group with a user is fine
        pcfg = _pod(f"p-{tag}", run_as_group=gid, run_as_user=uid, seccomp_profile_path=f"localhost/{good}")
        pod = (await r.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pcfg), timeout=60)).pod_sandbox_id
        pods.append(pod)
        out.append(("pod: group with user, localhost seccomp file", "OK"))

        image = cri.shell_image
        for what, sc in [
            ("group without user", {"run_as_group": gid}),
            ("seccomp path without localhost/", {"seccomp_profile_path": str(good)}),
            ("seccomp path unknown word", {"seccomp_profile_path": "no-such-word"}),
            ("seccomp localhost file absent", {"seccomp_profile_path": f"localhost/{absent}"}),
            (
                "localhost_ref on Unconfined",
                {"seccomp": pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined, localhost_ref="x")},
            ),
            ("apparmor path without localhost/", {"apparmor_profile": "my-profile"}),
            ("privileged in a pod that is not", {"privileged": True}),
            ("the group is checked before the seccomp path", {"run_as_group": gid, "seccomp_profile_path": "bad"}),
        ]:
            code, msg = await r.err(
                r.rt.CreateContainer(
                    pb.CreateContainerRequest(
                        pod_sandbox_id=pod, config=_ctr(f"c-{tag}", image, **sc), sandbox_config=pcfg
                    ),
                    timeout=60,
                )
            )
            out.append((what, code, clean(msg)))
        for what, sc in [
            ("accepted: group with user", {"run_as_group": gid, "run_as_user": uid}),
            ("accepted: localhost seccomp file", {"seccomp_profile_path": f"localhost/{good}"}),
            ("accepted: unconfined", {"seccomp_profile_path": "unconfined"}),
            ("accepted: runtime/default", {"seccomp_profile_path": "runtime/default"}),
            ("accepted: Localhost profile", {"seccomp": pb.SecurityProfile(profile_type=2, localhost_ref=str(good))}),
        ]:
            resp = await r.rt.CreateContainer(
                pb.CreateContainerRequest(
                    pod_sandbox_id=pod, config=_ctr(f"c-{tag}", image, **sc), sandbox_config=pcfg
                ),
                timeout=60,
            )
            await r.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=resp.container_id), timeout=60)
            out.append((what, "OK"))
    finally:
        for p in pods:
            await r.err(r.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=p), timeout=60))
        await r.ch.close()
    return out


def test_security_refusals_match_containerd(node, containerd, tmp_path):
    (tmp_path / "ctd").mkdir()
    (tmp_path / "node").mkdir()
    theirs = asyncio.run(refusals(containerd, tmp_path / "ctd"))
    mine = asyncio.run(refusals(node, tmp_path / "node"))
    # pin what containerd said (the comparison is only as good as that)
    res = {x[0]: x[1:] for x in theirs}
    assert res["group without user"] == (
        grpc.StatusCode.UNKNOWN,
        "failed to get container spec opts: failed to generate user string: "
        'user group "1002" is specified without user',
    )
    assert res["seccomp path without localhost/"][1].endswith('invalid profile "<DIR>/allow.json"')
    assert res["pod: group without user"][0] == grpc.StatusCode.UNKNOWN
    for m, t in zip(mine, theirs):
        assert m == t, f"node differs from containerd at {t[0]!r}"
    assert len(mine) == len(theirs)
