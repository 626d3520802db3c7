"""The lead sees, language by language, the hours next week's plan leaves with nobody who speaks it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.integration.helpers import PASSWORD, add_user, bearer
from tests.integration.scheduling_support import NOW, person, scored


def _sign_in(client, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the solver does not care about the DB
def test_the_roster_page_names_the_japanese_hours_nobody_on_the_team_can_cover(client, services):
    person(services, "Alex", languages=("en",), shift=None)
    today = NOW.replace(hour=0)  # `scored` sets the app's clock to NOW
    for d in range(1, 22):  # three weeks: Japanese at 03:00 UTC every day, English at noon
        day = today - timedelta(days=d)
        scored(services, (f"ja{d}", "normal"), received=day + timedelta(hours=3, minutes=10), language="ja")
        scored(services, *[(f"en{d}-{i}", "normal") for i in range(3)], received=day + timedelta(hours=12),
               language="en")
    lead = bearer(add_user(services, "lena", "lead"))
    plan = client.post("/api/roster/plan", headers=lead, json={"time_limit": 3}).json()
    assert "ja" in plan["demand_source"]
    [ja] = [g for g in plan["skill_gaps"] if g["skill"] == "ja"]
    assert ja["nobody"] == 7  # 03:00 every day, and Alex speaks no Japanese

    _sign_in(client, "lena")
    page = client.get("/roster").text
    line = re.search(r'<ul class="skill-gaps" id="skill-gaps"><li class="warn">([^<]+)</li>', page)
    assert line, page[page.find("Last plan"):][:2000]
    # two seats an hour (one person grossed up for shrinkage), seven hours with nobody
    text = line.group(1)
    assert text.startswith("ja: 14 person-hours short, 7 h with nobody who has it: Mon 03:00-04:00, ")
