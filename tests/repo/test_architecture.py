"""The import structure of cxrkit, read from the source with ``ast``: no cycles, imports only down the layers,
no module using another's private names, subpackage ``__init__`` files that only re-export; and tests that
import only the kit's public modules and names.

Imports inside functions count (they are dependencies all the same); imports under ``if TYPE_CHECKING:``
do not (they never run). Importing ``a.b.c`` also runs the ``__init__`` of ``a.b``, so that counts as
importing it too.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cxrkit"
TESTS = PACKAGE.parent / "tests"

#: The layers, bottom first: a module may import from its own top-level unit and from lower layers only.
LAYERS = (
    ("errors",),
    ("layout",),
    ("storage",),
    ("images", "reports", "tables"),
    ("text", "demo"),
    ("validate", "download", "mimic_iv", "summary", "label_audit", "solutions"),
    ("cohorts",),
    ("dataset",),
    ("widgets", "cli", "exercises"),
    ("_moved",),
    ("__init__", "__main__", "imagestats", "remote", "cache", "scan"),  # the face, and the old names
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def read_package(root: Path = PACKAGE) -> dict[str, str]:
    """``{"cxrkit.images.header": source, "cxrkit.images": source of its __init__, ...}``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = ("cxrkit", *path.relative_to(root).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path.read_text(encoding="utf-8")
    return modules


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_package(name: str, modules: dict[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in modules)


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(name: str, source: str, modules: dict[str, str]) -> list[tuple[str, str | None, int]]:
    """``(imported module, name taken from it or None, line)`` for each runtime import of a kit module."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    found = []
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "cxrkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "cxrkit":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append(
                    (sub, None, node.lineno) if sub in modules else (target, alias.name, node.lineno)
                )
    return found


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph(modules: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the kit modules its import runs (a submodule's parent packages too, unless it is inside
    them)."""
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, source in modules.items():
        for target, _, _ in imports(name, source, modules):
            parts = target.split(".")
            for i in range(2, len(parts) + 1):  # cxrkit.a, cxrkit.a.b, ...: each __init__ runs
                step = ".".join(parts[:i])
                if step in modules and step != name and not name.startswith(step + "."):
                    edges[name].add(step)
    return edges


def cycle(modules: dict[str, str]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    try:
        graphlib.TopologicalSorter(graph(modules)).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def problems(modules: dict[str, str]) -> list[str]:
    """Every rule broken, one sentence each: imports up the layers, private names or modules used across
    modules, unplaced modules, subpackage ``__init__`` files with code of their own."""
    out = []
    for name, source in modules.items():
        unit = _unit(name)
        if unit not in RANK:
            out.append(f"{name}: the unit {unit!r} is in no layer; add it to LAYERS in {Path(__file__).name}")
            continue
        bound = {}
        for target, taken, line in imports(name, source, modules):
            other = _unit(target)
            if other != unit and RANK.get(other, -1) >= RANK[unit]:
                out.append(f"{name}:{line} imports {target}, which is not below it ({unit} -> {other})")
            if taken is not None and _is_private(taken):
                out.append(f"{name}:{line} imports the private name {taken} from {target}")
            private = [p for p in target.split(".") if _is_private(p)]
            owner = target.rsplit(".", 1)[0]
            if private and not (name == owner or name.startswith(owner + ".") or owner.startswith(name)):
                out.append(f"{name}:{line} imports the private module {target} from outside its package")
            if taken is None or f"{target}.{taken}" in modules:
                bound[target.rsplit(".", 1)[-1]] = target
        tree = ast.parse(source)
        for alias_node in (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))):
            for alias in alias_node.names:
                if alias.asname and alias.asname != alias.name.rsplit(".", 1)[-1]:
                    full = next((t for t in bound.values() if t.endswith("." + alias.name)), None)
                    if full:
                        bound[alias.asname] = full
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and _is_private(node.attr)
                and f"{bound[node.value.id]}.{node.attr}" not in modules
            ):
                out.append(
                    f"{name}:{node.lineno} uses the private name {node.attr} of {bound[node.value.id]}"
                )
        if name != "cxrkit" and _is_package(name, modules):
            for node in tree.body:
                reexport = isinstance(node, (ast.Import, ast.ImportFrom)) or (
                    isinstance(node, (ast.Expr, ast.Assign))
                    and (isinstance(node, ast.Expr) or ast.unparse(node.targets[0]) == "__all__")
                )
                if not reexport:
                    out.append(
                        f"{name}:{node.lineno}: a subpackage __init__ only re-exports (found "
                        f"{type(node).__name__}); move the code into a module"
                    )
    return out


