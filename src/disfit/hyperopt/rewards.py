"""The hyperopt loss of a trial, as n3fit 4.1.5 computes it (hyper_optimization/rewards.py:
HyperLoss, and model_trainer.py's fold loop): per fold from the replicas' validation and
held-out χ², then over folds, plus the χ²_exp penalty of the fitted data (layers/losses.py:
LossHyperopt)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

#: n3fit's IMPLEMENTED_STATS ("average_best" is an alias of "average")
STATISTICS: dict[str, Callable[[np.ndarray], float]] = {
    "average": lambda v: float(np.average(v)),
    "average_best": lambda v: float(np.average(v)),
    "best_worst": lambda v: float(np.max(v)),
    "std": lambda v: float(np.std(v)),
}
LOSS_TYPES = ("chi2", "phi2")
#: n3fit's HYPER_THRESHOLD
THRESHOLD = 50.0


@dataclasses.dataclass(frozen=True)
class FoldResult:
    """What one fold of a trial measured, per replica (all χ² per data point)."""

    validation: np.ndarray  # (R,) validation χ²/N of the fitted data, t0 covariance
    held_out: np.ndarray  # (R,) χ²/N of the fold's datasets, t0 covariance
    phi: float  # φ of the best replicas on the fold's datasets, experimental covariance
    chi2exp_fitted: float  # χ²/N of the mean PDF on the fitted datasets, experimental covariance
    penalties: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)  # (R,) each


def best_replicas(validation: np.ndarray, proportion: float) -> np.ndarray:
    """Indices of the ceil(proportion·R) replicas of lowest validation χ² (NaN last)."""
    return np.argsort(validation, axis=0)[: int(np.ceil(proportion * len(validation)))]


def fold_loss(
    fold: FoldResult,
    loss_type: str,
    replica_statistic: str,
    proportion: float = 0.85,
    penalties_in_loss: bool = False,
) -> float:
    """n3fit's HyperLoss.compute_loss of one fold: for chi2, the statistic of the best
    `proportion` of validation χ² plus max(statistic of the lowest 1 − proportion held-out χ²,
    2) − 2; for phi2, φ. With `penalties_in_loss` the penalties add to each replica's held-out
    χ² and their replica means to φ."""
    held_out = np.array(fold.held_out, dtype=float)
    phi = fold.phi
    if penalties_in_loss:
        held_out = held_out + sum(np.asarray(p, dtype=float) for p in fold.penalties.values())
        phi += sum(float(np.mean(p)) for p in fold.penalties.values())
    if loss_type == "phi2":
        return phi
    stat = STATISTICS[replica_statistic]
    validation = fold.validation[best_replicas(fold.validation, proportion)]
    nselect = int(np.ceil((1.0 - proportion) * len(held_out)))
    held = stat(np.sort(held_out, axis=0)[:nselect])
    return stat(validation) + (max(held, 2.0) - 2.0)


def chi2exp_penalty(chi2: float, c: float = 1e2, alpha: float = 1e-10, ref: float = 1.2) -> float:
    """n3fit's LossHyperopt: c·elu(χ² − ref, alpha)."""
    x = chi2 - ref
    return float(c * (x if x > 0 else alpha * np.expm1(x)))


@dataclasses.dataclass(frozen=True)
class TrialLoss:
    """The loss hyperopt minimises, and what it was made of."""

    loss: float
    fold_losses: tuple[float, ...]
    passed: bool  # no fold above the threshold (n3fit's status "ok")


def trial_loss(
    folds: Sequence[FoldResult],
    nfolds: int,
    loss_type: str = "chi2",
    replica_statistic: str = "average",
    fold_statistic: str = "average",
    threshold: float = THRESHOLD,
    proportion: float = 0.85,
    penalties_in_loss: bool = False,
) -> TrialLoss:
    """The trial's loss from its folds in order (model_trainer.py): a fold whose loss exceeds
    `threshold` ends the trial, the losses so far multiplied by the folds not computed (nfolds −
    k for fold k from 0), status fail; then the fold statistic (its reciprocal for phi2) plus
    chi2exp_penalty of the fitted data's χ²_exp averaged over the folds computed."""
    losses: list[float] = []
    passed = True
    for k, fold in enumerate(folds):
        losses.append(fold_loss(fold, loss_type, replica_statistic, proportion, penalties_in_loss))
        if losses[-1] > threshold:
            losses = [value * (nfolds - k) for value in losses]
            passed = False
            break
    value = STATISTICS[fold_statistic](np.array(losses))
    if loss_type == "phi2":
        value = 1.0 / value
    computed = folds[: len(losses)]
    value += chi2exp_penalty(float(np.average([f.chi2exp_fitted for f in computed])))
    return TrialLoss(value, tuple(losses), passed)
