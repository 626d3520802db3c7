"""Run every benchmark in turn; each prints its own figures beside its in-run baseline."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
# Cheapest first, so a quick look at `make bench` output starts with figures, not waiting.
# bench_generalisation is last: ~15 model fits, several minutes on two cores.
ORDER = ("bench_router", "bench_channels", "bench_roster", "bench_ingest", "bench_buffer", "bench_live",
         "bench_simulate", "bench_inbox", "bench_classifier", "bench_scoring_path", "bench_generalisation")


def main() -> int:
    """Run each benchmark as its own process (a crash in one does not hide the others)."""
    failed = []
    for name in ORDER:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py")])
        print(f"=== {name}: exit {code} after {time.perf_counter() - started:.0f} s ===", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
