"""Experimental and t0 covariance matrices, with validphys' conventions.

Statistical and UNCORR/THEORYUNCORR systematics fill the diagonal; CORR/THEORYCORR are correlated
within their dataset; any other systematic type name is correlated across every selected dataset
that carries the same name (validphys' `dataset_inputs_covmat_from_systematics`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.linalg as la

from disfit.errors import DisfitError
from disfit.io.covmat import write_covmat
from disfit.io.datatable import DataSet, read_dataset

log = logging.getLogger("disfit")

INTRA_DATASET = ("UNCORR", "CORR", "THEORYUNCORR", "THEORYCORR")
UNCORRELATED = ("UNCORR", "THEORYUNCORR")


def covmat_from_systematics(
    datasets: Sequence[DataSet], central_values: Sequence[np.ndarray | None] | None = None
) -> np.ndarray:
    """Covariance of all `datasets`; MULT systematics are scaled by `central_values` if given."""
    if central_values is None:
        central_values = [None] * len(datasets)
    if len(central_values) != len(datasets):
        raise DisfitError(
            f"t0 predictions given for {len(central_values)} datasets, need {len(datasets)}"
        )
    blocks = []
    special_columns: dict[tuple[str, int], int] = {}
    special_parts: list[tuple[int, int, np.ndarray]] = []  # (row offset, column, values)
    offset = 0
    for dataset, cv in zip(datasets, central_values, strict=True):
        if cv is not None and len(cv) != dataset.ndata:
            raise DisfitError(
                f"t0 predictions for {dataset.name}: {len(cv)} values, need {dataset.ndata}"
            )
        sys = dataset.systematics(cv)
        types = dataset.systematic_types()
        uncorr = np.array([t in UNCORRELATED for t in types], dtype=bool)
        intra = np.array([t in INTRA_DATASET for t in types], dtype=bool)
        corr = sys[:, intra & ~uncorr]
        diagonal = dataset.stat**2 + (sys[:, uncorr] ** 2).sum(axis=1)
        blocks.append(np.diag(diagonal) + corr @ corr.T)
        seen: dict[str, int] = {}
        for k in np.flatnonzero(~intra):
            name = types[k]
            key = (name, seen.get(name, 0))
            seen[name] = key[1] + 1
            column = special_columns.setdefault(key, len(special_columns))
            special_parts.append((offset, column, sys[:, k]))
        offset += dataset.ndata
    special = np.zeros((offset, len(special_columns)))
    for row, column, values in special_parts:
        special[row : row + len(values), column] = values
    return la.block_diag(*blocks) + special @ special.T


def t0_covmat(datasets: Sequence[DataSet], t0_predictions: Sequence[np.ndarray]) -> np.ndarray:
    """The t0 covariance: MULT systematics taken relative to the t0 predictions."""
    return covmat_from_systematics(datasets, list(t0_predictions))


def sqrt_covmat(covmat: np.ndarray) -> np.ndarray:
    """Lower-triangular L with L L^T = covmat, via the correlation matrix as validphys does."""
    if covmat.size == 0:
        return np.zeros((0, 0))
    diag = np.diag(covmat)
    if np.any(~np.isfinite(covmat)) or np.any(diag <= 0):
        raise DisfitError(
            "covariance matrix has non-finite or non-positive diagonal entries; check the "
            "uncertainties of the selected datasets"
        )
    sqrt_diag = np.sqrt(diag)
    correlation = covmat / sqrt_diag[:, None] / sqrt_diag
    try:
        upper = la.cholesky(correlation)
    except la.LinAlgError:
        raise DisfitError(
            "covariance matrix is singular (not positive definite); remove duplicated datasets "
            "or fully correlated points"
        ) from None
    return (upper * sqrt_diag).T


def diagonal_basis(
    covmat: np.ndarray, groups: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n3fit's diagonal basis (validphys' setupfit_fitting_covmat): the eigenvalues λ of the
    correlation matrix, ascending, and the rotation P = Vᵀ·diag(1/σ), so P·C·Pᵀ = diag(λ) and
    the χ² is Σ_i (P·r)_i² / λ_i over eigenmodes. With `groups` (points no correlation links
    across) each group's block is decomposed alone: the eigensystem of a block-diagonal matrix
    is its blocks', so the same eigenmodes in the same order, for the O(n³) work and memory
    of the largest block instead of the whole matrix's."""
    sigma = np.sqrt(np.diag(covmat))
    if np.any(~np.isfinite(sigma)) or np.any(sigma <= 0):
        raise DisfitError(
            "covariance matrix has non-finite or non-positive diagonal entries; check the "
            "uncertainties of the selected datasets"
        )
    if groups is None:
        groups = (np.arange(len(covmat)),)
    parts = [
        (rows, *np.linalg.eigh(covmat[np.ix_(rows, rows)] / sigma[rows, None] / sigma[rows]))
        for rows in groups
    ]
    eigenvalues = np.concatenate([values for _, values, _ in parts])
    if eigenvalues.min() <= 0:
        raise DisfitError(
            "covariance matrix is singular (not positive definite); remove duplicated datasets "
            "or fully correlated points"
        )
    order = np.argsort(eigenvalues, kind="stable")
    mode = np.empty_like(order)  # each group's eigenvalue k is mode[start + k] in the order
    mode[order] = np.arange(len(order))
    rotation = np.zeros_like(covmat)
    start = 0
    for rows, _, vectors in parts:
        rotation[np.ix_(mode[start : start + len(rows)], rows)] = vectors.T / sigma[rows]
        start += len(rows)
    return rotation, eigenvalues[order]


def inverse_covmat(covmat: np.ndarray) -> np.ndarray:
    """Inverse of a positive-definite covariance through its Cholesky factor."""
    lower = sqrt_covmat(covmat)
    identity = np.eye(len(covmat))
    inv_lower = la.solve_triangular(lower, identity, lower=True)
    return inv_lower.T @ inv_lower


def write_experimental_covmat(tables: Sequence[Path], out: Path) -> None:
    """`disfit data covmat`: the experimental covariance of the data tables, checked to be
    positive definite before it is written."""
    datasets = [read_dataset(p) for p in tables]
    covmat = covmat_from_systematics(datasets)
    sqrt_covmat(covmat)  # fail here, naming the problem, if the matrix is singular
    write_covmat(out, covmat, datasets)
    log.info("covariance of %d points from %d datasets → %s", len(covmat), len(datasets), out)
