"""Populating the embedded node: the ``--demo`` node, ``--scale PODS:CONTAINERS:IMAGES`` and ``--churn RATE``.

Every image name is under ``localhost:5000/`` (or another loopback registry): the node never names an image
that would resolve to a public registry.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from typing import Any

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import CONTAINER_EXITED, CONTAINER_RUNNING, SANDBOX_NOTREADY, SANDBOX_READY
from crit.node.runtime import make_image
from crit.node.state import NS, Container, NodeError, NodeState, Pod, det_id, now_ns
from crit.node.workload import Workloads

MIN = 60 * NS
HOUR = 60 * MIN
DAY = 24 * HOUR


class ScaleSpecError(ValueError):
    pass


def parse_scale(spec: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"\s*(\d+):(\d+):(\d+)\s*", spec or "")
    if not m:
        raise ScaleSpecError(f"--scale expects PODS:CONTAINERS:IMAGES such as 2000:10000:500, not {spec!r}")
    pods, containers, images = (int(x) for x in m.groups())
    if pods < 1 or images < 1:
        raise ScaleSpecError(f"--scale {spec}: at least one pod and one image are needed")
    if pods > 100_000 or containers > 500_000 or images > 100_000:
        raise ScaleSpecError(f"--scale {spec} is too large (limits: 100000 pods, 500000 containers, 100000 images)")
    return pods, containers, images


# ---------------------------------------------------------------------------------------------- helpers


def pod_config(
    name: str,
    namespace: str,
    uid: str,
    *,
    attempt: int = 0,
    host_network: bool = False,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    log_root: str = "",
) -> pb.PodSandboxConfig:
    cfg = pb.PodSandboxConfig()
    cfg.metadata.name, cfg.metadata.namespace, cfg.metadata.uid, cfg.metadata.attempt = name, namespace, uid, attempt
    cfg.hostname = "crit-demo" if host_network else name
    if log_root:
        cfg.log_directory = os.path.join(log_root, f"{namespace}_{name}_{uid}")
    cfg.labels.update(
        {
            "io.kubernetes.pod.name": name,
            "io.kubernetes.pod.namespace": namespace,
            "io.kubernetes.pod.uid": uid,
            **(labels or {}),
        }
    )
    cfg.annotations.update(
        {
            "kubernetes.io/config.source": "api",
            "kubernetes.io/config.seen": "2026-11-28T08:00:00Z",
            **(annotations or {}),
        }
    )
    cfg.dns_config.servers.append("10.96.0.10")
    cfg.dns_config.searches.extend([f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"])
    cfg.dns_config.options.append("ndots:5")
    ns = cfg.linux.security_context.namespace_options
    ns.network = pb.NODE if host_network else pb.POD
    cfg.linux.cgroup_parent = f"/kubepods/burstable/pod{uid}"
    return cfg


def container_config(
    pod: pb.PodSandboxConfig,
    name: str,
    image: str,
    *,
    attempt: int = 0,
    command: list[str] | None = None,
    args: list[str] | None = None,
    tty: bool = False,
    stdin: bool = False,
    env: dict[str, str] | None = None,
    memory_limit: int = 0,
) -> pb.ContainerConfig:
    cfg = pb.ContainerConfig()
    cfg.metadata.name, cfg.metadata.attempt = name, attempt
    cfg.image.image = image
    if command:
        cfg.command.extend(command)
    if args:
        cfg.args.extend(args)
    for k, v in (env or {}).items():
        cfg.envs.add(key=k, value=v)
    cfg.log_path = f"{name}/{attempt}.log"
    cfg.tty, cfg.stdin = tty, stdin
    md = pod.metadata
    cfg.labels.update(
        {
            "io.kubernetes.container.name": name,
            "io.kubernetes.pod.name": md.name,
            "io.kubernetes.pod.namespace": md.namespace,
            "io.kubernetes.pod.uid": md.uid,
        }
    )
    cfg.annotations.update(
        {
            "io.kubernetes.container.restartCount": str(attempt),
            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
            "io.kubernetes.container.terminationMessagePolicy": "File",
        }
    )
    res = cfg.linux.resources
    res.cpu_period, res.cpu_quota, res.cpu_shares = 100000, 0, 102
    res.oom_score_adj = 1000 if not memory_limit else 999
    if memory_limit:
        res.memory_limit_in_bytes = memory_limit
    return cfg


def start_at(state: NodeState, wl: Workloads, c: Container, started_at: int) -> None:
    """Start a seeded container as if it had been started at ``started_at`` (no events: nobody listens yet)."""
    if c.config.command:
        wl.start(c)
    else:
        wl.start(c, started_at=started_at)
    c.gen += 1
    c.invalidate()


def exit_at(c: Container, finished_at: int, code: int, reason: str = "") -> None:
    c.finished_at, c.exit_code, c.reason, c.pid = finished_at, code, reason, 0
    c.gen += 1
    c.invalidate()


# ------------------------------------------------------------------------------------------------- demo

DEMO_IMAGES = [
    ("localhost:5000/pause:3.9", 322 * 1024, True),
    ("localhost:5000/coredns/coredns:v1.10.1", 16_190_137, False),
    ("localhost:5000/kube-proxy:v1.27.3", 23_895_863, False),
    ("localhost:5000/etcd:3.5.7-0", 101_639_218, False),
    ("localhost:5000/library/nginx:1.25.3", 70_544_635, False),
    ("localhost:5000/fluent-bit:2.1.9", 33_581_212, False),
    ("localhost:5000/library/redis:7.2.4", 43_384_018, False),
    ("localhost:5000/shop/cart-api:2.4.1", 58_213_004, False),
    ("localhost:5000/shop/payments:1.9.0", 61_470_221, False),
    ("localhost:5000/shop/checkout:0.8.0-rc.2", 49_002_771, False),
    ("localhost:5000/prom/node-exporter:v1.6.1", 11_213_520, False),
    ("localhost:5000/prom/prometheus:v2.45.0", 92_100_114, False),
    ("localhost:5000/busybox:1.36", 2_150_528, False),
    ("127.0.0.1:5000/tools/netshoot:0.11", 183_004_210, False),
    ("localhost:5000/shop/batch:2024.11", 39_118_007, False),
]


def seed_demo(state: NodeState, wl: Workloads) -> None:
    rng = random.Random(42)
    t = now_ns()
    for ref, size, pinned in DEMO_IMAGES:
        img = make_image(ref, size=size, pinned=pinned)
        state.add_image(img)
    # an old, untagged image left behind by a tag moving to a newer build
    old = make_image("localhost:5000/shop/cart-api:2.3.9", size=57_998_112)
    old.repo_tags = []
    state.add_image(old)

    log_root = os.path.join(state.state_dir, "pods")

    def uid() -> str:
        h = f"{rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def pod(
        name: str,
        ns: str,
        age: int,
        *,
        host: bool = False,
        app: str | None = None,
        ready: bool = True,
        attempt: int = 0,
    ) -> Pod:
        cfg = pod_config(
            name,
            ns,
            uid(),
            host_network=host,
            attempt=attempt,
            labels={"app": app or name.split("-")[0]},
            log_root=log_root,
        )
        p = state.run_pod(cfg, "", pod_id=det_id("demo", "pod", name), created_at=t - age)
        if not ready:
            stopped.append(p)  # marked NotReady once its containers exist
        return p

    def ctr(
        p: Pod,
        name: str,
        image: str,
        age: int,
        *,
        attempt: int = 0,
        exited: tuple[int, int] | None = None,  # (exit code, ns ago)
        reason: str = "",
        lines: int = 40,
        planned_exit: tuple[float, int] | None = None,  # (after seconds, exit code)
        created_only: bool = False,
        **kw: Any,  # container_config's
    ) -> Container:
        cfg = container_config(p.config, name, image, attempt=attempt, **kw)
        c = state.create_container(
            p.id, cfg, p.config, cid=det_id("demo", "ctr", p.id, name, attempt), created_at=t - age - 2 * NS
        )
        if created_only:
            return c
        start_at(state, wl, c, t - age)
        if exited is not None:
            code, ago = exited
            exit_at(c, t - ago, code, reason)
        wl.write_backlog(c, lines, t - age)
        if planned_exit is not None:
            wl.plan_exit(c, *planned_exit)
        return c

    stopped: list[Pod] = []
    # kube-system
    p = pod("coredns-5d78c9869d-4xk7p", "kube-system", 3 * DAY + 4 * HOUR, app="kube-dns")
    ctr(
        p,
        "coredns",
        "localhost:5000/coredns/coredns:v1.10.1",
        3 * DAY + 4 * HOUR,
        args=["-conf", "/etc/coredns/Corefile"],
        memory_limit=170 * 1024 * 1024,
    )
    p = pod("coredns-5d78c9869d-q8w2m", "kube-system", 3 * DAY + 4 * HOUR, app="kube-dns")
    ctr(
        p,
        "coredns",
        "localhost:5000/coredns/coredns:v1.10.1",
        3 * DAY + 4 * HOUR,
        exited=(2, 2 * DAY + 5 * HOUR),
        lines=25,
    )
    ctr(
        p,
        "coredns",
        "localhost:5000/coredns/coredns:v1.10.1",
        2 * DAY + 5 * HOUR,
        attempt=1,
        memory_limit=170 * 1024 * 1024,
    )
    p = pod("kube-proxy-7xq2v", "kube-system", 3 * DAY + 5 * HOUR, host=True)
    ctr(
        p,
        "kube-proxy",
        "localhost:5000/kube-proxy:v1.27.3",
        3 * DAY + 5 * HOUR,
        command=None,
        args=["--config=/var/lib/kube-proxy/config.conf", "--hostname-override=crit-demo"],
    )
    p = pod("etcd-crit-demo", "kube-system", 3 * DAY + 5 * HOUR, host=True, app="etcd")
    ctr(
        p,
        "etcd",
        "localhost:5000/etcd:3.5.7-0",
        3 * DAY + 5 * HOUR,
        args=["--data-dir=/var/lib/etcd", "--listen-client-urls=https://127.0.0.1:2379"],
    )
    # default
    p = pod("web-7c9d8f6b5-abcde", "default", 5 * HOUR + 12 * MIN, app="web")
    ctr(p, "nginx", "localhost:5000/library/nginx:1.25.3", 5 * HOUR + 12 * MIN, memory_limit=256 * 1024 * 1024)
    ctr(p, "log-shipper", "localhost:5000/fluent-bit:2.1.9", 5 * HOUR + 11 * MIN)
    p = pod("toolbox", "default", 40 * MIN, host=True, app="toolbox")
    ctr(
        p,
        "shell",
        "localhost:5000/busybox:1.36",
        40 * MIN,
        command=["sh"],
        tty=True,
        stdin=True,
        lines=0,
        env={"PS1": "toolbox$ "},
    )
    p = pod("db-migrate-28375920-x2b4c", "default", 2 * HOUR, app="db-migrate", ready=False)
    ctr(p, "migrate", "localhost:5000/shop/batch:2024.11", 2 * HOUR, exited=(0, 2 * HOUR - 47 * NS), lines=30)
    # shop
    p = pod("cart-api-6b7f9c8d4-9zt5r", "shop", 26 * HOUR, app="cart-api")
    ctr(
        p,
        "api",
        "localhost:5000/shop/cart-api:2.4.1",
        26 * HOUR,
        env={"REDIS_ADDR": "redis-0.shop:6379"},
        memory_limit=512 * 1024 * 1024,
    )
    p = pod("redis-0", "shop", 6 * DAY, app="redis")
    ctr(p, "redis", "localhost:5000/library/redis:7.2.4", 6 * DAY, args=["--appendonly", "yes"])
    p = pod("payments-worker-5f6d7c-kq2lm", "shop", 50 * MIN, app="payments")
    ctr(p, "worker", "localhost:5000/shop/payments:1.9.0", 9 * MIN, attempt=2, exited=(1, 6 * MIN), reason="", lines=12)
    ctr(
        p, "worker", "localhost:5000/shop/payments:1.9.0", 90 * NS, attempt=3, lines=8, planned_exit=(135.0, 1)
    )  # crashes again about 45 s after the node starts
    p = pod("checkout-7d8e9f-ab12c", "shop", 20 * NS, app="checkout")
    ctr(p, "checkout", "localhost:5000/shop/checkout:0.8.0-rc.2", 20 * NS, created_only=True)
    # monitoring
    p = pod("node-exporter-8xk2p", "monitoring", 3 * DAY, host=True, app="node-exporter")
    ctr(p, "node-exporter", "localhost:5000/prom/node-exporter:v1.6.1", 3 * DAY, args=["--path.rootfs=/host"])
    p = pod("prometheus-0", "monitoring", 2 * DAY, app="prometheus", ready=False)
    ctr(
        p,
        "prometheus",
        "localhost:5000/prom/prometheus:v2.45.0",
        2 * DAY,
        exited=(137, 3 * HOUR),
        reason="OOMKilled",
        memory_limit=1024 * 1024 * 1024,
    )
    for p in stopped:
        p.state, p.pid, p.framed = SANDBOX_NOTREADY, 0, None


# ------------------------------------------------------------------------------------------------ scale


def seed_scale(state: NodeState, wl: Workloads, pods: int, containers: int, images: int) -> None:
    """A large node, the same for the same numbers (ids, names, states and ages are deterministic)."""
    rng = random.Random(pods * 1_000_003 + containers * 1009 + images)
    t = now_ns()
    refs = []
    for i in range(images):
        if i == 0:
            ref = "localhost:5000/pause:3.9"
        else:
            ref = f"localhost:5000/scale/app-{i:04d}:v{1 + i % 3}.{i % 17}.{i % 5}"
        state.add_image(make_image(ref, pinned=(i == 0)))
        refs.append(ref)
    app_refs = refs[1:] or refs
    log_root = os.path.join(state.state_dir, "pods")
    per = [containers // pods + (1 if i < containers % pods else 0) for i in range(pods)]
    for i in range(pods):
        ns = f"team-{i % 20:02d}"
        name = f"app-{i:05d}-{det_id('scale-name', i)[:5]}"
        uid = det_id("scale-uid", pods, i)[:32]
        uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
        host = rng.random() < 0.1
        cfg = pod_config(
            name, ns, uid, host_network=host, labels={"app": f"app-{i % 97:02d}", "tier": "scale"}, log_root=log_root
        )
        age = int(rng.uniform(60, 14 * 86400) * NS)
        p = state.run_pod(cfg, "", pod_id=det_id("scale", pods, containers, images, "pod", i), created_at=t - age)
        ready = rng.random() >= 0.02
        for j in range(per[i]):
            attempt = rng.choice((1, 2, 3, 5, 12)) if rng.random() < 0.05 else 0
            cname = f"c{j}"
            ccfg = container_config(cfg, cname, app_refs[(i * 7 + j) % len(app_refs)], attempt=attempt)
            ccfg.log_path = f"{cname}_{attempt}.log"  # flat: one directory per pod, not per container
            c = state.create_container(
                p.id, ccfg, cfg, cid=det_id("scale", pods, containers, images, "ctr", i, j), created_at=t - age + NS
            )
            roll = rng.random()
            if ready and roll < 0.01:
                continue  # stays CREATED
            start_at(state, wl, c, t - age + 2 * NS)
            if not ready or roll < 0.11:
                code = rng.choice((0, 0, 1, 2, 137, 143))
                exit_at(
                    c,
                    t - int(rng.uniform(1, age / NS - 2) * NS),
                    code,
                    "OOMKilled" if code == 137 and roll < 0.03 else "",
                )
        if not ready:
            p.state, p.pid = SANDBOX_NOTREADY, 0


# ------------------------------------------------------------------------------------------------ churn


class Churn:
    """Creates, stops and removes containers (and now and then pods) at a steady rate."""

    def __init__(self, state: NodeState, wl: Workloads, rate: float, seed: int = 7) -> None:
        self.state, self.wl, self.rate = state, wl, rate
        self.rng = random.Random(seed)
        self.n = 0
        self.task: asyncio.Task[None] | None = None
        self._keys: list[str] = []
        self._keys_at = 0

    def start(self) -> None:
        if self.rate > 0:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping: how the loop ended is no news
                pass

    def _pick(self, want_state: int | None = None) -> Container | None:
        t = now_ns()
        if not self._keys or t - self._keys_at > 2 * NS:
            self._keys = list(self.state.containers)
            self._keys_at = t
        for _ in range(16):
            if not self._keys:
                return None
            c = self.state.containers.get(self._keys[self.rng.randrange(len(self._keys))])
            if c is not None and (want_state is None or c.state == want_state):
                return c
        return None

    async def _run(self) -> None:
        interval = 1.0 / self.rate
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            next_t += interval
            await asyncio.sleep(max(0.0, next_t - loop.time()))
            try:
                await self.step()
            except NodeError:
                pass

    async def step(self) -> None:
        self.n += 1
        op = self.n % 3
        c: Container | None
        if self.n % 25 == 0:
            await self._pod_op()
            return
        if op == 1:
            ready = [p for p in list(self.state.pods.values())[:64] if p.state == SANDBOX_READY]
            c0 = self._pick()
            pod = c0.pod if c0 is not None and c0.pod.state == SANDBOX_READY else (ready[0] if ready else None)
            if pod is None:
                return
            image = (
                next(iter(pod.containers.values())).config.image.image
                if pod.containers
                else next(iter(self.state.images.values())).repo_tags[0]
            )
            cfg = container_config(pod.config, f"churn-{self.n}", image)
            c = self.state.create_container(pod.id, cfg, pod.config)
            self.state.start_container(c)
        elif op == 2:
            c = self._pick(CONTAINER_RUNNING)
            if c is not None:
                await self.state.stop_container(c, 1)
        else:
            c = self._pick(CONTAINER_EXITED)
            if c is not None:
                await self.state.remove_container(c)

    async def _pod_op(self) -> None:
        k = (self.n // 25) % 2
        if k == 1:
            name = f"churn-pod-{self.n}"
            uid = det_id("churn", self.n)[:32]
            cfg = pod_config(name, "churn", uid, log_root=os.path.join(self.state.state_dir, "pods"))
            p = self.state.run_pod(cfg, "")
            images = [i for i in self.state.images.values() if i.repo_tags and not i.pinned]
            if images:
                img = images[self.rng.randrange(len(images))]
                c = self.state.create_container(p.id, container_config(cfg, "main", img.repo_tags[0]), cfg)
                self.state.start_container(c)
        else:
            victims = [p for p in self.state.pods.values() if p.config.metadata.namespace == "churn"]
            if victims:
                await self.state.remove_pod(victims[0])


# ------------------------------------------------------------------------------------------ demo "kubelet"


class DemoRestarter:
    """Keeps the demo's crash-looping worker crash-looping, as a kubelet would: after each exit (code 1) and a
    back-off, the older attempt is removed and the next attempt is created and started — so the demo node shows
    live state changes and events without any client doing anything."""

    POD = "payments-worker-5f6d7c-kq2lm"

    def __init__(self, state: NodeState, wl: Workloads) -> None:
        self.state, self.wl = state, wl
        self.task: asyncio.Task[None] | None = None
        self.rng = random.Random(5)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping: how the loop ended is no news
                pass

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            try:
                await self.step()
            except NodeError:
                pass

    async def step(self) -> None:
        pod = next((p for p in self.state.pods.values() if p.config.metadata.name == self.POD), None)
        if pod is None or pod.state != SANDBOX_READY:
            return
        workers = sorted(
            (c for c in pod.containers.values() if c.config.metadata.name == "worker"),
            key=lambda c: c.config.metadata.attempt,
        )
        if not workers or workers[-1].state != CONTAINER_EXITED:
            return
        last = workers[-1]
        backoff = min(60, 10 * 2 ** min(3, max(0, last.config.metadata.attempt - 3)))
        if now_ns() - last.finished_at < backoff * NS:
            return
        for old in workers[:-1]:
            await self.state.remove_container(old)
        attempt = last.config.metadata.attempt + 1
        cfg = container_config(pod.config, "worker", last.config.image.image, attempt=attempt)
        c = self.state.create_container(pod.id, cfg, pod.config)
        self.state.start_container(c)
        self.wl.plan_exit(c, self.rng.uniform(25, 50), 1)
