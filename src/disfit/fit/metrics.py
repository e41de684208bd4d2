"""What is measured on a fitted PDF: χ² per dataset, validphys' arc lengths, the integrability
numbers, the momentum integral, and the sum rules the model imposes (n3fit's VSR_CONSTANTS).
The fit records them per replica; postfit and the report read them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import integrate

from disfit.basis import FK_BASIS
from disfit.constraints import INTEGRABILITY_CHECK_FLAVOURS, INTEGRABILITY_CHECK_X
from disfit.fit.inputs import FitInputs

ARCLENGTH_FLAVOURS = ("Sigma", "g", "V", "V3", "V8")
#: valence sum rules: ∫ f dx of V, V3 and V8 at Q0 (n3fit's VSR_CONSTANTS)
VSR_CONSTANTS = {"v": 3.0, "v3": 1.0, "v8": 3.0}
#: momentum sum rule: ∫ x (Σ + g) dx at Q0
MSR_CONSTANT = 1.0


def arc_lengths(xf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """validphys' arc lengths (≥ 4.0.7) of Σ, g, V, V3, V8 at Q0. `xf(x)` → (R, 14, nx)."""
    rows = [FK_BASIS.index(f) for f in ARCLENGTH_FLAVOURS]
    return arc_length_integral(lambda grid: xf(grid)[:, rows, :])


def arc_length_integral(xf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """validphys' arclength.arc_lengths: ∫ sqrt(1 + (d(x·xf)/dx)²) over three linear segments of
    199 points in [1e-6, 1], forward differences, Simpson's rule. `xf(x)` → (..., nx) of any
    flavours; the result (...)."""
    total = 0.0
    for a, b in ((1e-6, 1e-4), (1e-4, 1e-2), (1e-2, 1.0)):
        grid = np.linspace(a, b, 199, endpoint=False)
        values = xf(grid) * grid  # validphys multiplies x·f by x once more
        slope = np.diff(values, axis=-1) / ((b - a) / 199)
        total = total + integrate.simpson(np.sqrt(1 + slope**2), x=grid[1:], axis=-1)
    return total


def integrability_numbers(xf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Σ_{x ∈ 1e-9, 1e-8, 1e-7} |x f(x, Q0)| of V, T3, V3, T8, V8 (postfit wants ≤ 0.5)."""
    rows = [FK_BASIS.index(f) for f in INTEGRABILITY_CHECK_FLAVOURS]
    return np.abs(xf(np.array(INTEGRABILITY_CHECK_X))[:, rows, :]).sum(axis=-1)


def chi2_inverses(
    inputs: FitInputs, covmat: np.ndarray | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The inverse covariance blocks dataset_chi2 contracts with: one per covariance group, one
    per dataset (its own diagonal block), of the fitting covariance or `covmat`."""
    covmat = inputs.fit_covmat if covmat is None else covmat
    groups = [np.linalg.inv(covmat[np.ix_(group, group)]) for group in inputs.groups]
    datasets = [np.linalg.inv(covmat[d.rows, d.rows]) for d in inputs.datasets]
    return groups, datasets


def dataset_chi2(
    inputs: FitInputs,
    predictions: np.ndarray,
    covmat: np.ndarray | None = None,
    inverses: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """χ² against the central data with the fitting covariance (or `covmat`, e.g. the
    experimental one; or its `inverses` from chi2_inverses, to reuse them): (replicas,) total
    and (replicas, datasets) per dataset (its own diagonal block)."""
    residual = inputs.central - predictions
    groups, datasets = chi2_inverses(inputs, covmat) if inverses is None else inverses

    def quadratic(r: np.ndarray, inv: np.ndarray) -> float:
        # numpy's own loops on a fresh copy: BLAS would sum in an order that depends on memory
        # alignment, i.e. on the batch, and a replica must not depend on its batch
        r = np.array(r)
        return float(np.einsum("i,ij,j->", r, inv, r))

    total = np.zeros(len(predictions))
    for group, inv in zip(inputs.groups, groups, strict=True):
        total += [quadratic(r, inv) for r in residual[:, group]]
    per = np.zeros((len(predictions), len(inputs.datasets)))
    for j, (d, inv) in enumerate(zip(inputs.datasets, datasets, strict=True)):
        per[:, j] = [quadratic(r, inv) for r in residual[:, d.rows]]
    return total, per


def momentum_integral(xgrid: np.ndarray, xf: np.ndarray) -> float:
    """∫ Σ_i x f_i dx of x·f (flavours, nx) on `xgrid`: a cubic spline in ln x."""
    from scipy.interpolate import CubicSpline

    logx = np.log(xgrid)
    return float(CubicSpline(logx, xf.sum(axis=0) * xgrid).integrate(logx[0], logx[-1]))
