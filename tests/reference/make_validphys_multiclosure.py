"""Produce tests/data/validphys_multiclosure.npz: validphys' multi-closure estimators.

validphys 4.1.5 replaced the NNPDF4.0 estimators (bias, variance, R_bv, ξ_1σ) by PCA-regularised
ones; 4.1.0 still has both, and its functions are the reference here. Run once, by hand, with
validphys 4.1.0's package in front of an environment with nnpdf 4.1.5 (same dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    /tmp/vp/bin/pip download --no-deps "nnpdf==4.1.0" -d /tmp/vp410
    (cd /tmp/vp410 && unzip -q nnpdf-4.1.0-py3-none-any.whl 'validphys/*')
    PYTHONPATH=/tmp/vp410 /tmp/vp/bin/python tests/reference/make_validphys_multiclosure.py

Seeded made-up predictions: 10 fits × 25 replicas of 30 points in two datasets (12 + 18 points,
a generic positive-definite covariance per dataset), each fit the law plus its own shift plus
replica noise; level-1 data per fit; PDF values (fits, replicas, 7 flavours, 4 x). Through
validphys' own functions: fits_dataset_bias_variance, dataset_replica_and_central_diff +
dataset_xi, fits_bootstrap_data_bias_variance (20 resamples), calc_phi, delta_chi2_bootstrap,
xi_flavour_x and xi_totalpdf.
"""

from pathlib import Path

import numpy as np
import scipy.linalg as la
import validphys
from validphys.calcutils import calc_chi2, calc_phi
from validphys.closuretest import closure_results, multiclosure, multiclosure_pdf

assert validphys.__version__.startswith("4.1.0"), validphys.__version__
OUT = Path(__file__).resolve().parents[1] / "data" / "validphys_multiclosure.npz"
FITS, REPLICAS, SIZES, NX = 10, 25, (12, 18), 4
rng = np.random.default_rng(20261202)


def covariance(n: int) -> np.ndarray:
    sigma = rng.uniform(0.5, 2.0, n)
    mixing = rng.normal(size=(n, n)) / np.sqrt(n)
    corr = mixing @ mixing.T + np.diag(rng.uniform(0.2, 1.0, n))
    corr /= np.sqrt(np.outer(np.diag(corr), np.diag(corr)))
    return corr * np.outer(sigma, sigma)


blocks = [covariance(n) for n in SIZES]
covmat = la.block_diag(*blocks)
ndata = covmat.shape[0]
law = rng.uniform(5, 10, ndata)
lower = la.cholesky(covmat, lower=True)
data = law + (lower @ rng.normal(size=(ndata, FITS))).T  # level-1 data (fits, ndata)
shifts = 0.8 * (lower @ rng.normal(size=(ndata, FITS))).T
noise = 0.9 * np.einsum("ij,fjr->fri", lower, rng.normal(size=(FITS, ndata, REPLICAS)))
replicas = law + shifts[:, None, :] + noise  # (fits, replicas, ndata)
pdf = rng.normal(size=(FITS, REPLICAS, 7, NX)) + rng.normal(size=(FITS, 1, 7, NX))
pdf_law = rng.normal(size=(7, NX)) * 0.3


class Theory:
    """What validphys reads of a ThPredictionsResult."""

    def __init__(self, values: np.ndarray) -> None:
        self.error_members = values
        self.central_value = values.mean(axis=1)

    def __len__(self) -> int:
        return len(self.central_value)


class Law:
    def __init__(self, values: np.ndarray) -> None:
        self.central_value = values

    def __len__(self) -> int:
        return len(self.central_value)


arrays = {"covmat": covmat, "law": law, "data": data, "replicas": replicas}
arrays["pdf"], arrays["pdf_law"] = pdf, pdf_law
arrays["sizes"] = np.array(SIZES)
starts = np.cumsum((0, *SIZES))
parts = [("total", slice(0, ndata))] + [
    (f"dataset{i}", slice(starts[i], starts[i + 1])) for i in range(len(SIZES))
]
for name, rows in parts:
    cov = covmat[rows, rows]
    sqrtcov = la.cholesky(cov, lower=True)
    loader = (
        [Theory(r[:, rows].T) for r in replicas],
        Law(law[rows]),
        cov,
        sqrtcov,
    )
    bias, variance, _ = multiclosure.fits_dataset_bias_variance(loader, REPLICAS, 20)
    arrays[f"{name}/bias"], arrays[f"{name}/variance"] = bias, variance
    arrays[f"{name}/xi"] = multiclosure.dataset_xi(
        multiclosure.dataset_replica_and_central_diff(loader)
    )
    boot_bias, boot_var = multiclosure.fits_bootstrap_data_bias_variance(
        loader, list(range(FITS)), REPLICAS, 20, bootstrap_samples=20
    )
    arrays[f"{name}/boot_bias"], arrays[f"{name}/boot_variance"] = boot_bias, boot_var
    arrays[f"{name}/phi"] = np.array([calc_phi(sqrtcov, r[:, rows].T) for r in replicas])

    class Chi2:
        def __init__(self, value: float) -> None:
            self.central_result = value

    truth = [Chi2(calc_chi2(sqrtcov, data[f, rows] - law[rows])) for f in range(FITS)]
    central = [
        [np.atleast_1d(calc_chi2(sqrtcov, data[f, rows] - replicas[f][:, rows].mean(0)))]
        for f in range(FITS)
    ]
    arrays[f"{name}/delta_chi2"] = closure_results.delta_chi2_bootstrap(
        truth, central, list(range(FITS)), True
    )[:, 0]

rep_diff = [p.mean(axis=0, keepdims=True) - p for p in pdf]
central_diff = [pdf_law - p.mean(axis=0) for p in pdf]
arrays["pdf/xi_flavours"] = multiclosure_pdf.xi_flavour_x(
    rep_diff, central_diff, multiclosure_pdf.fits_covariance_matrix_by_flavour(rep_diff)
)
arrays["pdf/xi_total"] = np.array(
    multiclosure_pdf.xi_totalpdf(
        multiclosure_pdf.replica_and_central_diff_totalpdf(
            rep_diff,
            central_diff,
            multiclosure_pdf.fits_covariance_matrix_totalpdf(rep_diff, NX),
            NX,
        )
    )
)
np.savez(OUT, **arrays)
print(f"wrote {OUT}")
