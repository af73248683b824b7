"""crit.cri.states is the only definition of the CRI states: its plain numbers match the generated protobuf enums,
and its names are crictl's."""

from __future__ import annotations

import pytest

from crit.cri import states
from crit.cri.errors import InvalidArgument
from crit.cri.pb import api_pb2 as pb


def test_numbers_are_the_protobuf_enums():
    assert {n: getattr(states, n) for n in pb.PodSandboxState.keys()} == dict(pb.PodSandboxState.items())
    assert {n: getattr(states, n) for n in pb.ContainerState.keys()} == dict(pb.ContainerState.items())
    assert set(states.POD_STATES) == set(pb.PodSandboxState.values())
    assert set(states.CONTAINER_STATES) == set(pb.ContainerState.values())


def test_names_as_crictl_prints_them():
    assert [states.pod_state(v) for v in (0, 1, 7)] == ["Ready", "NotReady", "State(7)"]
    assert [states.container_state(v) for v in (0, 1, 2, 3, 9)] == [
        "Created",
        "Running",
        "Exited",
        "Unknown",
        "State(9)",
    ]


def test_parse_state_words_and_numbers():
    assert states.parse_state(None, states.POD_STATE_WORDS, "pod sandbox") is None
    assert states.parse_state("Not-Ready", states.POD_STATE_WORDS, "pod sandbox") == pb.SANDBOX_NOTREADY
    assert states.parse_state("container_exited", states.CONTAINER_STATE_WORDS, "container") == pb.CONTAINER_EXITED
    with pytest.raises(InvalidArgument, match="use one of created, exited, running, unknown"):
        states.parse_state("sleeping", states.CONTAINER_STATE_WORDS, "container")
    with pytest.raises(InvalidArgument, match="7 is not a valid pod sandbox state"):
        states.parse_state(7, states.POD_STATE_WORDS, "pod sandbox")
