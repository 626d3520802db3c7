"""The slim images carry only what they need: the API and tick import nothing from the ml or plan
extras (the api image has neither), the worker nothing from plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ML = ("torch", "sentence_transformers", "sklearn", "scipy", "lingua")
PLAN = ("ortools", "statsmodels", "matplotlib")
BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError("not in this image: " + name, name=name)
sys.meta_path.insert(0, Block())
{imports}
from triage.api.app import create_app
print("imported")
"""


def imports_without(blocked: tuple[str, ...], modules: list[str]) -> subprocess.CompletedProcess:
    code = BLOCKER.format(blocked=set(blocked), imports="\n".join(f"import {m}" for m in modules))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("image", "blocked", "modules"), [
    ("api", ML + PLAN, ["triage.api.app", "triage.cli.main", "triage.gauges", "triage.pipeline"]),
    ("worker", PLAN, ["workers.run", "workers.jobs", "triage.scoring.classifier.scorer"]),
])
def test_each_image_imports_what_it_runs_without_the_extras_it_leaves_out(image, blocked, modules):
    done = imports_without(blocked, modules)
    assert done.returncode == 0 and "imported" in done.stdout, f"{image} image: {done.stderr[-2000:]}"


def test_the_blocker_would_notice_a_missing_package():
    done = imports_without(("numpy",), ["triage.api.app"])
    assert done.returncode != 0 and "not in this image: numpy" in done.stderr
