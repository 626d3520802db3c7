"""The layout's rules, checked by walking every import with `ast` (inside functions too).

- core and each feature's `domain` import no web, queue, database or ML library, and nothing of
  triage but core and domain code;
- a feature never reaches into another feature's storage (`store.py`, `*_store.py`);
- the edges (api, cli, workers) call services: they import no storage and no tables;
- there are no import cycles, between files or between packages.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("intake", "scoring", "scheduling", "inbox", "people", "replies", "accounts", "reports")
EDGES = ("triage.api", "triage.cli", "workers")
FORBIDDEN_IN_DOMAIN = {"fastapi", "starlette", "redis", "rq", "sqlalchemy", "alembic", "sklearn",
                       "torch", "sentence_transformers", "httpx", "ortools", "numpy", "statsmodels",
                       "matplotlib", "uvicorn", "psycopg", "jinja2"}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, inside functions too; `from a import b` gives a and a.b."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def project_modules(root: Path = ROOT) -> dict[str, set[str]]:
    """Module name -> the project modules it imports (only names that are real modules)."""
    files = {module_name(p, root): p for d in ("triage", "workers") for p in (root / d).rglob("*.py")}
    packages = {n for n, p in files.items() if p.name == "__init__.py"}  # docstrings only: no edges
    return {name: {m for m in imports_of(path) if m in files and m != name and m not in packages}
            for name, path in files.items()}


def is_domain(name: str) -> bool:
    parts = name.split(".")
    return parts[:2] == ["triage", "core"] or (len(parts) > 2 and parts[2] == "domain")


def feature_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "triage" and parts[1] in FEATURES else None


def is_storage(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "store" or last.endswith("_store")


def domain_violations(graph: dict[str, set[str]], root: Path = ROOT) -> dict[str, list[str]]:
    out = {}
    for name in filter(is_domain, graph):
        path = root / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = root / name.replace(".", "/") / "__init__.py"
        bad = sorted(m for m in imports_of(path) if m.split(".")[0] in FORBIDDEN_IN_DOMAIN)
        bad += sorted(m for m in graph[name] if not is_domain(m))
        if bad:
            out[name] = bad
    return out


def cross_storage_violations(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    out = {}
    for name, deps in graph.items():
        if name.startswith(EDGES):
            continue  # the edges have a rule of their own
        mine = feature_of(name)
        bad = sorted(d for d in deps if is_storage(d) and feature_of(d) not in (None, mine))
        if bad:
            out[name] = bad
    return out


def edge_violations(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    out = {}
    for name, deps in graph.items():
        if name.startswith(EDGES):
            bad = sorted(d for d in deps if is_storage(d) or d.startswith("triage.platform.tables"))
            if bad:
                out[name] = bad
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan), each sorted."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Features and top-level packages as nodes (triage.X); the loose wiring modules stay out."""
    def pkg(name: str) -> str | None:
        parts = name.split(".")
        if parts[0] == "workers":
            return "workers"
        return ".".join(parts[:2]) if len(parts) > 2 else None

    out: dict[str, set[str]] = defaultdict(set)
    for name, deps in graph.items():
        a = pkg(name)
        for d in deps:
            b = pkg(d)
            if a and b and a != b:
                out[a].add(b)
    return out


@pytest.fixture(scope="module")
def graph():
    return project_modules()


def test_core_and_every_feature_domain_stay_pure(graph):
    assert any(is_domain(n) for n in graph)
    assert domain_violations(graph) == {}


def test_no_feature_reaches_into_another_features_storage(graph):
    assert cross_storage_violations(graph) == {}


def test_api_cli_and_workers_call_services_not_storage(graph):
    assert edge_violations(graph) == {}


def test_no_import_cycle_between_files(graph):
    assert cycles(graph) == []


def test_no_import_cycle_between_packages(graph):
    assert cycles(package_graph(graph)) == []


def test_at_most_six_loose_modules_and_none_over_300_lines():
    loose = sorted(p.name for p in (ROOT / "triage").glob("*.py"))
    assert len(loose) <= 6, loose
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "triage").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for d in {p.parent for p in tmp_path.rglob("*.py")}:
        (d / "__init__.py").touch()
    (tmp_path / "workers").mkdir(exist_ok=True)
    return project_modules(tmp_path)


def test_the_checks_catch_each_kind_of_violation(tmp_path):
    g = _tree(tmp_path, {
        "triage/core/clock.py": "import redis\n",
        "triage/inbox/domain.py": "def f():\n    from triage.inbox import service\n",
        "triage/inbox/service.py": "from triage.people import store\n",
        "triage/people/store.py": "from triage.inbox import service\n",
        "triage/api/routes.py": "from triage.inbox.store import get\n",
        "triage/inbox/store.py": "",
    })
    domain = domain_violations(g, tmp_path)
    assert domain["triage.core.clock"] == ["redis"]
    assert domain["triage.inbox.domain"] == ["triage.inbox.service"]
    assert cross_storage_violations(g) == {"triage.inbox.service": ["triage.people.store"]}
    assert "triage.api.routes" not in cross_storage_violations(g)  # edges: their own rule
    assert edge_violations(g) == {"triage.api.routes": ["triage.inbox.store"]}
    assert cycles(g) == [["triage.inbox.service", "triage.people.store"]]
    assert cycles(package_graph(g)) == [["triage.inbox", "triage.people"]]
