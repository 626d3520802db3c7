"""Relationship value: how much the relationship with an author matters, apart from their reach."""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.domain.scoring import AuthorContext, Reason

# Weight of each constituent group; leads override these in the relationship policy (classifier issue).
DEFAULT_GROUP_WEIGHTS = {
    "customer": 0.55, "partner": 0.6, "investor": 0.5, "employee": 0.35, "prospect": 0.4,
    "supplier": 0.3, "press": 0.35, "public": 0.1,
}
CRM_TIER_BONUS = {"platinum": 0.3, "gold": 0.25, "silver": 0.15, "bronze": 0.05}
INTENT_BONUS = {"churn_risk": 0.2, "purchase_intent": 0.15, "partnership": 0.15}


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
                       group_weights: dict[str, float] | None = None) -> RelationshipValue:
    """Value in [0, 1] from group, CRM facts, history and intent; followers never count here."""
    weights = group_weights or DEFAULT_GROUP_WEIGHTS
    value = weights.get(ctx.group, weights.get("public", 0.1))
    reasons: list[Reason] = []
    if ctx.group != "public":
        reasons.append(Reason(f"{ctx.group}", value))
    if ctx.crm_tier and ctx.crm_tier.lower() in CRM_TIER_BONUS:
        bonus = CRM_TIER_BONUS[ctx.crm_tier.lower()]
        value += bonus
        reasons.append(Reason(f"{ctx.crm_tier.lower()}-tier account", bonus))
    if ctx.interactions >= 5:
        value += 0.05
        reasons.append(Reason(f"{ctx.interactions} past interactions", 0.05))
    if ctx.open_cases:
        value += 0.05
        reasons.append(Reason(f"{ctx.open_cases} open case(s)", 0.05))
    if ctx.community_role:
        value += 0.1
        reasons.append(Reason(f"community {ctx.community_role}", 0.1))
    if intent in INTENT_BONUS:
        bonus = INTENT_BONUS[intent]
        value += bonus
        label = {"churn_risk": "churn signal", "purchase_intent": "purchase signal",
                 "partnership": "partnership interest"}[intent]
        if ctx.crm_tier:
            label += f" from a {ctx.crm_tier.lower()}-tier {ctx.group}"
        reasons.append(Reason(label, bonus))
    value = round(min(1.0, max(0.0, value)), 3)
    return RelationshipValue(value=value, tier=tier_for(value), reasons=tuple(reasons))
