"""Unit tests of crit.render: sanitising, humanising, row cells, column fitting, filters."""

from __future__ import annotations

import time

import pytest
from rich.cells import cell_len

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import ExitInfo
from crit.render import age, sanitize, sanitize_multiline, short_id, size, timestamp
from crit.render.filters import FilterError, parse_filter
from crit.render.layout import fit_cell, fit_columns
from crit.render.rows import (
    CONTAINER_COLUMNS,
    IMAGE_COLUMNS,
    POD_COLUMNS,
    LiveAge,
    container_cells,
    container_image_name,
    image_cells,
    image_display_name,
    pod_cells,
    split_image_ref,
)


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain", "plain"),
        ("[bold red]x[/]", "[bold red]x[/]"),  # markup is not touched: widgets never parse it
        ("a\x1b[31mb", "a^[[31mb"),  # ESC → ^[
        ("\x00\x07\x08\t\n\r\x7f", "^@^G^H^I^J^M^?"),  # C0 and DEL in caret notation
        ("x\x9by", "x\\x9by"),  # C1 (CSI) as text
        ("evil\u202eexe.txt", "evil\\u202eexe.txt"),  # bidi override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("é 日本 ✓", "é 日本 ✓"),  # printable unicode stays
        (None, ""),
        (42, "42"),
    ],
)
def test_sanitize(raw, shown):
    assert sanitize(raw) == shown


def test_sanitize_never_leaves_controls():
    every = "".join(chr(i) for i in range(0, 0x250)) + "\u2028\u2029\u200e\u2066\ufeff"
    out = sanitize(every)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u2028" not in out and "\u202e" not in sanitize("\u202e")


def test_sanitize_multiline_keeps_lines():
    assert sanitize_multiline("a\tb\r\nc\x1bd\n") == "a   b\nc^[d\n"


def test_age():
    now = 1_000_000.0
    ns = lambda s: int((now - s) * 1e9)  # noqa: E731
    assert age(ns(5), now) == "5s"
    assert age(ns(119), now) == "119s"
    assert age(ns(600), now) == "10m"
    assert age(ns(3 * 3600), now) == "3h"
    assert age(ns(5 * 86400), now) == "5d"
    assert age(ns(800 * 86400), now) == "2y"
    assert age(0, now) == "?"
    assert age(int((now + 50) * 1e9), now) == "0s"  # clock skew: never negative


def test_size_short_id_timestamp():
    assert size(0) == "0B" and size(999) == "999B" and size(1000) == "1kB"
    assert size(2_150_000) == "2.15MB" and size(183_000_000) == "183MB" and size(None) == "-"
    assert short_id("sha256:" + "0123456789abcdef" * 4) == "0123456789abc"
    assert short_id("0123456789abcdef") == "0123456789abc"
    assert timestamp(0) == "-" and timestamp(1_700_000_000_123_456_789).startswith("2023-11-14T22:13:20.123456")


def test_live_age_is_computed_when_drawn():
    created = LiveAge(int((time.time() - 30) * 1e9))
    assert str(created) in ("30s", "31s") and f"{created:>5}".strip() == str(created)
    assert created == int(created)  # compares as its timestamp: a row does not change because time passes


def test_pod_cells():
    pod = pb.PodSandbox(
        id="a" * 64,
        metadata=pb.PodSandboxMetadata(name="web\x1b", namespace="ns", attempt=2),
        state=pb.SANDBOX_NOTREADY,
        created_at=1,
        runtime_handler="",
    )
    cells = pod_cells(pod, 1, 3, "10.0.0.1")
    assert len(cells) == len(POD_COLUMNS)
    assert cells[:4] == ("a" * 13, "web^[", "ns", "NotReady")
    assert cells[5:] == ("2", "(default)", "1/3", "10.0.0.1")


def test_container_cells_and_image_name():
    ctr = pb.Container(
        id="b" * 64,
        pod_sandbox_id="a" * 64,
        metadata=pb.ContainerMetadata(name="app", attempt=1),
        image=pb.ImageSpec(image="sha256:" + "c" * 64),
        image_ref="sha256:" + "c" * 64,
        state=pb.CONTAINER_EXITED,
        created_at=1,
    )
    # a sha in the spec is resolved to the image's tag
    assert container_image_name(ctr, {"sha256:" + "c" * 64: "localhost:5000/app:1"}) == "localhost:5000/app:1"
    assert container_image_name(ctr, {}) == "c" * 13
    ctr.image.user_specified_image = "localhost:5000/app:1"
    assert container_image_name(ctr, {}) == "localhost:5000/app:1"
    cells = container_cells(ctr, "web", "localhost:5000/app:1", ExitInfo(137, "OOMKilled"))
    assert len(cells) == len(CONTAINER_COLUMNS)
    assert cells[4] == "Exited" and cells[7] == "137" and cells[8] == "OOMKilled"
    assert container_cells(ctr, "web", "localhost:5000/app:1")[7] == "…"  # exit code not fetched yet
    ctr.state = pb.CONTAINER_RUNNING
    assert container_cells(ctr, "web", "localhost:5000/app:1", ExitInfo(0, "x"))[7:] == ("", "")


def test_image_cells():
    assert split_image_ref("localhost:5000/a/b:1.2") == ("localhost:5000/a/b", "1.2")
    assert split_image_ref("localhost:5000/a/b") == ("localhost:5000/a/b", "<none>")
    assert split_image_ref("localhost:5000/a@sha256:00") == ("localhost:5000/a", "<none>")
    img = pb.Image(
        id="sha256:" + "d" * 64,
        repo_tags=["localhost:5000/x:1", "localhost:5000/x:latest"],
        size=1_500_000,
        pinned=True,
    )
    assert image_display_name(img) == ("localhost:5000/x", "1 +1")
    cells = image_cells(img, 3)
    assert len(cells) == len(IMAGE_COLUMNS) and cells[2:] == ("d" * 13, "1.5MB", "yes", "3")
    untagged = pb.Image(id="sha256:" + "e" * 64, repo_digests=["localhost:5000/y@sha256:" + "f" * 64])
    assert image_display_name(untagged) == ("localhost:5000/y", "<none>")


