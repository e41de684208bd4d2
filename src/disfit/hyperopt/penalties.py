"""n3fit 4.1.5's hyperopt penalties (hyper_optimization/penalties.py), one value per replica."""

from __future__ import annotations

import numpy as np

#: validphys' fitveto.INTEG_THRESHOLD
INTEGRABILITY_THRESHOLD = 0.5
#: the x points of the saturation penalty: 100 log-spaced in [1e-6, 1e-4]
SATURATION_X = np.logspace(-6, -4, 100)


def saturation(xf: np.ndarray) -> np.ndarray:
    """Σ_f 1/(1e-7 + |mean slope| + std slope) of x·f(x) against log10 x over SATURATION_X, for
    the flavours of `xf` (replicas, flavours, 100): n3fit passes Σ and g."""
    slope = np.diff(xf, axis=-1) / np.diff(np.log10(SATURATION_X))
    pen = np.abs(slope.mean(axis=-1)) + slope.std(axis=-1)
    return np.sum(1.0 / (1e-7 + pen), axis=1)


def patience(
    best_epoch: np.ndarray, patience_epochs: int, epochs: int, validation: np.ndarray
) -> np.ndarray:
    """χ²_vl · exp(1e-4 |epochs − patience − best epoch|): zero cost when the best epoch is
    the last one the patience allows."""
    diff = np.abs(epochs - patience_epochs - np.asarray(best_epoch))
    return np.asarray(validation) * np.exp(1e-4 * diff)


def integrability(numbers: np.ndarray) -> np.ndarray:
    """exp(min(Σ_f I_f, 50)) − 1 of the integrability numbers (replicas, flavours) of
    fit.metrics.integrability_numbers, the flavours at or below the veto threshold counted 0."""
    values = np.where(numbers <= INTEGRABILITY_THRESHOLD, 0.0, numbers).sum(axis=-1)
    return np.exp(np.minimum(values, 50.0)) - 1.0
