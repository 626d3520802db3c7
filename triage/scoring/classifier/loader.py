"""The one way the platform gets a ModelScorer: fails with ModelLoadError so rules can take over."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from triage.scoring.classifier.embedder import CachedEmbedder, Embedder, MiniLMEmbedder
from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.language import LanguageDetector, LinguaDetector
from triage.scoring.classifier.reload import PromotedWatch
from triage.scoring.classifier.scorer import ModelScorer

log = logging.getLogger(__name__)
WARM_UP = "warm up the model before the first batch"


def build_model_scorer(models_dir: Path, *, embedder: Embedder | None = None,
                       detector: LanguageDetector | None = None,
                       detect_language: bool = True, reload: bool = True,
                       channels: Mapping[str, str] | None = None) -> ModelScorer:
    """Check the artifact first (cheap), then load MiniLM once; call before the worker forks.

    With `reload`, the scorer checks models/CURRENT before each batch and swaps in a newly
    promoted version, so `triage train` reaches running workers without a restart.
    `channels` maps source names to their connector channel (the heads' channel block).
    """
    if embedder is None:
        inner = MiniLMEmbedder()
        load_heads(models_dir, embedder_id=inner.model_id, embed_dim=inner.dim)  # fail fast
        try:
            inner.load()
        except (ImportError, OSError) as exc:
            raise ModelLoadError(f"embedding model unavailable: {exc}") from exc
        inner.embed([WARM_UP])  # torch's first call costs seconds: pay it before the first batch
        embedder = CachedEmbedder(inner)
    heads = load_heads(models_dir, embedder_id=embedder.model_id, embed_dim=embedder.dim)
    if detector is None and detect_language:
        try:
            detector = LinguaDetector()
            detector.detect("warm up")  # lingua loads its models lazily: pay that before forking
        except ImportError:
            log.warning("lingua-language-detector missing: no language flags in reasons")
    watch = PromotedWatch(models_dir, heads.version, embedder_id=embedder.model_id,
                          embed_dim=embedder.dim) if reload else None
    return ModelScorer(embedder, heads, detector=detector, watch=watch, channels=channels)
