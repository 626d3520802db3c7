"""Freed heap goes back to the OS: a worker's memory follows what it holds, not its biggest job."""

from __future__ import annotations

import platform

import pytest

from triage.platform import heap


def _anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="malloc_trim is glibc's")
def test_freed_holes_below_a_live_object_go_back_to_the_os():
    # Like a routing pass: many mid-sized objects (past CPython's 512-byte small-object allocator,
    # so glibc's malloc holds them), a few of which outlive the pass and pin the heap's top.
    blocks = [bytes(2048) + i.to_bytes(4, "little") for i in range(60_000)]  # ~120 MB
    survivors = blocks[::200]
    del blocks
    held = _anon_mb()
    assert heap.release() is True
    after = _anon_mb()
    assert held - after > 60, f"heap {held:.0f} MB -> {after:.0f} MB after malloc_trim"
    assert len(survivors) == 300  # still alive, so their pages were not the ones returned


def test_trims_at_most_once_per_interval(monkeypatch):
    now, calls = [0.0], []
    monkeypatch.setattr(heap, "release", lambda: calls.append(now[0]) or True)
    trimmer = heap.Trimmer(interval=10, clock=lambda: now[0])
    for t in (1, 5, 9.9, 10, 12, 19.9, 20.5, 21):
        now[0] = t
        trimmer.maybe()
    assert calls == [10, 20.5]
