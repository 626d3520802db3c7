"""The lock files `make install` and the images use must name every dependency pyproject declares:
the venv is installed from the lock with the project itself `--no-deps`, so a package added to
pyproject.toml and not re-locked (`make lock`) would be missing at run time."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _locked(lock: str) -> set[str]:
    lines = (ROOT / "requirements" / lock).read_text().splitlines()
    return {_name(x) for x in lines if x and not x.startswith((" ", "#", "-"))}


@pytest.mark.parametrize(("lock", "extras"), [("api.lock", ()), ("worker.lock", ("ml",)),
                                              ("dev.lock", ("ml", "plan", "dev"))])
def test_every_declared_dependency_is_in_its_lock(lock, extras):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in extras:
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    assert sorted(wanted - _locked(lock)) == [], f"run `make lock`: {lock} is behind pyproject.toml"
