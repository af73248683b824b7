"""Endpoint and config resolution: crictl's precedence, config-file parsing, endpoint forms."""

from __future__ import annotations

import socket

import pytest

from crit.cri import config as C
from crit.cri.config import ConfigError, Endpoint, parse_endpoint, parse_timeout, read_config_file, resolve


@pytest.fixture
def no_default_config(tmp_path, monkeypatch):
    """Point the default config path at a file that does not exist, so the host's /etc/crictl.yaml
    (if any) never leaks into a test."""
    monkeypatch.setattr(C, "DEFAULT_CONFIG_PATH", str(tmp_path / "absent-crictl.yaml"))


def write(tmp_path, text, name="crictl.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


FULL = """\
runtime-endpoint: unix:///cfg/runtime.sock
image-endpoint: unix:///cfg/image.sock
timeout: 7
debug: true
pull-image-on-create: true
disable-pull-on-run: true
"""


# ---------------------------------------------------------------- endpoint forms


@pytest.mark.parametrize(
    "text,scheme,address,url,target",
    [
        (
            "unix:///run/containerd/containerd.sock",
            "unix",
            "/run/containerd/containerd.sock",
            "unix:///run/containerd/containerd.sock",
            "unix:///run/containerd/containerd.sock",
        ),
        (
            "/run/crio/crio.sock",
            "unix",
            "/run/crio/crio.sock",
            "unix:///run/crio/crio.sock",
            "unix:///run/crio/crio.sock",
        ),
        ("  unix:///a//b/../c.sock ", "unix", "/a/c.sock", "unix:///a/c.sock", "unix:///a/c.sock"),
        ("tcp://127.0.0.1:1234", "tcp", "127.0.0.1:1234", "tcp://127.0.0.1:1234", "127.0.0.1:1234"),
        ("tcp://localhost:80/", "tcp", "localhost:80", "tcp://localhost:80", "localhost:80"),
        ("tcp://[::1]:10010", "tcp", "[::1]:10010", "tcp://[::1]:10010", "[::1]:10010"),
    ],
)
def test_endpoint_forms(text, scheme, address, url, target):
    ep = parse_endpoint(text)
    assert (ep.scheme, ep.address, ep.url, ep.grpc_target) == (scheme, address, url, target)
    assert ep.path == (address if scheme == "unix" else None)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("", "empty"),
        ("unix://relative.sock", "absolute"),
        ("relative/path.sock", "neither"),
        ("http://127.0.0.1:80", "unsupported scheme 'http'"),
        ("npipe:////./pipe/x", "unsupported scheme 'npipe'"),
        ("tcp://127.0.0.1", "tcp://HOST:PORT"),
        ("tcp://127.0.0.1:0", "1 to 65535"),
        ("tcp://127.0.0.1:70000", "1 to 65535"),
    ],
)
def test_endpoint_errors(text, needle):
    with pytest.raises(ConfigError) as ei:
        parse_endpoint(text, what="runtime endpoint")
    msg = str(ei.value)
    assert needle in msg
    assert "\n" not in msg and msg.endswith(".")


# ---------------------------------------------------------------- timeouts


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("2s", 2.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("1.5s", 1.5),
        ("3", 3.0),
        (4, 4.0),
        ("0", 0.0),
        ("-1s", -1.0),
        ("1h", 3600.0),
        ("250us", 0.00025),
    ],
)
def test_parse_timeout(text, seconds):
    assert parse_timeout(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "2x", "s", "1s2", "nan", "inf"])
def test_parse_timeout_errors(text):
    with pytest.raises(ConfigError):
        parse_timeout(text)


# ---------------------------------------------------------------- config file parsing


def test_config_file_all_keys(tmp_path):
    cfg = read_config_file(write(tmp_path, FULL))
    assert cfg.runtime_endpoint == "unix:///cfg/runtime.sock"
    assert cfg.image_endpoint == "unix:///cfg/image.sock"
    assert cfg.timeout == 7 and cfg.debug and cfg.pull_image_on_create and cfg.disable_pull_on_run
    assert cfg.lines == {
        "runtime-endpoint": 1,
        "image-endpoint": 2,
        "timeout": 3,
        "debug": 4,
        "pull-image-on-create": 5,
        "disable-pull-on-run": 6,
    }


