"""A static guard: in crit/ui, text that is not a literal never reaches a markup-parsing sink.

``notify()``, ``Static()``, ``Label()`` and ``Button()`` parse their text as Textual markup unless told
``markup=False``; a runtime string such as ``[/]`` raises MarkupError there (the app crashes) and ``[@click=…]``
makes a clickable action.  Every call whose text is built at run time (an f-string, a variable, a call other
than ``Text(...)``/``Content(...)``) must pass ``markup=False``."""

from __future__ import annotations

import ast
from pathlib import Path

import crit

UI = Path(crit.__file__).parent / "ui"
SINKS = {"notify", "Static", "Label", "Button"}
SAFE_WRAPPERS = {"Text", "Content"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call) and _name(node.func) in SAFE_WRAPPERS:
        return True  # plain text objects are never parsed
    return False


def markup_sinks_with_dynamic_text() -> list[str]:
    found = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in SINKS:
                continue
            if node.args:
                text = node.args[0]
            else:
                kw = {k.arg: k.value for k in node.keywords}
                text = kw.get("message", kw.get("content", kw.get("renderable", kw.get("label"))))
            if text is None or _is_literal(text):
                continue
            markup = next((k.value for k in node.keywords if k.arg == "markup"), None)
            if isinstance(markup, ast.Constant) and markup.value is False:
                continue
            found.append(f"{path.relative_to(UI.parent.parent)}:{node.lineno}: {ast.unparse(node)[:120]}")
    return found


def table_cells_given_as_str() -> list[str]:
    """``DataTable.add_row``/``update_cell`` and Rich ``Table.add_row`` parse a ``str`` cell as markup: every cell
    built at run time must be a ``Text`` (a variable or ``*cells`` must hold ``Text`` objects: checked by the
    Pilot tests, here only literal strings and f-strings are caught)."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in ("add_row", "update_cell"):
                continue
            cells = node.args if _name(node.func) == "add_row" else node.args[2:3]
            for cell in cells:
                if isinstance(cell, ast.JoinedStr) or (
                    isinstance(cell, ast.BinOp) and any(isinstance(n, ast.JoinedStr) for n in ast.walk(cell))
                ):
                    found.append(f"{path.relative_to(UI.parent.parent)}:{node.lineno}: {ast.unparse(node)[:120]}")
    return found


def test_no_f_string_table_cell():
    assert table_cells_given_as_str() == []


def test_no_dynamic_text_reaches_a_markup_sink():
    assert markup_sinks_with_dynamic_text() == []


def test_the_guard_sees_a_violation():
    tree = ast.parse('self.notify(f"Pulled {name}")\nself.notify(f"x {y}", markup=False)\nStatic(Text(n))')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) in SINKS]
    dynamic = [
        c
        for c in calls
        if not _is_literal(c.args[0]) and not any(k.arg == "markup" and k.value.value is False for k in c.keywords)
    ]
    assert len(dynamic) == 1 and "Pulled" in ast.unparse(dynamic[0])


async def test_textual_datatable_parses_markup_in_str_cells_but_not_in_text():
    """Why the cells are ``Text``: Textual 8's DataTable styles a ``str`` cell ``[bold]x[/]`` as bold x."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import DataTable

    from crit.ui.textual_private import screen_strips

    class One(App):
        def compose(self):
            yield DataTable()

    app = One()
    async with app.run_test(size=(60, 5)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("a", "b")
        table.add_row("[bold]x[/]", Text("[bold]y[/]"))
        await pilot.pause()
        line = "\n".join(s.text for s in screen_strips(app))
    assert "[bold]y[/]" in line  # Text: literal
    assert "[bold]x[/]" not in line and " x " in line  # str: parsed as markup
