"""The committed stubs in crit/cri/pb must match protos/runtime/v1/api.proto.

Regenerates into a temp dir with scripts/gen_protos.py. The wire description (the serialized FileDescriptorProto
embedded in api_pb2.py) must be identical whatever the grpcio-tools version; the full text of every generated file
must be identical when the installed grpcio-tools is the one that generated the committed stubs (the generators
stamp their own version into the files, so a newer grpcio-tools alone must not fail this test).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PB = ROOT / "crit" / "cri" / "pb"

pytest.importorskip("grpc_tools", reason="grpcio-tools (test extra) is needed to regenerate the stubs")

sys.path.insert(0, str(ROOT / "scripts"))
import gen_protos

sys.path.pop(0)


def _descriptor_bytes(text: str) -> bytes:
    """The serialized FileDescriptorProto passed to AddSerializedFile in an api_pb2.py."""
    m = re.search(r"AddSerializedFile\((b'.*?')\)\n", text, re.DOTALL)
    assert m, "no AddSerializedFile call in api_pb2.py"
    return eval(m.group(1), {})  # a bytes literal written by protoc


def _stamp(text: str) -> str:
    m = re.search(r"^# Protobuf Python Version: (\S+)$", text, re.MULTILINE)
    return m.group(1) if m else ""


def _grpc_stamp(text: str) -> str:
    m = re.search(r"^GRPC_GENERATED_VERSION = '([^']+)'$", text, re.MULTILINE)
    return m.group(1) if m else ""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pb")
    gen_protos.generate(out)
    return out


def test_descriptor_matches_proto(fresh: Path) -> None:
    committed = _descriptor_bytes((PB / "api_pb2.py").read_text())
    regenerated = _descriptor_bytes((fresh / "api_pb2.py").read_text())
    assert committed == regenerated, (
        "crit/cri/pb/api_pb2.py is stale: protos/runtime/v1/api.proto changed; run scripts/gen_protos.py"
    )


def test_grpc_stub_has_every_method(fresh: Path) -> None:
    from crit.cri.pb import api_pb2, api_pb2_grpc

    for service in api_pb2.DESCRIPTOR.services_by_name.values():
        servicer = getattr(api_pb2_grpc, f"{service.name}Servicer")
        text = (PB / "api_pb2_grpc.py").read_text()
        for method in service.methods:
            assert hasattr(servicer, method.name), f"{service.name}Servicer lacks {method.name}: regenerate"
            assert f"'/runtime.v1.{service.name}/{method.name}'" in text, f"stub lacks {method.name}: regenerate"


def test_files_identical_for_same_generator(fresh: Path) -> None:
    committed = {n: (PB / n).read_text() for n in gen_protos.OUTPUTS}
    regenerated = {n: (fresh / n).read_text() for n in gen_protos.OUTPUTS}
    same_generator = _stamp(committed["api_pb2.py"]) == _stamp(regenerated["api_pb2.py"]) and _grpc_stamp(
        committed["api_pb2_grpc.py"]
    ) == _grpc_stamp(regenerated["api_pb2_grpc.py"])
    for name in gen_protos.OUTPUTS:
        if same_generator:
            assert committed[name] == regenerated[name], f"crit/cri/pb/{name} is stale: run scripts/gen_protos.py"
        else:
            # Another grpcio-tools formats differently; the descriptor test is the real guard then, and the
            # classes and method paths each file declares must still be the same.
            pattern = r"^class (\w+)|'(/runtime\.v1\.\w+/\w+)'"
            assert set(re.findall(pattern, committed[name], re.MULTILINE)) == set(
                re.findall(pattern, regenerated[name], re.MULTILINE)
            ), f"crit/cri/pb/{name} is stale: run scripts/gen_protos.py"


def test_package_relative_import() -> None:
    text = (PB / "api_pb2_grpc.py").read_text()
    assert "from . import api_pb2 as" in text
    assert "from runtime.v1 import" not in text
    spec = importlib.util.find_spec("crit.cri.pb.api_pb2_grpc")
    assert spec is not None


def test_upstream_names_and_numbers() -> None:
    """Spot checks of upstream cri-api names and numbers that crit relies on."""
    from crit.cri.pb import api_pb2 as pb

    assert pb.DESCRIPTOR.package == "runtime.v1"
    rt = pb.DESCRIPTOR.services_by_name["RuntimeService"]
    im = pb.DESCRIPTOR.services_by_name["ImageService"]
    assert len(rt.methods) == 35 and len(im.methods) == 6
    assert rt.methods_by_name["GetContainerEvents"].server_streaming
    f = pb.LinuxSandboxSecurityContext.DESCRIPTOR.fields_by_name
    assert f["run_as_group"].number == 8 and f["supplemental_groups_policy"].number == 11
    assert pb.ImageSpec.DESCRIPTOR.fields_by_name["user_specified_image"].number == 18
    assert pb.ImageFsInfoResponse.DESCRIPTOR.fields_by_name["container_filesystems"].number == 2
    assert pb.ContainerConfig.DESCRIPTOR.fields_by_name["CDI_devices"].number == 17
    assert pb.Mount.DESCRIPTOR.fields_by_name["uidMappings"].number == 6
    assert pb.NamespaceOption.DESCRIPTOR.fields_by_name["userns_options"].message_type.name == "UserNamespace"
    assert pb.PsiStats.DESCRIPTOR.fields_by_name["Full"].number == 1
    assert pb.NODE == 2 and pb.CONTAINER_EXITED == 2 and pb.SIGRTMAX == 65 and pb.CONTAINER_DELETED_EVENT == 3
    assert pb.ContainerStatus.DESCRIPTOR.fields_by_name["stop_signal"].number == 19
