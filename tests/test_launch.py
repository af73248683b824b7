"""Unit tests for crit.model.launch: form state → PodSandboxConfig / ContainerConfig for every field, back again,
and every validation rule with its message."""

from __future__ import annotations

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.model.launch import (
    ContainerForm,
    FieldError,
    FormInvalid,
    MountRow,
    PodForm,
    PortMappingRow,
    default_network_mode,
    default_pull_if_missing,
    parse_memory,
    sandbox_config_from_status,
    split_list,
)


def pod(**kw) -> PodForm:
    kw.setdefault("name", "web")
    kw.setdefault("uid", "uid-1")
    return PodForm(**kw)


def ctr(**kw) -> ContainerForm:
    kw.setdefault("name", "app")
    kw.setdefault("image", "localhost:5000/busybox:latest")
    return ContainerForm(**kw)


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


# ------------------------------------------------------------------------------------------------------------------
# pod: building, field by field
# ------------------------------------------------------------------------------------------------------------------


def test_pod_minimal_config():
    cfg = pod().to_config()
    assert cfg.metadata.name == "web"
    assert cfg.metadata.namespace == "default"
    assert cfg.metadata.uid == "uid-1"
    assert cfg.metadata.attempt == 0
    # nothing else set: no empty sub-messages that would show up as noise in the YAML
    assert [f.name for f, _ in cfg.ListFields()] == ["metadata"]


def test_pod_uid_is_generated_and_unique():
    a, b = PodForm(name="a"), PodForm(name="b")
    assert len(a.uid) == 36 and a.uid != b.uid
    assert a.to_config().metadata.uid == a.uid


def test_pod_every_field():
    form = PodForm(
        name="web.example",
        namespace="team-a",
        uid="1234-abcd",
        attempt="3",
        hostname="",
        log_directory="/var/log/pods/web",
        labels=["app=web", "tier = front"],
        annotations=["note=a=b c"],
        port_mappings=[
            PortMappingRow("TCP", "80", "8080", "127.0.0.1"),
            PortMappingRow("UDP", "53", "", ""),
            PortMappingRow("SCTP", "9000", "9000", "::1"),
            PortMappingRow(),  # blank row ignored
        ],
        dns_servers="10.0.0.10, 10.0.0.11",
        dns_searches="svc.cluster.local cluster.local",
        dns_options="ndots:5,timeout:1",
        network="node",
        runtime_handler="runc",
        cgroup_parent="/kubepods/burstable",
        sysctls=["net.ipv4.ip_forward=1", "kernel.shm_rmid_forced=0"],
        privileged=True,
        run_as_user="1000",
        readonly_rootfs=True,
    )
    cfg = form.to_config()
    assert (cfg.metadata.name, cfg.metadata.namespace, cfg.metadata.uid, cfg.metadata.attempt) == (
        "web.example",
        "team-a",
        "1234-abcd",
        3,
    )
    assert cfg.hostname == ""
    assert pod(hostname="web-host").to_config().hostname == "web-host"
    assert cfg.log_directory == "/var/log/pods/web"
    assert dict(cfg.labels) == {"app": "web", "tier": " front"}
    assert dict(cfg.annotations) == {"note": "a=b c"}
    pms = [(p.protocol, p.container_port, p.host_port, p.host_ip) for p in cfg.port_mappings]
    assert pms == [(pb.TCP, 80, 8080, "127.0.0.1"), (pb.UDP, 53, 0, ""), (pb.SCTP, 9000, 9000, "::1")]
    assert list(cfg.dns_config.servers) == ["10.0.0.10", "10.0.0.11"]
    assert list(cfg.dns_config.searches) == ["svc.cluster.local", "cluster.local"]
    assert list(cfg.dns_config.options) == ["ndots:5", "timeout:1"]
    sc = cfg.linux.security_context
    assert sc.namespace_options.network == pb.NODE
    assert cfg.linux.cgroup_parent == "/kubepods/burstable"
    assert dict(cfg.linux.sysctls) == {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "0"}
    assert sc.privileged is True
    assert sc.HasField("run_as_user") and sc.run_as_user.value == 1000
    assert sc.readonly_rootfs is True
    # round trip through the form
    back = PodForm.from_config(cfg, runtime_handler="runc")
    assert back.runtime_handler == "runc"
    assert back.to_config() == cfg
    assert back.labels == ["app=web", "tier= front"]
    assert back.port_mappings[1] == PortMappingRow("UDP", "53", "", "")


