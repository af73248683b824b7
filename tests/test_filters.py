"""Issue 10: the `/` filter semantics (literal besides the regex, =name, escapes as the screen shows them,
-n namespace) and the one matching shared by the log and describe searches."""

from __future__ import annotations

import pytest

from crit.render.filters import FilterError, decode_escapes, parse_filter, text_pattern
from crit.render.sanitize import sanitize
from tests.fixed_node import FixedNode, fixed_app, settled
from tests.ui_helpers import notifications, screen_text
from tests.waiting import wait_for

RLO = "abc\u202etxt.exe"


def test_regex_and_literal_both_tried():
    f = parse_filter("a.b")
    assert f.matches("xa.by") and f.matches("axb")  # literal, and the regex
    f = parse_filter("(")
    assert f.plain and f.matches("f(x)") and not f.matches("fx")
    f = parse_filter("web-[0-9]+")
    assert f.matches("web-12") and not f.matches("web-x")
    assert f.matches("zzz web-[0-9]+ zzz")  # the same text literally
    assert parse_filter("NGINX").matches("an nginx pod")  # case-insensitive, regex and literal


def test_exact_name():
    f = parse_filter("=nginx")
    assert f.matches("", names=["nginx"]) and not f.matches("nginx-2", names=["nginx-2"])
    assert not parse_filter("=ngin").matches("nginx", names=["nginx"])
    assert parse_filter("!=nginx").matches("", names=["redis"])
    assert parse_filter("=" + sanitize(RLO)).matches("", names=[RLO])  # as the screen shows it
    with pytest.raises(FilterError):
        parse_filter("=")


def test_escapes_as_the_screen_shows_them():
    assert decode_escapes("abc\\u202etxt") == RLO[:-4]
    assert decode_escapes("evil^[ns \\x9b ^?") == "evil\x1bns \x9b \x7f"
    assert decode_escapes("plain ^web") == "plain ^web"
    f = parse_filter("\\u202e")  # the six characters typed
    assert f.matches("zzz", names=[RLO]) and not f.matches("zzz", names=["abc.exe"])
    assert f.matches(sanitize(RLO))  # the row's shown text holds the escape too
    f = parse_filter("evil^[ns")
    assert f.matches("zzz", names=["evil\x1bns"])


def test_namespace():
    f = parse_filter("-n shop")
    assert f.matches("", namespace="shop") and not f.matches("shop", namespace="default")
    assert parse_filter("!-n shop").matches("", namespace="default")
    for bad in ("-n", "-n a b"):
        with pytest.raises(FilterError):
            parse_filter(bad)


def test_text_pattern_is_the_shared_matcher():
    pat, plain = text_pattern("a.b")
    assert not plain and pat.search("a.b") and pat.search("axb")
    pat, plain = text_pattern("[oops")
    assert plain and pat.search("x[oops")
    pat, _ = text_pattern("Error", ignore_case=False)
    assert pat.search("Error") and not pat.search("error")


# ---------------------------------------------------------------------------------------------- on screen


def _hostile_node() -> FixedNode:
    node = FixedNode()
    node.containers[1].metadata.name = RLO
    return node


async def test_filter_by_escape_and_exact_name_on_screen(frozen):
    app = fixed_app(_hostile_node())
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await pilot.press("2", "slash", *"\\u202e", "enter")
        await wait_for(lambda: "Containers [1/2]" in screen_text(app), 5, "one container shown")
        text = screen_text(app)
        assert "abc\\u202etxt.exe" in text and "nginx " not in text.split("Containers [1/2]")[1].split("Images")[0]
        await pilot.press("escape", "slash", *"=nginx", "enter")
        await wait_for(lambda: "Containers [1/2]" in screen_text(app), 5, "nginx alone")
        assert "=nginx" in screen_text(app)


async def test_pods_command_with_a_namespace(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await pilot.press("colon", *"pods default", "enter")
        await wait_for(lambda: "Pods [1/2]" in screen_text(app), 5, "the pods of namespace default")
        assert "-n default" in screen_text(app)  # the filter is shown
        await pilot.press("colon", *"containers default", "enter")
        await wait_for(
            lambda: "Containers [2/2]" in screen_text(app) or "Containers [2]" in screen_text(app),
            5,
            "the containers of namespace default",
        )
        await pilot.press("1", "escape")
        await wait_for(lambda: "Pods [2]" in screen_text(app), 5, "esc clears it")
        await pilot.press("colon", *"pods shop", "enter")
        await wait_for(lambda: any("namespace shop" in n for n in notifications(app)), 5, "one sentence")
        assert "Pods [2]" in screen_text(app)
        await pilot.press("colon", *"images x", "enter")
        await wait_for(lambda: any("no namespace" in n for n in notifications(app)), 5, "one sentence")


async def test_exact_image_name_with_or_without_its_tag(frozen):
    app = fixed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot)
        await pilot.press("3", "slash", *"=localhost:5000/pause", "enter")
        await wait_for(lambda: "Images [1/3]" in screen_text(app), 5, "the pause image alone (repository)")
        await pilot.press("escape", "slash", *"=localhost:5000/pause:3.9", "enter")
        await wait_for(
            lambda: "Images [1/3] /=localhost:5000/pause:3" in screen_text(app),
            5,
            "the pause image alone (repository:tag)",
        )
        await pilot.press("escape", "slash", *"=localhost:5000/paus", "enter")
        await wait_for(lambda: "Images [0/3]" in screen_text(app), 5, "no image: not exactly a name")
