"""The evaluation numbers themselves: wrong metrics would make every comparison meaningless."""

from __future__ import annotations

import pytest

from triage.scoring.classifier.metrics import ece, field_report, macro_f1, ndcg, per_class


def test_macro_f1_averages_only_the_classes_in_the_gold_labels():
    gold = ["a", "a", "b", "b"]
    pred = ["a", "c", "b", "b"]
    table = per_class(gold, pred)
    assert set(table) == {"a", "b"}
    assert table["a"]["precision"] == 1.0 and table["a"]["recall"] == 0.5
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 1.0) / 2)


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    assert ece([0.75] * 4, [True, True, True, False]) == pytest.approx(0.0)
    assert ece([0.99] * 4, [False] * 4) == pytest.approx(0.99)


def test_ndcg_is_one_for_the_ideal_order_and_lower_when_reversed():
    gold = ["critical", "high", "normal", "low"]
    assert ndcg(gold, [4, 3, 2, 1]) == pytest.approx(1.0)
    assert ndcg(gold, [1, 2, 3, 4]) < 0.7


def test_field_report_for_urgency_ranks_by_expected_gain():
    gold = ["critical", "low"]
    proba = [{"critical": 0.6, "low": 0.4}, {"critical": 0.1, "low": 0.9}]
    report = field_report(gold, ["critical", "low"], proba, urgency=True)
    assert report["macro_f1"] == 1.0 and report["ndcg"] == pytest.approx(1.0)
    assert report["ece"] == pytest.approx(((1 - 0.6) + (1 - 0.9)) / 2)
