#!/usr/bin/env python3
"""Render crit's screens (main, describe, config, help, logs, shell, new pod, events) on the embedded demo node
as SVG files.

    python scripts/screenshots.py [--out screenshots] [--size 140x40] [--theme crit-dark]

Starts `crit node serve --demo` (crit.node.process.NodeProcess) on a temporary socket, drives the app headless with
Textual's Pilot, and writes
main.svg, describe.svg, config.svg, help.svg, logs.svg, shell.svg, new-pod.svg and events.svg into the output
directory.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crit.cri.client import CriClient  # noqa: E402
from crit.node.process import NodeProcess, NodeProcessError  # noqa: E402
from crit.options import Options  # noqa: E402
from crit.ui.app import CritApp  # noqa: E402


def Opts(endpoint: str, theme: str) -> Options:
    return Options(runtime_endpoint=endpoint, refresh=2.0, theme=theme)


async def shoot(endpoint: str, out: Path, size: tuple[int, int], theme: str) -> list[Path]:
    client = CriClient(endpoint)
    app = CritApp(client, Opts(endpoint, theme))
    written: list[Path] = []

    def save(name: str) -> None:
        path = out / name
        app.save_screenshot(filename=name, path=str(out))
        written.append(path)

    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.first_frame.wait(), 20)
        for _ in range(100):  # exit codes and pod IPs arrive in the background
            await asyncio.sleep(0.1)
            if not app.model.caches.pending_exit and not app.model.caches.pending_ip and not app.model._tasks:
                break
        await pilot.pause(0.3)
        pods = app.main.panels["pods"].table
        ctrs = app.main.panels["containers"].table
        # a pod with several containers, and one marked container, make a more telling picture
        web = next((k for k in pods.view_keys if pods.rows[k].cells[1].startswith("web-")), None)
        if web:
            pods.move_cursor_to_key(web)
        await pilot.press("2")
        exited = next((k for k in ctrs.view_keys if ctrs.rows[k].cells[4] == "Exited"), None)
        if exited:
            ctrs.move_cursor_to_key(exited)
        await pilot.press("1")
        await pilot.pause(0.3)
        save("main.svg")
        await pilot.press("2", "d")
        await pilot.pause(1.0)
        save("describe.svg")
        await pilot.press("escape", "y")
        await pilot.pause(1.0)
        save("config.svg")
        await pilot.press("escape", "question_mark")
        await pilot.pause(0.3)
        save("help.svg")
        await pilot.press("escape")
        # the other views: logs of a running container, a shell in one, the new-pod form, the event timeline
        await pilot.press("2")
        running = [k for k in ctrs.view_keys if ctrs.rows[k].cells[4] == "Running"]
        logger = next((k for k in running if ctrs.rows[k].cells[1] == "nginx"), running[0] if running else None)
        if logger:
            ctrs.move_cursor_to_key(logger)
            await pilot.press("l")
            await pilot.pause(2.0)
            save("logs.svg")
            await pilot.press("escape")
            await pilot.pause(0.3)
        shell = next((k for k in running if ctrs.rows[k].cells[1] == "shell"), None)
        if shell:
            ctrs.move_cursor_to_key(shell)
            await pilot.press("s")
            await pilot.pause(2.0)
            await pilot.press(*"echo $((6*7)); printf '\\033[1;32mgreen\\033[0m and \\033[7mreverse\\033[0m\\n'")
            await pilot.press("enter")
            await pilot.pause(1.0)
            save("shell.svg")
            await pilot.press("ctrl+right_square_bracket")
            await pilot.pause(0.5)
        await pilot.press("1", "n")
        await pilot.pause(1.0)
        save("new-pod.svg")
        await pilot.press("escape")
        await pilot.pause(0.5)
        await pilot.press("colon", *"events", "enter")
        await pilot.pause(1.0)
        # a few real lifecycle changes for the timeline: stop one running container, remove an exited one
        by_name = {ctrs.rows[k].cells[1]: (k, ctrs.rows[k].cells[4]) for k in ctrs.view_keys}
        if "log-shipper" in by_name:
            await client.stop_container(by_name["log-shipper"][0], timeout=0)
        if "migrate" in by_name and by_name["migrate"][1] == "Exited":
            await client.remove_container(by_name["migrate"][0])
        await pilot.pause(3.0)
        save("events.svg")
        await pilot.press("escape")
    await client.close()
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description="Render crit screenshots (SVG) on the embedded demo node.")
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    ap.add_argument("--size", default="140x40")
    ap.add_argument("--theme", default="crit-dark")
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        node = NodeProcess(demo=True).start()
    except NodeProcessError as exc:
        print(f"crit: the embedded demo node did not start: {exc}.", file=sys.stderr)
        return 1
    try:
        written = asyncio.run(shoot(node.endpoint, out, (cols, rows), args.theme))
    finally:
        node.stop()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
