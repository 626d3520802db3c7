"""Relationship value: how much the relationship with an author matters, apart from their reach."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.core.errors import Invalid
from triage.core.scoring import GROUPS, INTENTS, AuthorContext, Reason

# Weight of each constituent group; leads override these in the relationship policy (classifier issue).
DEFAULT_GROUP_WEIGHTS = {
    "customer": 0.55, "partner": 0.6, "investor": 0.5, "employee": 0.35, "prospect": 0.4,
    "supplier": 0.3, "press": 0.35, "public": 0.1,
}
CRM_TIER_BONUS = {"platinum": 0.3, "gold": 0.25, "silver": 0.15, "bronze": 0.05}
INTENT_BONUS = {"churn_risk": 0.2, "purchase_intent": 0.15, "partnership": 0.15}
# Most each signal can add; a lead sets 0 to say a signal does not matter for the current objectives.
DEFAULT_SIGNALS = {
    "history": 0.05,  # HISTORY_MIN or more earlier interactions
    "open_cases": 0.05,  # unresolved conversations with us right now
    "open_deals": 0.1,  # open orders or deals in the CRM
    "lifetime_value": 0.1,  # full at LTV_FULL, on a log scale
    "community": 0.1,  # a role in our own community (moderator, champion...)
    "tenure": 0.05,  # full at TENURE_FULL_DAYS of membership
    "souring": 0.1,  # earlier messages mostly negative: a relationship at risk
    "recency": 0.05,  # wrote to us recently: a live relationship
}
HISTORY_MIN = 5
LTV_FULL = 100_000.0  # lifetime value that earns the whole lifetime_value signal
TENURE_FULL_DAYS = 730  # two years of membership earn the whole tenure signal
SOURING_BELOW = -0.3  # mean past sentiment under this counts as souring
RECENT_DAYS = 30.0
REACH_FOLLOWERS = 10_000  # awareness signal only: shown as a badge, never added to the value


@dataclass(frozen=True)
class RelationshipPolicy:
    """Which groups and signals matter, set by leads; every weight in [0, 1], value capped."""

    group_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_GROUP_WEIGHTS))
    tier_bonus: Mapping[str, float] = field(default_factory=lambda: dict(CRM_TIER_BONUS))
    intent_bonus: Mapping[str, float] = field(default_factory=lambda: dict(INTENT_BONUS))
    signals: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SIGNALS))
    cap: float = 1.0

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RelationshipPolicy:
        """Validate a lead's policy; missing keys keep their defaults; Invalid lists every problem."""
        problems: list[str] = []
        unknown = set(doc) - {"group_weights", "tier_bonus", "intent_bonus", "signals", "cap"}
        if unknown:
            problems.append(f"unknown sections: {', '.join(sorted(unknown))}")
        sections = {
            "group_weights": (DEFAULT_GROUP_WEIGHTS, GROUPS, "group"),
            "tier_bonus": (CRM_TIER_BONUS, None, "tier"),
            "intent_bonus": (INTENT_BONUS, INTENTS, "intent"),
            "signals": (DEFAULT_SIGNALS, tuple(DEFAULT_SIGNALS), "signal"),
        }
        out: dict[str, Any] = {}
        for name, (defaults, known, what) in sections.items():
            given = doc.get(name) or {}
            if not isinstance(given, Mapping):
                problems.append(f"{name} must be an object of {what} -> weight")
                given = {}
            merged = dict(defaults)
            for key, weight in given.items():
                key = str(key).strip().lower()
                if known is not None and key not in known:
                    problems.append(f"unknown {what} {key!r} in {name}; known: {', '.join(known)}")
                elif not key or len(key) > 32:
                    problems.append(f"{what} names in {name} must be 1-32 characters")
                elif not _unit(weight):
                    problems.append(f"{name}.{key} must be a number in [0, 1], got {weight!r}")
                else:
                    merged[key] = float(weight)
            out[name] = merged
        cap = doc.get("cap", 1.0)
        if not _unit(cap) or float(cap) == 0:
            problems.append(f"cap must be a number in (0, 1], got {cap!r}")
        if problems:
            raise Invalid("; ".join(problems))
        return cls(cap=float(cap), **out)

    def as_dict(self) -> dict[str, Any]:
        return {"group_weights": dict(self.group_weights), "tier_bonus": dict(self.tier_bonus),
                "intent_bonus": dict(self.intent_bonus), "signals": dict(self.signals),
                "cap": self.cap}


