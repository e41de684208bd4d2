"""FK tables in n3fit's convention, prediction_d = Σ_{i,α} FK[d, i, α] · x f_i(x_α): the FKTable
and its file, dense (ndata, n_active_flavours, nx) over basis.FK_BASIS, one Parquet file per
table (docs/formats.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.basis import FK_BASIS, NFL
from disfit.errors import DisfitError
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.fktable"
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class FKTable:
    """One FK table: `values[d, j, a]` multiplies x f of flavour `active_flavours[j]` at x_a."""

    name: str
    xgrid: np.ndarray
    active: np.ndarray  # bool mask over FK_BASIS
    values: np.ndarray  # (ndata, n_active, nx)
    q0: float
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.active.shape != (NFL,) or self.active.dtype != bool:
            raise DisfitError(f"FK table {self.name}: active mask must be 14 booleans")
        expected = (self.active.sum(), len(self.xgrid))
        if self.values.ndim != 3 or self.values.shape[1:] != expected:
            raise DisfitError(
                f"FK table {self.name}: values of shape {self.values.shape}, expected "
                f"(ndata, {expected[0]}, {expected[1]})"
            )

    @property
    def ndata(self) -> int:
        return self.values.shape[0]

    @property
    def active_flavours(self) -> list[str]:
        return [f for f, a in zip(FK_BASIS, self.active, strict=True) if a]

    def dense(self) -> np.ndarray:
        """The (ndata, 14, nx) table with zeros for inactive flavours."""
        full = np.zeros((self.ndata, NFL, len(self.xgrid)))
        full[:, self.active] = self.values
        return full

    def predict(self, xf: np.ndarray) -> np.ndarray:
        """Predictions for x·f given as (14, nx) on this table's x grid (or (..., 14, nx))."""
        return np.einsum("dja,...ja->...d", self.values, xf[..., self.active, :])

    def predict_fn(self, xf_of_x: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Predictions for a PDF given as a function x -> x·f of shape (14, nx)."""
        return self.predict(xf_of_x(self.xgrid))


def write_fktable(fktable: FKTable, path: str | Path) -> None:
    """Write an FK table as Parquet: rows (data, x_index), one column per active flavour."""
    ndata, nact, nx = fktable.values.shape
    columns: dict[str, Any] = {
        "data": pa.array(np.repeat(np.arange(ndata, dtype=np.int32), nx), pa.int32()),
        "x_index": pa.array(np.tile(np.arange(nx, dtype=np.int32), ndata), pa.int32()),
    }
    for j, flavour in enumerate(fktable.active_flavours):
        columns[flavour] = pa.array(fktable.values[:, j, :].ravel(), pa.float64())
    meta = {
        "name": fktable.name,
        "ndata": ndata,
        "nx": nx,
        "xgrid": [float(x) for x in fktable.xgrid],
        "q0": float(fktable.q0),
        "active_flavours": fktable.active_flavours,
        "convention": "prediction = sum FK * x f(x)",
        "provenance": fktable.provenance,
    }
    write_parquet(path, pa.table(columns), SCHEMA, SCHEMA_VERSION, meta)


def read_fktable(path: str | Path) -> FKTable:
    """Read and validate an FK-table Parquet file."""
    table, meta = read_parquet(
        path, SCHEMA, SCHEMA_VERSION, {"data": pa.int32(), "x_index": pa.int32()}
    )
    try:
        ndata, nx, flavours = int(meta["ndata"]), int(meta["nx"]), list(meta["active_flavours"])
        xgrid = np.array(meta["xgrid"], dtype=float)
        q0 = float(meta["q0"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DisfitError(
            f"{path}: FK-table header lacks or mangles {exc}; regenerate it"
        ) from None
    unknown = [f for f in flavours if f not in FK_BASIS]
    if unknown or len(xgrid) != nx:
        raise DisfitError(f"{path}: bad FK-table header (flavours {unknown}, nx {nx})")
    if table.num_rows != ndata * nx:
        raise DisfitError(f"{path}: {table.num_rows} rows, expected ndata*nx = {ndata * nx}")
    data = table.column("data").to_numpy()
    xidx = table.column("x_index").to_numpy()
    if not (
        np.array_equal(data, np.repeat(np.arange(ndata), nx))
        and np.array_equal(xidx, np.tile(np.arange(nx), ndata))
    ):
        raise DisfitError(f"{path}: rows are not in (data, x_index) order; regenerate the table")
    values = np.empty((ndata, len(flavours), nx))
    for j, flavour in enumerate(flavours):
        if flavour not in table.column_names:
            raise DisfitError(f"{path}: column {flavour!r} missing from the FK table")
        values[:, j, :] = table.column(flavour).to_numpy().reshape(ndata, nx)
    if not np.all(np.isfinite(values)):
        raise DisfitError(f"{path}: NaN or infinite FK-table entries; regenerate the table")
    active = np.array([f in flavours for f in FK_BASIS], dtype=bool)
    order = [flavours.index(f) for f in FK_BASIS if f in flavours]
    return FKTable(
        name=meta["name"],
        xgrid=xgrid,
        active=active,
        values=values[:, order, :],
        q0=q0,
        provenance=meta.get("provenance", {}),
    )
