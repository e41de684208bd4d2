"""A closure fit's data as Parquet: one row per data point (its dataset and position among the
dataset's kept points), the law's prediction and the central datum the closure fit fits
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
    """`names` (dataset of each point), `law` and `data` (ndata,)."""
    names = list(names)
    points = np.zeros(len(names), dtype=np.int64)
    for i in range(1, len(names)):
        points[i] = points[i - 1] + 1 if names[i] == names[i - 1] else 0
    table = pa.table(
        {
            "dataset": pa.array(names, pa.string()),
            "point": pa.array(points, pa.int64()),
            "law": pa.array(law, pa.float64()),
            "data": pa.array(data, pa.float64()),
        }
    )
    write_parquet(path, table, SCHEMA, SCHEMA_VERSION, dict(meta))


def read_closure_data(
    path: str | Path, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(law, data, header) of a closure fit's data file, checked to hold the points `names`
    (the dataset of each point of the fit) in that order."""
    columns = {
        "dataset": pa.string(),
        "point": pa.int64(),
        "law": pa.float64(),
        "data": pa.float64(),
    }
    table, meta = read_parquet(path, SCHEMA, SCHEMA_VERSION, columns)
    if table.column("dataset").to_pylist() != list(names):
        raise DisfitError(
            f"{path}: its points are not the fit's datasets and cuts; rerun `snakemake closure` "
            "so that the closure data are remade"
        )
    law, data = table.column("law").to_numpy(), table.column("data").to_numpy()
    if not (np.all(np.isfinite(data)) and np.all(np.isfinite(law))):
        raise DisfitError(f"{path}: NaN or infinite closure data; delete it and rerun")
    return law, data, meta
