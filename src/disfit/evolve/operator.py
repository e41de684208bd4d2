"""The evolution operator of an LHAPDF set: one eko per theory, from Q0 to NNPDF's LHAPDF Q grid,
applied to every replica's x·f at Q0 at once.

eko runs on its own x grid (a Lambert grid down to 1e-9, cheaper than the 196-point export
grid); the export grid is interpolated onto it on the input side and the evolved PDFs back
onto the export grid on the output side, both with eko's log-x polynomial interpolation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from disfit.errors import DisfitError
from disfit.io import read_parquet, write_parquet
from disfit.theory.fktable import EVOLUTION_ROTATION, FK_BASIS, FLAVOUR_PIDS, NFL

SCHEMA = "disfit.evolution"
SCHEMA_VERSION = 1

#: NNPDF's LHAPDF Q grid: 49 values from Q0 to 1e5 GeV, linear in ln ln(Q²/Λ²) per
#: flavour-number patch (n3fit's evolven3fit grid for NNPDF4.0)
Q_POINTS, Q_MAX, LAMBDA2 = 49, 1e5, 0.0625
#: eko's x grid for the set: eko.interpolation.lambertgrid(points, xmin)
XGRID_POINTS, XGRID_MIN = 60, 1e-9


def lhapdf_qgrid(
    card: Mapping[str, Any], npoints: int = Q_POINTS, qmax: float = Q_MAX
) -> list[tuple[np.ndarray, int]]:
    """Subgrids (Q values in GeV, nf) from Q0 to `qmax`, split at the heavy-quark thresholds of
    the card's VFNS; a threshold closes one subgrid and opens the next, and the `npoints`
    distinct values are shared between subgrids in proportion to their ln ln(Q²/Λ²) span."""
    from disfit.theory.evolution import theory_patches

    patches = theory_patches(card, q2max=qmax**2)
    tau = [(np.log(np.log(p.low / LAMBDA2)), np.log(np.log(p.high / LAMBDA2))) for p in patches]
    spans = np.array([hi - lo for lo, hi in tau])
    intervals = npoints - 1
    if intervals < len(patches):
        raise DisfitError(f"{npoints} Q points cannot cover {len(patches)} flavour patches")
    share = spans / spans.sum() * intervals
    counts = np.maximum(np.floor(share).astype(int), 1)
    for i in np.argsort(-(share - np.floor(share))):  # largest remainders take what is left
        if counts.sum() >= intervals:
            break
        counts[i] += 1
    while counts.sum() > intervals:
        counts[np.argmax(counts)] -= 1
    subgrids = []
    for (lo, hi), n, patch in zip(tau, counts, patches, strict=True):
        q2 = LAMBDA2 * np.exp(np.exp(np.linspace(lo, hi, n + 1)))
        q = np.sqrt(q2)
        q[0], q[-1] = np.sqrt(patch.low), np.sqrt(patch.high)  # exact Q0, thresholds, qmax
        subgrids.append((q, patch.nf))
    return subgrids


def eko_targets(subgrids: Sequence[tuple[np.ndarray, int]]) -> list[tuple[float, int]]:
    """(Q², nf) pairs eko evolves to: every node of every subgrid except Q0 itself."""
    return [(float(q) ** 2, nf) for i, (qs, nf) in enumerate(subgrids) for q in qs[i == 0 :]]


def eko_xgrid() -> np.ndarray:
    from eko.interpolation import lambertgrid

    return np.asarray(lambertgrid(XGRID_POINTS, XGRID_MIN))


def interpolation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """M[target, source]: f at `target` from f at the `source` nodes, with eko's log-x
    polynomials of degree 4 (what eko assumes between its nodes)."""
    from eko.interpolation import InterpolatorDispatcher, XGrid

    dispatcher = InterpolatorDispatcher(XGrid(source, log=True), 4, mode_N=False)
    return np.asarray(dispatcher.get_interpolation(target))


def xf_on(target: np.ndarray, source: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """x·f (..., len(source)) moved onto the `target` x values."""
    return np.einsum("ts,...s->...t", interpolation(source, target), xf / source) * target


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

    @classmethod
    def from_eko(cls, paths: Sequence[Path], q0: float, theory_id: str) -> EvolutionOperator:
        """Collect eko's parts, rotate the output to the evolution basis and keep the blocks
        that are not identically zero."""
        from eko import basis_rotation

        from disfit.theory.evolution import load_operators

        # operators: (out pid in eko's flavour order, x_out, in FK flavour, x_in)
        nodes, operators, xgrid = load_operators(paths)
        pids = list(basis_rotation.flavor_basis_pids)
        to_fk_flavour = np.zeros((NFL, len(pids)))
        for i, pid in enumerate(FLAVOUR_PIDS):
            to_fk_flavour[i, pids.index(pid)] = 1.0
        rotation = EVOLUTION_ROTATION @ to_fk_flavour
        full = np.stack([np.einsum("ea,aikj->eikj", rotation, op) for op in operators])
        scale = np.abs(full).max()
        blocks = [
            (e, k) for e in range(NFL) for k in range(NFL)
            if np.abs(full[:, e, :, k, :]).max() > 1e-14 * scale
        ]  # fmt: skip
        values = np.stack([full[:, e, :, k, :] for e, k in blocks], axis=1)
        return cls(nodes, xgrid, blocks, values, q0, {"theory_id": theory_id})

    def apply(self, xgrid: np.ndarray, xf: np.ndarray) -> np.ndarray:
        """x·f at every target, (replicas, targets, 14, len(xgrid)) in FK_BASIS, from x·f at Q0
        given as (replicas, 14, len(xgrid)) in FK_BASIS on `xgrid` (the export grid)."""
        to_eko = interpolation(xgrid, self.xgrid)  # (nx_eko, nx)
        from_eko = interpolation(self.xgrid, xgrid)  # (nx, nx_eko)
        f_eko = np.einsum("ja,rka->rkj", to_eko, xf / xgrid)
        out = np.zeros((xf.shape[0], len(self.targets), NFL, len(xgrid)))
        for b, (e, k) in enumerate(self.blocks):
            evolved = np.einsum("tij,rj->rti", self.values[:, b], f_eko[:, k])
            out[:, :, e] += np.einsum("ai,rti->rta", from_eko, evolved)
        return out * xgrid


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
