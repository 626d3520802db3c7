"""Jobs are enqueued by dotted path from one table; each path must name a real job function."""

import importlib

from triage.platform.queue import JOBS


def test_every_job_path_names_a_function_in_workers_jobs():
    for path in JOBS:
        module, name = path.rsplit(".", 1)
        assert module == "workers.jobs"
        assert callable(getattr(importlib.import_module(module), name)), path
