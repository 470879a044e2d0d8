"""Layering rules (STYLE.md): dependencies point one way — leaves ← process ← tasks ← importing / reporting ←
views —, no import cycle anywhere, only the engine (process/engine*.py) imports SpiffWorkflow, lower layers
never import the web layer, and views never touch the session or the engine directly."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESS = ROOT / "workflows" / "process"
# The rank of each room: a module may import modules of its own room or of a lower rank, never of a higher one.
RANKS = {"leaves": 0, "accounts": 1, "notify": 1, "ops": 1, "process": 1, "signatures": 1, "tasks": 2, "importing": 3,
         "reporting": 3, "views": 4}


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Module → the product modules it imports (anywhere in the file), for models, workflows, views, demo."""
    paths = {module_name(p): p for folder in ("models", "workflows", "views", "demo") for p in files(folder)}
    edges = {}
    for name, path in paths.items():
        targets = set()
        for imported in imports(path):
            # "from workflows.tasks import work" names the module workflows.tasks.work
            while imported and imported not in paths:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not (name.startswith(imported + ".") and imported in paths
                                                      and paths[imported].name == "__init__.py"):
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "views":
        return "views"
    if parts[0] != "workflows" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANKS else "leaves"


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_dependencies_point_one_way():
    wrong = [(module, target) for module, targets in graph().items() for target in targets
             if room(module) and room(target) and RANKS[room(target)] > RANKS[room(module)]]
    assert wrong == []


def test_process_knows_nothing_of_tasks():
    wrong = [(module, target) for module, targets in graph().items() if module.startswith("workflows.process")
             for target in targets if target.startswith(("workflows.tasks", "workflows.notify"))]
    assert wrong == []


def test_no_import_inside_a_function_in_workflows():
    offenders = [p.relative_to(ROOT) for p in files("workflows")
                 if {n for n in imports(p) if n.startswith(("workflows", "models"))}
                 - imports(p, top_level_only=True)]
    assert offenders == []


def test_only_the_engine_imports_spiffworkflow():
    offenders = [p.relative_to(ROOT) for folder in ("app.py", "models", "workflows", "views")
                 for p in ([ROOT / folder] if folder.endswith(".py") else files(folder))
                 if any(n.startswith("SpiffWorkflow") for n in imports(p))
                 and not (p.parent == PROCESS and p.name.startswith("engine"))]
    assert offenders == []


def test_lower_layers_do_not_import_the_web_layer():
    for folder in ("models", "workflows", "demo"):
        for path in files(folder):
            names = imports(path)
            assert not any(n == "views" or n.startswith("views.") for n in names), path
            assert "flask.request" not in names, path


def test_views_do_not_query_or_run_the_engine():
    for path in files("views"):
        source = path.read_text()
        names = imports(path)
        # the 500 handler may roll back (STYLE.md); nothing else touches the session
        assert not re.search(r"db\.session\.(?!rollback\(\))", source), path
        assert "sqlalchemy.select" not in names, path
        assert not any(n.startswith("workflows.process.engine") for n in names), path
