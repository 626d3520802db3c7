"""What one routing pass did: its own module, so the pass and its metrics both read it without a cycle."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RoutingReport:
    """What one pass did, for the job result, the CLI and tests."""

    assigned: int = 0
    waiting: int = 0
    pages: int = 0
    gaps: int = 0
    releases: int = 0
    rules_version: int = 0
    skipped: bool = False
    reasons: dict[str, int] = field(default_factory=dict)
    assigned_by_kind: Counter[str] = field(default_factory=Counter)
    released_by_kind: Counter[str] = field(default_factory=Counter)
    waiting_by_kind: Counter[str] = field(default_factory=Counter)
    set_aside: dict[str, str] = field(default_factory=dict)  # item id -> why routing it raised
