"""`triage up` stops its children under one deadline: slow ones are killed, none waited for in turn."""

from __future__ import annotations

import subprocess
import sys
import time

from triage.cli.run import _stop_all

STUBBORN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True);"
            " time.sleep(120)")
POLITE = "import time; print('up', flush=True); time.sleep(120)"


def _start(code: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert p.stdout.readline().strip() == b"up"  # its handler is in place before we signal it
    return p


def test_children_that_ignore_sigterm_share_one_grace_period_then_are_killed():
    stubborn = [_start(STUBBORN) for _ in range(3)]
    polite = _start(POLITE)
    began = time.monotonic()
    killed = _stop_all([*stubborn, polite], grace=2.0)
    took = time.monotonic() - began
    assert sorted(killed) == sorted(p.pid for p in stubborn)  # the polite one stopped on SIGTERM
    assert all(p.poll() is not None for p in [*stubborn, polite])
    assert took < 3 * 2.0  # waiting 2 s per stubborn child in turn would take 6 s and more