def test_pod_network_mode_pod_is_default_and_not_written():
    cfg = pod(network="pod").to_config()
    assert not cfg.HasField("linux")
    assert cfg.linux.security_context.namespace_options.network == pb.POD


def test_pod_run_as_user_zero_is_kept():
    cfg = pod(run_as_user="0").to_config()
    assert cfg.linux.security_context.HasField("run_as_user")
    assert cfg.linux.security_context.run_as_user.value == 0
    assert PodForm.from_config(cfg).run_as_user == "0"


def test_pod_import_without_uid_generates_one():
    cfg = pb.PodSandboxConfig()
    cfg.metadata.name = "mysanbox"
    cfg.metadata.namespace = "default"
    cfg.log_directory = "/root/temp"
    cfg.port_mappings.add(protocol=pb.TCP, container_port=80)
    form = PodForm.from_config(cfg)
    assert len(form.uid) == 36
    out = form.to_config()
    assert out.metadata.uid == form.uid
    out.metadata.uid = ""
    assert out == cfg


def test_pod_import_keeps_fields_the_form_does_not_show():
    cfg = pb.PodSandboxConfig()
    cfg.metadata.name = "p"
    cfg.metadata.namespace = "ns"
    cfg.metadata.uid = "u"
    cfg.linux.security_context.seccomp.profile_type = 1
    cfg.linux.security_context.namespace_options.pid = pb.CONTAINER
    cfg.linux.security_context.supplemental_groups.extend([5, 6])
    form = PodForm.from_config(cfg)
    form.network = "node"
    out = form.to_config()
    assert out.linux.security_context.seccomp.profile_type == 1
    assert out.linux.security_context.namespace_options.pid == pb.CONTAINER
    assert out.linux.security_context.namespace_options.network == pb.NODE
    assert list(out.linux.security_context.supplemental_groups) == [5, 6]


def test_pod_import_then_clearing_a_field_clears_it():
    cfg = pod(
        labels=["a=1"],
        dns_servers="1.1.1.1",
        sysctls=["kernel.msgmax=1"],
        cgroup_parent="/x",
        port_mappings=[PortMappingRow(container_port="1")],
    ).to_config()
    form = PodForm.from_config(cfg)
    form.labels, form.dns_servers, form.sysctls, form.cgroup_parent, form.port_mappings = [], "", [], "", []
    out = form.to_config()
    assert not out.labels and not out.HasField("dns_config") and not out.HasField("linux")
    assert not out.port_mappings


def test_to_config_raises_with_every_error():
    with pytest.raises(FormInvalid) as ei:
        PodForm(name="", namespace="", uid="").to_config()
    assert fields(ei.value.errors) == ["name", "namespace", "uid"]
    assert str(ei.value) == "Pod name is required. (2 more problems)"


# ------------------------------------------------------------------------------------------------------------------
# pod: validation, rule by rule
# ------------------------------------------------------------------------------------------------------------------

