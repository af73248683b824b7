"""crictl-format specs: the seed article's files, round trips over every field, errors with path and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from google.protobuf.descriptor import FieldDescriptor

from crit.cri import spec
from crit.cri.pb import api_pb2 as pb
from crit.cri.spec import SpecError

FIXTURES = Path(__file__).parent / "fixtures"


# ---------------------------------------------------------------- the seed article's files


def test_seed_pod_yaml_loads_unchanged():
    p = spec.load_pod_config(FIXTURES / "pod.yaml")
    assert p.metadata.name == "mysanbox"
    assert p.metadata.namespace == "default"
    assert p.metadata.uid == "" and p.metadata.attempt == 0
    assert p.log_directory == "/root/temp"
    assert len(p.port_mappings) == 1
    assert p.port_mappings[0].protocol == pb.TCP == 0
    assert p.port_mappings[0].container_port == 80
    assert not p.HasField("linux")


def test_seed_container_yaml_loads_unchanged():
    c = spec.load_container_config(FIXTURES / "container.yaml")
    assert c.metadata.name == "test-ngx"
    assert c.image.image == "docker.io/nginx:1.18-alpine"
    assert c.log_path == "ngx.log"
    assert list(c.command) == [] and not c.HasField("linux")


@pytest.mark.parametrize("name,cls", [("pod.yaml", pb.PodSandboxConfig), ("container.yaml", pb.ContainerConfig)])
def test_seed_files_round_trip(name, cls, tmp_path):
    orig = spec.load_file(FIXTURES / name, cls)
    for suffix in (".yaml", ".json"):
        out = tmp_path / f"out{suffix}"
        spec.dump_file(orig, out)
        assert spec.load_file(out, cls) == orig
    # the dump of the seed pod is the same document (the TCP=0 default disappears, as in crictl)
    assert yaml.safe_load(spec.dump_yaml(orig)) == {
        k: v for k, v in yaml.safe_load((FIXTURES / name).read_text()).items() if k != "port_mappings"
    } | ({"port_mappings": [{"container_port": 80}]} if name == "pod.yaml" else {})


# ---------------------------------------------------------------- generic round trips over every field


def fill(msg, seed: int = 1, depth: int = 0):
    """Set every field of ``msg`` (recursively) to a non-default value derived from ``seed``."""
    for fd in msg.DESCRIPTOR.fields:
        n = seed + fd.number
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            m = getattr(msg, fd.name)
            vfd = fd.message_type.fields_by_name["value"]
            for i in range(2):
                k = f"key-{fd.name}-{i}.example.com/x" if i else "1"
                if vfd.message_type is not None:
                    fill(m[k], n + i, depth + 1)
                else:
                    m[k] = _scalar(vfd, n + i)
        elif fd.is_repeated:
            c = getattr(msg, fd.name)
            for i in range(2):
                if fd.message_type is not None:
                    fill(c.add(), n + i, depth + 1)
                else:
                    c.append(_scalar(fd, n + i))
        elif fd.message_type is not None:
            if depth < 6:
                fill(getattr(msg, fd.name), n, depth + 1)
        else:
            setattr(msg, fd.name, _scalar(fd, n))
    return msg


def _scalar(fd, n):
    t = fd.type
    if t == FieldDescriptor.TYPE_STRING:
        return (
            ["plain", "123", "true", "yes", "with: colon", "multi\nline", "ünïcode ☃", "", "null", "~"][n % 10] + str(n)
            if n % 10 != 7
            else "x"
        )
    if t == FieldDescriptor.TYPE_BOOL:
        return True
    if t == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in fd.enum_type.values if v.number != 0]
        return values[n % len(values)] if values else 0
    if t in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64):
        return -(2**62) - n if n % 2 else 2**62 + n
    if t in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return 2**64 - 1 - n
    if t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return 2**32 - 1 - n
    if t in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32):
        return -n if n % 2 else n
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return 0.5 + n
    if t == FieldDescriptor.TYPE_BYTES:
        return bytes([n % 256, 0, 255])
    raise AssertionError(t)


def count_set(msg) -> int:
    return len(msg.ListFields()) + sum(
        count_set(v) for fd, v in msg.ListFields() if fd.message_type is not None and not fd.is_repeated
    )


ROUND_TRIP_TYPES = [
    pb.PodSandboxConfig,
    pb.ContainerConfig,
    pb.LinuxContainerResources,
    pb.ImageSpec,
    pb.PodSandboxStatus,
    pb.ContainerStatus,
    pb.Image,
    pb.ContainerEventResponse,
]


@pytest.mark.parametrize("cls", ROUND_TRIP_TYPES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fmt", ["yaml", "json", "yaml-names", "json-names"])
def test_round_trip_every_field(cls, fmt):
    orig = fill(cls(), seed=3)
    assert count_set(orig) > 3
    names = fmt.endswith("names")
    text = (
        spec.dump_yaml(orig, enums_as_names=names)
        if fmt.startswith("yaml")
        else spec.dump_json(orig, enums_as_names=names)
    )
    back = spec.loads(text, cls, file=f"x.{fmt}")
    assert back == orig, text
    assert back.SerializeToString(deterministic=True) == orig.SerializeToString(deterministic=True)


def test_every_field_is_written_with_its_proto_name():
    c = fill(pb.ContainerConfig())
    d = spec.to_dict(c)
    assert set(d) == {f.name for f in pb.ContainerConfig.DESCRIPTOR.fields}
    assert "uidMappings" in d["mounts"][0] and "CDI_devices" in d
    assert isinstance(d["linux"]["resources"]["cpu_period"], int)  # int64 as a number, as Go's json wants
    assert isinstance(d["stop_signal"], int)  # enums as numbers, the only form crictl's Go types take


def test_presence_of_empty_messages_survives():
    p = pb.PodSandboxConfig()
    p.linux.security_context.namespace_options.SetInParent()
    p.linux.security_context.run_as_user.value = 0  # Int64Value{0}: "run as root", not "unset"
    text = spec.dump_yaml(p)
    assert "namespace_options: {}" in text and "run_as_user: {}" in text
    back = spec.loads(text, pb.PodSandboxConfig)
    assert back == p and back.linux.security_context.HasField("run_as_user")


def test_empty_message_dumps():
    assert spec.dump_yaml(pb.PodSandboxConfig()) == "{}\n"
    assert spec.loads(spec.dump_yaml(pb.PodSandboxConfig()), pb.PodSandboxConfig) == pb.PodSandboxConfig()
    assert spec.loads("", pb.PodSandboxConfig) == pb.PodSandboxConfig()
    assert spec.loads("# nothing\n", pb.ContainerConfig) == pb.ContainerConfig()


# ---------------------------------------------------------------- accepted input forms


def test_enums_by_name_or_number_and_ints_as_strings():
    text = """
