"""The pure parts of bench/bench_generalisation.py: gate grid, gate choice, rescoring, patching."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_generalisation import (
    GateInputs,
    gate_grid,
    rank_gates,
    urgency_only,
    with_mean,
)
from triage.scoring.classifier import baselines, train
from triage.scoring.classifier.data import FIELDS
from triage.scoring.classifier.familiarity import Gate
from triage.scoring.classifier.pipeline import GATE


def test_the_grid_holds_only_valid_gates_and_the_shipped_one():
    grid = gate_grid()
    assert len(grid) == len(set(grid)) == 200
    assert all(g.familiar > g.novel for g in grid)
    assert GATE in grid


def test_a_gate_that_costs_in_source_is_never_chosen_however_much_it_transfers():
    costly, cheap, free = Gate(0.2, 0.4, 0.6), Gate(0.3, 0.5, 0.6), Gate(0.4, 0.6, 0.3)
    in_source = {None: 0.70, costly: 0.69, cheap: 0.70, free: 0.71}
    loso = {None: 0.30, costly: 0.50, cheap: 0.40, free: 0.35}
    assert rank_gates(in_source, loso) == [cheap, free]


def test_no_gate_is_ranked_when_every_gate_costs_in_source():
    g = Gate(0.3, 0.5, 0.6)
    assert rank_gates({None: 0.7, g: 0.6}, {None: 0.3, g: 0.9}) == []


def test_rescoring_without_a_gate_is_the_model_and_on_novel_text_a_full_gate_is_the_rules():
    classes = np.array(["high", "low"])
    inputs = GateInputs(proba=np.array([[0.9, 0.1], [0.8, 0.2]]),
                        onehot=np.array([[0.0, 1.0], [0.0, 1.0]]),
                        similarity=np.array([0.1, 0.9]), classes=classes, gold=["low", "high"])
    assert inputs.f1(None) == pytest.approx(1 / 3)  # predicts high, high
    assert inputs.f1(Gate(novel=0.3, familiar=0.5, max_weight=1.0)) == 1.0  # low, high


def test_urgency_only_patches_both_modules_and_restores_them_after_an_error():
    with pytest.raises(RuntimeError), urgency_only():
        assert train.FIELDS == baselines.FIELDS == ("urgency",)
        raise RuntimeError
    assert train.FIELDS == baselines.FIELDS == FIELDS


def test_the_mean_row_averages_figure_columns_only():
    rows = with_mean([["a", 10, 0.5, 0.2], ["b", 30, 0.7, 0.4]], 2)
    assert rows[-1][:2] == ["mean", ""]
    assert rows[-1][2:] == pytest.approx([0.6, 0.3])


def test_a_dip_within_the_promotion_tolerance_is_allowed_and_one_beyond_it_is_not():
    small, big = Gate(0.3, 0.5, 0.6), Gate(0.35, 0.45, 0.6)
    in_source = {None: 0.7000, small: 0.6970, big: 0.6900}
    loso = {None: 0.30, small: 0.39, big: 0.40}
    assert rank_gates(in_source, loso, tolerance=0.0037) == [small]


def test_the_tally_counts_ties_as_wins_and_names_every_fold_lost_to_baseline_b():
    from bench.bench_generalisation import Tally

    tally = Tally()
    tally.add("loso", "airline", 0.70, 0.80)
    tally.add("loeo", "italy", 0.75, 0.75)
    tally.add("loao", "united", 0.81, 0.80)
    assert tally.line() == "model >= B on 2 of 3 folds; behind on: loso/airline -0.100"


def test_means_skip_cells_without_a_figure():
    from bench.bench_generalisation import mean

    assert mean([0.5, float("nan"), 0.7]) == pytest.approx(0.6)
    assert np.isnan(mean([float("nan")]))
