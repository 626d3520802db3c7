"""Give freed heap back to the OS between jobs, so a worker's memory follows what it holds.

A routing pass over a pile of 20,000 waiting items builds tens of megabytes of rows and decisions,
then frees them. CPython hands objects over 512 bytes to glibc's malloc, which keeps the freed
pages: it can only shrink its heap from the top, and one live object above the hole pins the rest.
Over a 30-minute soak a worker's heap went 192 -> 450 -> 369 MB, partly this way (the rest was
SQLite's statement cache, see platform/db.py); `malloc_trim(0)` on live workers returned 100-160 MB.
Dask's workers call it for the same reason. It is glibc-only: elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable
from functools import cache

MIN_INTERVAL = 10.0  # seconds between trims: a trim walks the free lists, a few ms on a big heap


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class Trimmer:
    """Calls malloc_trim at most once per `interval` seconds; `maybe()` is cheap when it skips."""

    def __init__(self, interval: float = MIN_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval, self.clock = interval, clock
        self._last = clock()

    def maybe(self) -> bool:
        """Trim if the interval has passed; True when the OS was asked to take pages back."""
        now = self.clock()
        if now - self._last < self.interval:
            return False
        self._last = now
        return release()


def release() -> bool:
    """Return free heap pages to the OS now; False where there is no glibc to ask."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
