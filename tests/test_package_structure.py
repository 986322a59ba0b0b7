"""The shape of the library: a small core, no import cycles, short modules, one rng keyword."""

import ast
import importlib
import inspect
from pathlib import Path

import descramble_lib as dl

PACKAGE = Path(dl.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package imported anywhere in ``path`` (function-level included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[:len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            # "from . import x" may name a module
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("descramble_lib"):
            found.add(node.module)
    return {module for module in found if _exists(module) and module != name}


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return ((PACKAGE / relative).with_suffix(".py").exists()
            or (PACKAGE / relative / "__init__.py").exists())


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        # A package's __init__ only re-exports; an edge module -> package means the
        # module imports from the package's __init__, which counts.
        graph[_module_name(path)] = _imports(path)
    return graph


def test_core_is_small():
    assert len(dl.__all__) <= 40
    for name in dl.__all__:
        assert hasattr(dl, name), name


def test_no_import_cycles():
    """Depth-first search over every intra-package import, function-level ones included."""
    graph = _graph()
    # Edges into a subpackage's __init__ stand for its modules; __init__ files re-export
    # their own children, which is not a cycle, so they are left out as sources.
    sources = {module: targets for module, targets in graph.items()
               if not (PACKAGE / Path(*module.split(".")[1:]) / "__init__.py").exists()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(module: str, stack: list[str]) -> bool:
        state[module] = 1
        for target in sources.get(module, ()):
            if state.get(target) == 1:
                cycle.extend(stack[stack.index(target):] + [target])
                return True
            if state.get(target) is None and visit(target, stack + [target]):
                return True
        state[module] = 2
        return False

    for module in sources:
        if state.get(module) is None:
            assert not visit(module, [module]), " -> ".join(cycle)


def test_the_core_never_imports_a_subpackage_that_computes_figures_or_physics():
    graph = _graph()
    core = [m for m in graph if m.count(".") == 1
            and not (PACKAGE / m.split(".")[1] / "__init__.py").exists()]
    for module in core:
        for target in graph[module]:
            assert not target.startswith(("descramble_lib.plotting", "descramble_lib.deer",
                                          "descramble_lib.paper", "descramble_lib.invertible",
                                          "descramble_lib.theory", "descramble_lib.applied")), \
                f"{module} imports {target}"


def test_plotting_imports_nothing_that_computes():
    graph = _graph()
    for module, targets in graph.items():
        if module.startswith("descramble_lib.plotting"):
            assert all(t.startswith("descramble_lib.plotting") for t in targets), (module, targets)


def test_no_module_over_500_lines():
    long = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines())
            for p in PACKAGE.rglob("*.py") if len(p.read_text().splitlines()) > 500}
    assert not long


def test_one_randomness_keyword():
    """No public function or class of the library takes a ``seed`` argument."""
    offenders = []
    for package in ("",) + dl._SUBPACKAGES:
        module = importlib.import_module("descramble_lib" + (f".{package}" if package else ""))
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                try:
                    parameters = inspect.signature(obj).parameters
                except (TypeError, ValueError):
                    continue
                if "seed" in parameters:
                    offenders.append(f"{package}.{name}")
    assert not offenders
