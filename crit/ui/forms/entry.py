"""How the launch forms hook into the main app: the handlers of the keys ``n`` (new pod) and ``r`` (run a
container) and of the commands ``:new pod``, ``:new container`` and ``:run`` (bound in :mod:`crit.ui.keymap`), and
``crit new pod|container --from FILE`` (the form opens prefilled). After success the new object is selected in its
panel (the screen already notified its id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crit.cri.pb import api_pb2 as pb
from crit.cri.states import SANDBOX_READY
from crit.model.kinds import CONTAINERS, IMAGES, PODS
from crit.model.launching import LaunchKind
from crit.render.human import short_id
from crit.render.sanitize import sanitize
from crit.ui.base import Selection
from crit.ui.forms.screens import LaunchResult, NewContainerScreen, NewPodScreen

if TYPE_CHECKING:  # pragma: no cover
    from crit.ui.app import CritApp


def _after(app: CritApp) -> Callable[[LaunchResult | None], None]:
    def done(result: LaunchResult | None) -> None:
        if result is None:
            return
        app.select((PODS if result.kind is LaunchKind.POD else CONTAINERS).name, result.id)

    return done


def _pod_label(pod: pb.PodSandbox) -> str:
    md = pod.metadata
    return f"{sanitize(md.name)} ({sanitize(md.namespace)}) {short_id(pod.id)}"


def open_new_pod(app: CritApp, config: pb.PodSandboxConfig | None = None) -> None:
    app.open_view(NewPodScreen(app.client, config=config), _after(app))


def open_new_container(
    app: CritApp,
    *,
    pod: pb.PodSandbox | None = None,
    pod_id: str | None = None,
    config: pb.ContainerConfig | None = None,
    pod_config: pb.PodSandboxConfig | None = None,
    image: str | None = None,
) -> None:
    """``pod`` (a PodSandbox) or ``pod_id``: the target pod; neither: a new pod built in the same screen."""
    if pod is not None:
        pod_id = pod.id
    label = _pod_label(pod) if pod is not None else (f"pod {short_id(pod_id)}" if pod_id else "")
    scr = NewContainerScreen(
        app.client,
        pod_id=pod_id if pod_config is None else None,
        pod_label=label,
        config=config,
        pod_config=pod_config,
        pull_image_on_create=app.options.pull_image_on_create,
        disable_pull_on_run=app.options.disable_pull_on_run,
    )
    if image and config is None:
        scr.container_form.image = image
    app.open_view(scr, _after(app))


def _selected_pod(app: CritApp, sel: Selection) -> tuple[Any, str | None]:
    """The pod a new container goes into: the container's pod, else the pod under the Pods cursor."""
    row = sel.row
    if sel.kind is CONTAINERS and row is not None:
        return None, row.obj.pod_sandbox_id
    if sel.kind is PODS and row is not None:
        return row.obj, row.key
    main = app.main
    if main is not None:
        try:
            pods_row = main.selection(PODS.name).row
        except Exception:  # noqa: BLE001 - the pods panel is empty or not built yet: no pod preselected
            pods_row = None
        if pods_row is not None:
            return pods_row.obj, pods_row.key
    return None, None


def key_new_pod(app: CritApp, sel: Selection) -> None:
    open_new_pod(app)


def key_run(app: CritApp, sel: Selection) -> None:
    pod, pod_id = _selected_pod(app, sel)
    image = None
    if sel.kind is IMAGES and sel.row is not None and sel.row.obj.repo_tags:
        image = sel.row.obj.repo_tags[0]
    if pod is not None and pod.state != SANDBOX_READY:  # SANDBOX_NOTREADY pods cannot take new containers
        pod, pod_id = None, None
    open_new_container(app, pod=pod, pod_id=pod_id if pod is None else None, image=image)


def new_pod_command(app: CritApp, args: list[str]) -> None:
    open_new_pod(app)


def _cmd_run_impl(app: CritApp, args: list[str]) -> None:
    sel = app.main.selection() if app.main is not None else None
    pod, pod_id = _selected_pod(app, sel) if sel is not None else (None, None)
    if args and args[0] in ("--new-pod", "new"):
        pod, pod_id = None, None
    open_new_container(app, pod=pod, pod_id=pod_id if pod is None else None)


def run_command(app: CritApp, args: list[str]) -> None:
    _cmd_run_impl(app, args)


def new_container_command(app: CritApp, args: list[str]) -> None:
    _cmd_run_impl(app, args)


async def open_from_options(app: CritApp) -> None:
    """``crit new pod --from FILE`` / ``crit new container --from FILE [--pod FILE|ID]``: open the prefilled form."""
    o = app.options
    try:
        if o.new_pod is not None:
            open_new_pod(app, config=o.new_pod)
        elif o.new_container is not None:
            target = o.new_container_pod
            if isinstance(target, str):
                pod_id = await app.client.resolve_pod_id(target)
                open_new_container(app, pod_id=pod_id, config=o.new_container)
            else:
                open_new_container(app, config=o.new_container, pod_config=target)
    except Exception as exc:  # noqa: BLE001 - at start-up, any failure: one sentence, never a traceback
        app.notify(sanitize(str(exc)) or type(exc).__name__, severity="error", markup=False, timeout=10)
