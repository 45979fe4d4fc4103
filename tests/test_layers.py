"""The layers import one way: a module that reaches the wrong way fails here, named with the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "siimop_app"

# (the layer's folders, the imports it must never make)
RULES = {
    "pure rules and the matching engine": (("domain", "matching"), (
        "reflex", "sqlmodel", "sqlalchemy", "siimop_app.models", "siimop_app.db", "siimop_app.services",
        "siimop_app.states", "siimop_app.pages", "siimop_app.ui")),
    "services": (("services",), ("reflex", "siimop_app.states", "siimop_app.pages", "siimop_app.ui")),
    "states": (("states",), ("sqlmodel", "sqlalchemy", "siimop_app.db", "siimop_app.pages")),
    "pages and components": (("pages", "ui"), ("sqlmodel", "sqlalchemy", "siimop_app.db")),
    # Read by services and command-line tools as well as by the pages.
    "the route registry": (("routes.py",), (
        "reflex", "sqlmodel", "sqlalchemy", "siimop_app.models", "siimop_app.db", "siimop_app.services",
        "siimop_app.states", "siimop_app.pages", "siimop_app.ui")),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules(folder: str) -> list[Path]:
    return [APP / folder] if folder.endswith(".py") else sorted((APP / folder).rglob("*.py"))


@pytest.mark.parametrize("layer", list(RULES))
def test_a_layer_never_imports_the_ones_above_it(layer):
    folders, forbidden = RULES[layer]
    wrong = [
        f"{path.relative_to(APP.parent)}:{line} imports {name}"
        for folder in folders for path in _modules(folder)
        for line, name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]
    assert wrong == [], f"{layer} must not import {', '.join(forbidden)}:\n" + "\n".join(wrong)
