"""A tiny hand-written CRI v1 client for the test bed itself.

The bed must not depend on crit's own client (it is what the bed tests), so it speaks the few RPCs it needs
(Version, ListPodSandbox, StopPodSandbox, RemovePodSandbox, ListImages) with a minimal protobuf wire codec.
Field numbers follow the upstream cri-api ``runtime.v1`` messages.
"""

from __future__ import annotations

from collections import defaultdict

import grpc

RUNTIME = "/runtime.v1.RuntimeService/"
IMAGE = "/runtime.v1.ImageService/"


# --- protobuf wire format -------------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def enc_bytes(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def enc_str(field: int, value: str) -> bytes:
    return enc_bytes(field, value.encode())


def enc_int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value & 0xFFFFFFFFFFFFFFFF)


def decode(data: bytes) -> dict[int, list]:
    """Decode one message into {field: [values]}; length-delimited values stay bytes."""
    fields: dict[int, list] = defaultdict(list)
    i = 0
    n = len(data)

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    while i < n:
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            fields[field].append(varint())
        elif wire == 2:
            ln = varint()
            fields[field].append(data[i : i + ln])
            i += ln
        elif wire == 1:
            fields[field].append(data[i : i + 8])
            i += 8
        elif wire == 5:
            fields[field].append(data[i : i + 4])
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return fields


def _s(fields: dict[int, list], n: int) -> str:
    v = fields.get(n)
    return v[0].decode() if v else ""


# --- calls -----------------------------------------------------------------------------------------------------


class RawCri:
    """Synchronous minimal CRI client; ``target`` is a gRPC target such as ``unix:///run/x.sock``.

    A bare absolute path is taken as a unix socket; ``tcp://HOST:PORT`` becomes ``HOST:PORT``.
    """

    def __init__(self, target: str, timeout: float = 10.0):
        if target.startswith("/"):
            target = "unix://" + target
        elif target.startswith("tcp://"):
            target = target[len("tcp://") :]
        self.timeout = timeout
        self.channel = grpc.insecure_channel(target)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> RawCri:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, method: str, request: bytes = b"", timeout: float | None = None) -> dict[int, list]:
        fn = self.channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        return decode(fn(request, timeout=timeout or self.timeout))

    def version(self, timeout: float | None = None) -> dict[str, str]:
        f = self.call(RUNTIME + "Version", enc_str(1, "v1"), timeout)
        return {
            "version": _s(f, 1),
            "runtime_name": _s(f, 2),
            "runtime_version": _s(f, 3),
            "runtime_api_version": _s(f, 4),
        }

    def list_pod_sandboxes(self) -> list[dict]:
        """Return [{id, name, uid, namespace, state}] of every pod sandbox."""
        f = self.call(RUNTIME + "ListPodSandbox")
        pods = []
        for raw in f.get(1, []):
            item = decode(raw)
            meta = decode(item[2][0]) if item.get(2) else {}
            pods.append(
                {
                    "id": _s(item, 1),
                    "name": _s(meta, 1),
                    "uid": _s(meta, 2),
                    "namespace": _s(meta, 3),
                    "state": (item.get(3) or [0])[0],
                }
            )
        return pods

    def list_containers(self) -> list[dict]:
        f = self.call(RUNTIME + "ListContainers")
        out = []
        for raw in f.get(1, []):
            item = decode(raw)
            out.append({"id": _s(item, 1), "pod_sandbox_id": _s(item, 2), "state": (item.get(6) or [0])[0]})
        return out

    def stop_pod_sandbox(self, pod_id: str) -> None:
        self.call(RUNTIME + "StopPodSandbox", enc_str(1, pod_id), timeout=60)

    def remove_pod_sandbox(self, pod_id: str) -> None:
        self.call(RUNTIME + "RemovePodSandbox", enc_str(1, pod_id), timeout=60)

    def list_image_tags(self) -> list[str]:
        f = self.call(IMAGE + "ListImages")
        tags: list[str] = []
        for raw in f.get(1, []):
            tags.extend(t.decode() for t in decode(raw).get(2, []))
        return tags

    def remove_all_pods(self, keep: set[str] = frozenset()) -> list[str]:
        """Stop and remove every pod sandbox whose id is not in ``keep``; return the removed ids."""
        removed = []
        for pod in self.list_pod_sandboxes():
            if pod["id"] in keep:
                continue
            self.stop_pod_sandbox(pod["id"])
            self.remove_pod_sandbox(pod["id"])
            removed.append(pod["id"])
        return removed
