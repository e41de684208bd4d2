"""Produce tests/data/validphys_diagonal.npz: n3fit 4.1.5's diagonal-basis split of a covariance.

Run once, by hand, in an environment with validphys (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    /tmp/vp/bin/python tests/reference/make_validphys_diagonal.py

A seeded 60-point covariance with a generic correlation (no degenerate eigenvalues, where the
eigenvectors would be LAPACK's choice) goes through validphys' own functions: the rotation and
eigenvalues of `setupfit_fitting_covmat(diagonal_basis=True)`, the eigenmode masks of
`diagonal_masks` for the replicas 1-6 of NNPDF4.0's trvlseed (the group of all data is named
"ALL" when diagonal_basis is true), and each replica's training and validation χ² of a residual
as `fitting_data_dict` prepares it (rotated residual, inverse of diag(λ) on the masked modes).
"""

from pathlib import Path

import numpy as np
from validphys.n3fit_data import (
    diagonal_masks,
    replica_trvlseed,
    setupfit_fitting_covmat,
)

OUT = Path(__file__).resolve().parents[1] / "data" / "validphys_diagonal.npz"
TRVLSEED = 14613416
rng = np.random.default_rng(20261201)
n = 60
sigma = rng.uniform(0.5, 2.0, n)
mixing = rng.normal(size=(n, n)) / np.sqrt(n)
correlation = mixing @ mixing.T + np.diag(rng.uniform(0.2, 1.0, n))
correlation /= np.sqrt(np.outer(np.diag(correlation), np.diag(correlation)))
covmat = correlation * np.outer(sigma, sigma)
residual = rng.normal(size=n) * sigma

_, rotation, eigenvalues = setupfit_fitting_covmat(covmat, diagonal_basis=True)
seeds, masks, chi2_tr, chi2_vl = [], [], [], []
for replica in range(1, 7):
    seed = replica_trvlseed(replica, TRVLSEED)
    tr = diagonal_masks("ALL", seed, covmat).tr_masks[0]
    rotated = rotation @ residual
    inverse = np.diag(1 / eigenvalues)
    seeds.append(seed)
    masks.append(tr)
    chi2_tr.append(rotated[tr] @ inverse[np.ix_(tr, tr)] @ rotated[tr])
    chi2_vl.append(rotated[~tr] @ inverse[np.ix_(~tr, ~tr)] @ rotated[~tr])
np.savez(
    OUT,
    covmat=covmat,
    residual=residual,
    rotation=rotation,
    eigenvalues=eigenvalues,
    trvlseeds=np.array(seeds),
    masks=np.array(masks),
    chi2_tr=np.array(chi2_tr),
    chi2_vl=np.array(chi2_vl),
)
print(f"wrote {OUT}")