port_mappings:
  - protocol: UDP
    container_port: "53"
    host_port: 5353
  - protocol: sctp
  - protocol: 1
linux:
  security_context:
    namespace_options: {network: NODE, pid: 1, ipc: pod}
    run_as_user: {value: "1000"}
    supplemental_groups: ["1", 2, 0x10]
  overhead:
    memory_limit_in_bytes: "-1"
    hugepage_limits: [{page_size: 2MB, limit: "18446744073709551615"}]
"""
    p = spec.loads(text, pb.PodSandboxConfig)
    assert [m.protocol for m in p.port_mappings] == [pb.UDP, pb.SCTP, pb.UDP]
    assert p.port_mappings[0].container_port == 53 and p.port_mappings[0].host_port == 5353
    ns = p.linux.security_context.namespace_options
    assert (ns.network, ns.pid, ns.ipc) == (pb.NODE, pb.CONTAINER, pb.POD)
    assert p.linux.security_context.run_as_user.value == 1000
    assert list(p.linux.security_context.supplemental_groups) == [1, 2, 16]
    assert p.linux.overhead.memory_limit_in_bytes == -1
    assert p.linux.overhead.hugepage_limits[0].limit == 2**64 - 1


def test_nulls_leave_fields_unset_and_keys_fold_case():
    c = spec.loads("Metadata: {Name: x}\nimage:\ncommand: ~\nlabels: {a: null}\n", pb.ContainerConfig)
    assert c.metadata.name == "x"
    assert not c.HasField("image") and list(c.command) == []
    assert dict(c.labels) == {"a": ""}


def test_map_keys_are_text():
    c = spec.loads("labels: {1: a, true: b, 'x.io/y': c}\nannotations:\n  version: '1.0'\n", pb.ContainerConfig)
    assert dict(c.labels) == {"1": "a", "true": "b", "x.io/y": "c"}
    assert dict(c.annotations) == {"version": "1.0"}


def test_json_input_with_tabs_and_line_numbers():
    text = (
        '{\n\t"metadata": {\n\t\t"name": "web",\n\t\t"attempt": 2\n\t},\n'
        '\t"port_mappings": [{"protocol": 0, "container_port": 80}]\n}\n'
    )
    p = spec.loads(text, pb.PodSandboxConfig, file="pod.json")
    assert p.metadata.name == "web" and p.metadata.attempt == 2 and p.port_mappings[0].container_port == 80
    with pytest.raises(SpecError) as ei:
        spec.loads(text.replace('"attempt": 2', '"attempt": "two"'), pb.PodSandboxConfig, file="pod.json")
    assert (ei.value.path, ei.value.line) == ("metadata.attempt", 4)


def test_from_dict_and_to_dict():
    c = spec.from_dict(
        {
            "metadata": {"name": "c"},
            "envs": [{"key": "A", "value": "1"}],
            "linux": {"security_context": {"run_as_user": {"value": 0}}},
        },
        pb.ContainerConfig,
    )
    assert c.envs[0].key == "A" and c.linux.security_context.HasField("run_as_user")
    assert spec.from_dict(spec.to_dict(c), pb.ContainerConfig) == c
    with pytest.raises(SpecError) as ei:
        spec.from_dict({"envs": [{"key": "A", "valeu": "1"}]}, pb.ContainerConfig)
    assert ei.value.path == "envs[0].valeu" and ei.value.line is None
    assert str(ei.value).startswith("Envs[0].valeu: unknown key")


def test_loads_accepts_bytes_and_bom():
    assert spec.loads("\ufeffmetadata: {name: x}\n".encode(), pb.ContainerConfig).metadata.name == "x"


# ---------------------------------------------------------------- errors: path and line


@pytest.mark.parametrize(
    "text,path,line,needles",
    [
        ("metadata:\n  nmae: x\n", "metadata.nmae", 2, ["unknown key", "did you mean metadata.name?"]),
        ("metadata: {name: x}\nlog_dir: /x\n", "log_dir", 2, ["unknown key", "PodSandboxConfig"]),
        (
            "port_mappings:\n  - protocol: 0\n  - container_prot: 8\n",
            "port_mappings[1].container_prot",
            3,
            ["did you mean port_mappings[1].container_port?"],
        ),
        ("metadata:\n  attempt: one\n", "metadata.attempt", 2, ["unsigned 32-bit integer", "'one'"]),
        ("metadata:\n  attempt: -1\n", "metadata.attempt", 2, ["out of range"]),
        ("metadata:\n  attempt: 1.5\n", "metadata.attempt", 2, ["unsigned 32-bit integer"]),
        ("port_mappings:\n- container_port: 4294967296\n", "port_mappings[0].container_port", 2, ["out of range"]),
        ("metadata:\n  name: 123\n", "metadata.name", 2, ["expected a string", "quotes"]),
        ("metadata:\n  name: yes\n", "metadata.name", 2, ["expected a string"]),
        ("metadata: web\n", "metadata", 1, ["expected a mapping of PodSandboxMetadata fields"]),
        ("port_mappings:\n  protocol: TCP\n", "port_mappings", 2, ["expected a list"]),
        (
            "port_mappings:\n - protocol: HTTP\n",
            "port_mappings[0].protocol",
            2,
            ["'HTTP' is not a valid Protocol", "TCP=0"],
        ),
        ("port_mappings:\n - protocol: 7\n", "port_mappings[0].protocol", 2, ["7 is not a valid Protocol"]),
        ("port_mappings:\n - protocol: true\n", "port_mappings[0].protocol", 2, ["Protocol name or number"]),
        ("labels:\n  - a\n", "labels", 2, ["mapping of keys to values"]),
        ("labels:\n  a: 1\n", "labels.a", 2, ["expected a string"]),
        ("labels:\n  a: x\n  a: y\n", "labels.a", 3, ["duplicate key, already given at line 2"]),
        ("hostname: a\nhostname: b\n", "hostname", 2, ["duplicate key"]),
        (
            "linux:\n  security_context:\n    privileged: 'true'\n",
            "linux.security_context.privileged",
            3,
            ["true or false"],
        ),
        (
            "linux:\n  security_context:\n    run_as_user: 0\n",
            "linux.security_context.run_as_user",
            3,
            ["expected a mapping of Int64Value"],
        ),
        ("dns_config:\n  servers: 8.8.8.8\n", "dns_config.servers", 2, ["expected a list"]),
        ("dns_config:\n  servers: [[a]]\n", "dns_config.servers[0]", 2, ["expected a string, got a list"]),
        ("- metadata\n", "", 1, ["expected a mapping of PodSandboxConfig fields"]),
        ("metadata:\n  name: x\n bad\n", "", 3, ["not valid YAML"]),
        ("metadata: {name: 'x}\n", "", None, ["not valid YAML"]),
        ('{"metadata": {"name": "x",}\n', "", None, ["not valid JSON"]),
        ("? [a]\n: b\n", "", 1, ["a key must be a plain name"]),
    ],
)
def test_errors_name_path_and_line(text, path, line, needles):
    with pytest.raises(SpecError) as ei:
        spec.loads(text, pb.PodSandboxConfig, file="pod.yaml")
    e = ei.value
    msg = str(e)
    assert e.path == path
    if line is not None:
        assert e.line == line
        assert f"pod.yaml, line {line}: " in msg
    else:
        assert e.line is not None and msg.startswith("pod.yaml, line ")
    if path:
        assert f": {path}: " in msg
    for n in needles:
        assert n in msg, msg
    assert "\n" not in msg and msg.endswith(".")


def test_spec_error_is_a_crierror():
    from crit.cri.spec import CriError

    assert issubclass(SpecError, CriError)
    try:
        from crit.cri.errors import CriError as Real
    except ImportError:
        pytest.skip("crit.cri.errors not written yet")
    assert issubclass(SpecError, Real)


def test_file_errors(tmp_path):
    with pytest.raises(SpecError, match=r"^The file .*missing.yaml does not exist\.$"):
        spec.load_pod_config(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        spec.load_pod_config(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"metadata:\n  name: \xff\n")
    with pytest.raises(SpecError) as ei:
        spec.load_pod_config(bad)
    assert ei.value.line == 2 and "UTF-8" in str(ei.value)
    with pytest.raises(SpecError, match="^Cannot write .*x.yaml: "):
        spec.dump_file(pb.PodSandboxConfig(), tmp_path / "no" / "dir" / "x.yaml")


def test_dumped_json_is_plain_json():
    p = fill(pb.PodSandboxConfig())
    data = json.loads(spec.dump_json(p))
    assert data["metadata"]["attempt"] == p.metadata.attempt
    assert data["linux"]["overhead"]["hugepage_limits"][0]["limit"] == p.linux.overhead.hugepage_limits[0].limit


# ---------------------------------------------------------------- exact dumps (B6)

from tests.exact_strings import HOSTILE, NUL, RLO_NAME


def _hostile_container() -> pb.ContainerConfig:
    every = HOSTILE + [NUL]
    return pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=RLO_NAME),
        labels={f"k{i}-{h}": h for i, h in enumerate(every)},
        annotations={h: h for h in every},
        command=every,
        envs=[pb.KeyValue(key=f"E{i}", value=h) for i, h in enumerate(every)],
    )


@pytest.mark.parametrize("dump", [spec.dump_yaml, spec.dump_json], ids=["yaml", "json"])
def test_dump_is_exact_and_every_line_printable(dump):
    """Every hostile string loads back byte for byte, and the dumped text itself holds no character a terminal
    would hide or obey (RLO, ZWJ, ESC, NBSP … are escapes)."""
    cfg = _hostile_container()
    text = dump(cfg)
    assert [line for line in text.split("\n") if not line.isprintable()] == []
    back = spec.loads(text, pb.ContainerConfig)
    assert back.SerializeToString(deterministic=True) == cfg.SerializeToString(deterministic=True)


def test_dump_yaml_escapes_rlo_in_double_quotes():
    text = spec.dump_yaml(pb.ContainerConfig(metadata=pb.ContainerMetadata(name=RLO_NAME)))
    assert text == 'metadata:\n  name: "abc\\u202Etxt.exe"\n'
    assert yaml.safe_load(text)["metadata"]["name"] == RLO_NAME  # any YAML reader gets the real name


def test_exact_yaml_keeps_printable_text_plain_and_unicode_raw():
    assert spec.exact_yaml({"name": "é web", "n": 1}) == "name: é web\nn: 1\n"
