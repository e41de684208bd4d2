"""Hyperopt: the loss and penalties against n3fit 4.1.5's own code, the trial's threshold rule."""

from __future__ import annotations

import dataclasses
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


# --- folds, scores, search space and sampler --------------------------------------------------

FOLDS = [{"datasets": ["TOY_RATIO"]}, {"datasets": ["TOY_A"]}]


def test_folds_leave_their_datasets_out():
    """A fold's replicas train and validate on the other datasets only: their χ² is n3fit's,
    the residuals of the held-out points zeroed under the inverse of the whole training
    (validation) sub-covariance, and moving the held-out data changes nothing."""
    from helpers import toy_fit_config, toy_fit_inputs

    from disfit.fit.train import ChiSquare, Trainer
    from disfit.hyperopt.trial import held_out_masks, stacked_setup

    inputs = toy_fit_inputs()
    fit = toy_fit_config()
    fit["diagonal_basis"] = False
    folds = held_out_masks(inputs, FOLDS)
    assert folds.sum(axis=1).tolist() == [12, 30]
    setup = stacked_setup(inputs, fit, 2, folds)
    assert setup.replicas == [1, 2, 1, 2]
    np.testing.assert_array_equal(setup.pseudodata[0], setup.pseudodata[2])  # same replica
    trainer = Trainer(inputs, setup, fit)
    xf = trainer.xf_flat()
    fitted = xf.numpy().reshape(4, 8, -1)
    for which, model in ((setup.trmasks, trainer.training), (~setup.trmasks, trainer.validation)):
        got = model(xf).numpy()
        for e in range(4):
            kept = ~setup.held_out[e]
            residual = (inputs.predictions(fitted[e]) - setup.pseudodata[e]) * kept
            points = np.flatnonzero(which[e])
            inverse = np.linalg.inv(inputs.fit_covmat[np.ix_(points, points)])
            expected = residual[points] @ inverse @ residual[points]
            np.testing.assert_allclose(got[e], expected, rtol=2e-4)
        np.testing.assert_array_equal(model.npoints, (which & ~setup.held_out).sum(axis=1))
    # the held-out data do not enter: shift them and the χ² stay
    moved = setup.pseudodata + np.where(setup.held_out, 100.0, 0.0)
    again = ChiSquare(inputs, dataclasses.replace(setup, pseudodata=moved), training=True)
    np.testing.assert_allclose(again(xf).numpy(), trainer.training(xf).numpy(), rtol=1e-6)


def test_scores_are_n3fits_definitions():
    """Held-out χ²/N with the fold's residuals under the inverse of the whole covariance group
    (n3fit's invcovmat_true), φ and χ²_exp of the best replicas' mean with the experimental
    covariance of the fold's (the fitted) datasets only (vpinterface.compute_hyperopt_metrics)."""
    from helpers import toy_fit_inputs

    from disfit.hyperopt.trial import held_out_masks, score

    inputs = toy_fit_inputs()
    inputs = dataclasses.replace(inputs, fit_covmat=inputs.covmat * 1.3)  # t0 ≠ experimental
    folds = held_out_masks(inputs, FOLDS)
    rng = np.random.default_rng(3)
    replicas = 4
    predictions = inputs.central * (1 + 0.03 * rng.normal(size=(2 * replicas, inputs.ndata)))
    validation = np.array([1.5, 1.1, np.nan, 1.3, 2.0, 1.0, 1.2, 0.9])
    pen = {"patience": np.arange(8.0)}
    scores = score(inputs, folds, replicas, predictions, validation, pen, 0.5)
    full_inverse = np.linalg.inv(inputs.fit_covmat)
    for k, fold in enumerate(folds):
        entries = slice(k * replicas, (k + 1) * replicas)
        r = (predictions[entries] - inputs.central) * fold
        expected = np.einsum("ri,ij,rj->r", r, full_inverse, r) / fold.sum()
        np.testing.assert_allclose(scores.folds[k].held_out, expected, rtol=1e-10)
        best = np.argsort(validation[entries])[:2]  # NaN last
        chosen = predictions[entries][best]
        for rows, got_phi, got_chi2 in (
            (fold, scores.folds[k].phi, scores.details[k]["chi2exp_held_out"]),
            (~fold, None, scores.folds[k].chi2exp_fitted),
        ):
            inv = np.linalg.inv(inputs.covmat[np.ix_(rows, rows)])
            d = chosen[:, rows] - inputs.central[rows]
            mean = d.mean(axis=0)
            assert got_chi2 == pytest.approx(mean @ inv @ mean / rows.sum(), rel=1e-10)
            if got_phi is not None:
                each = np.einsum("ri,ij,rj->r", d, inv, d)
                phi2 = (each.mean() - mean @ inv @ mean) / rows.sum()
                assert got_phi == pytest.approx(np.sqrt(phi2), rel=1e-10)
        np.testing.assert_array_equal(
            scores.folds[k].penalties["patience"], pen["patience"][entries]
        )
    assert np.isnan(validation[2]) and 2 not in np.argsort(validation[:4])[:2]