POD_RULES = [
    # (form overrides, field, message)
    ({"name": ""}, "name", "Pod name is required."),
    (
        {"name": "Web"},
        "name",
        "Pod name 'Web' is not a valid DNS-1123 subdomain: use lower-case letters, digits, '-' and '.', starting and "
        "ending with a letter or digit.",
    ),
    ({"name": "web_1"}, "name", None),
    ({"name": "-web"}, "name", None),
    ({"name": "a" * 254}, "name", "Pod name must be at most 253 characters long, not 254."),
    ({"namespace": ""}, "namespace", "Namespace is required."),
    (
        {"namespace": "a.b"},
        "namespace",
        "Namespace 'a.b' is not a valid DNS-1123 label: use lower-case letters, digits and '-', starting and ending "
        "with a letter or digit.",
    ),
    ({"namespace": "n" * 64}, "namespace", "Namespace must be at most 63 characters long, not 64."),
    ({"uid": ""}, "uid", "Pod uid is required (a generated one is filled in; type any unique text)."),
    ({"uid": "a b"}, "uid", "Pod uid 'a b' must not contain white space."),
    ({"attempt": "x"}, "attempt", "Attempt must be a whole number, not 'x'."),
    ({"attempt": "-1"}, "attempt", "Attempt must be between 0 and 4294967295, not -1."),
    ({"attempt": "4294967296"}, "attempt", "Attempt must be between 0 and 4294967295, not 4294967296."),
    ({"hostname": "Host"}, "hostname", None),
    ({"hostname": "h" * 65}, "hostname", "Hostname must be at most 64 characters long, not 65."),
    (
        {"log_directory": "var/log"},
        "log_directory",
        "Log directory must be an absolute path (starting with /), not 'var/log'.",
    ),
    ({"labels": ["app"]}, "labels.0", "Label row 1 'app' must be written key=value."),
    ({"labels": ["a=1", "=2"]}, "labels.1", "Label row 2 has an empty key."),
    ({"labels": ["a=1", "", "a=2"]}, "labels.2", "Label key 'a' appears twice (rows 1 and 3)."),
    ({"annotations": ["x"]}, "annotations.0", "Annotation row 1 'x' must be written key=value."),
    ({"annotations": ["k=1", "k=1"]}, "annotations.1", "Annotation key 'k' appears twice (rows 1 and 2)."),
    (
        {"port_mappings": [PortMappingRow("ICMP", "80")]},
        "port_mappings.0.protocol",
        "Port mapping 1: protocol must be TCP, UDP or SCTP, not 'ICMP'.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "", "80")]},
        "port_mappings.0.container_port",
        "Port mapping 1: container port is required.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "0")]},
        "port_mappings.0.container_port",
        "Port mapping 1: container port must be between 1 and 65535, not 0.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "65536")]},
        "port_mappings.0.container_port",
        "Port mapping 1: container port must be between 1 and 65535, not 65536.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "http")]},
        "port_mappings.0.container_port",
        "Port mapping 1: container port must be a whole number, not 'http'.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "80", "70000")]},
        "port_mappings.0.host_port",
        "Port mapping 1: host port must be between 1 and 65535, not 70000.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "80", "-5")]},
        "port_mappings.0.host_port",
        "Port mapping 1: host port must be between 1 and 65535, not -5.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "80", "8080", "localhost")]},
        "port_mappings.0.host_ip",
        "Port mapping 1: host IP 'localhost' is not an IP address.",
    ),
    (
        {"port_mappings": [PortMappingRow("TCP", "80", "8080"), PortMappingRow("TCP", "81", "8080")]},
        "port_mappings.1.host_port",
        "Port mapping 2: host port TCP 8080 is already mapped by port mapping 1.",
    ),
    ({"dns_servers": "10.0.0.1, dns.local"}, "dns_servers", "DNS server 'dns.local' is not an IP address."),
    (
        {"dns_searches": "ok.local Bad_Domain"},
        "dns_searches",
        "DNS search domain 'Bad_Domain' is not a valid DNS-1123 subdomain.",
    ),
    ({"network": "host"}, "network", "Network mode must be pod or node, not 'host'."),
    (
        {"network": "node", "hostname": "h1"},
        "hostname",
        "Hostname cannot be set with network mode node: the pod shares the node's hostname.",
    ),
    ({"runtime_handler": "my runc"}, "runtime_handler", "Runtime handler 'my runc' must not contain white space."),
    (
        {"cgroup_parent": "kubepods"},
        "cgroup_parent",
        "Cgroup parent 'kubepods' must be an absolute cgroup path (starting with /) or a systemd slice (ending in "
        ".slice).",
    ),
    ({"cgroup_parent": "/a b"}, "cgroup_parent", "Cgroup parent '/a b' must not contain white space."),
    (
        {"sysctls": ["net.ipv4.ip_forward"]},
        "sysctls.0",
        "Sysctl row 1 'net.ipv4.ip_forward' must be written key=value.",
    ),
    (
        {"sysctls": ["Net Ipv4=1"]},
        "sysctls.0",
        "Sysctl row 1: 'Net Ipv4' is not a sysctl name (like net.ipv4.ip_forward).",
    ),
    ({"sysctls": ["kernel.msgmax="]}, "sysctls.0", "Sysctl row 1: 'kernel.msgmax' needs a value."),
    (
        {"sysctls": ["kernel.msgmax=1", "kernel.msgmax=2"]},
        "sysctls.1",
        "Sysctl key 'kernel.msgmax' appears twice (rows 1 and 2).",
    ),
    ({"run_as_user": "root"}, "run_as_user", "Run as user must be a whole number, not 'root'."),
    ({"run_as_user": "-1"}, "run_as_user", "Run as user must be between 0 and 4294967294, not -1."),
]


