"""Choosing the scorer: the learned model when it loads, else the rule scorer, visibly."""

from __future__ import annotations

import logging

from triage.config import Settings
from triage.core.scoring import Scorer
from triage.platform.metrics import SCORER_FALLBACK, SCORER_IN_USE
from triage.scoring.domain.rules import RuleScorer

log = logging.getLogger(__name__)


def load_scorer(settings: Settings) -> Scorer:
    """The scorer settings ask for; a model that cannot load falls back to rules and says so."""
    if settings.scorer == "rules":
        SCORER_IN_USE.set(0)
        return RuleScorer()
    try:
        from triage.scoring.classifier.loader import (
            build_model_scorer,  # heavy: torch, sentence-transformers
        )

        scorer = build_model_scorer(settings.model_dir, channels={
            name: src.channel for name, src in settings.sources.items()})
    except Exception as exc:  # missing, corrupt or incompatible model: keep scoring with rules
        if settings.scorer == "model":
            raise
        log.error("learned model unavailable, rule scorer takes over: %s", exc)
        SCORER_FALLBACK.labels(reason=type(exc).__name__).inc()
        SCORER_IN_USE.set(0)
        return RuleScorer()
    SCORER_IN_USE.set(1)
    return scorer