def _space(**changes):
    from disfit.config import with_defaults

    return with_defaults("hyperopt", changes)


def test_parameters_become_the_fit_section():
    """A trial's n3fit labels → nodes_per_layer (the fit's output layer kept), one activation
    for the hidden layers and a linear output, the optimizer with its rates, the λ's; what the
    space does not vary keeps the fit's value."""
    from disfit.config import validate_config
    from disfit.hyperopt.space import fit_section

    fit = validate_config({"datasets": [{"dataset": "A"}]})["fit"]
    space = _space(optimizer=[{"optimizer_name": "Adam", "learning_rate": 0.01}])
    params = {
        "epochs": 9000,
        "stopping_patience": 0.22,
        "optimizer": "Adam",
        "initial": 30.0,
        "integrability_initial": 4.0,
        "n_layers": 3,
        "nl3:-0/3": 12,
        "nl3:-1/3": 20,
        "nl3:-2/3": 31,
        "activation": "sigmoid",
        "initializer": "glorot_uniform",
    }
    got = fit_section(fit, params, space)
    assert got["nodes_per_layer"] == [12, 20, 31, 8]
    assert got["activation_per_layer"] == ["sigmoid"] * 3 + ["linear"]
    assert got["optimizer"] == {"optimizer_name": "Adam", "learning_rate": 0.01, "clipnorm": None}
    assert (got["epochs"], got["stopping_patience"], got["initializer"]) == (
        9000,
        0.22,
        "glorot_uniform",
    )
    assert got["positivity"]["initial"] == 30.0 and got["integrability"]["initial"] == 4.0
    assert got["positivity"]["datasets"] == fit["positivity"]["datasets"]
    assert fit_section(fit, {}, space) == fit  # the default trial: the fit as it is


def _records(proposals, losses):
    return [{**p, "loss": loss} for p, loss in zip(proposals, losses, strict=True)]


def test_sampler_is_a_function_of_seed_and_results():
    """Proposals depend on the seed, the generation and the earlier results only: the same
    inputs give the same proposals (a rerun, a resumed scan), other losses other proposals once
    TPE takes over; the drawn values lie in the space, with n3fit's labels."""
    from disfit.hyperopt.sampler import propose

    space = _space(batch=3, startup_trials=3)
    first = propose(space, 0, [])
    assert first == propose(space, 0, [])
    assert first != propose(_space(batch=3, startup_trials=3, seed=43), 0, [])
    records = _records(first, [3.0, 1.0, 2.0])
    second = propose(space, 1, records)
    assert second == propose(space, 1, list(reversed(records)))  # finishing order is irrelevant
    assert second != propose(space, 1, _records(first, [1.0, 3.0, 2.0]))
    assert [p["number"] for p in second] == [3, 4, 5]
    for p in first + second:
        params = p["params"]
        assert 5000 <= params["epochs"] <= 15000
        assert round((params["stopping_patience"] - 0.1) / 0.04, 9).is_integer()
        n = params["n_layers"]
        assert [k for k in params if k.startswith("nl")] == [f"nl{n}:-{i}/{n}" for i in range(n)]
        assert all(10 <= params[f"nl{n}:-{i}/{n}"] <= 45 for i in range(n))
        name = params["optimizer"]
        assert set(params) >= {f"{name}_learning_rate", f"{name}_clipnorm"}
        assert 1.0 <= params["initial"] <= 1000.0
    # a failed trial (no loss) is told as failed, not as a number
    assert propose(space, 1, _records(first, [3.0, None, 2.0]))


def test_hyperopt_config_checks():
    """One line naming the key and the fix: diagonal basis, folds of unknown datasets or of
    every dataset, ranges the wrong way round."""
    from disfit.checks import _hyperopt, check_config
    from disfit.config import validate_config
    from disfit.errors import DisfitError

    def check(fit: dict, hyperopt: dict):
        config = validate_config(
            {"datasets": [{"dataset": "A"}, {"dataset": "B"}], "fit": fit, "hyperopt": hyperopt}
        )
        _hyperopt(config)

    folds = {"kfold": {"partitions": [{"datasets": ["A"]}]}}
    check({"diagonal_basis": False}, folds)
    with pytest.raises(DisfitError, match="fit.diagonal_basis"):
        check({}, folds)
    with pytest.raises(DisfitError, match=r"partitions\[0\]: C is not among"):
        check({"diagonal_basis": False}, {"kfold": {"partitions": [{"datasets": ["C"]}]}})
    with pytest.raises(DisfitError, match="holds out every dataset"):
        check({"diagonal_basis": False}, {"kfold": {"partitions": [{"datasets": ["A", "B"]}]}})
    with pytest.raises(DisfitError, match="min_epochs: larger than max_epochs"):
        check({"diagonal_basis": False}, {**folds, "stopping": {"min_epochs": 9, "max_epochs": 3}})
    with pytest.raises(DisfitError, match=r"optimizer\[0\].learning_rate.min"):
        bad = [{"optimizer_name": "Adam", "learning_rate": {"min": 1.0, "max": 0.1}}]
        check({"diagonal_basis": False}, {**folds, "optimizer": bad})
    slac = {"dataset": "SLAC_NC_NOTFIXED_P_EM-F2", "variant": "legacy_dw"}
    nmc = {"dataset": "NMC_NC_NOTFIXED_P_EM-SIGMARED", "variant": "legacy"}
    fold = {"kfold": {"partitions": [{"datasets": [slac["dataset"]]}]}}
    with pytest.raises(DisfitError, match="^cfg: key fit.diagonal_basis"):  # on every config
        check_config(validate_config({"datasets": [slac, nmc], "hyperopt": fold}), "cfg")


