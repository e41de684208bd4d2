"""NNPDF's closure-test estimators on predictions: Δχ² (NNPDF3.0 eq. 28), φ (eq. 24), bias,
variance and their ratio R_bv over fits, ξ_1σ in data and in PDF space, with bootstrap errors.

Definitions as validphys 4.1.0 computes them (closuretest/multiclosure.py, multiclosure_pdf.py,
closure_results.py, calcutils.py); 4.1.5 replaced the multiclosure estimators by a
PCA-regularised bias (docs/closure.md says why we keep these). Arrays: `replicas` (fits,
replicas, ndata) of predictions, `law` (ndata,) the law's predictions, `sqrtcov` the lower
Cholesky factor of the covariance."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg as la
from scipy import special


def chi2(sqrtcov: np.ndarray, diffs: np.ndarray) -> np.ndarray:
    """Σ (L⁻¹ d)² over the first axis of `diffs` (validphys' calc_chi2)."""
    return np.sum(la.solve_triangular(sqrtcov, diffs, lower=True) ** 2, axis=0)


def phi(sqrtcov: np.ndarray, replicas: np.ndarray) -> float:
    """φ = sqrt((⟨χ²[T_k, D]⟩_k − χ²[⟨T⟩, D]) / N) of one fit's (replicas, ndata) predictions;
    the data D cancel (validphys' calc_phi)."""
    diffs = replicas.T
    value = chi2(sqrtcov, diffs).mean() - chi2(sqrtcov, diffs.mean(axis=1))
    return float(np.sqrt(value / diffs.shape[0]))


def delta_chi2(
    sqrtcov: np.ndarray, central: np.ndarray, law: np.ndarray, data: np.ndarray
) -> np.ndarray:
    """(χ²[T[⟨f⟩], D1] − χ²[T_law, D1]) / χ²[T_law, D1] per fit: `central` (fits, ndata) the
    fits' mean predictions, `data` (fits, ndata) their level-1 data (validphys'
    delta_chi2_bootstrap without its resampling)."""
    fitted = chi2(sqrtcov, (data - central).T)
    truth = chi2(sqrtcov, (data - law[None]).T)
    return (fitted - truth) / truth


def expected_xi(ratio: np.ndarray | float) -> np.ndarray:
    """ξ_1σ expected of Gaussian fits whose R_bv is `ratio`: erf(1/(√2 R_bv))."""
    return special.erf(1 / (np.sqrt(2) * np.asarray(ratio)))


def bootstrap_indices(
    fits: int, replicas: int, samples: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit indices, replica indices per chosen fit) of each resample, with repeats, drawn as
    validphys' _bootstrap_multiclosure_fits draws them from RandomState(seed)."""
    rng = np.random.RandomState(seed=seed)  # noqa: NPY002 - validphys' bootstrap generator
    out = []
    for _ in range(samples):
        chosen = rng.choice(fits, size=fits, replace=True)
        reps = np.array([rng.choice(replicas, size=replicas, replace=True) for _ in chosen])
        out.append((chosen, reps))
    return out


def resample(replicas: np.ndarray, index: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The (fits, replicas, ndata) predictions of one bootstrap resample."""
    chosen, reps = index
    return np.stack([replicas[f][r] for f, r in zip(chosen, reps, strict=True)])


@dataclasses.dataclass(frozen=True)
class Estimators:
    """The estimators of one set of points (a dataset or all data) over fits."""

    ndata: int
    bias: np.ndarray  # (fits,) per fit, not divided by ndata
    variance: np.ndarray  # (fits,)
    xi: np.ndarray  # (ndata,) per eigendirection
    normalised: np.ndarray  # (fits, ndata): δ/σ per fit and eigendirection
    phi: np.ndarray  # (fits,)
    delta_chi2: np.ndarray  # (fits,)
    bootstrap: np.ndarray  # (samples, 3): E bias, E variance, ξ of each resample

    @property
    def ratio(self) -> float:
        """R_bv = sqrt(E_l bias / E_l variance)."""
        return float(np.sqrt(self.bias.mean() / self.variance.mean()))

    @property
    def ratio_bootstrap(self) -> np.ndarray:
        return np.sqrt(self.bootstrap[:, 0] / self.bootstrap[:, 1])


def _moments(white: np.ndarray, white_law: np.ndarray, proj: np.ndarray, proj_law: np.ndarray):
    """From replicas (fits, R, ndata) already whitened (L⁻¹ T) and projected on the
    covariance's eigenvectors (Vᵀ T), so that a resample needs no triangular solve and no
    eigendecomposition: per fit bias_l = (T[f_l] − T_law)ᵀ C⁻¹ (…) and variance_l =
    ⟨(T[f_l^k] − T[f_l])ᵀ C⁻¹ (…)⟩_k (validphys' fits_dataset_bias_variance; not divided by N,
    R_bv = sqrt(E bias / E variance) does not need it), and per eigendirection ξ_1σ, the
    fraction of fits whose |mean − law| is below their replicas' spread (dataset_xi): returns
    bias, variance and δ/σ (fits, directions)."""
    centre = white.mean(axis=1)
    bias = ((centre - white_law) ** 2).sum(axis=-1)
    variance = ((white - centre[:, None]) ** 2).sum(axis=-1).mean(axis=1)
    mean = proj.mean(axis=1)
    sigma = np.sqrt(((mean[:, None] - proj) ** 2).mean(axis=1))
    normalised = (mean - proj_law) / sigma  # (fits, directions): δ/σ
    return bias, variance, normalised


def estimators(
    covmat: np.ndarray,
    replicas: np.ndarray,
    law: np.ndarray,
    data: np.ndarray,
    indices: list[tuple[np.ndarray, np.ndarray]],
) -> Estimators:
    """Every estimator of the points of `covmat`, with `data` (fits, ndata) each fit's level-1
    data and `indices` the bootstrap resamples (the same for every set of points)."""
    sqrtcov = la.cholesky(covmat, lower=True)
    vectors = la.eigh(covmat)[1]  # the eigenbasis of ξ_1σ
    fits, nrep, ndata = replicas.shape
    flat = replicas.reshape(-1, ndata).T
    white = la.solve_triangular(sqrtcov, flat, lower=True).T.reshape(fits, nrep, ndata)
    white_law = la.solve_triangular(sqrtcov, law, lower=True)
    proj, proj_law = replicas @ vectors, law @ vectors
    boot = []
    for index in indices:
        bias, variance, normalised = _moments(
            resample(white, index), white_law, resample(proj, index), proj_law
        )
        boot.append([bias.mean(), variance.mean(), (np.abs(normalised) < 1).mean()])
    bias, variance, normalised = _moments(white, white_law, proj, proj_law)
    with np.errstate(divide="ignore", invalid="ignore"):  # level 0: χ²[T_law, D0] = 0
        dchi2 = delta_chi2(sqrtcov, replicas.mean(axis=1), law, data)
    return Estimators(
        ndata=ndata,
        bias=bias,
        variance=variance,
        xi=(np.abs(normalised) < 1).mean(axis=0),
        normalised=normalised,
        phi=np.array([phi(sqrtcov, r) for r in replicas]),
        delta_chi2=dchi2,
        bootstrap=np.array(boot),
    )


#: validphys' XI_FLAVOURS (NN31IC without charm) as names of the FK evolution basis
XI_FLAVOURS = ("Sigma", "g", "V", "V3", "V8", "T3", "T8")


def xi_grids(points: int) -> tuple[np.ndarray, np.ndarray]:
    """x of Σ and g (half log-spaced in [1e-3, 0.1), half linear in [0.1, 0.5]) and of the
    other flavours (linear in [0.1, 0.5]): validphys' internal_*_xgrid."""
    singlet = np.concatenate(
        (np.logspace(-3, -1, points // 2, endpoint=False), np.linspace(0.1, 0.5, points // 2))
    )
    return singlet, np.linspace(0.1, 0.5, points)


def pdf_xi(grids: np.ndarray, law: np.ndarray) -> tuple[np.ndarray, float]:
    """ξ_1σ in PDF space from `grids` (fits, replicas, flavours, nx) and the law (flavours, nx):
    per flavour and eigendirection of that flavour's replica covariance over all fits
    (validphys' xi_flavour_x), and over all flavours and x with their correlations
    (xi_totalpdf)."""
    fits, _, flavours, nx = grids.shape
    rep_diff = grids.mean(axis=1, keepdims=True) - grids  # (fits, replicas, flavours, nx)
    central_diff = law[None] - grids.mean(axis=1)  # (fits, flavours, nx)
    pooled = rep_diff.reshape(-1, flavours, nx)

    def indicator(cov: np.ndarray, reps: np.ndarray, central: np.ndarray) -> np.ndarray:
        # reps (fits, replicas, n), central (fits, n): fraction of fits within σ per direction
        _, vectors = la.eigh(cov)
        spread = vectors.T @ reps.transpose(1, 2, 0)
        sigma = np.sqrt((spread**2).mean(axis=0))
        return (np.abs(vectors.T @ central.T) < sigma).mean(axis=1)

    per_flavour = np.array(
        [
            indicator(np.cov(pooled[:, i, :], rowvar=False), rep_diff[:, :, i], central_diff[:, i])
            for i in range(flavours)
        ]
    )
    reps_all = rep_diff.reshape(fits, -1, flavours * nx)
    total_cov = np.cov(pooled.reshape(-1, flavours * nx), rowvar=False)
    total = indicator(total_cov, reps_all, central_diff.reshape(fits, -1))
    return per_flavour, float(total.mean())
