"""An internal error inside the running TUI (a bug, not something the user did) still ends in one sentence on
stderr, naming a file that holds the traceback; ``--debug`` keeps Textual's full traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(90)

SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from crit.node.serve import Node
    from crit.cri.client import CriClient
    from crit.options import Options
    from crit.ui.app import CritApp

    async def main():
        async with Node("unix://{sock}", images=[]) as node:
            opts = Options(runtime_endpoint=node.endpoint, refresh=0.5, debug={debug})
            client = CriClient(node.endpoint, timeout=5)
            app = CritApp(client, opts)

            def boom():
                raise ValueError("an internal bug [/] \\x1b[2J")

            app.call_later(lambda: app.set_timer(0.3, boom))
            await app.run_async(headless=True, size=(100, 30))
            await client.close()
            print("rc", app.return_code)

    asyncio.run(main())
""")


def run(tmp_path, debug: bool) -> subprocess.CompletedProcess:
    code = SCRIPT.format(debug=debug, sock=tmp_path / "node.sock")
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )


def test_an_internal_error_is_one_sentence_with_a_report_file(tmp_path):
    r = run(tmp_path, debug=False)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr[-3000:]
    line = lines[0]
    assert "Traceback" not in r.stderr and "\x1b" not in r.stderr
    assert line.startswith("crit: stopped on an internal error (ValueError: an internal bug [/] ^[[2J);"), line
    report = line.rsplit(" in ", 1)[1].split(" ", 1)[0].rstrip(";.")
    text = open(report).read()
    assert "Traceback" in text and "ValueError: an internal bug" in text and "in boom" in text
    import os

    assert os.stat(report).st_mode & 0o077 == 0  # it may hold runtime data: private
    assert "rc 1" in r.stdout


def test_debug_keeps_the_traceback(tmp_path):
    r = run(tmp_path, debug=True)
    assert "ValueError" in r.stderr and ("Traceback" in r.stderr or "boom" in r.stderr), r.stderr[-2000:]


async def test_a_filter_with_an_error_keeps_what_was_typed(tmp_path):
    """``/!`` is refused with one sentence, and the prompt stays open with the text to fix."""
    from crit.cri.client import CriClient
    from crit.node.serve import Node
    from crit.options import Options
    from crit.ui.app import CritApp
    from tests.ui_helpers import notifications

    async with Node(f"unix://{tmp_path / 'node.sock'}", images=[]) as node:
        opts = Options(runtime_endpoint=node.endpoint, refresh=0.5)
        client = CriClient(node.endpoint, timeout=5)
        app = CritApp(client, opts)
        async with app.run_test(size=(120, 30)) as pilot:
            await app.first_frame.wait()
            await pilot.press("slash", "!", "enter")
            await pilot.pause()
            assert any("has nothing to invert" in n for n in notifications(app)), notifications(app)
            prompt = app.main.query_one("#prompt")
            assert prompt.has_class("-shown") and prompt.value == "!" and app.focused is prompt
            # fix it in place: the filter applies and the prompt closes
            await pilot.press(*"web", "enter")
            await pilot.pause()
            assert not prompt.has_class("-shown")
            assert app.main.panels["pods"].filter is not None
            assert app.main.panels["pods"].filter.source == "!web"
        await client.close()


SIGTERM_SCRIPT = textwrap.dedent("""
    import asyncio, os, signal
    from crit.node.serve import Node
    from crit.cri.client import CriClient
    from crit.options import Options
    from crit.ui.app import CritApp

    async def main():
        async with Node("unix://{sock}", images=[]) as node:
            opts = Options(runtime_endpoint=node.endpoint, refresh=0.5)
            client = CriClient(node.endpoint, timeout=5)
            app = CritApp(client, opts)
            app.call_later(lambda: app.set_timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)))
            await app.run_async(headless=True, size=(100, 30))
            await client.close()
            print("exited", app.return_value)

    asyncio.run(main())
""")


def test_sigterm_quits_like_q(tmp_path):
    """``kill <crit>`` killed it outright: the terminal was left in the alternate screen with mouse tracking on,
    and open exec sessions were not ended.  Now SIGTERM quits the way q does, with status 143."""
    r = subprocess.run(
        [sys.executable, "-c", SIGTERM_SCRIPT.format(sock=tmp_path / "node.sock")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert r.returncode == 0 and "exited 143" in r.stdout, (r.returncode, r.stdout, r.stderr[-2000:])
