"""Themes: YAML files → textual Theme.  Built-in ones live in the top-level themes/ (shipped in the package
as crit/themes, a link to it); users add their own in
``$XDG_CONFIG_HOME/crit/themes/*.yaml`` (default ``~/.config/crit/themes``); a user theme with the name of a
built-in one replaces it.  These are the only themes crit offers (``--theme`` and the command palette alike).

The theme last chosen in the command palette is remembered in ``$XDG_STATE_HOME/crit/theme`` (default
``~/.local/state/crit/theme``) and used at the next start unless ``--theme`` names one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

from crit.model.statedir import state_path, write_private

__all__ = [
    "DEFAULT_THEME",
    "ThemeError",
    "load_theme_file",
    "load_themes",
    "builtin_theme_dir",
    "user_theme_dir",
    "theme_state_file",
    "load_saved_theme",
    "save_theme",
]

DEFAULT_THEME = "crit-dark"
_COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_ALLOWED = set(_COLOR_KEYS) | {"name", "dark", "luminosity_spread", "text_alpha", "variables"}


class ThemeError(ValueError):
    """A theme file that cannot be used (one sentence naming the file)."""


def builtin_theme_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "themes"


def user_theme_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "crit" / "themes"


def load_theme_file(path: Path) -> Theme:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"Cannot read the theme file {path}: {exc.strerror or exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ThemeError(f"The theme file {path} is not valid YAML{where}.") from None
    if not isinstance(data, dict):
        raise ThemeError(f"The theme file {path} must be a mapping of keys like name, primary, background.")
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ThemeError(
            f"The theme file {path} has unknown key(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(sorted(_ALLOWED))}."
        )
    name = data.get("name") or path.stem
    if not isinstance(name, str):
        raise ThemeError(f"The theme file {path}: 'name' must be text.")
    if not data.get("primary"):
        raise ThemeError(f"The theme file {path} needs at least a 'primary' colour.")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeError(f"The theme file {path}: 'variables' must be a mapping of name: value.")
    kwargs: dict[str, Any] = {k: str(data[k]) for k in _COLOR_KEYS if data.get(k) is not None}  # colour names
    try:
        from textual.color import Color

        for value in kwargs.values():
            Color.parse(value)
        theme = Theme(
            name=name,
            dark=bool(data.get("dark", True)),
            luminosity_spread=float(data.get("luminosity_spread", 0.15)),
            text_alpha=float(data.get("text_alpha", 0.95)),
            variables={str(k): str(v) for k, v in variables.items()},
            **kwargs,
        )
    except Exception as exc:  # noqa: BLE001 - bad colour names and the like
        raise ThemeError(f"The theme file {path} has a bad value: {exc}.") from None
    return theme


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def load_themes(include_user: bool = True) -> LoadedThemes:
    """Built-in themes, then user themes (which may override them); errors are collected, not raised."""
    out = LoadedThemes()
    dirs = [builtin_theme_dir()]
    if include_user:
        dirs.append(user_theme_dir())
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                out.errors.append(str(exc))
                continue
            out.themes[theme.name] = theme
    return out


def theme_state_file() -> Path:
    """``$XDG_STATE_HOME/crit/theme``: the name of the theme last chosen in the command palette."""
    return state_path("theme")


def load_saved_theme() -> str | None:
    """The remembered theme name, or ``None`` (nothing saved, or the file cannot be read)."""
    try:
        name = theme_state_file().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


def save_theme(name: str) -> str | None:
    """Remember ``name`` for the next start; ``None``, or one sentence saying why it could not be saved."""
    path = theme_state_file()
    try:
        write_private(path, name + "\n")
    except OSError as exc:
        return f"Could not remember the theme {name} in {path}: {exc.strerror or exc}."
    return None
