"""Shared fixtures for connector tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' so replay-window checks never depend on the wall clock."""
    return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