def test_fit_columns_drop_by_priority_and_fit():
    natural = [13, 25, 30, 40, 7, 4, 7, 4, 12]
    for width in (200, 160, 120, 100, 80, 60, 40):
        layout = fit_columns(CONTAINER_COLUMNS, natural, width)
        used = sum(w for _, w in layout) + len(layout) - 1
        assert used <= width, (width, layout)
        shown = {CONTAINER_COLUMNS[i].key for i, _ in layout}
        assert {"name", "state"} <= shown  # priority 0 never dropped
        dropped = [c for c in CONTAINER_COLUMNS if c.key not in shown]
        kept_prio = max(CONTAINER_COLUMNS[i].priority for i, _ in layout)
        assert all(c.priority >= kept_prio for c in dropped)  # lower priorities go first
    wide = fit_columns(CONTAINER_COLUMNS, natural, 200)
    assert len(wide) == len(CONTAINER_COLUMNS) and [w for _, w in wide][:4] == [13, 25, 30, 40]
    at80 = {CONTAINER_COLUMNS[i].key for i, _ in fit_columns(CONTAINER_COLUMNS, natural, 80)}
    assert {"id", "name", "pod", "image", "state", "age", "exit"} <= at80


def test_fit_cell():
    assert fit_cell("abc", 5) == "abc  " and fit_cell("abc", 5, "right") == "  abc"
    assert fit_cell("abcdef", 4) == "abc…"
    wide = fit_cell("日本語テキスト", 6)
    assert cell_len(wide) == 6 and wide.rstrip().endswith("…")


def test_filters():
    f = parse_filter("ngi.x")
    assert f.matches("an NGINX pod") and not f.matches("apache")
    f = parse_filter("[oops")
    assert f.plain and f.matches("x[oops") and not f.matches("oops")
    f = parse_filter("!web")
    assert f.invert and not f.matches("web-1") and f.matches("db-1")
    f = parse_filter("-l app=web,tier!=db,team")
    assert f.matches("", {"app": "web", "tier": "front", "team": "a"})
    assert not f.matches("", {"app": "web", "tier": "db", "team": "a"})
    assert not f.matches("", {"app": "web", "tier": "front"})
    assert parse_filter("!-l app=web").matches("", {"app": "db"})
    assert parse_filter("   ") is None
    with pytest.raises(FilterError):
        parse_filter("!")
    with pytest.raises(FilterError):
        parse_filter("-l ")
    with pytest.raises(FilterError):
        parse_filter("-l app=web,=x")


def test_live_age_reserves_its_widest_form():
    # issue 10 D: the AGE column is sized when rows change, the age text grows after: reserve the widest form
    from crit.render.rows import LiveAge

    assert LiveAge.max_cells == max(
        len(age(int((1000 - s) * 1e9), now_s=1000)) for s in (0, 9, 119, 7199, 47 * 3600, 729 * 86400)
    )


@pytest.mark.parametrize(
    ("width", "shown"),
    [
        (40, "localhost:5000/library/nginx:1.25.3     "),  # fits: unchanged
        (22, "…/library/nginx:1.25.3"),  # the registry goes first
        (18, "…/nginx:1.25.3    "),  # then the path: name and tag stay
        (12, "…/ng…:1.25.3"),  # then the name's end: "…/" and the tag stay
        (11, "…/n…:1.25.3"),
        (10, "…/nginx:1…"),  # no room for the tag whole: its end is cut
    ],
)
def test_image_cells_cut_the_registry_and_path_first(width, shown):
    # issue 10 D: at 80-100 columns IMAGE showed `localhost:5000/…` and lost the name and tag
    assert fit_cell("localhost:5000/library/nginx:1.25.3", width, cut="path") == shown
    assert fit_cell("web-7c9d8f6b5-abcde", 10) == "web-7c9d8…"  # other columns still lose their end


def test_image_columns_cut_paths():
    from crit.render.rows import CONTAINER_COLUMNS, IMAGE_COLUMNS

    assert next(c for c in CONTAINER_COLUMNS if c.key == "image").cut == "path"
    assert next(c for c in IMAGE_COLUMNS if c.key == "image").cut == "path"


@pytest.mark.parametrize(
    ("ref", "width", "shown"),
    [
        # issue 10 D: at 80 columns some rows lost "…/" (a local image looked like a Docker Hub one) and tags were cut
        ("localhost:5000/kube-proxy:v1.27.3", 18, "…/kube-pr…:v1.27.3"),
        ("localhost:5000/prom/prometheus:v2.45.0", 18, "…/prometh…:v2.45.0"),
        ("localhost:5000/shop/checkout:0.8.0-rc.2", 19, "…/check…:0.8.0-rc.2"),
        ("localhost:5000/prom/node-exporter:v1.6.1", 19, "…/node-expo…:v1.6.1"),
        ("localhost:5000/etcd:3.5.7-0", 19, "…/etcd:3.5.7-0     "),
        ("nginx-with-a-long-name:1.25.3", 16, "nginx-wi…:1.25.3"),  # no registry: nothing dropped, no "…/"
    ],
)
def test_image_cells_keep_the_ellipsis_slash_and_the_whole_tag(ref, width, shown):
    assert fit_cell(ref, width, cut="path") == shown
