"""One hyperopt trial (n3fit's ModelTrainer.hyperparametrizable): for each fold, replicas fitted
to the data without the fold's datasets, scored on the fold; all folds and replicas of the trial
train as one stacked batch, a fold being a replica-axis entry with its held-out mask."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg as la

from disfit.basis import FIT_ROTATION, FITTED_BASIS
from disfit.closure.estimators import chi2, phi
from disfit.data.covmat import sqrt_covmat
from disfit.errors import DisfitError
from disfit.fit.blas import fixed_blas_threads
from disfit.fit.inputs import FitInputs
from disfit.fit.metrics import integrability_numbers
from disfit.fit.train import ReplicaSetup, Trainer, setup_replicas
from disfit.hyperopt import penalties
from disfit.hyperopt.rewards import FoldResult, best_replicas, trial_loss
from disfit.hyperopt.space import fit_section

log = logging.getLogger("disfit")


def held_out_masks(inputs: FitInputs, partitions: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """(folds, ndata) bool: True on the points of each fold's datasets."""
    rows = {d.name: d.rows for d in inputs.datasets}
    masks = np.zeros((len(partitions), inputs.ndata), dtype=bool)
    for k, fold in enumerate(partitions):
        for name in fold["datasets"]:
            if name not in rows:
                raise DisfitError(
                    f"hyperopt.kfold.partitions[{k}]: {name} is not a dataset of the fit; "
                    "list only the config's datasets"
                )
            masks[k, rows[name]] = True
    return masks


def fold_nnseed(nnseed: int, fold: int) -> int:
    """The network seed of a replica in fold `fold` (from 0): n3fit's, the replica's own in the
    first fold, default_rng(nnseed).integers(1, 2**30) · fold after it."""
    if fold == 0:
        return int(nnseed)
    return int(np.random.default_rng(nnseed).integers(1, pow(2, 30))) * fold


def stacked_setup(
    inputs: FitInputs, fit: Mapping[str, Any], replicas: int, folds: np.ndarray
) -> ReplicaSetup:
    """Replicas 1..`replicas` once per fold (fold-major): each fold's copies share the
    replicas' split and pseudo-data, hold out the fold's points, and use the fold's seeds."""
    seeds = {k: int(fit[k]) for k in ("trvlseed", "nnseed", "mcseed")}
    base = setup_replicas(
        inputs,
        list(range(1, replicas + 1)),
        seeds,
        bool(fit["resample_negative_pseudodata"]),
        None,
        bool(fit["genrep"]),
    )
    nfolds = len(folds)
    return ReplicaSetup(
        replicas=base.replicas * nfolds,
        nnseeds=[fold_nnseed(s, k) for k in range(nfolds) for s in base.nnseeds],
        trmasks=np.tile(base.trmasks, (nfolds, 1)),
        pseudodata=np.tile(base.pseudodata, (nfolds, 1)),
        held_out=np.repeat(folds, replicas, axis=0),
    )


