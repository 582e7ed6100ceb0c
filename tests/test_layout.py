"""The shape of the code, read from its imports: apps depend on each other one way only, the core
(packaging) calls none of the apps built on it, and no app reaches into another's views or
private names. Every import counts, those inside functions too."""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "cheeseshop"
README = SOURCE.parent.parent / "README.md"

# Apps are the packages with an apps.py; the modules beside them are shared by all.
APPS = sorted(path.parent.name for path in SOURCE.glob("*/apps.py"))
SHARED = (
    "admin",
    "console",
    "errors",
    "health",
    "inputs",
    "locks",
    "prepared",
    "sealing",
    "site",
)
# Among the apps, what the core may use: the audit trail, the admin flags and the task queue,
# nothing built on it.
PACKAGING_MAY_IMPORT = {"audit", "flags", "taskqueue"}


@dataclass(frozen=True)
class Import:
    source: Path  # the importing file
    module: str  # "cheeseshop.index.views"
    names: tuple[str, ...]  # what "from module import ..." takes; empty for "import module"

    @property
    def target(self) -> str:
        """The app or shared module imported from."""
        return self.module.split(".")[1]

    @property
    def origin(self) -> str:
        """The app or top-level module the importing file belongs to."""
        return self.source.relative_to(SOURCE).parts[0].removesuffix(".py")


def _imports() -> list[Import]:
    found = []
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = tuple(alias.name for alias in node.names)
                found.append(Import(path, node.module, names))
            elif isinstance(node, ast.Import):
                found += [Import(path, alias.name, ()) for alias in node.names]
    return [imp for imp in found if imp.module.startswith("cheeseshop.")]


IMPORTS = _imports()
BETWEEN_APPS = [
    imp
    for imp in IMPORTS
    if imp.origin in APPS and imp.target in APPS and imp.origin != imp.target
]


def app_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for imp in BETWEEN_APPS:
        graph[imp.origin].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def where(imports: list[Import]) -> list[str]:
    return sorted(f"{imp.source.relative_to(SOURCE)}: {imp.module} {imp.names}" for imp in imports)


def test_the_apps_are_found():
    assert {"accounts", "audit", "index", "packaging", "tokens", "tuf", "upload"} <= set(APPS)


def test_no_import_cycle_between_apps():
    assert cycles(app_graph()) == []


def test_the_cycle_finder_finds_a_cycle_of_three():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_packaging_imports_only_the_audit_trail_the_flags_and_the_task_queue():
    assert app_graph()["packaging"] <= PACKAGING_MAY_IMPORT


@pytest.mark.parametrize("module", SHARED)
def test_a_shared_module_imports_no_app(module):
    assert where([imp for imp in IMPORTS if imp.origin == module and imp.target in APPS]) == []


def test_no_app_imports_another_apps_views():
    reaching = [
        imp
        for imp in BETWEEN_APPS
        if imp.module.endswith(".views") or "views" in imp.names or "_views" in imp.module
    ]
    assert where(reaching) == []


def test_no_module_imports_a_private_name_of_another():
    # Within one module's own package, a private name is a family matter; across apps, or from
    # a shared module, it is reaching in.
    reaching = [
        imp
        for imp in IMPORTS
        if imp.origin != imp.target and any(name.startswith("_") for name in imp.names)
    ]
    assert where(reaching) == []


def _readme_layout() -> str:
    return README.read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_app_and_shared_module():
    named = set(re.findall(r"`([a-z_]+)`", _readme_layout()))
    assert set(APPS) - named == set()
    assert set(SHARED) - named == set()


def test_the_readme_says_which_apps_each_app_uses_as_the_imports_do():
    rows = re.findall(r"^\| `([a-z_]+)` \|.*\| (.+) \|$", _readme_layout(), re.MULTILINE)
    said = {app: set(re.findall(r"`([a-z_]+)`", uses)) for app, uses in rows}
    assert said == app_graph()