def _unit(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and 0.0 <= float(x) <= 1.0


DEFAULT_POLICY = RelationshipPolicy()


@dataclass(frozen=True, slots=True)
class RelationshipValue:
    value: float
    tier: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def tier_for(value: float) -> str:
    """Tiers are fixed cut points so a manager can read them without knowing the formula."""
    if value >= 0.75:
        return "key"
    if value >= 0.5:
        return "high"
    if value >= 0.25:
        return "medium"
    return "low"


def relationship_value(ctx: AuthorContext, *, intent: str | None = None,
                       group_weights: dict[str, float] | None = None,
                       policy: RelationshipPolicy | None = None) -> RelationshipValue:
    """Value in [0, 1] from group, CRM facts, history and intent; followers never count here."""
    pol = policy or DEFAULT_POLICY
    weights = group_weights or pol.group_weights
    value = weights.get(ctx.group, weights.get("public", 0.1))
    reasons: list[Reason] = []
    if ctx.group != "public":
        reasons.append(Reason(f"{ctx.group}", value, kind=KIND))
    tier = (ctx.crm_tier or "").lower()
    if tier and pol.tier_bonus.get(tier):
        reasons.append(Reason(f"{tier}-tier account", pol.tier_bonus[tier], kind=KIND))
    reasons.extend(_signals(ctx, pol.signals))
    if intent and pol.intent_bonus.get(intent):
        label = {"churn_risk": "churn signal", "purchase_intent": "purchase signal",
                 "partnership": "partnership interest"}.get(intent, f"{intent} signal")
        if ctx.crm_tier:
            label += f" from a {tier}-tier {ctx.group}"
        reasons.append(Reason(label, pol.intent_bonus[intent], kind=KIND))
    value += sum(r.weight for r in reasons[1 if ctx.group != "public" else 0:])
    value = round(min(pol.cap, 1.0, max(0.0, value)), 3)
    return RelationshipValue(value=value, tier=tier_for(value), reasons=tuple(reasons))


KIND = "relationship"


def _signals(ctx: AuthorContext, w: Mapping[str, float]) -> list[Reason]:
    """The history and standing signals that apply, each scaled by the policy's weight."""
    found: list[tuple[str, str, float]] = []  # (signal, text, share of its weight)
    if ctx.interactions >= HISTORY_MIN:
        found.append(("history", f"{ctx.interactions} past interactions", 1.0))
    if ctx.open_cases:
        found.append(("open_cases", f"{ctx.open_cases} open case(s)", 1.0))
    if ctx.open_deals:
        found.append(("open_deals", f"{ctx.open_deals} open order(s) or deal(s)", 1.0))
    if ctx.lifetime_value > 0:
        share = min(1.0, math.log10(1 + ctx.lifetime_value) / math.log10(1 + LTV_FULL))
        found.append(("lifetime_value", f"lifetime value {ctx.lifetime_value:,.0f}", share))
    if ctx.community_role:
        found.append(("community", f"community {ctx.community_role}", 1.0))
    if ctx.tenure_days and ctx.tenure_days >= 30:
        years = ctx.tenure_days / 365
        span = f"{years:.1f} years" if years >= 1 else f"{ctx.tenure_days // 30} months"
        found.append(("tenure", f"community member for {span}",
                      min(1.0, ctx.tenure_days / TENURE_FULL_DAYS)))
    if ctx.past_sentiment is not None and ctx.past_sentiment <= SOURING_BELOW:
        found.append(("souring", "earlier messages mostly negative: relationship at risk",
                      min(1.0, -ctx.past_sentiment)))
    if ctx.days_since_last is not None and ctx.days_since_last <= RECENT_DAYS:
        days = ctx.days_since_last
        when = "today" if days < 1 else f"{days:.0f} d ago"
        found.append(("recency", f"last wrote to us {when}", 1.0 - days / (2 * RECENT_DAYS)))
    return [Reason(text, round(w.get(sig, 0.0) * share, 4), kind=KIND)
            for sig, text, share in found if w.get(sig, 0.0) * share > 0]


def reach_reason(ctx: AuthorContext) -> Reason | None:
    """Reach as its own awareness line ('large reach: 2.0M followers'); it never adds value."""
    if ctx.followers < REACH_FOLLOWERS and not ctx.verified:
        return None
    n = ctx.followers
    size = f"{n / 1e6:.1f}M" if n >= 1_000_000 else f"{n / 1e3:.0f}k" if n >= 1000 else str(n)
    return Reason(f"large reach: {size} followers" + (", verified" if ctx.verified else ""),
                  0.0, kind="reach")