@pytest.mark.parametrize("overrides,fld,message", POD_RULES, ids=[f"{r[1]}-{i}" for i, r in enumerate(POD_RULES)])
def test_pod_validation_rule(overrides, fld, message):
    errors = pod(**overrides).validate()
    if message is None:
        assert fld in fields(errors)
    else:
        assert FieldError(fld, message) in errors, errors
        assert len(errors) == 1, errors
    with pytest.raises(FormInvalid):
        pod(**overrides).to_config()


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "a" * 253},
        {"name": "a.b-c.d"},
        {"namespace": "n" * 63},
        {"attempt": ""},
        {"attempt": "4294967295"},
        {"hostname": "my-host.local"},
        {"log_directory": "/"},
        {"labels": ["", "k="]},
        {"port_mappings": [PortMappingRow("TCP", "1"), PortMappingRow("UDP", "65535", "65535", "0.0.0.0")]},
        {"port_mappings": [PortMappingRow("TCP", "80", "8080"), PortMappingRow("UDP", "80", "8080")]},
        {"port_mappings": [PortMappingRow("TCP", "80", "0")]},
        {"dns_servers": "::1 10.1.1.1"},
        {"dns_searches": "cluster.local."},
        {"dns_options": "anything:goes"},
        {"cgroup_parent": "kubepods.slice"},
        {"sysctls": ["net.core.somaxconn=1024"]},
        {"run_as_user": "4294967294"},
    ],
)
def test_pod_valid_values(overrides):
    assert pod(**overrides).validate() == []
    pod(**overrides).to_config()


def test_hostname_error_comes_in_form_order():
    form = pod(hostname="h1", network="node", dns_servers="bad")
    assert fields(form.validate()) == ["hostname", "dns_servers"]


def test_pod_errors_are_in_form_order():
    form = PodForm(
        name="X",
        namespace="",
        uid="",
        attempt="-1",
        log_directory="rel",
        labels=["x"],
        port_mappings=[PortMappingRow("TCP", "0")],
        run_as_user="u",
    )
    assert fields(form.validate()) == [
        "name",
        "namespace",
        "uid",
        "attempt",
        "log_directory",
        "labels.0",
        "port_mappings.0.container_port",
        "run_as_user",
    ]


def test_validation_prefix():
    assert fields(PodForm(name="").validate(prefix="pod.")) == ["pod.name"]


# ------------------------------------------------------------------------------------------------------------------
# container: building
# ------------------------------------------------------------------------------------------------------------------


def test_container_minimal_config():
    cfg = ctr().to_config()
    assert cfg.metadata.name == "app" and cfg.metadata.attempt == 0
    assert cfg.image.image == "localhost:5000/busybox:latest"
    assert cfg.log_path == "app.log"
    assert sorted(f.name for f, _ in cfg.ListFields()) == ["image", "log_path", "metadata"]


