"""A replica's folder, `replica_<k>/`: x·f at Q0 on n3fit's 196-point export grid (evolution and
flavour bases, Parquet), the replica JSON with n3fit's keys, and the χ² history. The fit writes
them, postfit copies them (replica 0: the mean), the LHAPDF stage, the report and a t0 PDF read
them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.basis import FK_BASIS, FLAVOUR_PIDS, flavour_basis
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.exportgrid"
SCHEMA_VERSION = 1
HISTORY_SCHEMA = "disfit.chi2history"

#: n3fit's export grid: the x values of every replica's x·f at Q0
EXPORT_XGRID = np.loadtxt(Path(__file__).with_name("export_xgrid.txt"))
#: replica-folder file names
EVOLUTION_FILE, FLAVOUR_FILE = "xf_evolution.parquet", "xf_flavour.parquet"
JSON_FILE, HISTORY_FILE = "replica.json", "chi2_history.parquet"


def write_replica_grids(
    folder: Path, xf_evolution: np.ndarray, q0: float, meta: dict[str, Any]
) -> None:
    """Write x·f (14, 196) at Q0 in both bases."""
    for name, basis, values in (
        (EVOLUTION_FILE, "evolution", xf_evolution),
        (FLAVOUR_FILE, "flavour", flavour_basis(xf_evolution)),
    ):
        labels = FK_BASIS if basis == "evolution" else [str(p) for p in FLAVOUR_PIDS]
        columns = {"x": pa.array(EXPORT_XGRID, pa.float64())}
        columns.update(
            {lab: pa.array(v, pa.float64()) for lab, v in zip(labels, values, strict=True)}
        )
        header = {"basis": basis, "q0": q0, "columns": list(labels), **meta}
        write_parquet(folder / name, pa.table(columns), SCHEMA, SCHEMA_VERSION, header)


def read_replica_grid(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(x, x·f (14, nx), header) of a replica's export grid, in the basis the header names."""
    table, meta = read_parquet(path, SCHEMA, SCHEMA_VERSION, {"x": pa.float64()})
    try:
        labels = list(meta["columns"])
        values = np.array([table.column(lab).to_numpy() for lab in labels])
    except (KeyError, TypeError) as exc:
        raise DisfitError(f"{path}: export grid lacks column {exc}; refit this replica") from None
    if not np.all(np.isfinite(values)):
        raise DisfitError(f"{path}: NaN in the export grid; refit this replica")
    return table.column("x").to_numpy(), values, meta


def write_history(folder: Path, history: list[dict[str, Any]], index: int) -> None:
    table = pa.table(
        {
            "epoch": pa.array([h["epoch"] for h in history], pa.int64()),
            "chi2_tr": pa.array([float(h["chi2_tr"][index]) for h in history], pa.float64()),
            "chi2_vl": pa.array([float(h["chi2_vl"][index]) for h in history], pa.float64()),
        }
    )
    write_parquet(folder / HISTORY_FILE, table, HISTORY_SCHEMA, 1, {"every": 100})


def read_history(folder: str | Path) -> np.ndarray:
    """(3, n): epoch, χ²_tr/N and χ²_vl/N every 100 epochs of a replica's training."""
    columns = {"epoch": pa.int64(), "chi2_tr": pa.float64(), "chi2_vl": pa.float64()}
    table, _ = read_parquet(Path(folder) / HISTORY_FILE, HISTORY_SCHEMA, 1, columns)
    return np.array([table.column(c).to_numpy() for c in columns], dtype=float)


def write_json(folder: Path, content: dict[str, Any]) -> None:
    with atomic_path(folder / JSON_FILE) as tmp:
        tmp.write_text(json.dumps(content, indent=2, sort_keys=False) + "\n")


def read_json(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / JSON_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DisfitError(f"{path}: missing; refit this replica") from None
    except json.JSONDecodeError as exc:
        raise DisfitError(f"{path}: corrupt JSON ({exc}); refit this replica") from None


def replica_folders(folder: str | Path) -> list[tuple[int, Path]]:
    """(k, folder/replica_<k>) of every replica folder in `folder`, in replica order."""
    return sorted(
        (int(m.group(1)), p)
        for p in Path(folder).glob("replica_*")
        if p.is_dir() and (m := re.fullmatch(r"replica_(\d+)", p.name))
    )
