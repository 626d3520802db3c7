"""Language detection behind a port; lingua restricted to the languages our channels carry."""

from __future__ import annotations

from typing import Protocol

# The languages we expect from our channels; a small set keeps lingua fast and less confused.
DEFAULT_LANGUAGES = ("ENGLISH", "GERMAN", "FRENCH", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH")
MIN_LANGUAGE_CONFIDENCE = 0.5  # lingua's relative confidence; short English texts score ~0.3


class LanguageDetector(Protocol):
    """ISO 639-1 code (or None when unknown) and the detector's confidence in it."""

    def detect(self, text: str) -> tuple[str | None, float]: ...


class LinguaDetector:
    """lingua-language-detector, built once with a restricted language set."""

    def __init__(self, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> None:
        from lingua import Language, LanguageDetectorBuilder  # lazy: ~100 MB of models

        self._detector = LanguageDetectorBuilder.from_languages(
            *[getattr(Language, name) for name in languages]).build()

    def detect(self, text: str) -> tuple[str | None, float]:
        """Top language of `text` (first 1,000 chars are plenty) with its confidence."""
        values = self._detector.compute_language_confidence_values(text[:1000])
        if not values:
            return None, 0.0
        top = values[0]
        return top.language.iso_code_639_1.name.lower(), float(top.value)
