"""crit's command line.

Usage::

    crit [GLOBAL FLAGS]                          open the TUI on the resolved runtime
    crit [GLOBAL FLAGS] --check                  preflight: endpoints and where they came from, runtime, conditions
    crit [GLOBAL FLAGS] --demo                   start an embedded demo node and open the TUI on it
    crit [GLOBAL FLAGS] new pod --from FILE      open the TUI with the new-pod form filled from a crictl file
    crit [GLOBAL FLAGS] new container --from FILE [--pod FILE|ID]
    crit node serve --listen unix:///PATH [--scale P:C:I] [--churn RATE] [--demo] [--image REF]...
    crit --version

Global flags (crictl's, resolved with crictl's precedence by :mod:`crit.cri.config`): ``-r/--runtime-endpoint``,
``-i/--image-endpoint``, ``-t/--timeout``, ``-c/--config``, ``-D/--debug``; crit's own: ``--refresh SECONDS``,
``--readonly``, ``--theme NAME``, ``--stream-insecure``.  Global flags may also follow a subcommand.

Every failure is printed as one sentence on stderr with exit status 1; a traceback only with ``--debug``.
Heavy modules (textual, the UI, grpc, the embedded node) are imported lazily, so ``--version`` and ``--check``
never load textual.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from crit import __version__
from crit.errors import CritError, one_sentence
from crit.options import DEFAULT_REFRESH, Options

if TYPE_CHECKING:  # pragma: no cover
    from crit.cri.client import CriClient
    from crit.cri.config import ResolvedConfig
    from crit.node.process import NodeProcess

__all__ = ["CliError", "Options", "build_parser", "main"]

DEMO_START_TIMEOUT = 20.0  # seconds for the embedded demo node to answer


class CliError(CritError):
    """A user-facing failure of the command line; ``str()`` is one sentence."""


# --------------------------------------------------------------------------------------------------
# argument parsing


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one sentence (no usage block), exit 2 like argparse
        msg = message[:1].upper() + message[1:]
        sys.stderr.write(f"crit: {msg.rstrip('.')} (`{self.prog} --help` lists the options).\n")
        raise SystemExit(2)


def _theme_help() -> str:
    """``--theme``'s help: the built-in theme names (read from crit/themes without importing the UI)."""
    from pathlib import Path

    names = sorted(p.stem for p in (Path(__file__).resolve().parent / "themes").glob("*.yaml"))
    return (
        f"colour theme: {', '.join(names)}, or one of yours in ~/.config/crit/themes/NAME.yaml (default: "
        f"the last one chosen with ctrl+p in crit, else crit-dark)"
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value >= 0) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or a positive number")
    return value


def _scale(text: str) -> str:
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not PODS:CONTAINERS:IMAGES (three whole numbers)")
    return text


