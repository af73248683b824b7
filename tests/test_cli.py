"""The command line: --version, --check (missing socket, hung socket, real containerd), sources of settings,
one-sentence errors, the options handed to the TUI, lazy imports, and the seed article's pod and container
created on containerd from the loaded fixtures."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

import crit
from crit import cli
from crit.cri import spec
from crit.cri.pb import api_pb2 as pb
from tests.waiting import wait_for_sync

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


def run_crit(*args: str, env: dict | None = None, timeout: float = 30.0) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``python -m crit ARGS`` in a clean environment (no host crictl config, no runtime env)."""
    e = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE")
    }
    e["PYTHONPATH"] = str(ROOT)
    e.update(env or {})
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "crit", *args], capture_output=True, text=True, env=e, timeout=timeout, cwd=str(ROOT)
    )
    return p, time.monotonic() - t0


def assert_one_sentence(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    line = lines[0]
    assert line.startswith("crit: ") and line.endswith("."), line
    return line


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for k in ("CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE"):
        monkeypatch.delenv(k, raising=False)
    from crit.cri import config

    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", str(tmp_path / "no-crictl.yaml"))


# ---------------------------------------------------------------- --version and usage


def test_version():
    p, _ = run_crit("--version")
    assert p.returncode == 0
    assert p.stdout.strip() == f"crit {crit.__version__}"


def test_usage_error_is_short():
    p, _ = run_crit("--refresh", "0")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == [
        "crit: Argument --refresh: '0' must be a positive number of seconds (`crit --help` lists the options)."
    ]
    p, _ = run_crit("--check", "--demo")
    assert p.returncode == 2 and "not allowed with" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p, _ = run_crit("node", "serve", "--scale", "1:x:3", "--listen", "unix:///tmp/x.sock")
    assert p.returncode in (1, 2) and len(p.stderr.strip().splitlines()) == 1, p.stderr


# ---------------------------------------------------------------- --check failures


def test_check_missing_socket_fails_fast_with_the_path(tmp_path):
    sock = tmp_path / "nowhere" / "containerd.sock"
    p, elapsed = run_crit("--check", "-r", f"unix://{sock}", "-t", "2s")
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert str(sock) in line and "-r/--runtime-endpoint" in line
    assert elapsed < 2.0 + 1.5  # within the timeout (plus interpreter start-up)
    # what was resolved is still shown, with where it came from
    assert f"unix://{sock}  (flag -r/--runtime-endpoint)" in p.stdout
    assert "(default: same as the runtime endpoint)" in p.stdout


def test_check_missing_socket_from_env_names_the_variable(tmp_path):
    sock = tmp_path / "env.sock"
    p, _ = run_crit("--check", env={"CONTAINER_RUNTIME_ENDPOINT": str(sock)})
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert str(sock) in line and "CONTAINER_RUNTIME_ENDPOINT" in line
    assert "(env CONTAINER_RUNTIME_ENDPOINT)" in p.stdout


def test_check_sources_from_config_file(tmp_path):
    cfg = tmp_path / "crictl.yaml"
    cfg.write_text(f"runtime-endpoint: unix://{tmp_path}/cfg.sock\nimage-endpoint: {tmp_path}/img.sock\ntimeout: 1\n")
    p, _ = run_crit("--check", "-c", str(cfg))
    assert p.returncode == 1
    assert f"unix://{tmp_path}/cfg.sock  (config file {cfg}:1)" in p.stdout
    assert f"unix://{tmp_path}/img.sock  (config file {cfg}:2)" in p.stdout
    assert f"1s  (config file {cfg}:3)" in p.stdout
    line = assert_one_sentence(p.stderr)
    assert f"{tmp_path}/cfg.sock" in line and f"runtime-endpoint in {cfg}:1" in line


def test_check_malformed_config_names_file_and_line(tmp_path):
    cfg = tmp_path / "crictl.yaml"
    cfg.write_text("runtime-endpoint: unix:///x.sock\ntimeout: soon\n")
    p, _ = run_crit("--check", env={"CRI_CONFIG_FILE": str(cfg)})
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert str(cfg) in line and "line 2" in line


def test_check_refused_socket(tmp_path):
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    p, elapsed = run_crit("--check", "-r", str(stale))
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert str(stale) in line and "connection refused" in line
    assert elapsed < 2.0 + 1.5


def test_check_hung_runtime_stops_at_the_timeout(tmp_path):
    """Something accepts connections but never speaks gRPC: --check gives up within -t."""
    sock = tmp_path / "hung.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(8)
    try:
        p, elapsed = run_crit("--check", "-r", str(sock), "-t", "1s")
    finally:
        srv.close()
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert "did not answer" in line and "1s" in line
    assert elapsed < 1.0 + 1.5


def test_check_no_default_endpoint(clean_env, monkeypatch, tmp_path, capsys):
    from crit.cri import config

    monkeypatch.setattr(config, "DEFAULT_RUNTIME_ENDPOINTS", (f"unix://{tmp_path}/a.sock", f"unix://{tmp_path}/b.sock"))
    assert cli.main(["--check"]) == 1
    err = capsys.readouterr().err
    line = assert_one_sentence(err)
    assert f"{tmp_path}/a.sock" in line and f"{tmp_path}/b.sock" in line


def test_check_does_not_load_textual(tmp_path):
    code = (
        "import sys\n"
        "from crit.cli import main\n"
        f"rc = main(['--check', '-r', 'unix://{tmp_path}/x.sock'])\n"
        "print('RC', rc, 'textual' in sys.modules, 'crit.ui' in sys.modules)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), timeout=30)
    assert "RC 1 False False" in p.stdout, p.stdout + p.stderr


# ---------------------------------------------------------------- one sentence, never a traceback


def test_unexpected_exception_is_one_sentence(monkeypatch, capsys, clean_env):
    def boom(args):
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(cli, "_check", boom)
    assert cli.main(["--check"]) == 1
    err = capsys.readouterr().err
    line = assert_one_sentence(err)
    assert "RuntimeError: kaput second line" in line and "--debug" in line
    assert cli.main(["--check", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_untrusted_text_in_errors_is_neutralised(monkeypatch, capsys, clean_env):
    from crit.cri.errors import CriError

    def evil(args):
        raise CriError("runtime said \x1b]0;pwned\x07 \x1b[31mred")

    monkeypatch.setattr(cli, "_check", evil)
    assert cli.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "^[" in err


# ---------------------------------------------------------------- options handed to the TUI


@pytest.fixture
def fake_ui(monkeypatch):
    """A stand-in crit.ui.app that records what the CLI hands to run_app, and a stand-in client."""
    calls = []
    mod = types.ModuleType("crit.ui.app")

    def run_app(client, options):
        calls.append((client, options))
        return 0

    mod.run_app = run_app
    monkeypatch.setitem(sys.modules, "crit.ui.app", mod)
    monkeypatch.setattr(cli, "_terminal_problem", lambda: None)  # pytest's stdin/stdout are not a terminal
    monkeypatch.setattr(cli, "_make_client", lambda opts: ("client", opts.runtime_endpoint, opts.readonly))
    return calls


def test_plain_crit_opens_the_tui_with_options(fake_ui, clean_env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("runtime-endpoint: /cfg.sock\npull-image-on-create: true\n")
    rc = cli.main(
        [
            "-c",
            str(cfg),
            "-i",
            "tcp://127.0.0.1:7000",
            "-t",
            "5s",
            "--refresh",
            "0.5",
            "--readonly",
            "--theme",
            "light",
            "--stream-insecure",
        ]
    )
    assert rc == 0
    client, o = fake_ui[0]
    assert client == ("client", "unix:///cfg.sock", True)
    assert isinstance(o, cli.Options)
    assert (o.runtime_endpoint, o.image_endpoint, o.timeout, o.refresh) == (
        "unix:///cfg.sock",
        "tcp://127.0.0.1:7000",
        5.0,
        0.5,
    )
    assert o.readonly and o.theme == "light" and o.stream_insecure and not o.debug and not o.demo
    assert o.pull_image_on_create and not o.disable_pull_on_run
    assert o.config.runtime_source.kind == "config file"
    assert o.new_pod is None and o.new_container is None and o.new_container_pod is None


def test_async_run_app_is_awaited(monkeypatch, fake_ui, clean_env):
    async def run_app(client, options):
        await asyncio.sleep(0)
        return 3

    sys.modules["crit.ui.app"].run_app = run_app
    assert cli.main(["-r", "/x.sock"]) == 3


def test_new_pod_passes_the_loaded_config(fake_ui, clean_env):
    # global flags both before and after the subcommand
    rc = cli.main(["-r", "/x.sock", "new", "pod", "--from", str(FIXTURES / "pod.yaml"), "--readonly", "-t", "4s"])
    assert rc == 0
    _, o = fake_ui[0]
    assert o.new_pod == spec.load_pod_config(FIXTURES / "pod.yaml")
    assert o.readonly and o.timeout == 4.0 and o.runtime_endpoint == "unix:///x.sock"
    assert o.new_container is None


def test_new_container_with_pod_file_or_id(fake_ui, clean_env):
    c = str(FIXTURES / "container.yaml")
    assert cli.main(["-r", "/x.sock", "new", "container", "--from", c, "--pod", str(FIXTURES / "pod.yaml")]) == 0
    _, o = fake_ui[-1]
    assert o.new_container == spec.load_container_config(c)
    assert isinstance(o.new_container_pod, pb.PodSandboxConfig) and o.new_container_pod.metadata.name == "mysanbox"
    assert cli.main(["-r", "/x.sock", "new", "container", "--from", c, "--pod", "3f2a9c"]) == 0
    assert fake_ui[-1][1].new_container_pod == "3f2a9c"
    assert cli.main(["-r", "/x.sock", "new", "container", "--from", c]) == 0
    assert fake_ui[-1][1].new_container_pod is None


@pytest.mark.parametrize(
    "argv,needles",
    [
        (["new", "pod", "--from", "{fx}/container.yaml"], ["container.yaml, line 3: image: unknown key"]),
        (["new", "container", "--from", "{fx}/pod.yaml"], ["pod.yaml, line 3: metadata.namespace: unknown key"]),
        (["new", "pod", "--from", "{tmp}/missing.yaml"], ["missing.yaml does not exist"]),
        (
            ["new", "container", "--from", "{fx}/container.yaml", "--pod", "{tmp}/nopod.yaml"],
            ["nopod.yaml given with --pod does not exist"],
        ),
        (
            ["new", "container", "--from", "{fx}/container.yaml", "--pod", "{fx}/container.yaml"],
            ["container.yaml, line 3: image: unknown key"],
        ),
    ],
)
def test_new_errors_are_one_sentence(argv, needles, tmp_path, fake_ui, clean_env, capsys):
    argv = ["-r", "/x.sock"] + [a.format(fx=FIXTURES, tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 1
    line = assert_one_sentence(capsys.readouterr().err)
    for n in needles:
        assert n in line, line
    assert fake_ui == []


# ---------------------------------------------------------------- node serve wiring


def test_node_serve_calls_the_node(monkeypatch, tmp_path):
    calls = []
    mod = types.ModuleType("crit.node.serve")

    def run(listen, *, demo, scale, churn, images=None):
        calls.append((listen, demo, scale, churn) + ((images,) if images else ()))
        return 0

    mod.run = run
    monkeypatch.setitem(sys.modules, "crit.node.serve", mod)
    assert cli.main(["node", "serve", "--listen", f"{tmp_path}/n.sock"]) == 0
    assert (
        cli.main(
            [
                "node",
                "serve",
                "--listen",
                f"unix://{tmp_path}/n.sock",
                "--scale",
                "10:50:5",
                "--churn",
                "2.5",
                "--demo",
                "--image",
                "localhost:5000/a:1",
                "--image",
                "localhost:5000/b:2",
            ]
        )
        == 0
    )
    assert calls == [
        (f"unix://{tmp_path}/n.sock", False, None, 0.0),
        (f"unix://{tmp_path}/n.sock", True, "10:50:5", 2.5, ["localhost:5000/a:1", "localhost:5000/b:2"]),
    ]


def test_node_serve_rejects_bad_arguments(capsys):
    assert cli.main(["node", "serve", "--listen", "tcp://127.0.0.1:5000"]) == 1
    assert "unix sockets only" in assert_one_sentence(capsys.readouterr().err)
    assert cli.main(["node", "serve", "--listen", "/x.sock", "--scale", "1:2"]) == 2
    assert "PODS:CONTAINERS:IMAGES" in capsys.readouterr().err


def test_demo_starts_a_node_and_cleans_up(monkeypatch, clean_env):
    seen = {}
    mod = types.ModuleType("crit.ui.app")

    def run_app(client, options):
        async def probe():
            try:
                v = await client.version()
                pods = await client.list_pod_sandbox()
            finally:
                await client.close()
            return v, pods

        seen["version"], seen["pods"] = asyncio.run(probe())
        seen["options"] = options
        seen["sock"] = options.runtime_endpoint[len("unix://") :]
        return 0

    mod.run_app = run_app
    monkeypatch.setitem(sys.modules, "crit.ui.app", mod)
    monkeypatch.setattr(cli, "_terminal_problem", lambda: None)
    assert cli.main(["--demo"]) == 0
    o = seen["options"]
    assert o.demo and o.runtime_endpoint.startswith("unix://") and seen["version"].runtime_api_version == "v1"
    assert len(seen["pods"]) > 0  # the demo node is populated
    assert not os.path.exists(os.path.dirname(seen["sock"]))  # temp dir removed, node stopped


def test_node_serve_subprocess_answers_check(tmp_path):
    sock = tmp_path / "node.sock"
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crit", "node", "serve", "--listen", f"unix://{sock}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=e,
        cwd=str(ROOT),
    )
    try:
        wait_for_sync(lambda: sock.exists() or proc.poll() is not None, 20, what="the node's socket")
        assert sock.exists(), proc.stdout.read() if proc.poll() is not None else "no socket"
        p, _ = run_crit("--check", "-r", f"unix://{sock}")
        assert p.returncode == 0, p.stderr
        assert "API version:      v1" in p.stdout and "RuntimeReady:     true" in p.stdout
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


# ---------------------------------------------------------------- against real containerd


@pytest.mark.containerd
def test_check_against_containerd(containerd):
    p, elapsed = run_crit("--check", "-r", containerd.endpoint)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    out = p.stdout
    assert f"{containerd.endpoint}  (flag -r/--runtime-endpoint)" in out
    assert "runtime:          containerd " in out
    version = containerd.version.get("runtime_version") or containerd.version.get("RuntimeVersion")
    if version:
        assert version in out
    assert "API version:      v1" in out
    assert "RuntimeReady:     true" in out
    assert "NetworkReady:" in out
    assert elapsed < 10


@pytest.mark.containerd
def test_check_separate_image_endpoint(containerd, tmp_path):
    p, _ = run_crit("--check", "-r", containerd.endpoint, "-i", str(containerd.socket))
    assert p.returncode == 0, p.stderr
    assert "image service:    answers" in p.stdout
    missing = tmp_path / "img.sock"
    p, _ = run_crit("--check", "-r", containerd.endpoint, "-i", str(missing))
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert f"image service socket {missing} does not exist" in line and "-i/--image-endpoint" in line


def test_check_tcp_endpoint_refused():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on that port now
    p, elapsed = run_crit("--check", "-r", f"tcp://127.0.0.1:{port}", "-t", "1s")
    assert p.returncode == 1
    line = assert_one_sentence(p.stderr)
    assert f"127.0.0.1:{port}" in line
    assert elapsed < 1.0 + 2.0


@pytest.mark.containerd
def test_seed_pod_and_container_run_on_containerd(containerd, tmp_path):
    """The seed article's pod.yaml and container.yaml, loaded unchanged, are accepted by containerd; the test
    changes only host networking (no CNI here), the log directory (writable) and the image (local)."""
    from crit.cri.client import CriClient

    pod_cfg = spec.load_pod_config(FIXTURES / "pod.yaml")
    ctr_cfg = spec.load_container_config(FIXTURES / "container.yaml")
    assert pod_cfg.metadata.uid == ""  # as in the article: no uid
    pod_cfg.linux.security_context.namespace_options.network = pb.NODE
    log_dir = containerd.log_dir / f"seed-{os.getpid()}-{time.monotonic_ns()}"
    log_dir.mkdir(parents=True)
    pod_cfg.log_directory = str(log_dir)
    ctr_cfg.image.image = containerd.shell_image

    async def scenario():
        client = CriClient(containerd.endpoint, timeout=10)
        pod_id = None
        try:
            pod_id = await client.run_pod_sandbox(pod_cfg)
            st = await client.pod_sandbox_status(pod_id)
            assert st.status.metadata.name == "mysanbox" and st.status.state == pb.SANDBOX_READY
            ctr_id = await client.create_container(pod_id, ctr_cfg, pod_cfg)
            await client.start_container(ctr_id)
            deadline = time.monotonic() + 20
            while True:  # busybox `sh` without stdin exits at once, with code 0
                cst = (await client.container_status(ctr_id)).status
                if cst.state == pb.CONTAINER_EXITED or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert cst.metadata.name == "test-ngx" and cst.state == pb.CONTAINER_EXITED and cst.exit_code == 0
            assert cst.log_path == str(log_dir / "ngx.log")
            # a pod without uid can still be listed, stopped and removed by our client
            assert pod_id in {p.id for p in await client.list_pod_sandbox()}
            await client.stop_pod_sandbox(pod_id)
            await client.remove_pod_sandbox(pod_id)
            assert pod_id not in {p.id for p in await client.list_pod_sandbox()}
            pod_id = None
        finally:
            if pod_id is not None:
                try:
                    await client.stop_pod_sandbox(pod_id)
                    await client.remove_pod_sandbox(pod_id)
                except Exception:
                    pass
            await client.close()

    asyncio.run(scenario())
    assert (log_dir / "ngx.log").exists()
