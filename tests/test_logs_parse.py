"""CRI log format parsing: full/partial lines, streams, bad lines, invalid UTF-8, untrusted text."""

from __future__ import annotations

import re

import pytest

from crit.logs import (
    LineJoiner,
    LogFileError,
    compile_query,
    copy_log,
    find_next,
    find_prev,
    match_spans,
    neutralise,
    parse_line,
    parse_lines,
    previous_log_candidates,
    previous_log_path,
    save_records,
)
from crit.logs.errors import check_log_access, describe_os_error, is_remote_endpoint

TS = "2026-11-28T08:00:00.123456789Z"


def test_full_line_stdout():
    rec = parse_line(f"{TS} stdout F hello world\n".encode())
    assert (rec.text, rec.stream, rec.timestamp, rec.bad, rec.partial) == ("hello world", "stdout", TS, False, False)
    assert rec.time is not None and rec.time.year == 2026 and rec.time.microsecond == 123456


def test_stderr_line_and_offset_timestamp():
    rec = parse_line(b"2026-11-28T09:00:00.5+01:00 stderr F oops")
    assert rec.is_stderr and rec.text == "oops" and rec.time.utcoffset().total_seconds() == 3600


def test_text_keeps_inner_spaces_and_tag_extensions():
    rec = parse_line(f"{TS} stdout F:x   spaced  out ".encode())
    assert rec.text == "  spaced  out "


def test_empty_content_with_and_without_separator():
    assert parse_line(f"{TS} stdout F \n".encode()).text == ""
    rec = parse_line(f"{TS} stdout F\n".encode())
    assert rec.text == "" and not rec.bad


@pytest.mark.parametrize(
    "raw",
    [
        b"just some text",
        b"",
        b"2026-11-28 stdout F date only",
        f"{TS} stdcrap F wrong stream".encode(),
        f"{TS} stdout X wrong tag".encode(),
        f"{TS} stdout".encode(),
        b"not-a-time stdout F x",
    ],
)
def test_bad_lines_are_kept_and_flagged(raw):
    rec = parse_line(raw)
    assert rec.bad and rec.text == raw.decode() and rec.stream == "" and rec.timestamp == ""


def test_partial_lines_joined_until_full():
    lines = [
        f"{TS} stdout P part one, ".encode(),
        f"{TS[:-2]}9Z stdout P part two, ".encode(),
        f"{TS[:-2]}8Z stdout F end".encode(),
        f"{TS} stdout F next".encode(),
    ]
    recs = parse_lines(lines)
    assert [r.text for r in recs] == ["part one, part two, end", "next"]
    assert recs[0].timestamp == TS  # the first part's timestamp
    assert not recs[0].partial


def test_partials_are_joined_per_stream_when_interleaved():
    lines = [
        f"{TS} stdout P out-a ".encode(),
        f"{TS} stderr F err-line".encode(),
        f"{TS} stderr P err-b ".encode(),
        f"{TS} stdout F out-end".encode(),
        f"{TS} stderr F err-end".encode(),
    ]
    recs = parse_lines(lines)
    assert [(r.stream, r.text) for r in recs] == [
        ("stderr", "err-line"),
        ("stdout", "out-a out-end"),
        ("stderr", "err-b err-end"),
    ]


def test_trailing_partial_is_pending_then_flushed():
    j = LineJoiner()
    assert j.feed(f"{TS} stdout P prompt> ".encode()) is None
    pend = j.pending()
    assert len(pend) == 1 and pend[0].partial and pend[0].text == "prompt> "
    assert j.pending()  # not consumed
    rec = j.feed(f"{TS} stdout F typed\n".encode())
    assert rec.text == "prompt> typed" and not rec.partial
    assert j.pending() == []
    j.feed(f"{TS} stdout P dangling".encode())
    flushed = j.flush()
    assert [r.text for r in flushed] == ["dangling"] and flushed[0].partial and j.pending() == []


def test_bad_line_does_not_break_pending_partial():
    recs = parse_lines([f"{TS} stdout P a".encode(), b"garbage", f"{TS} stdout F b".encode()])
    assert [(r.bad, r.text) for r in recs] == [(True, "garbage"), (False, "ab")]


def test_pending_is_bounded():
    j = LineJoiner(max_pending=10)
    assert j.feed(f"{TS} stdout P 123456".encode()) is None
    rec = j.feed(f"{TS} stdout P 789012".encode())
    assert rec is not None and rec.partial and rec.text == "123456789012"


def test_invalid_utf8_replaced():
    rec = parse_line(TS.encode() + b" stdout F caf\xc3\xa9 \xff\xfe ok")
    assert rec.text == "caf\u00e9 \ufffd\ufffd ok" and not rec.bad
    bad = parse_line(b"\xff\xfe raw")
    assert bad.bad and bad.text == "\ufffd\ufffd raw"


def test_markup_kept_literally_escapes_neutralised():
    rec = parse_line(f"{TS} stdout F [bold red]not markup[/] \x1b[31mred\x1b[0m \x1b]0;title\x07 a\rb".encode())
    shown = rec.display()
    assert "[bold red]not markup[/]" in shown  # literal, widgets render it as plain Text
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "^[[31mred" in shown  # ESC made visible
    assert rec.text.count("\x1b") == 3  # the original is untouched (for saving)
    assert "\u202e" not in neutralise("bidi\u202eevil")
    assert "\x9b" not in neutralise("c1\x9bx")
    assert neutralise("plain [b]text[/b] ünïcode") == "plain [b]text[/b] ünïcode"
    assert neutralise("\tat main.go:12") == "        at main.go:12"  # Go/Java stack traces keep their indent