TINY_SCAN = """\
fit: {epochs: 300, diagonal_basis: false}
hyperopt:
  trials: 4
  batch: 2
  startup_trials: 2
  replicas: 2
  stopping: {min_epochs: 150, max_epochs: 300, min_patience: 0.1, max_patience: 0.3}
  kfold:
    partitions:
      - datasets: [NMC_NC_NOTFIXED_P_EM-SIGMARED]
      - datasets: [HERA_NC_318GEV_EAVG_CHARM-SIGMARED]
"""


@pytest.mark.slow
def test_hyperopt_target_on_the_tiny_run(workdir, tiny_run):
    """`snakemake hyperopt` over the tiny run's data: two generations of two trials, each
    fitting both folds; the table, the best trial's config (a config the workflow plans a fit
    of) and the report; the same seed gives the same trials, from scratch and when a scan
    stopped after its first generation resumes; more trials add only their jobs."""
    import shutil

    from helpers import job_counts, snakemake

    from disfit.config import load_config
    from disfit.io.hyperopt import read_trial, read_trials_table

    assert tiny_run.returncode == 0
    overlay = workdir / "config" / "hyperopt-tiny.yaml"
    overlay.write_text(TINY_SCAN)
    configs = ("--configfile", "config/test.yaml", str(overlay))
    folder = workdir / "results" / "test" / "hyperopt"
    run = snakemake(workdir, "hyperopt", *configs)
    assert run.returncode == 0, run.stderr[-3000:]
    frame, _ = read_trials_table(folder / "trials.parquet")
    assert sorted(frame["number"]) == [0, 1, 2, 3, 4]  # 0: the fit's own parameters
    records = {n: read_trial(folder / "trials" / f"trial_{n}.json") for n in range(1, 5)}
    for record in records.values():
        held = [f["datasets"] for f in record["folds"]]
        assert held == [["NMC_NC_NOTFIXED_P_EM-SIGMARED"], ["HERA_NC_318GEV_EAVG_CHARM-SIGMARED"]]
        assert all(len(f["held_out"]) == 2 and f["ndata"] > 0 for f in record["folds"])
        assert record["status"] in ("ok", "fail") and np.isfinite(record["loss"])
    best = load_config(folder / "best.yaml")
    number = int(frame.loc[frame[frame["number"] > 0]["loss"].idxmin(), "number"])
    assert best["fit"]["nodes_per_layer"] == records[number]["fit"]["nodes_per_layer"]
    assert best["fit"]["epochs"] == records[number]["params"]["epochs"]
    assert "hyperopt" not in best and best["run_name"] == "test_hyperopt_best"
    dry = snakemake(workdir, "-n", "--configfile", str(folder / "best.yaml"))
    assert dry.returncode == 0 and "fit_1_1" in job_counts(dry.stdout), dry.stderr[-2000:]
    html = (folder / "report" / "index.html").read_text()
    assert html.count("<img") == 3 and len(list((folder / "report" / "figures").glob("*.png"))) == 3

    def same_trials() -> None:
        for n, record in records.items():
            again = read_trial(folder / "trials" / f"trial_{n}.json")
            assert again["params"] == record["params"]
            np.testing.assert_allclose(again["loss"], record["loss"], rtol=1e-12)

    # stopped after the first generation: the second is proposed and fitted again, the same
    for name in ("trials/trial_3.json", "trials/trial_4.json", "generations/generation_1.json"):
        (folder / name).unlink()
    for name in ("trials.parquet", "best.yaml"):
        (folder / name).unlink()
    shutil.rmtree(folder / "report")
    kept = {n: (folder / "trials" / f"trial_{n}.json").stat().st_mtime_ns for n in (1, 2)}
    run = snakemake(workdir, "hyperopt", *configs)
    assert run.returncode == 0, run.stderr[-3000:]
    assert kept == {n: (folder / "trials" / f"trial_{n}.json").stat().st_mtime_ns for n in (1, 2)}
    same_trials()
    # from scratch
    shutil.rmtree(folder)
    run = snakemake(workdir, "hyperopt", *configs)
    assert run.returncode == 0, run.stderr[-3000:]
    same_trials()
    # two more trials: one more generation, its trials and the report; nothing else
    overlay.write_text(TINY_SCAN.replace("trials: 4", "trials: 6"))
    dry = snakemake(workdir, "-n", "hyperopt", *configs)
    assert job_counts(dry.stdout) == {"hyperopt_ask": 1, "hyperopt_trial": 2, "hyperopt": 1}
