"""Key → bytes translation for the terminal widget (crit.term.keys)."""

from __future__ import annotations

import pytest

from crit.term.keys import DEFAULT_DETACH_KEY, key_to_bytes, normalize_key, paste_to_bytes


@pytest.mark.parametrize(
    "key,char,expected",
    [
        ("a", "a", b"a"),
        ("A", "A", b"A"),
        ("shift+a", "A", b"A"),
        ("shift+a", None, b"A"),
        ("space", " ", b" "),
        ("exclamation_mark", "!", b"!"),
        ("plus", "+", b"+"),
        ("eacute", "é", "é".encode()),
        ("x", "日", "日".encode()),
        ("smile", "🙂", "🙂".encode()),
        ("comma", None, b","),
        ("full_stop", None, b"."),
    ],
)
def test_printable_and_unicode(key, char, expected):
    assert key_to_bytes(key, char) == expected


@pytest.mark.parametrize("letter", "abcdefghijklmnopqrstuvwxyz")
def test_ctrl_letters(letter):
    assert key_to_bytes(f"ctrl+{letter}", None) == bytes([ord(letter) - 96])
    assert key_to_bytes(f"ctrl+shift+{letter}", None) == bytes([ord(letter) - 96])


@pytest.mark.parametrize(
    "key,expected",
    [
        ("ctrl+at", b"\x00"),
        ("ctrl+space", b"\x00"),
        ("ctrl+backslash", b"\x1c"),
        ("ctrl+right_square_bracket", b"\x1d"),
        ("ctrl+circumflex_accent", b"\x1e"),
        ("ctrl+underscore", b"\x1f"),
        ("ctrl+left_square_bracket", b"\x1b"),
    ],
)
def test_ctrl_punctuation(key, expected):
    assert key_to_bytes(key, None) == expected


@pytest.mark.parametrize(
    "key,char,expected",
    [
        ("alt+x", "x", b"\x1bx"),
        ("alt+shift+x", "X", b"\x1bX"),
        ("alt+ctrl+a", None, b"\x1b\x01"),
        ("alt+enter", None, b"\x1b\r"),
        ("alt+backspace", None, b"\x1b\x7f"),
        ("alt+period", None, None),
        ("alt+full_stop", ".", b"\x1b."),
        ("meta+b", "b", b"\x1bb"),
        ("alt+1", "1", b"\x1b1"),
    ],
)
def test_alt_prefixes_escape(key, char, expected):
    assert key_to_bytes(key, char) == expected


@pytest.mark.parametrize(
    "key,normal,app",
    [
        ("up", b"\x1b[A", b"\x1bOA"),
        ("down", b"\x1b[B", b"\x1bOB"),
        ("right", b"\x1b[C", b"\x1bOC"),
        ("left", b"\x1b[D", b"\x1bOD"),
        ("home", b"\x1b[H", b"\x1bOH"),
        ("end", b"\x1b[F", b"\x1bOF"),
    ],
)
def test_cursor_keys_follow_application_cursor_mode(key, normal, app):
    assert key_to_bytes(key, None) == normal
    assert key_to_bytes(key, None, app_cursor=True) == app


@pytest.mark.parametrize(
    "key,expected",
    [
        ("ctrl+up", b"\x1b[1;5A"),
        ("shift+left", b"\x1b[1;2D"),
        ("alt+right", b"\x1b[1;3C"),
        ("ctrl+shift+down", b"\x1b[1;6B"),
        ("shift+home", b"\x1b[1;2H"),
        ("ctrl+end", b"\x1b[1;5F"),
        ("ctrl+delete", b"\x1b[3;5~"),
        ("shift+pageup", b"\x1b[5;2~"),
        ("shift+f1", b"\x1b[1;2P"),
        ("ctrl+f5", b"\x1b[15;5~"),
    ],
)
def test_modified_special_keys(key, expected):
    assert key_to_bytes(key, None) == expected
    assert key_to_bytes(key, None, app_cursor=True) == expected


@pytest.mark.parametrize(
    "key,expected",
    [
        ("insert", b"\x1b[2~"),
        ("delete", b"\x1b[3~"),
        ("pageup", b"\x1b[5~"),
        ("pagedown", b"\x1b[6~"),
        ("f1", b"\x1bOP"),
        ("f2", b"\x1bOQ"),
        ("f3", b"\x1bOR"),
        ("f4", b"\x1bOS"),
        ("f5", b"\x1b[15~"),
        ("f6", b"\x1b[17~"),
        ("f7", b"\x1b[18~"),
        ("f8", b"\x1b[19~"),
        ("f9", b"\x1b[20~"),
        ("f10", b"\x1b[21~"),
        ("f11", b"\x1b[23~"),
        ("f12", b"\x1b[24~"),
        ("shift+tab", b"\x1b[Z"),
        ("backtab", b"\x1b[Z"),
        ("backspace", b"\x7f"),
        ("ctrl+h", b"\x08"),
        ("enter", b"\r"),
        ("tab", b"\t"),
        ("escape", b"\x1b"),
    ],
)
def test_special_keys(key, expected):
    assert key_to_bytes(key, None) == expected
    assert key_to_bytes(key, "\r" if key == "enter" else None, app_cursor=True) == expected


def test_unknown_keys_send_nothing():
    assert key_to_bytes("ctrl+f13", None) is None
    assert key_to_bytes("volume_up", None) is None


def test_paste_plain_and_bracketed():
    assert paste_to_bytes("a\nb\r\nc", bracketed=False) == b"a\rb\rc"
    assert paste_to_bytes("ls\n", bracketed=True) == b"\x1b[200~ls\r\x1b[201~"
    # a paste cannot end the bracket early and inject keystrokes
    assert paste_to_bytes("x\x1b[201~rm -rf /\n", bracketed=True) == b"\x1b[200~xrm -rf /\r\x1b[201~"


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("ctrl+]", DEFAULT_DETACH_KEY),
        ("Ctrl+]", DEFAULT_DETACH_KEY),
        ("ctrl+right_square_bracket", DEFAULT_DETACH_KEY),
        ("ctrl+A", "ctrl+a"),
        ("F10", "f10"),
        ("ctrl+\\", "ctrl+backslash"),
        ("ctrl+@", "ctrl+at"),
        ("x", "x"),
    ],
)
def test_normalize_key(spec, expected):
    assert normalize_key(spec) == expected


@pytest.mark.parametrize("spec", ["", "hyper2+x", "foo+a"])
def test_normalize_key_rejects_nonsense(spec):
    with pytest.raises(ValueError):
        normalize_key(spec)