def test_config_file_seed_article_form(tmp_path):
    # exactly the article's /etc/crictl.yaml: quoted strings, empty image endpoint, timeout 0
    cfg = read_config_file(
        write(
            tmp_path,
            'runtime-endpoint: "unix:///run/containerd/containerd.sock"\n'
            'image-endpoint: ""\ntimeout: 0\ndebug: false\n'
            "pull-image-on-create: false\ndisable-pull-on-run: false\n",
        )
    )
    assert cfg.runtime_endpoint == "unix:///run/containerd/containerd.sock"
    assert cfg.image_endpoint == "" and cfg.timeout == 0 and not cfg.debug


def test_config_file_empty_and_go_bools(tmp_path):
    assert read_config_file(write(tmp_path, "")).runtime_endpoint == ""
    assert read_config_file(write(tmp_path, "# only a comment\n")).lines == {}
    cfg = read_config_file(write(tmp_path, "debug: T\npull-image-on-create: 0\nimage-endpoint:\n"))
    assert cfg.debug is True and cfg.pull_image_on_create is False and cfg.image_endpoint == ""


@pytest.mark.parametrize(
    "text,needles",
    [
        ("runtime-endpoint: unix:///x\ntimeout: soon\n", ["line 2", "'timeout'", "whole number", "'soon'"]),
        ("debug: maybe\n", ["line 1", "'debug'", "true or false"]),
        ("runtime-endpoint: a\nruntime-endpont: b\n", ["line 2", "unknown option 'runtime-endpont'"]),
        ("runtime-endpoint: [a, b]\n", ["line 1", "single value"]),
        ("runtime-endpoint: unix:///x\n  bad: indent\n", ["line 2", "not valid YAML"]),
        ("runtime-endpoint: 'unterminated\n", ["not valid YAML", "line"]),
        ("- a\n- b\n", ["must be a mapping", "line 1"]),
    ],
)
def test_config_file_malformed(tmp_path, text, needles):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        read_config_file(path)
    msg = str(ei.value)
    assert path in msg
    for n in needles:
        assert n in msg, msg
    assert "\n" not in msg


def test_config_file_unreadable(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_config_file(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="is a directory"):
        read_config_file(str(tmp_path))
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"runtime-endpoint: x\n\xff\xfe\n")
    with pytest.raises(ConfigError, match=r"not valid UTF-8 \(line 2\)"):
        read_config_file(str(bad))


# ---------------------------------------------------------------- precedence


def test_defaults_when_nothing_is_set(no_default_config):
    r = resolve(env={})
    assert r.runtime_endpoint is None and r.runtime_source.kind == "default"
    assert r.image_endpoint is None and r.effective_image_source.kind == "default"
    assert r.timeout == C.DEFAULT_TIMEOUT == 2.0 and r.timeout_source.kind == "default"
    assert r.config_file is None and r.debug is False


@pytest.mark.parametrize("layer", ["flag", "env", "config file", "default"])
def test_runtime_endpoint_precedence(tmp_path, no_default_config, layer):
    cfg = write(tmp_path, "runtime-endpoint: unix:///from/config.sock\n")
    kwargs, env = {}, {}
    if layer in ("flag",):
        kwargs["runtime_endpoint"] = "unix:///from/flag.sock"
    if layer in ("flag", "env"):
        env["CONTAINER_RUNTIME_ENDPOINT"] = "unix:///from/env.sock"
    if layer in ("flag", "env", "config file"):
        env["CRI_CONFIG_FILE"] = cfg
    r = resolve(env=env, **kwargs)
    expected = {
        "flag": "/from/flag.sock",
        "env": "/from/env.sock",
        "config file": "/from/config.sock",
        "default": None,
    }[layer]
    assert (r.runtime_endpoint.path if r.runtime_endpoint else None) == expected
    assert r.runtime_source.kind == layer
    if layer == "config file":
        assert r.runtime_source.detail == f"{cfg}:1"
    # the image endpoint follows the runtime endpoint when not set
    assert r.effective_image_endpoint == r.runtime_endpoint
    assert r.image_endpoint is None