def test_display_with_timestamps():
    rec = parse_line(f"{TS} stdout F x".encode())
    assert rec.display(timestamps=True) == f"{TS} x"
    assert rec.display() == "x"


def test_search_helpers():
    recs = parse_lines([f"{TS} stdout F {w}".encode() for w in ["alpha", "Beta", "gamma", "alphabet", "delta"]])
    assert find_next(recs, "alpha") == 0
    assert find_next(recs, "alpha", 0) == 3
    assert find_next(recs, "alpha", 3) == 0  # wraps
    assert find_next(recs, "alpha", 3, wrap=False) is None
    assert find_prev(recs, "alpha") == 3
    assert find_prev(recs, "alpha", 3) == 0
    assert find_prev(recs, "alpha", 0, wrap=False) is None
    assert find_next(recs, "beta") == 1  # smart case: lower-case query ignores case
    assert find_next(recs, "BETA") is None  # upper-case letter: exact case
    assert find_next(recs, "zzz") is None
    assert find_next([], "x") is None
    assert find_next(recs, compile_query(r"^[gd]")) == 2  # a regex
    assert find_next(recs, TS[:4], timestamps=True) == 0 and find_next(recs, TS[:4]) is None
    assert match_spans("a.b.a", "a") == [(0, 1), (4, 5)]
    assert match_spans("a.b", compile_query(r"\.")) == [(1, 2)]
    assert match_spans("f(x) (", compile_query("(")) == [(1, 2), (5, 6)]  # not a regex: the text literally
    assert match_spans("a.b", compile_query("a.b")) == [(0, 3)]
    with pytest.raises(ValueError):
        compile_query("")


def test_save_records(tmp_path):
    recs = parse_lines([f"{TS} stdout F one".encode(), f"{TS} stderr F tw\x1bo".encode()])
    out = tmp_path / "saved.log"
    assert save_records(recs, str(out), timestamps=True) == 2
    assert out.read_text() == f"{TS} one\n{TS} tw\x1bo\n"
    with pytest.raises(LogFileError, match="already exists"):
        save_records(recs, str(out))
    assert save_records(recs, str(out), overwrite=True) == 2
    assert out.read_text() == "one\ntw\x1bo\n"
    with pytest.raises(LogFileError, match=r"^Cannot save the log to .*/nodir/x\.log: .*\.$"):
        save_records(recs, str(tmp_path / "nodir" / "x.log"))
    src = tmp_path / "src.log"
    src.write_bytes(b"raw\xffbytes\n")
    assert copy_log(str(src), str(tmp_path / "copy.log")) == 10
    assert (tmp_path / "copy.log").read_bytes() == b"raw\xffbytes\n"
    with pytest.raises(LogFileError, match="does not exist"):
        copy_log(str(tmp_path / "missing.log"), str(tmp_path / "c2.log"))


def test_previous_log_paths(tmp_path):
    assert previous_log_candidates("/var/log/pods/ns_p_uid/web/3.log", 3)[0] == "/var/log/pods/ns_p_uid/web/2.log"
    assert previous_log_candidates("/var/log/pods/ns_p_uid/web_1.log", 1)[0] == "/var/log/pods/ns_p_uid/web_0.log"
    assert previous_log_candidates("/logs/busybox.log", 2) == ["/logs/1.log"]  # crictl's rule
    assert previous_log_candidates("/logs/0.log", 0) == []
    d = tmp_path / "web"
    d.mkdir()
    (d / "1.log").write_text("x")
    assert previous_log_path(str(d / "2.log"), 2) == str(d / "1.log")
    with pytest.raises(LogFileError, match="has not restarted"):
        previous_log_path(str(d / "0.log"), 0, container_name="web")
    with pytest.raises(LogFileError, match=r"previous attempt \(0\) .* not found"):
        previous_log_path(str(d / "1.log"), 1)


def test_error_sentences(tmp_path):
    p = "/var/log/pods/x/0.log"
    assert "permission denied" in describe_os_error(p, PermissionError(13, "Permission denied"))
    assert describe_os_error(p, FileNotFoundError(2, "No such file")).startswith(
        f"Cannot read the log file {p}: the file does not exist"
    )
    msg = describe_os_error(p, FileNotFoundError(2, "x"), runtime_endpoint="tcp://10.1.2.3:1234")
    assert "another host" in msg and "tcp://10.1.2.3:1234" in msg
    assert is_remote_endpoint("tcp://10.1.2.3:1234") and not is_remote_endpoint("tcp://127.0.0.1:1")
    assert not is_remote_endpoint("unix:///run/containerd/containerd.sock") and not is_remote_endpoint(None)
    with pytest.raises(
        LogFileError,
        match=re.escape(f"Cannot read the log file {p}: the runtime endpoint tcp://node7:1 is on another host"),
    ):
        check_log_access(p, "tcp://node7:1")
    with pytest.raises(LogFileError, match="no log path"):
        check_log_access("", None)
    check_log_access(p, "unix:///run/containerd/containerd.sock")


def test_multibyte_character_split_across_partial_parts():
    euro = "€".encode()  # 3 bytes
    recs = parse_lines([TS.encode() + b" stdout P a" + euro[:2], TS.encode() + b" stdout F " + euro[2:] + b"b"])
    assert [r.text for r in recs] == ["a€b"]
