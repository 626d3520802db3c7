"""A storm ranks by the people it touches: 80 people asking the same thing is not on page 3."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.helpers import add_user, bearer
from tests.integration.relationship_support import T0, doc, ingest

STORM = "How do I sync my calendar with the mobile app since this morning?"
SINGLES = ["How do I export my invoices as PDF", "Can I change the delivery address of order",
           "Where do I find the settings for notifications", "Is there a student discount on plan"]


@pytest.mark.parametrize("db_url", ["postgresql", "sqlite"], indirect=True)
def test_an_80_person_storm_of_normal_items_ranks_on_page_1_above_single_normal_items(
        client, services):
    # 120 single normal questions, older than the storm, so they have waited longer too
    singles = [doc(f"q{i}", f"{SINGLES[i % 4]} {i}?", author=f"solo{i}") for i in range(120)]
    single_ids = ingest(services, singles, at=T0)
    storm = [doc(f"s{i}", STORM, author=f"p{i}", created_at=T0 + timedelta(minutes=5))
             for i in range(80)]
    storm_ids = ingest(services, storm, at=T0 + timedelta(minutes=6))
    token = add_user(services, "ana")
    page1 = client.get("/api/inbox", headers=bearer(token), params={"per_page": 50}).json()
    assert page1["total"] == 121  # the storm is one item
    assert {i["urgency"] for i in page1["items"]} == {"normal"}
    first = page1["items"][0]
    assert first["id"] == storm_ids[0] and first["incident"]["people"] == 80
    assert first["urgency"] == "normal" and first["priority"] > max(i["priority"] for i in page1["items"][1:])
    assert "from 80 people" in first["reasons"][0]["text"]
    assert all(i["id"] in single_ids for i in page1["items"][1:])