@pytest.mark.parametrize("layer", ["flag", "env", "config file", "default"])
def test_image_endpoint_precedence(tmp_path, no_default_config, layer):
    cfg = write(tmp_path, "runtime-endpoint: /rt.sock\nimage-endpoint: unix:///from/config.sock\n")
    kwargs, env = {}, {"CONTAINER_RUNTIME_ENDPOINT": "/rt.sock"}
    if layer == "flag":
        kwargs["image_endpoint"] = "/from/flag.sock"
    if layer in ("flag", "env"):
        env["IMAGE_SERVICE_ENDPOINT"] = "unix:///from/env.sock"
    if layer in ("flag", "env", "config file"):
        kwargs["config"] = cfg
    r = resolve(env=env, **kwargs)
    expected = {
        "flag": "/from/flag.sock",
        "env": "/from/env.sock",
        "config file": "/from/config.sock",
        "default": "/rt.sock",
    }[layer]
    assert r.effective_image_endpoint.path == expected
    assert r.effective_image_source.kind == layer
    if layer == "config file":
        assert r.image_source.detail == f"{cfg}:2"
    if layer == "default":
        assert "same as the runtime endpoint" in str(r.effective_image_source)


@pytest.mark.parametrize("layer", ["flag", "config file", "default"])
def test_timeout_precedence(tmp_path, no_default_config, layer):
    cfg = write(tmp_path, "timeout: 9\n")
    kwargs = {}
    if layer == "flag":
        kwargs["timeout"] = "3s"
    if layer in ("flag", "config file"):
        kwargs["config"] = cfg
    r = resolve(env={}, **kwargs)
    assert r.timeout == {"flag": 3.0, "config file": 9.0, "default": 2.0}[layer]
    assert r.timeout_source.kind == layer


def test_timeout_zero_means_default(tmp_path, no_default_config):
    cfg = write(tmp_path, "timeout: 0\n")
    r = resolve(env={}, config=cfg)
    assert r.timeout == 2.0 and r.timeout_source.kind == "default"
    r = resolve(env={}, config=write(tmp_path, "timeout: 9\n"), timeout="0s")
    assert r.timeout == 2.0 and r.timeout_source.kind == "default"


def test_config_file_precedence(tmp_path, monkeypatch):
    default = write(tmp_path, "runtime-endpoint: /default.sock\n", "default.yaml")
    envfile = write(tmp_path, "runtime-endpoint: /env.sock\n", "env.yaml")
    flagfile = write(tmp_path, "runtime-endpoint: /flag.sock\n", "flag.yaml")
    monkeypatch.setattr(C, "DEFAULT_CONFIG_PATH", default)
    r = resolve(env={"CRI_CONFIG_FILE": envfile}, config=flagfile)
    assert r.runtime_endpoint.path == "/flag.sock" and r.config_source.kind == "flag"
    r = resolve(env={"CRI_CONFIG_FILE": envfile})
    assert r.runtime_endpoint.path == "/env.sock" and r.config_source.kind == "env"
    r = resolve(env={})
    assert r.runtime_endpoint.path == "/default.sock" and r.config_source.kind == "default"
    assert r.runtime_source.detail == f"{default}:1"


def test_pull_settings_and_debug_from_config(tmp_path, no_default_config):
    r = resolve(env={}, config=write(tmp_path, FULL))
    assert r.pull_image_on_create and r.disable_pull_on_run
    assert r.debug is True and r.debug_source.kind == "config file"
    r = resolve(env={}, config=write(tmp_path, "debug: false\n"), debug=True)
    assert r.debug is True and r.debug_source.kind == "flag"


def test_empty_env_values_are_ignored(tmp_path, no_default_config):
    cfg = write(tmp_path, "runtime-endpoint: /cfg.sock\n")
    r = resolve(env={"CONTAINER_RUNTIME_ENDPOINT": "", "IMAGE_SERVICE_ENDPOINT": "", "CRI_CONFIG_FILE": cfg})
    assert r.runtime_endpoint.path == "/cfg.sock"