def test_container_every_field():
    form = ContainerForm(
        name="app",
        attempt="2",
        image=" localhost:5000/busybox:1 ",
        command="sh -c 'echo hi; sleep 1'",
        args='--flag "two words"',
        working_dir="/tmp",
        env=["A=1", "B=x=y", "EMPTY="],
        mounts=[
            MountRow("/srv/data", "/data", True, "host-to-container"),
            MountRow("/srv/x", "/x", False, "bidirectional"),
            MountRow("/a", "/a"),
            MountRow(),
        ],
        log_path="logs/app-0.log",
        log_path_auto=False,
        stdin=True,
        stdin_once=True,
        tty=True,
        labels=["app=web"],
        annotations=["a.io/b=c"],
        cpu_period="100000",
        cpu_quota="50000",
        cpu_shares="512",
        memory_limit="64Mi",
        run_as_user="1000",
        privileged=True,
        readonly_rootfs=True,
    )
    cfg = form.to_config()
    assert cfg.metadata.name == "app" and cfg.metadata.attempt == 2
    assert cfg.image.image == "localhost:5000/busybox:1"
    assert list(cfg.command) == ["sh", "-c", "echo hi; sleep 1"]
    assert list(cfg.args) == ["--flag", "two words"]
    assert cfg.working_dir == "/tmp"
    assert [(e.key, e.value) for e in cfg.envs] == [("A", "1"), ("B", "x=y"), ("EMPTY", "")]
    assert [(m.host_path, m.container_path, m.readonly, m.propagation) for m in cfg.mounts] == [
        ("/srv/data", "/data", True, pb.PROPAGATION_HOST_TO_CONTAINER),
        ("/srv/x", "/x", False, pb.PROPAGATION_BIDIRECTIONAL),
        ("/a", "/a", False, pb.PROPAGATION_PRIVATE),
    ]
    assert cfg.log_path == "logs/app-0.log"
    assert (cfg.stdin, cfg.stdin_once, cfg.tty) == (True, True, True)
    assert dict(cfg.labels) == {"app": "web"}
    assert dict(cfg.annotations) == {"a.io/b": "c"}
    r = cfg.linux.resources
    assert (r.cpu_period, r.cpu_quota, r.cpu_shares, r.memory_limit_in_bytes) == (100000, 50000, 512, 64 * 1024**2)
    sc = cfg.linux.security_context
    assert sc.run_as_user.value == 1000 and sc.privileged and sc.readonly_rootfs
    back = ContainerForm.from_config(cfg, pull_if_missing=True)
    assert back.pull_if_missing is True and back.log_path_auto is False
    assert back.command == "sh -c 'echo hi; sleep 1'"
    assert back.memory_limit == str(64 * 1024**2)
    assert back.to_config() == cfg


def test_container_log_path_follows_name_until_typed():
    f = ctr(name="web")
    assert f.effective_log_path() == "web.log"
    f.name = "api"
    assert f.to_config().log_path == "api.log"
    f.log_path, f.log_path_auto = "", False
    assert f.to_config().log_path == ""
    f.log_path = "x.log"
    assert f.to_config().log_path == "x.log"


def test_container_import_keeps_unshown_fields_and_empty_log_path():
    cfg = pb.ContainerConfig()
    cfg.metadata.name = "test-ngx"
    cfg.image.image = "localhost:5000/nginx:1"
    cfg.linux.security_context.capabilities.add_capabilities.append("NET_ADMIN")
    cfg.devices.add(container_path="/dev/fuse", host_path="/dev/fuse", permissions="rwm")
    cfg.stop_signal = 15
    out = ContainerForm.from_config(cfg).to_config()
    assert out == cfg


def test_container_seed_article_shape_round_trips():
    cfg = pb.ContainerConfig()
    cfg.metadata.name = "test-ngx"
    cfg.image.image = "localhost:5000/nginx:1.18-alpine"
    cfg.log_path = "ngx.log"
    assert ContainerForm.from_config(cfg).to_config() == cfg


def test_memory_units():
    assert parse_memory("1024") == 1024
    assert parse_memory("1k") == 1000 and parse_memory("1Ki") == 1024
    assert parse_memory("64M") == 64_000_000 and parse_memory("64Mi") == 64 * 1024**2
    assert parse_memory("2Gi") == 2 * 1024**3 and parse_memory("1 GB") == 10**9
    assert parse_memory("lots") is None and parse_memory("-1") is None and parse_memory("1.5G") is None


def test_split_list():
    assert split_list(" a, b  c,,d ") == ["a", "b", "c", "d"]
    assert split_list("") == []


# ------------------------------------------------------------------------------------------------------------------
# container: validation, rule by rule
# ------------------------------------------------------------------------------------------------------------------

