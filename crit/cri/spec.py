"""crictl-format specs: ``PodSandboxConfig`` / ``ContainerConfig`` (or any CRI message) from and to YAML/JSON.

The format is the one ``crictl runp`` / ``crictl create`` read: the proto field names as written in
api.proto (snake_case, plus the few upstream oddities such as ``uidMappings`` and ``CDI_devices``), nested
mappings for messages, lists for repeated fields, mappings for ``map<,>`` fields.

Loading (strict, with the line of every problem):

* enums by name (``TCP``, ``NODE``; case-insensitive) or by number (only defined numbers);
* integers as YAML integers or as strings of digits (``"1000"``), range-checked for their proto type;
* ``null`` / an empty value leaves a field unset;
* key names are matched exactly, else case-insensitively (as Go's encoding/json under crictl does);
* an unknown key, a wrong type, a bad enum, a duplicate key or malformed YAML/JSON raises :class:`SpecError`,
  whose ``str()`` is one sentence naming the file, the line and the key path (``metadata.nmae``,
  ``port_mappings[0].protocol``, ``labels.app``).

Dumping writes only what is set (a set-but-empty message as ``{}`` so presence survives), enums as numbers
(crictl's Go types take numbers only; ``enums_as_names=True`` for display), 64-bit integers as plain
numbers, bytes as base64 — so a dumped file is accepted by crictl and loads back to an equal message.

Dumping is exact and safe to look at: every string is written as it is (never sanitised), and a string holding
a character that is not printable (controls, ESC, newline, tab, bidi overrides, zero-width joiners, NBSP, …)
is written double-quoted with YAML/JSON escapes (``"abc\u202etxt.exe"``), which load back to the same
characters — so the text of a dump never hides or reorders anything on a terminal and round-trips byte for byte.

The mapping is generic: it walks the protobuf descriptors, nothing is written field by field.  Never
imports textual or grpc.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import io
import json
import os
import re
from typing import Any, TypeVar, cast

import yaml
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from crit.cri.errors import CriError
from crit.cri.pb import api_pb2 as pb

__all__ = [
    "SpecError",
    "dump_file",
    "dump_json",
    "dump_yaml",
    "exact_yaml",
    "from_dict",
    "load_container_config",
    "load_file",
    "load_pod_config",
    "loads",
    "to_dict",
]

M = TypeVar("M", bound=Message)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_T = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _STR = _T + "null", _T + "bool", _T + "int", _T + "float", _T + "str"

_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1, "a 32-bit integer"),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1, "a 32-bit integer"),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1, "a 32-bit integer"),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1, "a 64-bit integer"),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1, "a 64-bit integer"),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1, "a 64-bit integer"),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1, "an unsigned 32-bit integer"),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1, "an unsigned 32-bit integer"),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1, "an unsigned 64-bit integer"),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1, "an unsigned 64-bit integer"),
}
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)
_INT_TEXT = re.compile(r"^[+-]?[0-9]+$")


class SpecError(CriError):
    """A spec file that cannot be loaded.  ``str()`` is one sentence; ``file``, ``line`` (1-based or None),
    ``path`` (key path, ``""`` for the document) and ``problem`` are kept for forms that point at the field."""

    def __init__(self, problem: str, *, path: str = "", line: int | None = None, file: str | None = None):
        self.problem = problem
        self.path = path
        self.line = line
        self.file = file
        if file and line:
            prefix = f"{file}, line {line}: "
        elif file:
            prefix = f"{file}: "
        elif line:
            prefix = f"line {line}: "
        else:
            prefix = ""
        text = (f"{path}: {problem}" if path else problem).rstrip(".")
        if not prefix:
            text = text[:1].upper() + text[1:]
        super().__init__(f"{prefix}{text}.")


# --------------------------------------------------------------------------------------------------
# loading


def _line(node: yaml.Node | None) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        _NULL: "null",
        _BOOL: "a boolean",
        _INT: "an integer",
        _FLOAT: "a number",
        _STR: "a string",
        _T + "timestamp": "a date",
        _T + "binary": "binary data",
    }.get(node.tag, f"a value tagged {node.tag}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walker:
    def __init__(self, file: str | None):
        self.file = file

    def error(self, problem: str, path: str, node: yaml.Node | None) -> SpecError:
        return SpecError(problem, path=path, line=_line(node), file=self.file)

    # ---- messages

    def message(self, node: yaml.Node, msg: Message, path: str) -> None:
        desc: Descriptor = msg.DESCRIPTOR
        if _is_null(node):
            return
        if not isinstance(node, yaml.MappingNode):
            raise self.error(f"expected a mapping of {desc.name} fields, got {_kind(node)}", path, node)
        by_name = desc.fields_by_name
        folded = {n.lower(): f for n, f in by_name.items()}
        seen: dict[str, int | None] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise self.error("a key must be a plain name", path, knode)
            key = knode.value
            fd = by_name.get(key) or folded.get(key.lower())
            kpath = _join(path, key)
            if fd is None:
                hint = difflib.get_close_matches(key, list(by_name), n=1, cutoff=0.6)
                extra = f" (did you mean {_join(path, hint[0])}?)" if hint else ""
                raise self.error(f"unknown key, {desc.name} has no field {key!r}{extra}", kpath, knode)
            if fd.name in seen:
                raise self.error(f"duplicate key, already given at line {seen[fd.name]}", kpath, knode)
            seen[fd.name] = _line(knode)
            self.field(vnode, msg, fd, _join(path, fd.name))

    def field(self, node: yaml.Node, msg: Message, fd: FieldDescriptor, path: str) -> None:
        if _is_null(node):
            return
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            self.map_field(node, msg, fd, path)
        elif fd.is_repeated:
            if not isinstance(node, yaml.SequenceNode):
                raise self.error(f"expected a list, got {_kind(node)}", path, node)
            container = getattr(msg, fd.name)
            for i, item in enumerate(node.value):
                ipath = f"{path}[{i}]"
                if fd.message_type is not None:
                    if _is_null(item):
                        container.add()
                        continue
                    self.message(item, container.add(), ipath)
                else:
                    container.append(self.scalar(item, fd, ipath))
        elif fd.message_type is not None:
            sub = getattr(msg, fd.name)
            sub.SetInParent()
            self.message(node, sub, path)
        else:
            setattr(msg, fd.name, self.scalar(node, fd, path))

    def map_field(self, node: yaml.Node, msg: Message, fd: FieldDescriptor, path: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(f"expected a mapping of keys to values, got {_kind(node)}", path, node)
        kfd = fd.message_type.fields_by_name["key"]
        vfd = fd.message_type.fields_by_name["value"]
        container = getattr(msg, fd.name)
        seen: dict[Any, int | None] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or _is_null(knode):
                raise self.error("a key must be a plain value", path, knode)
            if kfd.type == FieldDescriptor.TYPE_STRING:
                key: Any = knode.value  # YAML keys are text whatever they look like, as in Go's map[string]
            else:
                key = self.scalar(knode, kfd, path)
            kpath = f"{path}.{key}"
            if key in seen:
                raise self.error(f"duplicate key, already given at line {seen[key]}", kpath, knode)
            seen[key] = _line(knode)
            if vfd.message_type is not None:
                self.message(vnode, container[key], kpath)
            elif _is_null(vnode):
                container[key] = _default(vfd)
            else:
                container[key] = self.scalar(vnode, vfd, kpath)

    # ---- scalars

    def scalar(self, node: yaml.Node, fd: FieldDescriptor, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(f"expected {_expected(fd)}, got {_kind(node)}", path, node)
        tag, text = node.tag, node.value
        t = fd.type
        if t == FieldDescriptor.TYPE_STRING:
            if tag != _STR:
                raise self.error(f"expected a string, got {_kind(node)} {text!r} (put it in quotes)", path, node)
            return text
        if t == FieldDescriptor.TYPE_BOOL:
            if tag != _BOOL:
                raise self.error(f"expected true or false, got {_kind(node)} {text!r}", path, node)
            return bool(_construct(node))
        if t in _INT_RANGES:
            lo, hi, what = _INT_RANGES[t]
            value = _int_of(node)
            if value is None:
                raise self.error(f"expected {what}, got {_kind(node)} {text!r}", path, node)
            if not lo <= value <= hi:
                raise self.error(f"{value} is out of range for {what} ({lo} to {hi})", path, node)
            return value
        if t in _FLOATS:
            if tag in (_INT, _FLOAT) or (tag == _STR and _is_float_text(text)):
                try:
                    return float(_construct(node)) if tag != _STR else float(text)
                except (ValueError, TypeError):
                    pass
            raise self.error(f"expected a number, got {_kind(node)} {text!r}", path, node)
        if t == FieldDescriptor.TYPE_ENUM:
            return self.enum(node, fd, path)
        if t == FieldDescriptor.TYPE_BYTES:
            if tag != _STR:
                raise self.error(f"expected base64 text, got {_kind(node)} {text!r}", path, node)
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise self.error("expected base64 text", path, node) from None
        raise self.error(f"unsupported field type {t}", path, node)  # pragma: no cover

    def enum(self, node: yaml.ScalarNode, fd: FieldDescriptor, path: str) -> int:
        et = fd.enum_type
        names = [v.name for v in et.values]
        value = _int_of(node)
        if value is not None:
            if et.values_by_number.get(value) is None:
                raise self.error(f"{value} is not a valid {et.name} (valid: {_enum_choices(et)})", path, node)
            return value
        if node.tag == _STR:
            v = et.values_by_name.get(node.value)
            if v is None:
                folded = {n.lower(): et.values_by_name[n] for n in names}
                v = folded.get(node.value.lower())
            if v is not None:
                return cast(int, v.number)
            raise self.error(f"{node.value!r} is not a valid {et.name} (valid: {_enum_choices(et)})", path, node)
        raise self.error(f"expected a {et.name} name or number, got {_kind(node)} {node.value!r}", path, node)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


class _ScalarConstructor(yaml.constructor.SafeConstructor):  # type: ignore[misc]  # PyYAML has no type hints
    pass


_SCALAR = _ScalarConstructor()


def _construct(node: yaml.ScalarNode) -> Any:
    return _SCALAR.construct_scalar(node) if node.tag == _STR else _SCALAR.construct_object(node)


def _int_of(node: yaml.ScalarNode) -> int | None:
    """The integer a scalar denotes: a YAML int (incl. 0x/0o/_ forms) or a string of decimal digits."""
    if node.tag == _INT:
        try:
            v = _SCALAR.construct_object(node)
        except (ValueError, yaml.YAMLError):
            return None
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if node.tag == _STR and _INT_TEXT.match(node.value.strip()):
        return int(node.value.strip(), 10)
    return None


def _is_float_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _enum_choices(et: Any) -> str:  # an EnumDescriptor
    return ", ".join(f"{v.name}={v.number}" for v in et.values)


def _expected(fd: FieldDescriptor) -> str:
    if fd.type == FieldDescriptor.TYPE_STRING:
        return "a string"
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return "true or false"
    if fd.type in _INT_RANGES:
        return _INT_RANGES[fd.type][2]
    if fd.type == FieldDescriptor.TYPE_ENUM:
        return f"a {fd.enum_type.name} name or number"
    if fd.type in _FLOATS:
        return "a number"
    return "a value"


def _default(fd: FieldDescriptor) -> Any:
    if fd.type == FieldDescriptor.TYPE_STRING:
        return ""
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return b""
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return False
    if fd.type in _FLOATS:
        return 0.0
    return 0


def _compose(text: str, file: str | None) -> yaml.Node | None:
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "syntax error").strip()
        fmt = "JSON" if text.lstrip().startswith(("{", "[")) else "YAML"
        raise SpecError(f"not valid {fmt}: {problem}", line=mark.line + 1 if mark else None, file=file) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", file=file) from None


def loads(text: str | bytes, message_type: type[M], *, file: str | None = None) -> M:
    """Load a message of ``message_type`` from YAML or JSON text (JSON is read as YAML, which keeps line
    numbers).  ``file`` is only used in error messages."""
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise SpecError("not valid UTF-8", line=line, file=file) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    node = _compose(text, file)
    msg: M = message_type()
    if node is None:
        return msg
    _Walker(file).message(node, msg, "")
    return msg


MAX_SPEC_BYTES = 16 << 20


def _not_a_file_kind(mode: int) -> str:
    """What a spec path names when it cannot be read as a file (devices, sockets), else ``""``."""
    import stat

    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return ""


def load_file(path: str | os.PathLike[str], message_type: type[M]) -> M:
    """Load a message from a YAML or JSON file; every problem is a :class:`SpecError`."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            kind = _not_a_file_kind(mode)
            if kind:  # /dev/zero would be read forever; a pipe (--from <(…)) is fine
                raise SpecError(f"The path {name} is {kind}, not a YAML or JSON file")
            data = f.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise SpecError(
                f"The file {name} is larger than {MAX_SPEC_BYTES >> 20} MiB: it is not a pod or container config"
            )
    except FileNotFoundError:
        raise SpecError(f"The file {name} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"The path {name} is a directory, not a YAML or JSON file") from None
    except PermissionError:
        raise SpecError(f"The file {name} cannot be read: permission denied") from None
    except OSError as exc:
        raise SpecError(f"The file {name} cannot be read: {exc.strerror or exc}") from None
    return loads(data, message_type, file=name)


def load_pod_config(path: str | os.PathLike[str]) -> pb.PodSandboxConfig:
    """``crictl runp FILE`` input."""
    return load_file(path, pb.PodSandboxConfig)


def load_container_config(path: str | os.PathLike[str]) -> pb.ContainerConfig:
    """``crictl create POD FILE POD-FILE`` input."""
    return load_file(path, pb.ContainerConfig)


def from_dict(data: Any, message_type: type[M], *, file: str | None = None) -> M:
    """Build a message from plain Python data (dicts, lists, str, int, ...) with the same rules as the
    loader; errors name the key path (no line)."""
    dumper = yaml.SafeDumper(io.StringIO())
    try:
        node = dumper.represent_data(data)
    except yaml.YAMLError as exc:
        raise SpecError(f"cannot be represented: {exc}", file=file) from None
    msg: M = message_type()
    _Walker(file).message(node, msg, "")
    return msg


# --------------------------------------------------------------------------------------------------
# dumping


def to_dict(msg: Message, *, enums_as_names: bool = False) -> dict[str, Any]:
    """The set fields of ``msg`` as plain data in descriptor order (see the module docstring)."""
    out: dict[str, Any] = {}
    for fd in msg.DESCRIPTOR.fields:
        value = getattr(msg, fd.name)
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            if len(value):
                vfd = fd.message_type.fields_by_name["value"]
                out[fd.name] = {k: _value(vfd, value[k], enums_as_names) for k in sorted(value)}
        elif fd.is_repeated:
            if len(value):
                out[fd.name] = [_value(fd, v, enums_as_names) for v in value]
        elif fd.message_type is not None:
            if msg.HasField(fd.name):
                out[fd.name] = to_dict(value, enums_as_names=enums_as_names)
        elif fd.has_presence:
            if msg.HasField(fd.name):
                out[fd.name] = _value(fd, value, enums_as_names)
        elif value != _default(fd):
            out[fd.name] = _value(fd, value, enums_as_names)
    return out


def _value(fd: FieldDescriptor, value: Any, enums_as_names: bool) -> Any:
    if fd.message_type is not None:
        return to_dict(value, enums_as_names=enums_as_names)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        if enums_as_names:
            ev = fd.enum_type.values_by_number.get(value)
            return ev.name if ev is not None else value
        return int(value)
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


def _unsafe(text: str) -> bool:
    """True when ``text`` holds a character a terminal would not show as itself (see the module docstring)."""
    return not text.isprintable()


class _ExactEmitter(yaml.emitter.Emitter):  # type: ignore[misc]  # PyYAML has no type hints
    """PyYAML's emitter, except that a string with a non-printable character is always written double-quoted on
    one line with every non-ASCII character escaped (PyYAML with ``allow_unicode`` would write U+202E, U+200D,
    NBSP… raw, and a newline as a folded line)."""

    # the Emitter's state this reads (PyYAML has no type hints)
    analysis: Any  # yaml.emitter.ScalarAnalysis | None
    event: Any  # yaml.events.Event
    allow_unicode: bool | None

    def analyze_scalar(self, scalar: str) -> Any:  # a yaml.emitter.ScalarAnalysis
        analysis = super().analyze_scalar(scalar)
        if scalar and _unsafe(scalar):
            analysis.multiline = False  # escaped, it is one line: may stay a simple mapping key
        return analysis

    def choose_scalar_style(self) -> str:
        if self.analysis is None:
            self.analysis = self.analyze_scalar(self.event.value)
        if self.event.value and _unsafe(self.event.value):
            return '"'
        return cast(str, super().choose_scalar_style())

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        if not _unsafe(text):
            super().write_double_quoted(text, split)
            return
        allow, self.allow_unicode = self.allow_unicode, False  # escape every non-ASCII character of this one
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = allow


class _ExactDumper(
    _ExactEmitter,
    yaml.serializer.Serializer,  # type: ignore[misc]  # PyYAML has no type hints
    yaml.representer.SafeRepresenter,  # type: ignore[misc]  # (the same)
    yaml.resolver.Resolver,  # type: ignore[misc]  # (the same)
):
    def __init__(
        self,
        stream: Any,
        default_style: str | None = None,
        default_flow_style: bool | None = False,
        canonical: bool | None = None,
        indent: int | None = None,
        width: int | None = None,
        allow_unicode: bool | None = None,
        line_break: str | None = None,
        encoding: str | None = None,
        explicit_start: bool | None = None,
        explicit_end: bool | None = None,
        version: tuple[int, int] | None = None,
        tags: dict[str, str] | None = None,
        sort_keys: bool = True,
    ) -> None:
        _ExactEmitter.__init__(  # type: ignore[call-arg]  # the Emitter's: PyYAML has no type hints
            self,
            stream,
            canonical=canonical,
            indent=indent,
            width=width,
            allow_unicode=allow_unicode,
            line_break=line_break,
        )
        yaml.serializer.Serializer.__init__(
            self,
            encoding=encoding,
            explicit_start=explicit_start,
            explicit_end=explicit_end,
            version=version,
            tags=tags,
        )
        yaml.representer.SafeRepresenter.__init__(
            self, default_style=default_style, default_flow_style=default_flow_style, sort_keys=sort_keys
        )
        yaml.resolver.Resolver.__init__(self)


def exact_yaml(data: Any, *, width: int = 4096) -> str:
    """Plain data (dicts, lists, str, numbers) as block YAML, keys in their order, every string exact and every
    non-printable character escaped (see the module docstring).  For exports and copies of what is shown."""
    text = yaml.dump(
        data, Dumper=_ExactDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=width
    )
    return cast(str, text)  # no stream given: the text


def dump_yaml(msg: Message, *, enums_as_names: bool = False) -> str:
    """YAML that ``crictl runp``/``crictl create`` accept (for ``PodSandboxConfig``/``ContainerConfig``)."""
    data = to_dict(msg, enums_as_names=enums_as_names)
    if not data:
        return "{}\n"
    return exact_yaml(data)


def _json_escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code > 0xFFFF:  # a surrogate pair, as JSON spells characters outside the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return f"\\u{code:04X}"


def dump_json(msg: Message, *, enums_as_names: bool = False) -> str:
    """JSON that ``crictl runp``/``crictl create`` accept; non-printable characters (in strings: JSON has them
    nowhere else) as ``\\uXXXX`` escapes."""
    text = json.dumps(to_dict(msg, enums_as_names=enums_as_names), indent=2, ensure_ascii=False)
    if not text.replace("\n", "").isprintable():
        text = re.sub(r"[^\n]", lambda m: m.group() if m.group().isprintable() else _json_escape(m), text)
    return text + "\n"


def dump_file(msg: Message, path: str | os.PathLike[str]) -> None:
    """Write ``msg`` to ``path``: JSON when the name ends in ``.json``, else YAML."""
    name = os.fspath(path)
    text = dump_json(msg) if name.lower().endswith(".json") else dump_yaml(msg)
    try:
        with open(name, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise SpecError(f"cannot write {name}: {exc.strerror or exc}") from None