def _chi2_rows(
    inverse_groups: Sequence[tuple[np.ndarray, np.ndarray]], residuals: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """rᵀ C⁻¹ r of (entries, ndata) residuals counted on `rows` only, C⁻¹ the inverse of each
    whole covariance group (n3fit's zeroed residuals under the unmasked inverse)."""
    total = np.zeros(len(residuals))
    for group, inverse in inverse_groups:
        kept = rows[group]
        if kept.any():
            r = residuals[:, group[kept]]
            total += np.einsum("ri,ij,rj->r", r, inverse[np.ix_(kept, kept)], r)
    return total


@dataclasses.dataclass(frozen=True)
class Scores:
    """A trial's fits scored: per fold its FoldResult and what the report shows."""

    folds: list[FoldResult]
    details: list[dict[str, Any]]


def score(
    inputs: FitInputs,
    folds: np.ndarray,
    replicas: int,
    predictions: np.ndarray,
    validation: np.ndarray,
    replica_penalties: Mapping[str, np.ndarray],
    proportion: float,
) -> Scores:
    """Each fold's validation and held-out χ²/N per replica, φ on the held-out datasets and χ²_exp
    of the fitted ones (best replicas, experimental covariance), from the entries' `predictions`
    (entries, ndata), validation χ²/N and penalties, fold-major as stacked_setup orders them."""
    inverse = [(g, la.inv(inputs.fit_covmat[np.ix_(g, g)])) for g in inputs.groups]
    out, details = [], []
    for k, fold in enumerate(folds):
        entries = slice(k * replicas, (k + 1) * replicas)
        preds = predictions[entries]
        held = _chi2_rows(inverse, preds - inputs.central, fold) / fold.sum()
        best = best_replicas(validation[entries], proportion)
        metrics = {}
        for name, rows in (("held_out", fold), ("fitted", ~fold)):
            lower = sqrt_covmat(inputs.covmat[np.ix_(rows, rows)])
            chosen = preds[best][:, rows]
            mean = chosen.mean(axis=0) - inputs.central[rows]
            chi2_n = float(chi2(lower, mean)) / rows.sum()
            metrics[name] = (chi2_n, phi(lower, chosen) if len(best) > 1 else 0.0)
        pens = {name: values[entries] for name, values in replica_penalties.items()}
        out.append(
            FoldResult(
                validation[entries], held, metrics["held_out"][1], metrics["fitted"][0], pens
            )
        )
        details.append(
            {
                "ndata": int(fold.sum()),
                "validation": validation[entries].tolist(),
                "held_out": held.tolist(),
                "phi": metrics["held_out"][1],
                "chi2exp_held_out": metrics["held_out"][0],
                "chi2exp_fitted": metrics["fitted"][0],
                "penalties": {name: v.tolist() for name, v in pens.items()},
            }
        )
    return Scores(out, details)


@fixed_blas_threads
def run_trial(
    config: Mapping[str, Any],
    inputs: FitInputs,
    params: Mapping[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit and score one trial with hyperparameters `params` (space.suggest's labels; empty:
    the config's fit section as it is). Returns the trial's record (io.hyperopt)."""
    started = time.perf_counter()
    hyper = config["hyperopt"]
    kfold = hyper["kfold"]
    fit = fit_section(config["fit"], params, hyper)
    folds = held_out_masks(inputs, kfold["partitions"])
    replicas = int(hyper["replicas"])
    # one chunk of every (fold, replica) entry; a lone entry is padded to two by the Trainer
    trainer = Trainer(inputs, stacked_setup(inputs, fit, replicas, folds), fit)
    prepared = time.perf_counter()
    result = trainer.run(progress)
    trained = time.perf_counter()
    trainer.restore(result.weights)
    entries = len(folds) * replicas

    def fitted(x: np.ndarray) -> np.ndarray:  # (entries, 8, nx): a lone replica's copy dropped
        return trainer.fitted(x)[:entries]

    validation = (trainer.validation(trainer.xf_flat()) / trainer.validation.norm).numpy()
    validation = validation.astype(float)[:entries]
    predictions = np.array([inputs.predictions(f) for f in fitted(inputs.xgrid)])
    saturation_flavours = [FITTED_BASIS.index("sng"), FITTED_BASIS.index("g")]
    patience_epochs = int(fit["stopping_patience"] * fit["epochs"])
    best_epoch = result.best_epoch[:entries]
    all_penalties = {
        "saturation": penalties.saturation(
            fitted(penalties.SATURATION_X)[:, saturation_flavours, :]
        ),
        "patience": penalties.patience(best_epoch, patience_epochs, fit["epochs"], validation),
        "integrability": penalties.integrability(
            integrability_numbers(lambda x: np.einsum("ek,rkn->ren", FIT_ROTATION, fitted(x)))
        ),
    }
    chosen = {name: all_penalties[name] for name in kfold["penalties"]}
    scores = score(
        inputs, folds, replicas, predictions, validation, chosen, kfold["reduce_proportion"]
    )
    loss = trial_loss(
        scores.folds,
        len(folds),
        kfold["loss_type"],
        kfold["replica_statistic"],
        kfold["fold_statistic"],
        kfold["threshold"],
        kfold["reduce_proportion"],
        kfold["penalties_in_loss"],
    )
    stop_epoch = result.stop_epoch[:entries]
    for k, detail in enumerate(scores.details):
        part = slice(k * replicas, (k + 1) * replicas)
        detail["datasets"] = list(kfold["partitions"][k]["datasets"])
        detail["best_epoch"] = best_epoch[part].tolist()
        detail["stop_epoch"] = (stop_epoch[part] + 1).tolist()
        detail["nan"] = result.nan[:entries][part].tolist()
    done = time.perf_counter()
    status = "ok" if loss.passed else "fail"
    if not np.isfinite(loss.loss):
        status = "nan"
    return {
        "params": dict(params),
        "fit": {
            key: fit[key]
            for key in (
                "nodes_per_layer",
                "activation_per_layer",
                "initializer",
                "optimizer",
                "epochs",
                "stopping_patience",
            )
        }
        | {"positivity_initial": fit["positivity"]["initial"]}
        | {"positivity_multiplier": fit["positivity"]["multiplier"]}
        | {"integrability_initial": fit["integrability"]["initial"]},
        "loss": float(loss.loss) if np.isfinite(loss.loss) else None,
        "status": status,
        "fold_losses": list(loss.fold_losses),
        "folds": scores.details,
        "replicas": replicas,
        # replica-epochs trained (each fold's copies count): the benchmark's unit of work
        "replica_epochs": int((stop_epoch + 1).sum()),
        "seconds": {
            "setup": prepared - started,
            "training": trained - prepared,
            "scoring": done - trained,
            "total": done - started,
        },
    }
