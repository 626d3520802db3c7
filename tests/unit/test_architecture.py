"""The domain stays pure: no web, queue, database or ML library is imported under triage/domain."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"fastapi", "starlette", "redis", "rq", "sqlalchemy", "alembic", "sklearn", "torch",
             "sentence_transformers", "httpx", "ortools"}
DOMAIN = Path(__file__).resolve().parents[2] / "triage" / "domain"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_no_adapter_or_ml_library():
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "the domain package should not be empty"
    offenders = {str(f.relative_to(DOMAIN)): sorted(imported_roots(f) & FORBIDDEN) for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_would_catch_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import redis\nfrom sqlalchemy.orm import Session\n")
    assert imported_roots(bad) & FORBIDDEN == {"redis", "sqlalchemy"}


def test_no_module_in_the_package_is_called_models():
    package = DOMAIN.parent
    assert not [p for p in package.rglob("models.py")]


STORAGE = DOMAIN.parent / "storage"
ABOVE_STORAGE = ("triage.services", "triage.api", "triage.cli", "triage.bootstrap", "workers")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, inside functions too; `from a import b` gives a and a.b."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def test_storage_is_a_persistence_adapter_that_imports_no_layer_above_it():
    files = sorted(STORAGE.rglob("*.py"))
    assert files, "the storage package should not be empty"
    offenders = {str(f.relative_to(STORAGE)): sorted(m for m in imported_modules(f)
                                                     if m.startswith(ABOVE_STORAGE))
                 for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_layer_checker_sees_a_lazy_import_inside_a_function(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from triage import services\n"
                   "    from triage.services.x import y\n")
    assert imported_modules(bad) >= {"triage.services", "triage.services.x"}
