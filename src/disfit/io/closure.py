"""A closure test's data as Parquet: one row per data point (its dataset and position among the
dataset's kept points), the law's prediction and each closure fit's central datum
(docs/formats.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.closure_data"
SCHEMA_VERSION = 1


def write_closure_data(
    path: str | Path,
    names: Sequence[str],
    law: np.ndarray,
    data: np.ndarray,
    meta: Mapping[str, Any],
) -> None:
    """`names` (dataset of each point), `law` (ndata,) and `data` (fits, ndata)."""
    names = list(names)
    points = np.zeros(len(names), dtype=np.int64)
    for i in range(1, len(names)):
        points[i] = points[i - 1] + 1 if names[i] == names[i - 1] else 0
    fits = data.shape[0]
    table = pa.table(
        {
            "dataset": pa.array(names, pa.string()),
            "point": pa.array(points, pa.int64()),
            "law": pa.array(law, pa.float64()),
            "data": pa.FixedSizeListArray.from_arrays(pa.array(data.T.ravel(), pa.float64()), fits),
        }
    )
    write_parquet(path, table, SCHEMA, SCHEMA_VERSION, {**meta, "fits": fits})


def read_closure_data(
    path: str | Path, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(law (ndata,), data (fits, ndata), header) of a closure data file, checked to hold the
    points `names` (the dataset of each point of the fit) in that order."""
    columns = {"dataset": pa.string(), "point": pa.int64(), "law": pa.float64()}
    table, meta = read_parquet(path, SCHEMA, SCHEMA_VERSION, columns)
    if table.column("dataset").to_pylist() != list(names):
        raise DisfitError(
            f"{path}: its points are not the fit's datasets and cuts; rerun `snakemake closure` "
            "so that the closure data are remade"
        )
    fits = int(meta.get("fits", 0))
    values = table.column("data").combine_chunks().flatten().to_numpy()
    if fits < 1 or values.size != fits * table.num_rows:
        raise DisfitError(f"{path}: column 'data' does not hold {fits} fits per point")
    data = values.reshape(table.num_rows, fits).T
    law = table.column("law").to_numpy()
    if not (np.all(np.isfinite(data)) and np.all(np.isfinite(law))):
        raise DisfitError(f"{path}: NaN or infinite closure data; delete it and rerun")
    return law, data, meta
