"""Building blocks of the launch forms: labelled fields with an error line, and add/remove row editors.

Every widget that holds a form value has the id ``fid(path)`` where ``path`` is the field path used by
:mod:`crit.model.launch` validation (``"name"``, ``"pod.labels.2"``, ``"port_mappings.0.host_port"``); the error
line of a field (or of a whole row) has the id ``eid(path)``. Error text is shown with markup off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

from crit.model.launch import PROPAGATIONS, PROTOCOLS, MountRow, PortMappingRow

# the form's controls run their keys' bindings when they receive them, in the order typed (crit.ui.keyorder)
from crit.ui.keyorder import OrderedButton as Button
from crit.ui.keyorder import OrderedCheckbox as Checkbox
from crit.ui.keyorder import OrderedInput as Input
from crit.ui.keyorder import OrderedSelect as Select


def fid(path: str) -> str:
    return "f-" + path.replace(".", "-")


def eid(path: str) -> str:
    return "e-" + path.replace(".", "-")


class ErrorLine(Static):
    """One field's error sentence (hidden when there is none)."""

    DEFAULT_CSS = """
    ErrorLine { color: $error; height: auto; display: none; padding: 0 0 0 1; }
    ErrorLine.-shown { display: block; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__("", id=id, markup=False)
        self.message = ""

    def show(self, message: str) -> None:
        if message != self.message:
            self.message = message
            self.update(Text(message))
        self.set_class(bool(message), "-shown")


class Field(Vertical):
    """A label, one control and its error line."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field > Horizontal > Label { width: 26; color: $text-muted; padding: 0 1 0 1; }
    Field > Horizontal > Input { width: 1fr; }
    Field > Horizontal > Select { width: 1fr; }
    Field > .hint { color: $text-muted; padding: 0 0 0 27; height: auto; }
    Field > ErrorLine { padding: 0 0 0 27; }
    """

    def __init__(self, path: str, label: str, control: Widget, *, hint: str = "") -> None:
        super().__init__(classes="field")
        self.path = path
        self.label = label
        self.control = control
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(Text("" if isinstance(self.control, Checkbox) else self.label))
            yield self.control
        hint = Static(Text(self.hint), classes="hint", id=f"h-{self.path.replace('.', '-')}", markup=False)
        hint.display = bool(self.hint)
        yield hint
        yield ErrorLine(id=eid(self.path))


def text_field(path: str, label: str, value: str = "", placeholder: str = "", **kw: Any) -> Field:
    hint = kw.pop("hint", "")
    return Field(path, label, Input(value, placeholder=placeholder, id=fid(path), compact=True, **kw), hint=hint)


def bool_field(path: str, label: str, value: bool = False) -> Field:
    return Field(path, label, Checkbox(label, value, id=fid(path), compact=True))


def select_field(path: str, label: str, options: list[tuple[str, str]], value: str, hint: str = "") -> Field:
    return Field(
        path,
        label,
        Select([(Text(t), v) for t, v in options], value=value, allow_blank=False, id=fid(path), compact=True),
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------------------------------


class Row(Vertical):
    """One row of a row editor: its controls on one line, then the row's error line."""

    DEFAULT_CSS = """
    Row { height: auto; }
    Row > Horizontal { height: auto; padding: 0 0 0 2; }
    Row Input { width: 1fr; margin: 0 1 0 0; }
    Row Button.remove { min-width: 3; width: 3; }
    Row Select { width: 14; }
    Row Select.propagation { width: 24; }
    Row Checkbox { width: auto; }
    """

    def __init__(self, path: str, index: int) -> None:
        super().__init__(classes="row")
        self.path = path
        self.index = index

    @property
    def row_path(self) -> str:
        return f"{self.path}.{self.index}"

    def controls(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield from self.controls()
            yield Button(
                "−",
                classes="remove",
                id=f"rm-{self.row_path.replace('.', '-')}",
                tooltip="Remove this row",
                compact=True,
            )
        yield ErrorLine(id=eid(self.row_path))

    def value(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class KVRow(Row):
    def __init__(self, path: str, index: int, text: str, placeholder: str) -> None:
        super().__init__(path, index)
        self.text = text
        self.placeholder = placeholder

    def controls(self) -> ComposeResult:
        yield Input(self.text, placeholder=self.placeholder, id=fid(self.row_path), compact=True)

    def value(self) -> str:
        return self.query_one(Input).value


class PortRow(Row):
    def __init__(self, path: str, index: int, pm: PortMappingRow) -> None:
        super().__init__(path, index)
        self.pm = pm

    def controls(self) -> ComposeResult:
        p = self.row_path
        proto = self.pm.protocol if self.pm.protocol in PROTOCOLS else "TCP"
        yield Select([(x, x) for x in PROTOCOLS], value=proto, allow_blank=False, id=fid(f"{p}.protocol"), compact=True)
        yield Input(self.pm.container_port, placeholder="container port", id=fid(f"{p}.container_port"), compact=True)
        yield Input(self.pm.host_port, placeholder="host port", id=fid(f"{p}.host_port"), compact=True)
        yield Input(self.pm.host_ip, placeholder="host IP", id=fid(f"{p}.host_ip"), compact=True)

    def value(self) -> PortMappingRow:
        p = self.row_path
        return PortMappingRow(
            protocol=str(self.query_one("#" + fid(f"{p}.protocol"), Select).value),
            container_port=self.query_one("#" + fid(f"{p}.container_port"), Input).value,
            host_port=self.query_one("#" + fid(f"{p}.host_port"), Input).value,
            host_ip=self.query_one("#" + fid(f"{p}.host_ip"), Input).value,
        )


class MountRowWidget(Row):
    def __init__(self, path: str, index: int, m: MountRow) -> None:
        super().__init__(path, index)
        self.m = m

    def controls(self) -> ComposeResult:
        p = self.row_path
        yield Input(self.m.host_path, placeholder="host path", id=fid(f"{p}.host_path"), compact=True)
        yield Input(self.m.container_path, placeholder="container path", id=fid(f"{p}.container_path"), compact=True)
        yield Checkbox("ro", self.m.readonly, id=fid(f"{p}.readonly"), compact=True)
        prop = self.m.propagation if self.m.propagation in PROPAGATIONS else "private"
        yield Select(
            [(x, x) for x in PROPAGATIONS],
            value=prop,
            allow_blank=False,
            classes="propagation",
            id=fid(f"{p}.propagation"),
            compact=True,
        )

    def value(self) -> MountRow:
        p = self.row_path
        return MountRow(
            host_path=self.query_one("#" + fid(f"{p}.host_path"), Input).value,
            container_path=self.query_one("#" + fid(f"{p}.container_path"), Input).value,
            readonly=self.query_one("#" + fid(f"{p}.readonly"), Checkbox).value,
            propagation=str(self.query_one("#" + fid(f"{p}.propagation"), Select).value),
        )


@dataclass(frozen=True)
class RowKind:
    """What a :class:`RowsEditor` lists: how one row widget is made and what a new (blank) row holds."""

    make: Callable[[str, int, Any, str], Row]  # (editor path, index, value, placeholder) -> the row widget
    blank: Callable[[], Any]


#: key=value text rows (labels, annotations, sysctls, environment)
KV_ROWS = RowKind(lambda path, i, value, placeholder: KVRow(path, i, value, placeholder), str)
#: port mappings
PORT_ROWS = RowKind(lambda path, i, value, placeholder: PortRow(path, i, value), PortMappingRow)
#: mounts
MOUNT_ROWS = RowKind(lambda path, i, value, placeholder: MountRowWidget(path, i, value), MountRow)


class RowsEditor(Vertical):
    """A titled list of rows with add (button ``+ add``) and remove (``−`` on each row)."""

    DEFAULT_CSS = """
    RowsEditor { height: auto; }
    RowsEditor > .rows { height: auto; }
    RowsEditor > Horizontal { height: 1; }
    RowsEditor > Horizontal > Label { width: 26; color: $text-muted; padding: 0 1 0 1; }
    RowsEditor Button.add { min-width: 7; width: auto; }
    """

    def __init__(self, path: str, title: str, kind: RowKind, values: list[Any], placeholder: str = "key=value") -> None:
        super().__init__(classes="rows-editor", id=f"rows-{path.replace('.', '-')}")
        self.path = path
        self.title = title
        self.kind = kind
        self.placeholder = placeholder
        self._initial = list(values)

    def _make(self, index: int, value: Any) -> Row:
        return self.kind.make(self.path, index, value, self.placeholder)

    def blank(self) -> Any:
        return self.kind.blank()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(Text(self.title))
            yield Button("+ add", classes="add", id=f"add-{self.path.replace('.', '-')}", compact=True)
        with Vertical(classes="rows"):
            for i, v in enumerate(self._initial):
                yield self._make(i, v)

    def values(self) -> list[Any]:
        return [row.value() for row in self.query_one(".rows").children if isinstance(row, Row)]

    async def set_values(self, values: list[Any], focus_index: int | None = None) -> None:
        box = self.query_one(".rows", Vertical)
        await box.remove_children()
        await box.mount_all([self._make(i, v) for i, v in enumerate(values)])
        if focus_index is not None and 0 <= focus_index < len(values):
            row = box.children[focus_index]
            first = row.query("Input, Select, Checkbox").first()
            first.focus()

    async def add_row(self) -> None:
        values = self.values()
        values.append(self.blank())
        await self.set_values(values, focus_index=len(values) - 1)

    async def remove_row(self, index: int) -> None:
        values = self.values()
        if 0 <= index < len(values):
            del values[index]
        await self.set_values(values)
        if not values:
            self.query_one(Button).focus()
