"""Development demo history: six weeks of answered conversations from every constituent group.

Live demo traffic is minutes old, so the relationship health report, answer times and the hours
pages would have one week of nothing answered. This writes a plausible past once: contacts per
group, their messages scored and resolved by the demo agent after a varying wait, with sentiment
drifting (customers sour, then recover) so the charts have a trend to show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.core.priority import DEFAULT_SLA
from triage.core.scoring import GROUPS
from triage.platform import tables as t

WEEKS = 6
SOURCE = "demo-email"  # one of the demo sources (config.DEMO_SOURCES)
PREFIX = "history-"
PER_WEEK = {"customer": 14, "partner": 4, "investor": 1, "employee": 2, "prospect": 3, "supplier": 1,
            "press": 2, "public": 6}
KEY_GROUPS = {"customer", "partner", "investor"}  # their first contact is a key relationship
TEXTS = {"negative": "This is the third time my order is late, I am thinking of cancelling.",
         "neutral": "How do I change the billing address on my account?",
         "positive": "Thanks, the new release fixed it for us!"}


def _people(session: Session, now: datetime) -> dict[str, list[t.Author]]:
    out: dict[str, list[t.Author]] = {}
    for group in GROUPS:
        out[group] = []
        for n in range(2):
            contact = t.Contact(display_name=f"Past {group} {n + 1}", group=group,
                                crm_tier="gold" if group in KEY_GROUPS and n == 0 else None)
            session.add(contact)
            session.flush()
            author = t.Author(source=SOURCE, external_id=f"{PREFIX}{group}-{n}", handle=f"{group}{n + 1}",
                              name=contact.display_name, contact_id=contact.id,
                              first_seen=now - timedelta(weeks=WEEKS))
            session.add(author)
            out[group].append(author)
    session.flush()
    return out


def _mood(rng: random.Random, group: str, weeks_ago: int) -> str:
    sour = 0.15 + (0.35 if group == "customer" and weeks_ago in (2, 3) else 0.0)  # a bad fortnight
    roll = rng.random()
    return "negative" if roll < sour else "positive" if roll > 0.75 else "neutral"


def seed_demo_history(*, session: Session, now: datetime, resolver_id: int | None, seed: int = 11) -> int:
    """Write the past once (no-op when it exists); returns the messages written."""
    if session.scalar(select(t.Author.id).where(t.Author.external_id.like(f"{PREFIX}%")).limit(1)):
        return 0
    rng = random.Random(seed)
    people = _people(session, now)
    written = 0
    for weeks_ago in range(WEEKS, 0, -1):
        for group, count in PER_WEEK.items():
            for _ in range(max(1, count + rng.randint(-1, 2))):
                at = now - timedelta(weeks=weeks_ago) + timedelta(hours=rng.uniform(0, 7 * 24 - 1))
                written += _conversation(session, rng, people[group], group, weeks_ago, at, resolver_id, now)
    return written


def _conversation(session: Session, rng: random.Random, authors: list[t.Author], group: str, weeks_ago: int,
                  at: datetime, resolver_id: int | None, now: datetime) -> int:
    author = rng.choice(authors)
    mood = _mood(rng, group, weeks_ago)
    urgency = rng.choices(("critical", "high", "normal", "low"), weights=(1, 3, 10, 4))[0]
    key = author.external_id.endswith("-0") and group in KEY_GROUPS
    msg = t.Message(source=SOURCE, external_id=f"{PREFIX}{at:%Y%m%d%H%M%S}-{rng.randrange(10**6)}",
                    thread_id=f"{PREFIX}{author.external_id}-{at:%Y%m%d}", author_id=author.id,
                    text=TEXTS[mood], created_at=at, received_at=at, stage="routed", status="resolved",
                    urgency=urgency, priority=50.0, due_at=at + DEFAULT_SLA[urgency])
    session.add(msg)
    session.flush()
    intent = "churn_risk" if mood == "negative" and group == "customer" and rng.random() < 0.4 else (
        "complaint" if mood == "negative" else "praise" if mood == "positive" else "question")
    session.add(t.Score(message_id=msg.id, model="demo-history", urgency=urgency, intent=intent,
                        sentiment=mood, relationship_value=0.9 if key else 0.4,
                        tier="key" if key else "medium", priority=50.0, confidence=0.8, scored_at=at))
    wait = DEFAULT_SLA[urgency] * rng.uniform(0.1, 1.4)  # about one in four misses its target
    wait = min(wait, (now - at) * 0.9)  # ... answered before now, never in the future
    session.add(t.Assignment(message_id=msg.id, user_id=resolver_id, action="resolve", actor="demo",
                             note="demo history", at=at + wait))
    return 1
