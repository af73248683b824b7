"""containerd 1.6's refusals of invalid security contexts, for the embedded node.

This module owns the checks containerd's CRI plugin makes while it builds a pod's or a container's OCI spec
(pkg/cri/server: sandbox_run_linux.go, container_create_linux.go) and the exact texts it answers with: a group
without a user, a seccomp or AppArmor profile name that is neither a known word nor ``localhost/...``, a
``localhost_ref`` on a profile whose type is not Localhost, a localhost seccomp file that cannot be read, a
privileged container in a sandbox that is not privileged.  Each function returns the refusal's message (the gRPC
code is Unknown for all of them, as containerd returns plain errors) or ``None`` when containerd would accept.
Checks that depend on the host (is AppArmor enabled, does a profile exist in the kernel) are left out.
"""

from __future__ import annotations

import json

from crit.cri.pb import api_pb2 as pb

PROFILE_PREFIX = "localhost/"
_RUNTIME_DEFAULT = ("runtime/default", "docker/default", "")
_UNCONFINED = "unconfined"


def _q(text: str) -> str:
    """Go's %q for the plain strings these messages quote."""
    return json.dumps(text, ensure_ascii=False)


def _user_string_error(username: str, uid: pb.Int64Value | None, gid: pb.Int64Value | None) -> str | None:
    """containerd's generateUserString: a group needs a user (uid or name)."""
    if uid is None and not username and gid is not None:
        return f"user group {_q(str(gid.value))} is specified without user"
    return None


def _profile_from_path(path: str) -> tuple[pb.SecurityProfile | None, str | None]:
    """containerd's generateSecurityProfile for the deprecated ``*_profile_path`` strings."""
    if path in _RUNTIME_DEFAULT:
        return pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault), None
    if path == _UNCONFINED:
        return pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined), None
    if not path.startswith(PROFILE_PREFIX):
        return None, f"invalid profile {_q(path)}"
    return (
        pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost, localhost_ref=path[len(PROFILE_PREFIX) :]),
        None,
    )


def _seccomp_errors(
    has_seccomp: bool, seccomp: pb.SecurityProfile, path: str, privileged: bool
) -> tuple[str | None, str | None]:
    """(refusal while generating the spec options, refusal when the spec is applied) for seccomp."""
    sp: pb.SecurityProfile | None = seccomp if has_seccomp else None
    if sp is None and path:
        sp, err = _profile_from_path(path)
        if err:
            return f"failed to generate seccomp spec opts: {err}", None
    if privileged or sp is None:
        return None, None
    if sp.profile_type != pb.SecurityProfile.Localhost and sp.localhost_ref:
        return (
            "failed to generate seccomp spec opts: "
            "seccomp config invalid LocalhostRef must only be set if ProfileType is Localhost",
            None,
        )
    if sp.profile_type == pb.SecurityProfile.Localhost:
        profile = sp.localhost_ref.removeprefix(PROFILE_PREFIX)
        try:
            with open(profile, "rb"):
                pass
        except OSError as e:
            reason = (e.strerror or str(e)).lower()
            return None, f"cannot load seccomp profile {_q(profile)}: open {profile}: {reason}"
    return None, None


def pod_refusal(config: pb.PodSandboxConfig) -> str | None:
    """What containerd answers to RunPodSandbox with this config's security context, or None."""
    sc = config.linux.security_context
    opts_err, apply_err = _seccomp_errors(sc.HasField("seccomp"), sc.seccomp, sc.seccomp_profile_path, sc.privileged)
    if opts_err is None:
        user_err = _user_string_error(
            "",
            sc.run_as_user if sc.HasField("run_as_user") else None,
            sc.run_as_group if sc.HasField("run_as_group") else None,
        )
        if user_err:
            opts_err = f"failed to generate user string: {user_err}"
    if opts_err:
        return f"failed to generate sanbdox container spec options: {opts_err}"  # sic: containerd's spelling
    if apply_err:
        return f"failed to create containerd container: {apply_err}"
    return None


def container_refusal(cid: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig) -> str | None:
    """What containerd answers to CreateContainer with this config's security context, or None."""
    sc = config.linux.security_context
    if sc.privileged and not sandbox_config.linux.security_context.privileged:
        return f"failed to generate container {_q(cid)} spec: no privileged container allowed in sandbox"
    user_err = _user_string_error(
        sc.run_as_username,
        sc.run_as_user if sc.HasField("run_as_user") else None,
        sc.run_as_group if sc.HasField("run_as_group") else None,
    )
    if user_err:
        return f"failed to get container spec opts: failed to generate user string: {user_err}"
    if not sc.HasField("apparmor") and sc.apparmor_profile:
        _, err = _profile_from_path(sc.apparmor_profile)
        if err:
            return f"failed to get container spec opts: failed to generate apparmor spec opts: {err}"
    opts_err, apply_err = _seccomp_errors(sc.HasField("seccomp"), sc.seccomp, sc.seccomp_profile_path, sc.privileged)
    if opts_err:
        return f"failed to get container spec opts: {opts_err}"
    if apply_err:
        return f"failed to create containerd container: {apply_err}"
    return None
