"""A runtime whose answer cannot be decoded (invalid UTF-8 in a string field: a broken runtime, or not a CRI
server) is one sentence, not a ``None`` response that failed later as AttributeError ("Unexpected error" on the
command line, a crashed poller in the UI)."""

from __future__ import annotations

import grpc
import pytest

from crit.cri import errors as E
from crit.cri.client import CriClient

pytestmark = pytest.mark.timeout(30)


def _field(n: int, value: bytes) -> bytes:
    return bytes([(n << 3) | 2, len(value)]) + value


BAD_VERSION = _field(1, b"0.1.0") + _field(2, b"bad\xff\xfename") + _field(3, b"1") + _field(4, b"v1")


@pytest.fixture
async def broken_runtime(tmp_path):
    async def version(request, context):
        return BAD_VERSION

    async def events(request, context):
        yield BAD_VERSION  # not even the right message: a string field with invalid UTF-8

    raw = dict(request_deserializer=lambda b: b, response_serializer=lambda b: b)
    handler = grpc.method_handlers_generic_handler(
        "runtime.v1.RuntimeService",
        {
            "Version": grpc.unary_unary_rpc_method_handler(version, **raw),
            "GetContainerEvents": grpc.unary_stream_rpc_method_handler(events, **raw),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    endpoint = f"unix://{tmp_path / 'broken.sock'}"
    server.add_insecure_port(endpoint)
    await server.start()
    try:
        yield endpoint
    finally:
        await server.stop(None)


async def test_an_undecodable_answer_is_one_sentence(broken_runtime):
    client = CriClient(broken_runtime, timeout=3)
    try:
        with pytest.raises(E.CriError) as exc:
            await client.version()
        assert str(exc.value) == (
            f"The container runtime at {broken_runtime} answered Version with a message crit "
            f"cannot decode as CRI v1 (a broken runtime, or not a CRI runtime at all); if "
            f"this is the wrong socket, {E.endpoint_hint('runtime')}."
        )
        with pytest.raises(E.CriError, match="answered GetContainerEvents with a message crit cannot decode"):
            async for _ in client.get_container_events():
                pass
    finally:
        await client.close()
