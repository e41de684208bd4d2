"""Per-replica randomness with n3fit's derivation: seeds, training/validation split and
Monte Carlo pseudo-data. Replica k (from 1) uses the k-th draw of each runcard seed."""

from __future__ import annotations

import dataclasses
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
    """Boolean mask over all data points: True for training (validphys' standard_masks). The
    datasets of each experiment (validphys' default grouping) draw from a generator seeded by
    the replica's trvlseed plus a hash of the experiment's name; each keeps int(frac·n) of its
    points for training, shuffled, or when that is 0 one point with probability frac."""
    mask = np.zeros(inputs.ndata, dtype=bool)
    for name, members in inputs.experiments():
        rng = np.random.Generator(np.random.PCG64(_name_seed([name]) + trvlseed))
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


@dataclasses.dataclass(frozen=True)
class SamplingGroup:
    """Data points sampled together (validphys' make_replica of one group): their rows, the
    hash of their datasets' seed names, and the Cholesky factor L of their covariance block as
    the factors of the covariance groups within it (positions in `rows`, factor): points that
    no correlation links have zeros between them in L too, so L·z is the parts' products."""

    rows: np.ndarray
    name_seed: int
    parts: tuple[tuple[np.ndarray, np.ndarray], ...]

    def shift(self, normal: np.ndarray) -> np.ndarray:
        """L·z for the standard normal draws z of the group's points."""
        out = np.empty(len(self.rows))
        for positions, lower in self.parts:
            out[positions] = lower @ normal[positions]
        return out


def sampling_groups(inputs: FitInputs, diagonal: bool = False) -> list[SamplingGroup]:
    """validphys' pseudo-data groups: all data in one group in the diagonal basis, else one per
    experiment; each group is sampled with its block of the fitting (t0) covariance, as n3fit 4.1
    samples (use_t0_sampling), factorised a covariance group at a time."""
    groups = [(ALL_DATA, list(inputs.datasets))] if diagonal else inputs.experiments()
    out = []
    for _, members in groups:
        rows = np.concatenate([np.arange(d.rows.start, d.rows.stop) for d in members])
        seed = _name_seed([d.seed_name or d.name for d in members])
        parts = []
        for points in inputs.groups:
            positions = np.flatnonzero(np.isin(rows, points))
            if len(positions):
                block = inputs.fit_covmat[np.ix_(rows[positions], rows[positions])]
                parts.append((positions, sqrt_covmat(block)))
        if sum(len(p) for p, _ in parts) != len(rows):
            raise ValueError("FitInputs.groups must hold every data point")
        out.append(SamplingGroup(rows, seed, tuple(parts)))
    return out


def pseudodata(
    inputs: FitInputs,
    mcseed: int,
    resample_negative: bool = False,
    groups: Sequence[SamplingGroup] | None = None,
) -> np.ndarray:
    """Central values shifted by L·z per sampling group (validphys' make_replica), L the
    Cholesky factor of the group's covariance, z standard normal from a generator seeded by
    the replica's mcseed plus the hash of the group's seed names; optionally redrawn until no
    pseudo-datum of the group is negative (asymmetries and polarised data may be).
    `groups` are sampling_groups(inputs), if already computed."""
    if groups is None:
        groups = sampling_groups(inputs)
    positive = np.zeros(inputs.ndata, dtype=bool)
    for dataset in inputs.datasets:
        positive[dataset.rows] = dataset.positive
    replica = np.empty(inputs.ndata)
    for group in groups:
        rng = np.random.default_rng(seed=mcseed + group.name_seed)
        central, check = inputs.central[group.rows], positive[group.rows]
        for _ in range(10_000):
            values = central + group.shift(rng.normal(size=len(group.rows)))
            if not resample_negative or np.all(values[check] >= 0):
                break
        else:
            raise DisfitError(
                "no non-negative pseudo-data in 10000 draws; set "
                "fit.resample_negative_pseudodata: false"
            )
        replica[group.rows] = values
    return replica