def _add_globals(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """The global flags; on subcommands their defaults are suppressed so a flag given before the
    subcommand is not overwritten."""
    d = {"default": argparse.SUPPRESS} if sub else {}
    g = p.add_argument_group("runtime (as crictl)")
    g.add_argument(
        "-r",
        "--runtime-endpoint",
        metavar="ENDPOINT",
        dest="runtime_endpoint",
        help="CRI runtime endpoint: unix:///PATH, /PATH or tcp://HOST:PORT "
        "(env CONTAINER_RUNTIME_ENDPOINT; default: first reachable of containerd, CRI-O, cri-dockerd)",
        **({"default": None} if not sub else d),
    )
    g.add_argument(
        "-i",
        "--image-endpoint",
        metavar="ENDPOINT",
        dest="image_endpoint",
        help="CRI image endpoint (env IMAGE_SERVICE_ENDPOINT; default: the runtime endpoint)",
        **({"default": None} if not sub else d),
    )
    g.add_argument(
        "-t",
        "--timeout",
        metavar="DURATION",
        dest="timeout",
        help="deadline of each call, e.g. 2s, 500ms (default 2s; 0 or less means the default)",
        **({"default": None} if not sub else d),
    )
    g.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        dest="config",
        help="crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)",
        **({"default": None} if not sub else d),
    )
    g.add_argument(
        "-D",
        "--debug",
        action="store_true",
        dest="debug",
        help="show tracebacks and debug details",
        **({"default": False} if not sub else d),
    )
    u = p.add_argument_group("interface")
    u.add_argument(
        "--refresh",
        metavar="SECONDS",
        type=_positive_seconds,
        dest="refresh",
        help=f"seconds between refreshes (default {DEFAULT_REFRESH:g})",
        **({"default": DEFAULT_REFRESH} if not sub else d),
    )
    u.add_argument(
        "--stats-interval",
        metavar="SECONDS",
        type=_positive_seconds,
        dest="stats_interval",
        help="seconds between CPU/memory statistics polls (default 5)",
        **({"default": 5.0} if not sub else d),
    )
    u.add_argument(
        "--readonly",
        action="store_true",
        dest="readonly",
        help="refuse every mutating action",
        **({"default": False} if not sub else d),
    )
    u.add_argument("--theme", metavar="NAME", dest="theme", help=_theme_help(), **({"default": None} if not sub else d))
    u.add_argument(
        "--stream-insecure",
        action="store_true",
        dest="stream_insecure",
        help="do not verify TLS certificates of exec/attach/port-forward streams",
        **({"default": False} if not sub else d),
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="crit",
        description="A full-screen terminal UI for the container runtime (CRI v1) of a Kubernetes node.",
    )
    p.add_argument("--version", action="version", version=f"crit {__version__}")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="check the connection: endpoints and their source, runtime, version, conditions",
    )
    mode.add_argument(
        "--demo",
        action="store_true",
        help="start an embedded demo node (no container runtime needed) and open crit on it",
    )
    _add_globals(p, sub=False)
    sp = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = sp.add_parser("new", help="open a launch form prefilled from a crictl YAML/JSON file")
    new_sp = new.add_subparsers(dest="kind", metavar="pod|container", parser_class=_Parser)
    new_sp.required = True
    np_ = new_sp.add_parser("pod", help="new pod from a crictl pod config (crictl runp FILE)")
    np_.add_argument("--from", dest="from_file", metavar="FILE", required=True)
    _add_globals(np_, sub=True)
    nc = new_sp.add_parser("container", help="new container from a crictl container config (crictl create/run)")
    nc.add_argument("--from", dest="from_file", metavar="FILE", required=True)
    nc.add_argument(
        "--pod",
        metavar="FILE|ID",
        help="a crictl pod config file (create that pod too, as crictl run) or the id of an existing pod",
    )
    _add_globals(nc, sub=True)

    node = sp.add_parser("node", help="the embedded CRI node")
    node_sp = node.add_subparsers(dest="node_command", metavar="serve", parser_class=_Parser)
    node_sp.required = True
    serve = node_sp.add_parser("serve", help="serve an embedded CRI v1 node on a unix socket")
    serve.add_argument("--listen", metavar="unix:///PATH", required=True)
    serve.add_argument("--scale", metavar="P:C:I", type=_scale, default=None, help="pods:containers:images to simulate")
    serve.add_argument("--churn", metavar="RATE", type=_non_negative, default=0.0, help="simulated changes per second")
    serve.add_argument("--demo", action="store_true", dest="node_demo", help="populate with demo workloads")
    serve.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="REF",
        dest="images",
        help="an image present from the start (repeatable; loopback registries only)",
    )
    serve.add_argument("-D", "--debug", action="store_true", dest="debug", default=argparse.SUPPRESS)
    return p


# --------------------------------------------------------------------------------------------------
# helpers


def _say(text: object) -> str:
    """Untrusted text made safe for the terminal (control characters made visible)."""
    from crit.render.sanitize import sanitize

    return sanitize(text)


def _err(message: object) -> None:
    text = _say(message).strip() or "unknown error"
    sys.stderr.write(f"crit: {text}\n")
    sys.stderr.flush()


def _resolve(args: argparse.Namespace) -> ResolvedConfig:
    from crit.cri.config import resolve

    return resolve(
        runtime_endpoint=args.runtime_endpoint,
        image_endpoint=args.image_endpoint,
        timeout=args.timeout,
        config=args.config,
        debug=True if args.debug else None,
    )


