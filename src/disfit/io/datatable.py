"""disfit's data tables: one dataset after cuts, as a self-describing Parquet file
(docs/formats.md), and the DataSet it holds."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.data"
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class DataSet:
    """One DIS dataset after cuts: kinematics, central values and uncertainties."""

    name: str
    variant: str | None
    process_type: str
    entries: np.ndarray  # 1-based commondata index of each kept point
    kinematics: pd.DataFrame  # x, Q2 and the third variable (y or sqrts), one row per point
    central: np.ndarray
    stat: np.ndarray
    sys: np.ndarray  # (ndata, nsys), absolute, same units as the data
    sys_treatment: tuple[str, ...]  # ADD or MULT
    sys_type: tuple[str, ...]  # UNCORR, CORR, THEORY*, SKIP or a cross-dataset name
    fktables: tuple[tuple[str, ...], ...]
    operation: str
    conversion_factor: float = 1.0
    cfac: tuple[str, ...] = ()
    ndata_total: int = 0
    source: str = "nnpdf_data"

    @property
    def ndata(self) -> int:
        return len(self.central)

    def systematics(self, central_values: np.ndarray | None = None) -> np.ndarray:
        """Absolute systematics with SKIP removed; MULT ones rescaled to `central_values`.

        With the default, this is validphys' `CommonData.systematic_errors()`; with t0
        predictions it is what the t0 covariance needs.
        """
        keep = np.array([t != "SKIP" for t in self.sys_type], dtype=bool)
        sys = self.sys[:, keep].copy()
        if central_values is not None:
            mult = np.array([t == "MULT" for t in self.sys_treatment], dtype=bool)[keep]
            sys[:, mult] *= (np.asarray(central_values, dtype=float) / self.central)[:, None]
        return sys

    def systematic_types(self) -> list[str]:
        return [t for t in self.sys_type if t != "SKIP"]


def write_dataset(dataset: DataSet, path: str | Path) -> None:
    """Write `dataset` as a disfit data table (see docs/formats.md)."""
    columns: dict[str, Any] = {"entry": pa.array(dataset.entries, pa.int64())}
    for var in dataset.kinematics.columns:
        columns[var] = pa.array(dataset.kinematics[var].to_numpy(dtype=float), pa.float64())
    columns["data"] = pa.array(dataset.central, pa.float64())
    columns["stat"] = pa.array(dataset.stat, pa.float64())
    for k in range(dataset.sys.shape[1]):
        columns[f"sys_{k + 1:04d}"] = pa.array(dataset.sys[:, k], pa.float64())
    meta = {
        "dataset": dataset.name,
        "variant": dataset.variant,
        "process_type": dataset.process_type,
        "kinematics": list(dataset.kinematics.columns),
        "ndata": dataset.ndata,
        "ndata_total": dataset.ndata_total,
        "systematics": [
            {"treatment": t, "type": n}
            for t, n in zip(dataset.sys_treatment, dataset.sys_type, strict=True)
        ],
        "fktables": [list(op) for op in dataset.fktables],
        "operation": dataset.operation,
        "conversion_factor": dataset.conversion_factor,
        "cfac": list(dataset.cfac),
        "source": dataset.source,
    }
    write_parquet(path, pa.table(columns), SCHEMA, SCHEMA_VERSION, meta)


_REQUIRED = {
    "entry": pa.int64(),
    "x": pa.float64(),
    "Q2": pa.float64(),
    "data": pa.float64(),
    "stat": pa.float64(),
}


def read_dataset(path: str | Path) -> DataSet:
    """Read and validate a disfit data table."""
    table, meta = read_parquet(path, SCHEMA, SCHEMA_VERSION, _REQUIRED)
    systematics = meta.get("systematics", [])
    names = [f"sys_{k + 1:04d}" for k in range(len(systematics))]
    present = set(table.column_names)  # a property that builds a list on every call
    missing = [n for n in names if n not in present]
    if missing:
        raise DisfitError(f"{path}: systematic columns {missing[:3]} missing from the data table")
    df = table.to_pandas()
    sys = df[names].to_numpy(dtype=float) if names else np.zeros((len(df), 0))
    values = np.concatenate([df["data"].to_numpy(), df["stat"].to_numpy(), sys.ravel()])
    if not np.all(np.isfinite(values)):
        raise DisfitError(f"{path}: NaN or infinite values in the data table; regenerate it")
    return DataSet(
        name=meta["dataset"],
        variant=meta.get("variant"),
        process_type=meta["process_type"],
        entries=df["entry"].to_numpy(dtype=np.int64),
        kinematics=df[meta["kinematics"]].reset_index(drop=True),
        central=df["data"].to_numpy(dtype=float),
        stat=df["stat"].to_numpy(dtype=float),
        sys=sys,
        sys_treatment=tuple(s["treatment"] for s in systematics),
        sys_type=tuple(s["type"] for s in systematics),
        fktables=tuple(tuple(op) for op in meta["fktables"]),
        operation=meta["operation"],
        conversion_factor=float(meta.get("conversion_factor", 1.0)),
        cfac=tuple(meta.get("cfac", [])),
        ndata_total=int(meta.get("ndata_total", len(df))),
        source=meta.get("source", "nnpdf_data"),
    )
