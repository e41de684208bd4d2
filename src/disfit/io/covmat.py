"""Covariance matrices as Parquet: one row per data point (its dataset and commondata entry), the
row of the matrix as a fixed-size list (docs/formats.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io.datatable import DataSet
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.covmat"
SCHEMA_VERSION = 1


def write_covmat(
    path: str | Path, covmat: np.ndarray, datasets: Sequence[DataSet], kind: str = "experimental"
) -> None:
    """Write a covariance matrix whose rows follow the datasets' points, in order."""
    n = covmat.shape[0]
    names = [d.name for d in datasets for _ in range(d.ndata)]
    entries = np.concatenate([d.entries for d in datasets]) if datasets else np.zeros(0, int)
    if len(names) != n:
        raise DisfitError(f"{path}: covariance has {n} rows but the datasets have {len(names)}")
    cov = pa.FixedSizeListArray.from_arrays(pa.array(covmat.ravel(), pa.float64()), max(n, 1))
    table = pa.table(
        {
            "dataset": pa.array(names, pa.string()),
            "entry": pa.array(entries, pa.int64()),
            "cov": cov,
        }
    )
    meta = {"kind": kind, "ndata": n, "datasets": [d.name for d in datasets]}
    write_parquet(path, table, SCHEMA, SCHEMA_VERSION, meta)


def read_covmat(path: str | Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read a covariance matrix: (matrix, dataset name per row, commondata entry per row)."""
    table, meta = read_parquet(
        path, SCHEMA, SCHEMA_VERSION, {"dataset": pa.string(), "entry": pa.int64()}
    )
    n = table.num_rows
    values = table.column("cov").combine_chunks().flatten().to_numpy()
    if values.size != n * n or meta.get("ndata") != n:
        raise DisfitError(f"{path}: covariance is not square ({values.size} values for {n} rows)")
    covmat = values.reshape(n, n)
    if not np.all(np.isfinite(covmat)):
        raise DisfitError(f"{path}: NaN or infinite entries in the covariance; regenerate it")
    return covmat, table.column("dataset").to_pylist(), table.column("entry").to_numpy()
