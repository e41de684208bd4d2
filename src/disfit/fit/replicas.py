"""Per-replica randomness with n3fit's derivation: seeds, training/validation split and
Monte Carlo pseudo-data. Replica k (from 1) uses the k-th draw of each runcard seed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from disfit.data.covmat import sqrt_covmat
from disfit.errors import DisfitError
from disfit.fit.inputs import FitInputs


def replica_seed(replica: int, seed: int) -> int:
    """The seed of `replica` derived from a runcard seed (validphys' replica_*seed)."""
    if replica < 1:
        raise DisfitError(f"replica numbers start at 1, got {replica}")
    legacy = np.random.RandomState(seed)  # noqa: NPY002 - validphys seeds numpy's legacy RNG
    for _ in range(replica):
        value = legacy.randint(0, pow(2, 31))
    return int(value)


def _name_seed(names: Sequence[str]) -> int:
    return int(hashlib.sha256("-".join(names).encode()).hexdigest(), 16) % 10**8


def training_masks(inputs: FitInputs, trvlseed: int) -> np.ndarray:
    """Boolean mask over all data points: True for training (validphys' tr_masks). Each
    covariance group draws from a generator seeded by the replica's trvlseed plus a hash of its
    dataset names; each of its datasets keeps int(frac·n) points for training, shuffled, or
    when that is 0 one point with probability frac (validphys' standard_masks)."""
    owner = np.empty(inputs.ndata, dtype=int)
    for i, d in enumerate(inputs.datasets):
        owner[d.rows] = i
    mask = np.zeros(inputs.ndata, dtype=bool)
    for group in inputs.groups:
        members = [inputs.datasets[i] for i in dict.fromkeys(owner[group])]
        rng = np.random.Generator(np.random.PCG64(_name_seed([d.name for d in members]) + trvlseed))
        for dataset in members:
            ntr = int(dataset.frac * dataset.ndata)
            if ntr == 0:  # n3fit: then one point trains with probability frac
                ntr = int(rng.random() < dataset.frac)
            part = np.concatenate(
                [np.ones(ntr, dtype=bool), np.zeros(dataset.ndata - ntr, dtype=bool)]
            )
            rng.shuffle(part)
            mask[dataset.rows] = part
    return mask


#: validphys' group name when all data form one group (the diagonal basis' grouping)
ALL_DATA = "ALL"


def diagonal_masks(ndata: int, trvlseed: int, frac: float) -> np.ndarray:
    """Boolean mask over the eigenmodes of the diagonal basis (validphys' diagonal_masks):
    int(frac·ndata) of them train, shuffled by a generator seeded with the replica's trvlseed
    plus a hash of the group name, one group holding all data."""
    rng = np.random.Generator(np.random.PCG64(_name_seed([ALL_DATA]) + trvlseed))
    ntr = int(ndata * frac)
    mask = np.concatenate([np.ones(ntr, dtype=bool), np.zeros(ndata - ntr, dtype=bool)])
    rng.shuffle(mask)
    return mask


def pseudodata(
    inputs: FitInputs, mcseed: int, resample_negative: bool = False, lower: np.ndarray | None = None
) -> np.ndarray:
    """Central values shifted by L·z, L the Cholesky factor of the fitting covariance (the t0
    one when a t0 PDF is named, as n3fit 4.1 samples), z standard normal; optionally redrawn
    until no pseudo-datum is negative (asymmetries and polarised data may be, as in n3fit).
    `lower` is that Cholesky factor, if already computed."""
    rng = np.random.default_rng(seed=mcseed + _name_seed([d.name for d in inputs.datasets]))
    if lower is None:
        lower = sqrt_covmat(inputs.fit_covmat)
    positive = np.zeros(inputs.ndata, dtype=bool)
    for dataset in inputs.datasets:
        positive[dataset.rows] = dataset.positive
    for _ in range(10_000):
        replica = inputs.central + lower @ rng.normal(size=inputs.ndata)
        if not resample_negative or np.all(replica[positive] >= 0):
            return replica
    raise DisfitError(
        "no non-negative pseudo-data in 10000 draws; set fit.resample_negative_pseudodata: false"
    )
