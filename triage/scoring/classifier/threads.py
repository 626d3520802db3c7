"""One CPU thread for a message or two: thread hand-offs cost more than so small a problem.

Quiet hours send messages one at a time. Splitting one message's work across threads costs more
in hand-offs than it saves, and on a busy machine much more: each helper thread waits for a core
(issue 15: MiniLM at batch 1 did 76 vs 2.3 texts/s under load; the familiarity gate's one-row
matrix product took ~16 ms on numpy's two BLAS threads and 0.15 ms on one). Bigger batches keep
every thread.

Thread counts do not change the maths, only who does it. One last-bit caveat: OpenBLAS rounds
the few columns at a thread's block boundary differently, so a similarity can move by one float32
ulp (~3e-8; measured: 2 rows in 2,000), which shifts a rule share only for a message inside the
gate's band.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

log = logging.getLogger(__name__)
SMALL_BATCH = 2  # at most this many messages run on one thread


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch on `n` threads for the block, restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@cache
def _blas_controllers() -> tuple:
    """numpy's BLAS libraries as threadpoolctl sees them (found once: a scan costs ~3 ms)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # comes with scikit-learn (the ml extra); without it, threads stay as they are
        log.warning("threadpoolctl missing: small batches keep every BLAS thread")
        return ()
    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread for the block, restored after (~10 us a switch)."""
    libs = _blas_controllers()
    before = [lib.num_threads for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before, strict=True):
            lib.set_num_threads(n)
