"""What a score is and the seam every scorer plugs into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from triage.core.message import Message

URGENCIES = ("critical", "high", "normal", "low")
INTENTS = (
    "question", "complaint", "purchase_intent", "churn_risk", "praise",
    "feedback", "partnership", "press", "spam", "other",
)
SENTIMENTS = ("negative", "neutral", "positive")
TIERS = ("key", "high", "medium", "low")
# The constituent groups a person belongs to (a CRM contact's group; "public" when unknown).
GROUPS = ("customer", "partner", "investor", "employee", "prospect", "supplier", "press", "public")


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor behind a score, in words a manager reads in the inbox."""

    text: str
    weight: float = 0.0  # contribution to priority, for ordering reasons; sign says direction
    # "relationship" and "reach" reasons are recomputed when the relationship policy changes
    kind: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"text": self.text, "weight": round(self.weight, 4)}
        if self.kind:
            out["kind"] = self.kind
        return out


@dataclass(frozen=True, slots=True)
class Score:
    """Urgency, relationship value and priority of one message, each explained."""

    urgency: str
    intent: str
    sentiment: str
    relationship: float  # 0..1, how much the relationship with this author matters
    tier: str
    priority: float  # 0..100, the inbox sorts on this
    confidence: float  # 0..1, low confidence is flagged in the reasons
    model: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    urgency_proba: dict[str, float] = field(default_factory=dict)
    intent_proba: dict[str, float] = field(default_factory=dict)
    sentiment_proba: dict[str, float] = field(default_factory=dict)

    def top_reasons(self, n: int = 3) -> list[Reason]:
        return sorted(self.reasons, key=lambda r: -abs(r.weight))[:n]


@dataclass(frozen=True, slots=True)
class AuthorContext:
    """What we know of an author when scoring: history and standing, never reach as depth."""

    group: str = "public"  # customer, prospect, partner, employee, investor, supplier, press, public
    crm_tier: str | None = None
    lifetime_value: float = 0.0
    open_cases: int = 0
    interactions: int = 0
    community_role: str | None = None
    followers: int = 0
    verified: bool = False
    open_deals: int = 0  # open orders or deals in the CRM
    tenure_days: int | None = None  # days as a member of our community, when known
    past_sentiment: float | None = None  # mean of earlier messages, -1 (negative) .. +1 (positive)
    days_since_last: float | None = None  # since the author's previous message; None if first


class Scorer(Protocol):
    """Scores messages in batches; a failure on one message must not fail the others."""

    name: str

    def score_batch(
        self, messages: Sequence[Message], contexts: Sequence[AuthorContext]
    ) -> list[Score]: ...
