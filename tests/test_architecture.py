"""Layering rules (STYLE.md): only workflows/process/engine.py imports SpiffWorkflow; lower layers never
import the web layer; views never touch the session or the engine directly."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


ENGINE = ROOT / "workflows" / "process" / "engine.py"


def test_only_the_engine_imports_spiffworkflow():
    offenders = [p.relative_to(ROOT) for folder in ("app.py", "models", "workflows", "views")
                 for p in ([ROOT / folder] if folder.endswith(".py") else files(folder))
                 if any(n.startswith("SpiffWorkflow") for n in imports(p)) and p != ENGINE]
    assert offenders == []


def test_lower_layers_do_not_import_the_web_layer():
    for folder in ("models", "workflows"):
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
        assert "workflows.process.engine" not in names, path
