import ast
from pathlib import Path

from triage.scheduling import domain as scheduling

FORBIDDEN = {"fastapi", "redis", "rq", "sqlalchemy", "sklearn", "torch", "ortools", "numpy", "statsmodels",
             "matplotlib", "triage.scheduling.planning"}


def test_the_scheduling_domain_imports_nothing_but_the_standard_library_and_the_domain():
    offenders = []
    for path in Path(scheduling.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names
                          if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert offenders == []
