"""Fixtures shared by the integration tests (the `services` graph comes from tests/conftest.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from triage.api.app import create_app


@pytest.fixture
def client(services):
    """The app on the test's services, started and stopped like a real server."""
    with TestClient(create_app(services)) as c:
        yield c
