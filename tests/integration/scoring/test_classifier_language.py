"""The real lingua detector on the cases the scorer's flags depend on (needs lingua installed)."""

from __future__ import annotations

import pytest

pytest.importorskip("lingua", reason="lingua-language-detector is in the ml extra")

from triage.scoring.classifier.language import MIN_LANGUAGE_CONFIDENCE, LinguaDetector


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    return LinguaDetector()


def test_german_support_mail_is_called_german_with_confidence(detector):
    lang, conf = detector.detect("Sehr geehrte Damen und Herren, mein Konto ist seit gestern "
                                 "gesperrt und ich kann nicht bezahlen.")
    assert lang == "de" and conf >= MIN_LANGUAGE_CONFIDENCE


def test_english_complaint_is_english(detector):
    lang, _ = detector.detect("my flight was cancelled and nobody at the desk will help us")
    assert lang == "en"


def test_empty_text_is_unknown_with_zero_confidence(detector):
    assert detector.detect("")[1] == 0.0
