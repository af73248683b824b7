"""crit.errors: the error base every layer raises and the one helper that makes any exception one sentence."""

from __future__ import annotations

import errno

from crit.cli import CliError
from crit.cri.errors import CriError, Unsupported
from crit.errors import CritError, as_sentence, one_sentence
from crit.logs.errors import LogFileError
from crit.node.process import NodeProcessError
from crit.node.serve import NodeStartError
from crit.node.state import NodeError
from crit.stream.channel import StreamError


def test_every_layer_raises_a_crit_error():
    for cls in (
        CriError,
        Unsupported,
        LogFileError,
        StreamError,
        CliError,
        NodeError,
        NodeStartError,
        NodeProcessError,
    ):
        assert issubclass(cls, CritError), cls


def test_a_crit_error_is_its_own_sentence_on_one_line():
    assert one_sentence(CriError("Pod sandbox abc not found.")) == "Pod sandbox abc not found."
    assert one_sentence(CliError("the --pod value is empty\n  give a file")) == "the --pod value is empty give a file."
    assert one_sentence(StreamError("done?")) == "done?"


def test_other_errors_name_their_kind_or_their_os_reason():
    assert one_sentence(ValueError("bad\nvalue.")) == "ValueError: bad value."
    assert one_sentence(RuntimeError()) == "RuntimeError: no message."
    assert one_sentence(CritError()) == "CritError: no message."
    err = OSError(errno.ENOENT, "No such file or directory", "/x/y")
    assert one_sentence(err) == "No such file or directory (/x/y)."


def test_as_sentence_capitalises_and_ends_text():
    assert as_sentence("  the port-forward\nfailed ") == "The port-forward failed."
    assert as_sentence("") == ""
    assert as_sentence("Why?") == "Why?"