def _options(args: argparse.Namespace, rc: ResolvedConfig) -> Options:
    img = rc.effective_image_endpoint
    return Options(
        runtime_endpoint=rc.runtime_endpoint.url if rc.runtime_endpoint else "",
        image_endpoint=img.url if img else "",
        timeout=rc.timeout,
        refresh=args.refresh,
        stats_interval=args.stats_interval,
        readonly=bool(args.readonly),
        theme=args.theme,
        stream_insecure=bool(args.stream_insecure),
        debug=rc.debug,
        pull_image_on_create=rc.pull_image_on_create,
        disable_pull_on_run=rc.disable_pull_on_run,
        config=rc,
    )


def _make_client(opts: Options) -> CriClient:
    from crit.cri.client import CriClient

    rc = opts.config
    return CriClient(
        opts.runtime_endpoint,
        opts.image_endpoint or None,
        timeout=opts.timeout,
        readonly=opts.readonly,
        runtime_hint=rc.how_to_set("runtime") if rc is not None else None,
        image_hint=rc.how_to_set("image") if rc is not None else None,
    )


async def _close(client: object) -> None:
    close = getattr(client, "close", None)
    if close is None:
        return
    try:
        res = close()
        if inspect.isawaitable(res):
            await res
    except Exception:  # noqa: BLE001 - closing must never mask the real outcome, whatever the client raises
        pass


# --------------------------------------------------------------------------------------------------
# --check


def _check(args: argparse.Namespace) -> int:
    from crit.cri.config import format_seconds
    from crit.cri.errors import CriError, Unsupported

    rc = _resolve(args)
    out = sys.stdout
    none_found: CriError | None = None
    if rc.runtime_endpoint is None:
        try:
            rc.with_default_endpoint()
        except CriError as exc:  # the table still says what was resolved and tried; then the one sentence
            none_found = exc
    rt = rc.runtime_endpoint
    img = rc.effective_image_endpoint
    cfg_state = "" if rc.config_file is not None else " (not found, not used)"
    rows = [
        ("runtime endpoint", rt.url if rt is not None else "none reachable", rc.runtime_source),
        ("image endpoint", img.url if img is not None else "none", rc.effective_image_source),
        ("config file", f"{rc.config_path}{cfg_state}", rc.config_source),
        ("timeout", format_seconds(rc.timeout), rc.timeout_source),
    ]
    for name, value, src in rows:
        out.write(f"{name + ':':<18}{_say(value)}  ({_say(src)})\n")
    for url, reason in rc.default_failures:
        out.write(f"{'':<18}skipped {_say(url)}: {_say(reason)}\n")
    out.flush()
    if none_found is not None:
        raise none_found
    assert rt is not None and img is not None  # with_default_endpoint() found one, or raised

    opts = _options(args, rc)
    opts.readonly = True  # a preflight never changes anything

    async def run() -> tuple[Any, Any, Any]:
        client = _make_client(opts)
        try:
            version = await client.version()
            status = await client.status(verbose=False)
            fsinfo: Any
            try:  # the image service answers too (it may be another endpoint)
                fsinfo = await client.image_fs_info()
            except Unsupported:
                fsinfo = None
            except CriError as exc:
                fsinfo = exc
            return version, status, fsinfo
        finally:
            await _close(client)

    async def bounded() -> tuple[Any, Any, Any]:
        budget = rc.timeout * 3 + 1.0
        try:
            return await asyncio.wait_for(run(), budget)
        except TimeoutError:
            raise CliError(
                f"The runtime at {rt.url} did not answer within {format_seconds(budget)}; check that it is "
                f"running, or allow more time with -t/--timeout"
            ) from None

    version, status, fsinfo = asyncio.run(bounded())
    out.write(f"{'runtime:':<18}{_say(version.runtime_name)} {_say(version.runtime_version)}\n")
    out.write(f"{'API version:':<18}{_say(version.runtime_api_version)}  (kubelet API {_say(version.version)})\n")
    conds = {c.type: c for c in status.status.conditions}
    for ctype in ("RuntimeReady", "NetworkReady"):
        c = conds.pop(ctype, None)
        if c is None:
            out.write(f"{ctype + ':':<18}not reported\n")
            continue
        out.write(f"{ctype + ':':<18}{'true' if c.status else 'false'}{_reason(c)}\n")
    for ctype, c in conds.items():
        out.write(f"{_say(ctype) + ':':<18}{'true' if c.status else 'false'}{_reason(c)}\n")
    if isinstance(fsinfo, CriError):
        if img.url != rt.url:  # a separate image service that fails: the preflight fails
            out.flush()
            raise fsinfo
        out.write(f"{'image service:':<18}ImageFsInfo failed: {_say(fsinfo)}\n")
    elif fsinfo is None:
        out.write(f"{'image service:':<18}answers (ImageFsInfo not supported)\n")
    else:
        n = len(fsinfo.image_filesystems)
        out.write(f"{'image service:':<18}answers ({n} image filesystem{'' if n == 1 else 's'})\n")
    out.flush()
    return 0