def private_imports(source: str, modules: dict[str, str]) -> list[str]:
    """The private kit modules and names a test file imports, as ``"line 3: cxrkit.widgets._html"``."""
    found = []
    for target, taken, line in imports("tests", source, modules):
        full = target if taken is None else f"{target}.{taken}"
        if any(_is_private(part) for part in full.split(".")):
            found.append(f"line {line}: {full}")
    return found


def test_the_kit_has_no_import_cycle():
    assert cycle(read_package()) is None


def test_every_import_runs_down_the_layers_and_no_private_name_crosses_a_module():
    assert problems(read_package()) == []


def test_tests_import_only_public_names_of_the_kit():
    modules = read_package()
    found = {
        str(path.relative_to(TESTS)): private_imports(path.read_text(encoding="utf-8"), modules)
        for path in sorted(TESTS.rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


# --- the checks themselves catch what they are for ------------------------------------------------------

PLANTED = {
    "cxrkit": "",
    "cxrkit.errors": "",
    "cxrkit.layout": "from .errors import CxrkitError\n",
    "cxrkit.images": "from .header import read_header\n",
    "cxrkit.images.header": "from ..layout import parse_path\n",
    "cxrkit.images.stored": "from .header import read_header\n",
}


def test_a_planted_cycle_is_found():
    assert cycle(PLANTED) is None
    planted = {**PLANTED, "cxrkit.images.header": "from ..layout import parse_path\nfrom .stored import x\n"}
    found = cycle(planted)
    assert found is not None and set(found) == {"cxrkit.images.header", "cxrkit.images.stored"}


def test_a_cycle_through_a_lazy_import_or_a_package_init_is_found():
    lazy = {**PLANTED, "cxrkit.layout": "def f():\n    from .images import header\n"}
    assert set(cycle({**lazy, "cxrkit.images.header": "from .. import layout\n"})) >= {"cxrkit.layout"}
    via_init = {**PLANTED, "cxrkit.errors": "from .images.stored import x\n"}
    assert "cxrkit.images" in cycle(via_init)  # errors -> images.stored runs images/__init__ -> header -> ...


def test_type_checking_imports_are_not_dependencies():
    typed = {
        **PLANTED,
        "cxrkit.layout": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from .images import header\n",
    }
    assert cycle(typed) is None and problems(typed) == []


@pytest.mark.parametrize(
    ("module", "source", "words"),
    [
        ("cxrkit.layout", "from .images.header import read_header\n", "not below it (layout -> images)"),
        ("cxrkit.images.stored", "from .header import _parse\n", "private name _parse"),
        ("cxrkit.images.stored", "from . import header\nheader._parse(b'')\n", "private name _parse of"),
        ("cxrkit.layout", "from .images import _files\n", "private module cxrkit.images._files"),
        ("cxrkit.images", "from .header import read_header\nX = read_header(None)\n", "only re-exports"),
        ("cxrkit.unplaced", "", "in no layer"),
    ],
)
def test_a_broken_rule_is_named(module, source, words):
    planted = {**PLANTED, "cxrkit.images._files": "", module: source}
    found = problems(planted)
    assert any(words in p for p in found), found
    assert problems({**PLANTED, "cxrkit.images._files": ""}) == []


@pytest.mark.parametrize(
    "source",
    [
        "from cxrkit.images import _files\n",
        "import cxrkit.images._files\n",
        "from cxrkit.images._files import read_head\n",
        "def test_x():\n    from cxrkit.images.header import _parse\n",
    ],
)
def test_a_test_importing_a_private_name_is_named(source):
    planted = {**PLANTED, "cxrkit.images._files": ""}
    public = "from cxrkit.images import header, read_header\nimport cxrkit.layout\n"
    assert private_imports(source, planted) and private_imports(public, planted) == []
