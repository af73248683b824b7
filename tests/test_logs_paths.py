"""crit.logs.paths: which listed container was the previous attempt (its own log path is the previous log)."""

from __future__ import annotations

import pytest

from crit.cri.pb import api_pb2 as pb
from crit.logs.errors import LogFileError
from crit.logs.paths import previous_attempt_ids, previous_log_path


def ctr(id_: str, name: str = "web", attempt: int = 0, pod: str = "p1", created: int = 1) -> pb.Container:
    return pb.Container(
        id=id_,
        pod_sandbox_id=pod,
        created_at=created,
        metadata=pb.ContainerMetadata(name=name, attempt=attempt),
    )


def test_previous_attempt_ids_newest_first():
    listed = [
        ctr("old-a", attempt=1, created=10),
        ctr("old-b", attempt=1, created=20),
        ctr("cur", attempt=2, created=30),
        ctr("older", attempt=0, created=5),  # two attempts back
        ctr("other-name", name="side", attempt=1),
        ctr("other-pod", attempt=1, pod="p2"),
    ]
    ids = previous_attempt_ids(listed, pod_id="p1", name="web", attempt=2, current_id="cur")
    assert ids == ["old-b", "old-a"]


def test_previous_attempt_ids_none():
    listed = [ctr("cur", attempt=0)]
    assert previous_attempt_ids(listed, pod_id="p1", name="web", attempt=0, current_id="cur") == []
    # the current container itself is never its own previous attempt, and no pod means nothing to match
    assert previous_attempt_ids([ctr("x", attempt=0)], pod_id="p1", name="web", attempt=1, current_id="x") == []
    assert previous_attempt_ids([ctr("x", attempt=0)], pod_id="", name="web", attempt=1, current_id="y") == []


def test_attempt_zero_has_no_previous_log(tmp_path):
    with pytest.raises(LogFileError) as err:
        previous_log_path(str(tmp_path / "0.log"), 0, container_name="web")
    assert str(err.value).startswith("There is no previous attempt of container web: it has not restarted (attempt 0)")
