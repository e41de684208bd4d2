"""The evolution operator of an LHAPDF set (eko's, from Q0 to every Q of the set's grid) as a
Parquet file, stored in float32: eko's own accuracy is ~1e-7, and the file is shipped."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.basis import FK_BASIS
from disfit.errors import DisfitError
from disfit.io.parquet import read_parquet, write_parquet

SCHEMA = "disfit.evolution"
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class EvolutionOperator:
    """E[target, out, x_out, in, x_in]: f at (Q², nf) of target in FK_BASIS `out` from f at Q0 in
    FK_BASIS `in`, on eko's x grid (eko's convention: it acts on f, not x·f). Only the (out, in)
    flavour blocks in `blocks` are non-zero."""

    targets: list[tuple[float, int]]
    xgrid: np.ndarray
    blocks: list[tuple[int, int]]
    values: np.ndarray  # (ntargets, nblocks, nx, nx)
    q0: float
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)


def write_operator(op: EvolutionOperator, path: str | Path) -> None:
    """Rows (target, block, x_out), one column per x_in; the targets, blocks and grid in the
    header. Stored in float32: eko's own accuracy is ~1e-7, and the file is shipped."""
    nt, nb, nx, _ = op.values.shape
    columns: dict[str, Any] = {
        "target": pa.array(np.repeat(np.arange(nt, dtype=np.int16), nb * nx)),
        "block": pa.array(np.tile(np.repeat(np.arange(nb, dtype=np.int16), nx), nt)),
        "x_index": pa.array(np.tile(np.arange(nx, dtype=np.int16), nt * nb)),
    }
    flat = op.values.reshape(nt * nb * nx, nx).astype(np.float32)
    for j in range(nx):
        columns[f"x{j}"] = pa.array(flat[:, j])
    write_parquet(path, pa.table(columns), SCHEMA, SCHEMA_VERSION, _header(op))


def _header(op: EvolutionOperator) -> dict[str, Any]:
    return dict(
        targets=[[q2, nf] for q2, nf in op.targets],
        xgrid=[float(x) for x in op.xgrid],
        blocks=[[FK_BASIS[e], FK_BASIS[k]] for e, k in op.blocks],
        q0=op.q0,
        convention="f(out, x_out) at target = sum E * f(in, x_in) at Q0; FK_BASIS both sides",
        provenance=op.provenance,
    )


def read_operator(path: str | Path) -> EvolutionOperator:
    """Read and check an evolution-operator file."""
    table, meta = read_parquet(
        path, SCHEMA, SCHEMA_VERSION, {"target": pa.int16(), "block": pa.int16()}
    )
    parsers = {
        "targets": lambda v: [(float(q2), int(nf)) for q2, nf in v],
        "xgrid": lambda v: np.array(v, dtype=float),
        "blocks": lambda v: [(FK_BASIS.index(e), FK_BASIS.index(k)) for e, k in v],
        "q0": float,
    }
    try:
        header = {key: parse(meta[key]) for key, parse in parsers.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise DisfitError(
            f"{path}: evolution-operator header lacks or mangles {exc}; rerun the theory"
        ) from None
    targets, xgrid, blocks, q0 = (header[k] for k in parsers)
    nt, nb, nx = len(targets), len(blocks), len(xgrid)
    if table.num_rows != nt * nb * nx:
        raise DisfitError(
            f"{path}: {table.num_rows} rows, expected {nt * nb * nx}; rerun the theory"
        )
    try:
        flat = np.stack([table.column(f"x{j}").to_numpy() for j in range(nx)], axis=1)
    except KeyError as exc:
        raise DisfitError(f"{path}: column {exc} missing; rerun the theory") from None
    if not np.all(np.isfinite(flat)):
        raise DisfitError(f"{path}: NaN in the evolution operator; rerun the theory")
    values = flat.astype(float).reshape(nt, nb, nx, nx)
    return EvolutionOperator(targets, xgrid, blocks, values, q0, meta.get("provenance", {}))
