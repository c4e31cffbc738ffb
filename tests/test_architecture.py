"""The package's import contract: every import points down the stack, and there is no cycle.

    cli
    derivations, debug, io, interop, exercises     (what a user runs)
    nn, optim, gradcheck, data                     (layers, optimisers, checks, datasets)
    engine                                         (Tensor, the reverse pass, no_grad)
    ops                                            (one class per op)
    ops.base                                       (Function, Context, un-broadcasting)
    tables, reference                              (formatting, recorded numbers: import nothing)

A module may import from its own package and from any lower layer, never from a higher one nor
from a sibling package of its own layer. Imports under `if TYPE_CHECKING:` are annotations only
and do not count. `minigrad/__init__.py` and `__main__.py` sit above everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "minigrad"

LAYERS: list[set[str]] = [
    {"tables", "reference"},
    {"ops.base"},
    {"ops"},
    {"engine"},
    {"nn", "optim", "gradcheck", "data"},
    {"derivations", "debug", "io", "interop", "exercises"},
    {"cli"},
]


def _unit(module: str) -> str:
    """The stack unit a dotted module (without the `minigrad.` prefix) belongs to."""
    if module == "ops.base" or module.startswith("ops.base."):
        return "ops.base"
    return module.split(".")[0]


def _layer(unit: str) -> int:
    for i, units in enumerate(LAYERS):
        if unit in units:
            return i
    raise AssertionError(f"minigrad.{unit} is in no layer of tests/test_architecture.py: place it in the stack")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(source: str, name: str, is_package: bool) -> set[str]:
    """Every `minigrad` module that module `name` (dotted, no prefix) imports at run time."""
    tree = ast.parse(source)
    package_parts = name.split(".") if is_package else name.split(".")[:-1]
    annotation_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in annotation_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == "minigrad" or node.module.startswith("minigrad.")):
                target = node.module.removeprefix("minigrad").lstrip(".")
            else:
                continue
            for alias in node.names:  # `from . import nn` imports the subpackage itself
                sub = f"{target}.{alias.name}" if target else alias.name
                is_module = (PACKAGE / sub.replace(".", "/")).exists() or (
                    PACKAGE / f"{sub.replace('.', '/')}.py"
                ).exists()
                found.add(sub if is_module else target)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("minigrad.") for a in node.names if a.name.startswith("minigrad."))
    found.discard("")
    return {m for m in found if m != name}


def _runtime_imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py" and p != PACKAGE / "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_import_points_down_the_stack(path: Path) -> None:
    name = _module_name(path)
    unit = _unit(name)
    own = _layer(unit)
    wrong = []
    for target in sorted(_runtime_imports(path)):
        other = _unit(target)
        if other == unit:
            continue
        layer = _layer(other)
        if layer > own or (layer == own and other != unit):
            wrong.append(f"minigrad.{target} (layer {layer}: {other})")
    assert not wrong, f"minigrad.{name} (layer {own}: {unit}) imports from above or beside it: {', '.join(wrong)}"


def test_no_import_cycle() -> None:
    graph = {_module_name(p): {t for t in _runtime_imports(p)} for p in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target] if target in path else [module, target]
                raise AssertionError("import cycle: " + " -> ".join(f"minigrad.{m}" for m in cycle))
            if state.get(target) is None:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])


def test_the_checker_sees_upward_and_annotation_only_imports() -> None:
    """A green run means something: an upward import is found, a TYPE_CHECKING one is not."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from ..engine.tensor import Tensor\n"
        "if TYPE_CHECKING:\n"
        "    from ..nn.module import Module\n"
        "def f():\n"
        "    from ..debug import trace\n"
    )
    found = _imports_of(source, "ops.example", is_package=False)
    assert found == {"engine.tensor", "debug"}
    assert _layer(_unit("engine.tensor")) > _layer(_unit("ops.example"))
