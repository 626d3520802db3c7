"""Documented platform payloads kept under tests/fixtures/channels (see each README there)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "channels"


def fixture_bytes(name: str) -> bytes:
    """The exact bytes of one documented payload, as the platform would POST them."""
    return (FIXTURES / name).read_bytes()
