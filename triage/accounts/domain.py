"""Password rules per NIST SP 800-63B section 3.1.1.2: length and a blocklist, no composition rules."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

MIN_PASSWORD = 10  # NIST asks for at least 8 with a blocklist check; we keep the 10 we had
MAX_PASSWORD = 128  # NIST: allow at least 64; argon2 hashes any length, this only bounds the work
# 19,640 common passwords (Royce Williams' list, as shipped with Django, BSD-3): see data/NOTICE.
BLOCKLIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@cache
def _common() -> frozenset[str]:
    with gzip.open(BLOCKLIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a new password is refused (too short, too long, common, or the username), else None."""
    if len(password) < MIN_PASSWORD:
        return f"password must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"password must be at most {MAX_PASSWORD} characters"
    lowered = password.strip().lower()
    if lowered in _common():
        return "this password is on a list of common or breached passwords; choose another"
    if len(set(lowered)) <= 2:  # 'aaaaaaaaaa', 'abababababab': repetitive, per 800-63B
        return "this password repeats one or two characters; choose another"
    if username and lowered == username.lower():
        return "the password must not be the username"
    return None
