"""No import cycles in ``src/pinglass``: the module graph is built statically and must be a DAG.

An edge ``a -> b`` is an import of pinglass module ``b`` that runs when ``a`` is imported: a
module-level ``import`` or ``from … import`` (also inside a module-level ``if``/``try`` or a class
body). Imports inside functions run later, and imports under ``if TYPE_CHECKING:`` never run, so
neither is an edge. ``from a import b`` is an edge to the module ``a.b`` when that file exists,
else to ``a``. A package's ``__init__`` is not implied by importing one of its submodules: that
edge exists only where code imports the package itself.

``pytest tests/test_import_cycles.py -rP`` prints the graph's summary; a cycle fails the test
with every edge of it, file and line.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import pinglass

SRC = Path(pinglass.__file__).parent


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` imports ``target`` at import time, at ``file:line``."""

    source: str
    target: str
    file: str
    line: int


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(nodes: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that runs when the module body runs."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue  # runs when called, not when imported
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_time_nodes(node.orelse)
        else:
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, name, None)
                if not isinstance(children, list):
                    continue
                for child in children:
                    if isinstance(child, ast.stmt):
                        yield from _import_time_nodes([child])
                    elif isinstance(child, ast.ExceptHandler | ast.match_case):
                        yield from _import_time_nodes(child.body)


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: set[str]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    found = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        found.append(sub if sub in modules else base)
    return found


def import_graph(root: Path) -> dict[str, list[Edge]]:
    """Module -> its import-time edges to other modules under ``root`` (a package folder)."""
    files = {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    modules = set(files)
    graph: dict[str, list[Edge]] = {m: [] for m in modules}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = str(path.relative_to(root.parent))
        for node in _import_time_nodes(tree.body):
            for target in _targets(node, module, path.name == "__init__.py", modules):
                # ``import a.b.c`` runs a.b.c; keep the longest prefix that is one of ours
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].append(Edge(module, target, rel, node.lineno))
    return graph


def find_cycles(graph: dict[str, list[Edge]]) -> list[list[Edge]]:
    """One cycle (as its edges) per strongly connected component that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for edge in graph[v]:
            w = edge.target
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, c) for c in components]


def _one_cycle(graph: dict[str, list[Edge]], component: set[str]) -> list[Edge]:
    """A shortest cycle through the component's first module (breadth-first, back to it)."""
    start = min(component)
    paths: dict[str, list[Edge]] = {start: []}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for edge in graph[v]:
            if edge.target == start:
                return [*paths[v], edge]
            if edge.target in component and edge.target not in paths:
                paths[edge.target] = [*paths[v], edge]
                queue.append(edge.target)
    raise AssertionError(f"no cycle found in component {sorted(component)}")  # pragma: no cover


def describe(cycle: list[Edge]) -> str:
    """``a -> b -> a`` followed by each edge's file and line."""
    chain = " -> ".join([cycle[0].source, *(e.target for e in cycle)])
    where = "".join(f"\n    {e.file}:{e.line}: {e.source} imports {e.target}" for e in cycle)
    return chain + where


def _depth(graph: dict[str, list[Edge]]) -> dict[str, int]:
    """Longest import chain below each module (0: imports nothing of ours). Needs a DAG."""
    memo: dict[str, int] = {}

    def depth(v: str) -> int:
        if v not in memo:
            memo[v] = 1 + max((depth(e.target) for e in graph[v]), default=-1)
        return memo[v]

    for v in graph:
        depth(v)
    return memo


def test_src_pinglass_has_no_import_cycle() -> None:
    graph = import_graph(SRC)
    edges = sum(len(es) for es in graph.values())
    # the walk must see the real tree, or "no cycle" would mean nothing
    assert len(graph) > 50 and edges > 150, (len(graph), edges)
    assert any(e.target == "pinglass.runner.plan" for e in graph["pinglass.session"])
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in src/pinglass:\n" + "\n".join(map(describe, cycles))
    depth = _depth(graph)
    top = sorted(graph, key=lambda m: (-depth[m], m))[:3]
    print(
        f"import graph of src/pinglass: {len(graph)} modules, {edges} import-time edges, "
        f"no cycles; longest chains start at " + ", ".join(f"{m} ({depth[m]} levels)" for m in top)
    )


# --- the checker itself -----------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_fails_with_its_edges(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import x\n",
            "b.py": "import os\n\nfrom pkg.sub import c\n",
            "sub/__init__.py": "",
            "sub/c.py": "from .. import a\n",
            "d.py": "from pkg import a\n",  # imports into the cycle, is not part of it
        },
    )
    cycles = find_cycles(import_graph(root))
    assert [describe(c) for c in cycles] == [
        "pkg.a -> pkg.b -> pkg.sub.c -> pkg.a"
        "\n    pkg/a.py:1: pkg.a imports pkg.b"
        "\n    pkg/b.py:3: pkg.b imports pkg.sub.c"
        "\n    pkg/sub/c.py:1: pkg.sub.c imports pkg.a"
    ]


def test_function_level_and_type_checking_imports_are_not_edges(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",
            "b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from pkg import a\n"
                "def f():\n"
                "    from pkg import a\n"
                "class C:\n"
                "    async def g(self):\n"
                "        import pkg.a\n"
            ),
        },
    )
    graph = import_graph(root)
    assert find_cycles(graph) == []
    assert [e.target for e in graph["pkg.a"]] == ["pkg.b"]
    assert graph["pkg.b"] == []


@pytest.mark.parametrize(
    "b_source",
    [
        "try:\n    import pkg.a\nexcept ImportError:\n    pass\n",
        "import sys\nif sys.version_info >= (3, 11):\n    from pkg.a import name\n",
        "class C:\n    from pkg import a\n",
        "import pkg.a.inner\n",
    ],
    ids=["try", "if", "class-body", "dotted-import-of-a-name"],
)
def test_import_time_imports_anywhere_at_module_level_are_edges(
    tmp_path: Path, b_source: str
) -> None:
    root = _tree(tmp_path, {"__init__.py": "", "a.py": "from pkg import b\n", "b.py": b_source})
    cycles = find_cycles(import_graph(root))
    assert [[e.source for e in c] for c in cycles] == [["pkg.a", "pkg.b"]]


def test_a_package_init_importing_its_submodule_is_no_cycle_by_itself(tmp_path: Path) -> None:
    # pkg/__init__ imports pkg.a, and pkg.a imports a sibling by its full name: no cycle, since
    # ``pkg.b`` is a module of its own; importing the package name itself would close one.
    root = _tree(
        tmp_path,
        {"__init__.py": "from pkg.a import x\n", "a.py": "from pkg.b import y\n", "b.py": ""},
    )
    assert find_cycles(import_graph(root)) == []
    (root / "b.py").write_text("from pkg import x\n", encoding="utf-8")
    assert [[e.source for e in c] for c in find_cycles(import_graph(root))] == [
        ["pkg", "pkg.a", "pkg.b"]
    ]
