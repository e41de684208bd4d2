"""Hyperopt: the loss and penalties against n3fit 4.1.5's own code, the trial's threshold rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from disfit.hyperopt import penalties
from disfit.hyperopt.rewards import (
    STATISTICS,
    FoldResult,
    chi2exp_penalty,
    fold_loss,
    trial_loss,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "n3fit_hyperopt.json").read_text())


@pytest.mark.parametrize(
    "case",
    REFERENCE["cases"],
    ids=lambda c: f"{c['loss_type']}-{c['statistic']}-{c['penalties_in_loss']}",
)
def test_fold_loss_equals_n3fit(case):
    """n3fit's HyperLoss.compute_loss (tests/reference/make_n3fit_hyperopt.py) and its fold
    statistic: the best 85 % of validation χ², the lowest 15 % of held-out χ² above 2, φ."""
    fold = FoldResult(
        np.array(case["validation"]),
        np.array(case["held_out"]),
        case["phi"],
        1.0,
        {k: np.array(v) for k, v in case["penalties"].items()},
    )
    got = fold_loss(fold, case["loss_type"], case["statistic"], 0.85, case["penalties_in_loss"])
    assert got == pytest.approx(case["fold_loss"], rel=1e-12)
    # over folds: the statistic, its reciprocal for phi2
    over = STATISTICS[case["statistic"]](np.array(case["folds"]))
    if case["loss_type"] == "phi2":
        over = 1.0 / over
        # through the trial (no threshold crossed, χ²_exp of the fitted data ≤ 1.2)
        folds = [FoldResult(np.zeros(1), np.zeros(1), v, 1.0) for v in case["folds"]]
        result = trial_loss(folds, 4, "phi2", fold_statistic=case["statistic"])
        assert result.loss == pytest.approx(over + chi2exp_penalty(1.0), rel=1e-12)
    assert over == pytest.approx(case["over_folds"], rel=1e-12)


def test_chi2exp_penalty_equals_n3fit():
    for chi2, value in zip(REFERENCE["elu"]["chi2"], REFERENCE["elu"]["penalty"], strict=True):
        assert chi2exp_penalty(chi2) == pytest.approx(value, rel=1e-6, abs=1e-12)  # float32


def test_penalties_equal_n3fit():
    ref = REFERENCE["saturation"]
    np.testing.assert_allclose(
        penalties.saturation(np.array(ref["xf"])), ref["penalty"], rtol=1e-6
    )  # n3fit's model output is float32
    ref = REFERENCE["patience"]
    got = penalties.patience(
        np.array(ref["best_epoch"]), ref["patience"], ref["epochs"], np.array(ref["validation"])
    )
    np.testing.assert_allclose(got, ref["penalty"], rtol=1e-12)
    ref = REFERENCE["integrability"]
    np.testing.assert_allclose(
        penalties.integrability(np.array(ref["numbers"])), ref["penalty"], rtol=1e-12
    )


def test_threshold_ends_the_trial():
    """A fold above the threshold ends the trial: the losses so far times the folds not yet
    computed, status fail (n3fit's model_trainer)."""

    def fold(validation: float, chi2exp: float = 1.0) -> FoldResult:
        return FoldResult(np.full(4, validation), np.full(4, 1.0), 0.3, chi2exp)

    ok = trial_loss([fold(1.0), fold(3.0), fold(2.0), fold(2.0)], 4, threshold=10.0)
    assert ok.passed and ok.loss == pytest.approx(2.0 + chi2exp_penalty(1.0))
    bad = trial_loss([fold(1.0), fold(12.0), fold(2.0), fold(2.0)], 4, threshold=10.0)
    assert not bad.passed and bad.fold_losses == (3.0, 36.0)
    assert bad.loss == pytest.approx(19.5 + chi2exp_penalty(1.0))
    # the χ²_exp of the fitted data above 1.2 costs 100 per unit
    worse = trial_loss([fold(1.0, 1.5)] * 4, 4)
    assert worse.loss == pytest.approx(1.0 + 30.0)
