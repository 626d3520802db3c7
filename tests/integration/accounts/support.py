"""Signing in by form for the account tests: a client per person, with its CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.helpers import PASSWORD
from triage.api.app import create_app


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(c: TestClient, username: str, password: str = PASSWORD):
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": csrf_of(c.get("/login").text)},
                  follow_redirects=False)


def signed_in(services, username: str, *, base_url: str = "http://testserver",
              ) -> tuple[TestClient, str]:
    """A fresh client signed in as `username`, and the CSRF token its pages carry (https for
    production's secure cookie)."""
    c = TestClient(create_app(services), base_url=base_url)
    assert login(c, username).status_code == 303
    return c, csrf_of(c.get("/inbox").text)
