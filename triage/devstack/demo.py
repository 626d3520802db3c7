"""Realistic multi-channel demo traffic: recurring authors, threads, busy mornings, quiet nights, a storm."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.config import DEMO_SOURCES

# Hourly weights (UTC): quiet nights, a morning peak, a smaller evening one.
HOURLY = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 11, 10, 10, 11, 10, 9, 8, 7, 7, 6, 4, 3, 2]

TEMPLATES: dict[str, list[str]] = {
    "critical": [
        "Someone hacked my account and is sending messages as me, please lock it now",
        "There are charges on my card I don't recognise, I think it's fraud",
        "Your charger caught fire in my kitchen, someone could have been injured",
        "My lawyer will be in touch, this is going to a lawsuit if the data leak isn't explained",
    ],
    "high": [
        "The app has been down for an hour, I can't log in at all and I have a deadline",
        "Payment failed three times and I was charged twice, I need a refund today",
        "My order is stuck and I'm stranded without the part, when will it ship?",
        "Checkout is broken on mobile, error 500 every time",
    ],
    "normal": [
        "How do I export my data to CSV?",
        "Can you help me change the email on my account?",
        "Is there a student discount on the annual plan?",
        "Where can I find the API docs for webhooks?",
        "The new update is disappointing, the dark mode is gone",
    ],
    "low": [
        "Love the new release, great work team!",
        "Thanks for the quick help yesterday",
        "Just saw your booth at the conference, nice stickers",
        "Follow back? 🙂",
    ],
    "churn": [
        "I want to cancel my subscription, switching to a competitor next month",
        "Please close my account, this keeps breaking",
    ],
    "purchase": [
        "We'd like a quote for 200 seats, who can I talk to about pricing?",
        "Thinking about upgrading the team to the business plan, what's included?",
    ],
}
# A few Spanish messages (with their language set), so routing shows language skills at work.
SPANISH = ["Mi pedido no ha llegado y nadie me responde", "¿Cómo cambio el correo de mi cuenta?",
           "Me cobraron dos veces, necesito un reembolso"]
SPANISH_SHARE = 0.08
STORM_TEXT = "Your latest update deleted all my saved projects!!! Fix this now #outage"
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Goran", "Hana", "Ivan", "Jun",
         "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq"]


@dataclass(frozen=True, slots=True)
class DemoAuthor:
    id: str
    handle: str
    name: str
    followers: int


def _authors(rng: random.Random, n: int) -> list[DemoAuthor]:
    out = []
    for i in range(n):
        first = rng.choice(FIRST)
        out.append(DemoAuthor(id=f"u{i}", handle=f"@{first.lower()}{i}", name=f"{first} {chr(65 + i % 26)}.",
                              followers=int(rng.paretovariate(1.2) * 50)))
    return out


KINDS = list(TEMPLATES)


def _kind(rng: random.Random) -> str:
    return rng.choices(list(TEMPLATES), weights=[3, 12, 45, 30, 4, 6])[0]


def generate(*, count: int, end: datetime, days: float = 2.0, seed: int = 7,
             storm: int = 40) -> Iterator[dict]:
    """Messages as generic-webhook documents, oldest first, ending at `end`."""
    rng = random.Random(seed)
    authors = _authors(rng, max(10, count // 6))
    regulars = authors[: max(3, len(authors) // 10)]  # a few people write again and again
    hours = [end - timedelta(hours=h) for h in range(int(days * 24), 0, -1)]
    weights = [HOURLY[h.hour] for h in hours]
    stamps = sorted(rng.choices(hours, weights=weights, k=count))
    threads: list[tuple[str, str]] = []
    lang_rng = random.Random(seed + 1)  # its own stream: the rest of the traffic stays as it was
    for i, hour in enumerate(stamps):
        at = hour + timedelta(seconds=rng.randrange(3600))
        author = rng.choice(regulars) if rng.random() < 0.35 else rng.choice(authors)
        kind = KINDS[i] if i < len(KINDS) else _kind(rng)  # every kind shows up at least once
        source = rng.choice(DEMO_SOURCES)
        thread = None
        if threads and rng.random() < 0.15:  # a follow-up in an earlier conversation
            source, thread = rng.choice(threads)
        doc = {
            "source": source, "external_id": f"demo-{seed}-{i}", "thread_id": thread,
            "author": {"id": author.id, "handle": author.handle, "name": author.name,
                       "followers": author.followers},
            "text": rng.choice(TEMPLATES[kind]), "created_at": at.isoformat(),
            "url": f"https://example.com/{source}/{i}",
        }
        if lang_rng.random() < SPANISH_SHARE:
            doc.update(text=lang_rng.choice(SPANISH), language="es")
        threads.append((source, thread or doc["external_id"]))
        yield doc
    storm_start = end - timedelta(minutes=30)
    for j in range(storm):  # a complaint storm: many people, one text, minutes apart
        author = rng.choice(authors)
        yield {"source": "demo-x", "external_id": f"demo-{seed}-storm-{j}",
               "author": {"id": author.id, "handle": author.handle, "name": author.name},
               "text": STORM_TEXT, "created_at": (storm_start + timedelta(seconds=20 * j)).isoformat()}


# CRM facts for a few demo authors (ids are stable across seeds; u0-u2 are the regular writers),
# so the demo inbox shows relationship value from real facts, not only from keywords.
DEMO_CONTACTS: list[dict] = [
    {"crm_id": "DEMO-1", "name": "Demo gold customer", "group": "customer", "tier": "gold",
     "lifetime_value": 12_000, "open_orders": 1, "author_id": "u0"},
    {"crm_id": "DEMO-2", "name": "Demo partner", "group": "partner", "tier": "platinum",
     "lifetime_value": 80_000, "open_deals": 2, "author_id": "u1"},
    {"crm_id": "DEMO-3", "name": "Demo prospect", "group": "prospect", "open_deals": 1, "author_id": "u2"},
    {"crm_id": "DEMO-4", "name": "Demo moderator", "group": "customer", "tier": "silver",
     "community_role": "moderator", "tenure_days": 900, "author_id": "u3"},
    {"crm_id": "DEMO-5", "name": "Demo journalist", "group": "press", "author_id": "u4"},
]


def demo_crm_records() -> list[tuple[int, dict]]:
    """The demo contacts as CRM records, one identity per demo source, numbered like file lines."""
    out = []
    for n, contact in enumerate(DEMO_CONTACTS, 1):
        author = contact["author_id"]
        record = {k: v for k, v in contact.items() if k != "author_id"}
        record["identities"] = [{"source": s, "author_id": author} for s in DEMO_SOURCES]
        out.append((n, record))
    return out