def _reason(c: Any) -> str:
    parts = [p for p in (c.reason, c.message) if p]
    return ("  " + _say(": ".join(parts))) if parts else ""


# --------------------------------------------------------------------------------------------------
# the TUI, --demo, new, node serve


def _terminal_problem() -> str | None:
    """Why the TUI cannot start here (one sentence), or ``None``: it needs a terminal on stdin and stdout.
    Without one, Textual drew into a pipe for ever and span on a stdin at end of file (100% CPU, deaf to SIGTERM)."""
    missing = [name for fd, name in ((0, "stdin"), (1, "stdout")) if not _isatty(fd)]
    if not missing:
        return None
    which = " and ".join(missing)
    return (
        f"The terminal UI needs a terminal, but {which} {'is' if len(missing) == 1 else 'are'} not one; run crit "
        f"in a terminal (--check, node serve, --version and --help work without one)"
    )


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _need_terminal() -> None:
    problem = _terminal_problem()
    if problem is not None:
        raise _NoTerminal(problem)


class _NoTerminal(CliError):
    """The TUI was asked for without a terminal (exit status 2, like a usage error)."""


def _run_tui(opts: Options) -> int:
    _need_terminal()
    from crit.ui.app import run_app

    client = _make_client(opts)
    result: object = run_app(client, opts)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return int(result or 0) if isinstance(result, (int, bool)) or result is None else 0


async def _awaited(aw: Awaitable[object]) -> object:
    return await aw


def _tui_options(args: argparse.Namespace) -> Options:
    rc = _resolve(args)
    if rc.runtime_endpoint is None:
        rc.with_default_endpoint()
    return _options(args, rc)


def _new(args: argparse.Namespace) -> int:
    from crit.cri import spec

    if args.kind == "pod":
        loaded = {"new_pod": spec.load_pod_config(args.from_file)}
    else:
        loaded = {"new_container": spec.load_container_config(args.from_file)}
        pod = getattr(args, "pod", None)
        if pod is not None:
            loaded["new_container_pod"] = _pod_arg(pod, spec)
    opts = _tui_options(args)
    for k, v in loaded.items():
        setattr(opts, k, v)
    return _run_tui(opts)


def _pod_arg(value: str, spec: ModuleType) -> Any:
    """``--pod FILE|ID``: an existing file is a crictl pod config; anything path-like that does not exist
    is an error; otherwise it is a pod id (or unique prefix) for the UI to resolve."""
    if not value.strip():
        raise CliError("The --pod value is empty; give a crictl pod config file or a pod id")
    if os.path.exists(value):
        return spec.load_pod_config(value)
    looks_like_path = os.sep in value or value.lower().endswith((".yaml", ".yml", ".json"))
    if looks_like_path:
        raise CliError(f"The pod config file {value} given with --pod does not exist")
    return value