CTR_RULES = [
    ({"name": ""}, "name", "Container name is required."),
    (
        {"name": "App"},
        "name",
        "Container name 'App' is not a valid DNS-1123 label: use lower-case letters, digits and '-', starting and "
        "ending with a letter or digit.",
    ),
    ({"name": "a.b"}, "name", None),
    ({"name": "c" * 64}, "name", "Container name must be at most 63 characters long, not 64."),
    ({"attempt": "-2"}, "attempt", "Attempt must be between 0 and 4294967295, not -2."),
    ({"attempt": "1.5"}, "attempt", "Attempt must be a whole number, not '1.5'."),
    ({"image": ""}, "image", "Image is required."),
    ({"image": "  "}, "image", "Image is required."),
    ({"image": "busy box"}, "image", "Image 'busy box' must not contain white space."),
    ({"command": "sh -c 'oops"}, "command", "Command cannot be split into words: No closing quotation."),
    ({"args": '"x'}, "args", "Args cannot be split into words: No closing quotation."),
    ({"working_dir": "tmp"}, "working_dir", "Working directory must be an absolute path (starting with /), not 'tmp'."),
    ({"env": ["PATH"]}, "env.0", "Environment row 1 'PATH' must be written key=value."),
    ({"env": ["=x"]}, "env.0", "Environment row 1 has an empty key."),
    ({"env": ["A=1", "A=2"]}, "env.1", "Environment key 'A' appears twice (rows 1 and 2)."),
    ({"env": ["MY VAR=1"]}, "env.0", "Environment row 1: environment variable name 'MY VAR' contains white space."),
    ({"mounts": [MountRow("", "/data")]}, "mounts.0.host_path", "Mount 1: host path is required."),
    (
        {"mounts": [MountRow("srv", "/data")]},
        "mounts.0.host_path",
        "Mount 1: host path must be an absolute path (starting with /), not 'srv'.",
    ),
    ({"mounts": [MountRow("/srv", "")]}, "mounts.0.container_path", "Mount 1: container path is required."),
    (
        {"mounts": [MountRow("/srv", "data")]},
        "mounts.0.container_path",
        "Mount 1: container path must be an absolute path (starting with /), not 'data'.",
    ),
    (
        {"mounts": [MountRow("/a", "/data"), MountRow("/b", "/data/")]},
        "mounts.1.container_path",
        "Mount 2: container path '/data' is already used by mount 1.",
    ),
    (
        {"mounts": [MountRow("/a", "/data", propagation="shared")]},
        "mounts.0.propagation",
        "Mount 1: propagation must be private, host-to-container or bidirectional, not 'shared'.",
    ),
    (
        {"log_path": "/var/log/x.log", "log_path_auto": False},
        "log_path",
        "Log path '/var/log/x.log' must be relative: it is placed under the pod's log directory.",
    ),
    (
        {"log_path": "../x.log", "log_path_auto": False},
        "log_path",
        "Log path '../x.log' must not leave the pod's log directory with '..'.",
    ),
    ({"stdin_once": True}, "stdin_once", "Stdin once needs stdin to be ticked too."),
    ({"labels": ["a"]}, "labels.0", "Label row 1 'a' must be written key=value."),
    ({"labels": ["a=1", "a=1"]}, "labels.1", "Label key 'a' appears twice (rows 1 and 2)."),
    ({"annotations": ["=1"]}, "annotations.0", "Annotation row 1 has an empty key."),
    ({"cpu_period": "999"}, "cpu_period", "CPU period must be between 1000 and 1000000, not 999."),
    ({"cpu_period": "1000001"}, "cpu_period", "CPU period must be between 1000 and 1000000, not 1000001."),
    ({"cpu_period": "fast"}, "cpu_period", "CPU period must be a whole number, not 'fast'."),
    ({"cpu_quota": "10"}, "cpu_quota", "CPU quota must be between 1000 and 9223372036854775807, not 10."),
    ({"cpu_quota": "-1"}, "cpu_quota", "CPU quota must be between 1000 and 9223372036854775807, not -1."),
    ({"cpu_shares": "1"}, "cpu_shares", "CPU shares must be between 2 and 262144, not 1."),
    ({"cpu_shares": "262145"}, "cpu_shares", "CPU shares must be between 2 and 262144, not 262145."),
    (
        {"memory_limit": "lots"},
        "memory_limit",
        "Memory limit 'lots' must be a number of bytes, optionally with a unit (K, M, G, Ki, Mi, Gi …).",
    ),
    ({"memory_limit": "1Mi"}, "memory_limit", "Memory limit must be 0 (none) or at least 6Mi, not 1Mi."),
    ({"memory_limit": "9999999Ti"}, "memory_limit", "Memory limit 9999999Ti is too large."),
    ({"run_as_user": "nobody"}, "run_as_user", "Run as user must be a whole number, not 'nobody'."),
    ({"run_as_user": "4294967295"}, "run_as_user", "Run as user must be between 0 and 4294967294, not 4294967295."),
]


