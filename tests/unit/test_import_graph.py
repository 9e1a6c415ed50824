"""No import cycle in plugins/kaohe: modules along their seams, no lazy import to work around a cycle.

The graph is read from the source (ast), not from what Python happened to import: an import inside a function
counts as much as one at the top of the module, since it is a dependency all the same.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "plugins"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a package is its __init__)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its code (module level, functions, TYPE_CHECKING)."""
    modules = module_names(root, package)

    def resolve(name: str) -> str | None:
        # the longest prefix that is a module of the package: `kaohe.validation.suites.build_suite` -> suites
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        with warnings.catch_warnings():  # a module's own warnings (an invalid escape in a docstring) are not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, one level up per extra dot
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import mod` imports the module mod when there is one, else a name of pkg
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            targets |= {t for t in map(resolve, names) if t and t != module}
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_plugins_kaohe_has_no_import_cycle():
    graph = import_graph(PACKAGE_ROOT, "kaohe")
    # the graph is the real one: it sees top-level, relative and function-level imports
    assert "kaohe.validation.cross_row" in graph["kaohe.validation.suites"]
    assert "kaohe.generator.landing" in graph["kaohe.generator"]
    assert "kaohe.validation.data_docs" in graph["kaohe.validation.runner"]  # imported inside functions
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("from . import c\n")
    (package / "sub" / "c.py").write_text("def late():\n    from pkg.a import anything\n")
    graph = import_graph(tmp_path, "pkg")
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.sub.c", "pkg.a"]
    (package / "sub" / "c.py").write_text("def late():\n    import json\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None