def _node_serve(args: argparse.Namespace) -> int:
    from crit.cri.config import parse_endpoint

    ep = parse_endpoint(args.listen, what="--listen address")
    if ep.scheme != "unix":
        raise CliError(f"The embedded node listens on unix sockets only; give --listen unix:///PATH, not {args.listen}")
    from crit.node.serve import run

    extra = {"images": list(args.images)} if args.images else {}
    return int(run(ep.url, demo=bool(args.node_demo), scale=args.scale, churn=float(args.churn), **extra) or 0)


def _demo(args: argparse.Namespace) -> int:
    from crit.node.process import NodeProcess

    _need_terminal()  # before starting a node that the UI would not use
    tmp = tempfile.mkdtemp(prefix="crit-demo-")
    node = NodeProcess(demo=True, root=tmp, start_timeout=DEMO_START_TIMEOUT, name="embedded demo node")
    forget = None
    try:
        node.spawn()
        forget = _end_with_watchdog(node, tmp)
        node.wait_ready()
        if args.runtime_endpoint or args.image_endpoint:
            _err("note: --demo ignores -r/--runtime-endpoint and -i/--image-endpoint")
        args.runtime_endpoint = node.endpoint
        args.image_endpoint = None
        rc = _resolve(args)
        opts = _options(args, rc)
        opts.demo = True
        return _run_tui(opts)
    finally:
        if forget is not None:
            forget()
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _end_with_watchdog(node: NodeProcess, tmp: str) -> Callable[[], None]:
    """When the shutdown watchdog has to end crit (crit.ui.shutdown), the demo node is stopped and its temp dir
    removed first (the node also exits with its parent).  Returns the function that unregisters this."""
    from crit.ui.shutdown import WATCHDOG

    def end() -> None:
        node.terminate()
        shutil.rmtree(tmp, ignore_errors=True)

    return WATCHDOG.add_cleanup(end)


# --------------------------------------------------------------------------------------------------
# main


def main(argv: Sequence[str] | None = None) -> int:
    """Run crit; returns the exit status (0 ok, 1 failure, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    debug = bool(getattr(args, "debug", False))
    _setup_logging(debug)
    try:
        if args.command == "node":
            return _node_serve(args)
        if args.command == "new":
            if args.check or args.demo:
                raise CliError("new pod/container cannot be combined with --check or --demo")
            return _new(args)
        if args.check:
            return _check(args)
        if args.demo:
            return _demo(args)
        return _run_tui(_tui_options(args))
    except KeyboardInterrupt:
        _err("interrupted.")
        return 130
    except BrokenPipeError:
        return 1
    except _NoTerminal as exc:
        _err(_sentence(exc))
        return 2
    except Exception as exc:  # noqa: BLE001 - every failure: one sentence, never a traceback (unless --debug)
        if debug:
            traceback.print_exc()
        _err(_sentence(exc))
        return 1


def _setup_logging(debug: bool) -> None:
    """Log records never reach the terminal: a full-screen UI runs there, and Python's last-resort handler wrote
    warnings and tracebacks (crit's own, asyncio's "Task exception was never retrieved", grpc's) to stderr, over
    the UI and after it.  With ``--debug`` they go to a private file, named once on stderr before anything
    starts."""
    import logging

    root = logging.getLogger()
    if root.handlers:  # logging is configured already (crit embedded, a test harness): keep it
        return
    if not debug:
        root.addHandler(logging.NullHandler())
        return
    fd, path = tempfile.mkstemp(prefix="crit-debug-", suffix=".log")  # 0600: records may hold runtime data
    handler = logging.StreamHandler(os.fdopen(fd, "w", encoding="utf-8", errors="replace"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.getLogger("crit").setLevel(logging.DEBUG)
    _err(f"the debug log is {path}.")


def _sentence(exc: BaseException) -> str:
    """The one sentence printed for a failure; one not caused by the user says how to learn more."""
    text = one_sentence(exc)
    if isinstance(exc, CritError):
        return text
    if isinstance(exc, OSError) and exc.strerror:
        return f"{text[:-1]}; run with --debug for details."
    return f"Unexpected error ({text[:-1]}); run with --debug for the traceback."