@pytest.mark.parametrize("overrides,fld,message", CTR_RULES, ids=[f"{r[1]}-{i}" for i, r in enumerate(CTR_RULES)])
def test_container_validation_rule(overrides, fld, message):
    errors = ctr(**overrides).validate()
    if message is None:
        assert fld in fields(errors)
    else:
        assert FieldError(fld, message) in errors, errors
        assert len(errors) == 1, errors
    with pytest.raises(FormInvalid):
        ctr(**overrides).to_config()


def test_container_privileged_needs_privileged_pod():
    errors = ctr(privileged=True).validate(pod=pod(privileged=False))
    assert errors == [
        FieldError("privileged", "A privileged container needs a privileged pod: tick privileged in the pod too.")
    ]
    assert ctr(privileged=True).validate(pod=pod(privileged=True)) == []
    assert ctr(privileged=True).validate() == []  # pod unknown: the runtime decides


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "c" * 63},
        {"cpu_period": "1000"},
        {"cpu_period": "0"},
        {"cpu_quota": "1000"},
        {"cpu_shares": "2"},
        {"cpu_shares": "262144"},
        {"memory_limit": "0"},
        {"memory_limit": "6Mi"},
        {"stdin": True, "stdin_once": True},
        {"env": ["A=", "B=="]},
        {"mounts": [MountRow("/", "/")]},
        {"run_as_user": "0"},
        {"command": ""},
        {"log_path": "", "log_path_auto": False},
        {"working_dir": "/"},
    ],
)
def test_container_valid_values(overrides):
    assert ctr(**overrides).validate() == []


def test_container_errors_in_form_order():
    f = ContainerForm(name="", image="", working_dir="x", env=["y"], cpu_shares="1", run_as_user="u")
    assert fields(f.validate(prefix="c.")) == [
        "c.name",
        "c.image",
        "c.working_dir",
        "c.env.0",
        "c.cpu_shares",
        "c.run_as_user",
    ]


# ------------------------------------------------------------------------------------------------------------------
# defaults
# ------------------------------------------------------------------------------------------------------------------


def test_default_network_mode():
    assert default_network_mode(True) == ("pod", "")
    assert default_network_mode(None) == ("pod", "")
    mode, why = default_network_mode(False, "NetworkPluginNotReady", "cni plugin not initialized")
    assert mode == "node"
    assert why == (
        "Network mode is node because the runtime reports NetworkReady false "
        "(NetworkPluginNotReady cni plugin not initialized)."
    )
    assert default_network_mode(False)[1].endswith("(no reason given).")


def test_default_pull_if_missing_follows_crictl():
    # crictl run (new pod): pulls unless disable-pull-on-run
    assert default_pull_if_missing(False, False, new_pod=True) is True
    assert default_pull_if_missing(False, True, new_pod=True) is False
    # crictl create (existing pod): pulls only with pull-image-on-create
    assert default_pull_if_missing(False, False, new_pod=False) is False
    assert default_pull_if_missing(True, False, new_pod=False) is True


def test_sandbox_config_from_status():
    st = pb.PodSandboxStatus(id="abc")
    st.metadata.name, st.metadata.namespace, st.metadata.uid, st.metadata.attempt = "p", "ns", "u", 1
    st.labels["a"] = "1"
    st.annotations["b"] = "2"
    st.linux.namespaces.options.network = pb.NODE
    cfg = sandbox_config_from_status(st)
    assert cfg.metadata == st.metadata
    assert dict(cfg.labels) == {"a": "1"} and dict(cfg.annotations) == {"b": "2"}
    assert cfg.linux.security_context.namespace_options.network == pb.NODE