def test_explicit_config_must_exist(tmp_path, no_default_config):
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="given with -c/--config does not exist"):
        resolve(env={}, config=missing)
    with pytest.raises(ConfigError, match="named by CRI_CONFIG_FILE does not exist"):
        resolve(env={"CRI_CONFIG_FILE": missing})


def test_malformed_default_config_is_an_error(tmp_path, monkeypatch):
    bad = write(tmp_path, "runtime-endpoint: /x.sock\ntimeout: later\n")
    monkeypatch.setattr(C, "DEFAULT_CONFIG_PATH", bad)
    with pytest.raises(ConfigError) as ei:
        resolve(env={})
    assert bad in str(ei.value) and "line 2" in str(ei.value)


def test_bad_endpoint_names_its_origin(tmp_path, no_default_config):
    with pytest.raises(ConfigError, match="CONTAINER_RUNTIME_ENDPOINT"):
        resolve(env={"CONTAINER_RUNTIME_ENDPOINT": "foo"})
    cfg = write(tmp_path, "debug: false\nimage-endpoint: ftp://x\n")
    with pytest.raises(ConfigError, match=rf"image-endpoint in {cfg}:2"):
        resolve(env={}, config=cfg)
    with pytest.raises(ConfigError, match="-r/--runtime-endpoint flag is empty"):
        resolve(env={}, runtime_endpoint="")


def test_how_to_set_names_the_source(tmp_path, no_default_config):
    cfg = write(tmp_path, "runtime-endpoint: /cfg.sock\n")
    assert "-r/--runtime-endpoint" in resolve(env={}, runtime_endpoint="/a.sock").how_to_set()
    assert "CONTAINER_RUNTIME_ENDPOINT" in resolve(env={"CONTAINER_RUNTIME_ENDPOINT": "/a"}).how_to_set()
    assert f"{cfg}:1" in resolve(env={}, config=cfg).how_to_set()


# ---------------------------------------------------------------- default endpoints


def test_first_reachable_default(tmp_path, no_default_config, monkeypatch):
    good = tmp_path / "crio.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(good))
    srv.listen(1)
    try:
        missing = f"unix://{tmp_path}/containerd.sock"
        monkeypatch.setattr(C, "DEFAULT_RUNTIME_ENDPOINTS", (missing, f"unix://{good}", "unix:///nonexistent/x.sock"))
        r = resolve(env={}).with_default_endpoint()
        assert r.runtime_endpoint.path == str(good)
        assert r.runtime_source.kind == "default"
        assert r.default_failures == [(missing, f"socket {tmp_path}/containerd.sock does not exist")]
        assert r.effective_image_endpoint == r.runtime_endpoint
    finally:
        srv.close()


def test_no_default_reachable(tmp_path, no_default_config, monkeypatch):
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()  # the file stays, nobody listens: connection refused
    monkeypatch.setattr(C, "DEFAULT_RUNTIME_ENDPOINTS", (f"unix://{tmp_path}/none.sock", f"unix://{stale}"))
    with pytest.raises(ConfigError) as ei:
        resolve(env={}).with_default_endpoint()
    msg = str(ei.value)
    assert "does not exist" in msg and "connection refused" in msg and "CONTAINER_RUNTIME_ENDPOINT" in msg
    assert "\n" not in msg


def test_probe_tcp(tmp_path):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        assert C.probe_endpoint(Endpoint("tcp", f"127.0.0.1:{port}"), 1.0) is None
    finally:
        srv.close()
    assert "refused" in C.probe_endpoint(Endpoint("tcp", f"127.0.0.1:{port}"), 1.0)


def test_config_error_is_a_crierror():
    from crit.cri.config import CriError

    assert issubclass(ConfigError, CriError)
    try:
        from crit.cri.errors import CriError as Real
    except ImportError:
        pytest.skip("crit.cri.errors not written yet")
    assert issubclass(ConfigError, Real)
