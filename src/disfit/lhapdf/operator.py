"""The evolution operator of an LHAPDF set: one eko per theory, from Q0 to NNPDF's LHAPDF Q grid,
applied to every replica's x·f at Q0 at once.

eko runs on its own x grid (a Lambert grid down to 1e-9, cheaper than the 196-point export
grid); the export grid is interpolated onto it on the input side and the evolved PDFs back
onto the export grid on the output side, both with eko's log-x polynomial interpolation.
The operator is computed in parts (`disfit lhapdf eko`), collected into one file
(`disfit lhapdf operator`) and, for a shipped theory, copied with checks (`disfit lhapdf copy`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import EVOLUTION_ROTATION, FIT_ROTATION, NFL, eko_to_flavour
from disfit.errors import DisfitError
from disfit.floats import same_floats, same_targets
from disfit.io.operator import EvolutionOperator, read_operator, write_operator
from disfit.theory.card import evolution_id, theory_card
from disfit.theory.evolution import compute_eko, load_operators, theory_patches

log = logging.getLogger("disfit")

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


def fitted_on(target: np.ndarray, source: np.ndarray, evolution: np.ndarray) -> np.ndarray:
    """Replicas' x·f (R, 14, len(source)) in the FK evolution basis, as stored in replica
    folders, moved to the fit's 8 flavours on the `target` x values: (R, 8, len(target)), what
    FitInputs.predictions and the positivity tables act on."""
    return xf_on(target, source, np.einsum("kf,rfa->rka", np.linalg.pinv(FIT_ROTATION), evolution))


def operator_from_eko(paths: Sequence[Path], q0: float, evolution_id: str) -> EvolutionOperator:
    """Collect eko's parts, rotate the output to the evolution basis and keep the blocks that
    are not identically zero."""
    # operators: (out pid in eko's flavour order, x_out, in FK flavour, x_in)
    nodes, operators, xgrid = load_operators(paths)
    rotation = EVOLUTION_ROTATION @ eko_to_flavour()
    full = np.stack([np.einsum("ea,aikj->eikj", rotation, op) for op in operators])
    scale = np.abs(full).max()
    blocks = [
        (e, k)
        for e in range(NFL)
        for k in range(NFL)
        if np.abs(full[:, e, :, k, :]).max() > 1e-14 * scale
    ]
    values = np.stack([full[:, e, :, k, :] for e, k in blocks], axis=1)
    return EvolutionOperator(nodes, xgrid, blocks, values, q0, {"evolution_id": evolution_id})


def evolve(op: EvolutionOperator, xgrid: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """x·f at every target, (replicas, targets, 14, len(xgrid)) in FK_BASIS, from x·f at Q0
    given as (replicas, 14, len(xgrid)) in FK_BASIS on `xgrid` (the export grid)."""
    to_eko = interpolation(xgrid, op.xgrid)  # (nx_eko, nx)
    from_eko = interpolation(op.xgrid, xgrid)  # (nx, nx_eko)
    f_eko = np.einsum("ja,rka->rkj", to_eko, xf / xgrid)
    out = np.zeros((xf.shape[0], len(op.targets), NFL, len(xgrid)))
    for b, (e, k) in enumerate(op.blocks):
        evolved = np.einsum("tij,rj->rti", op.values[:, b], f_eko[:, k])
        out[:, :, e] += np.einsum("ai,rti->rta", from_eko, evolved)
    return out * xgrid


def check_operator(
    path: Path, operator: EvolutionOperator, card: Mapping[str, Any], evolution_id: str
) -> None:
    """The LHAPDF evolution operator of this theory: its evolution settings, Q0 and Q grid. Its
    floats may come from another machine: compared to disfit.floats.RTOL, never with `==`."""
    if operator.provenance.get("evolution_id") != evolution_id:
        raise DisfitError(
            f"{path}: operator of the evolution settings {operator.provenance.get('evolution_id')}"
            f", the run's theory evolves with {evolution_id}; rerun the theory stage"
        )
    if not same_targets(operator.targets, eko_targets(lhapdf_qgrid(card))) or not same_floats(
        operator.q0, card["Q0"]
    ):
        raise DisfitError(f"{path}: Q grid differs from this theory's; rerun the theory")


def compute_part(theory: Mapping[str, Any], part: int, parts: int, path: Path) -> None:
    """eko for every `parts`-th target of the LHAPDF Q grid, from the `part`-th (parallel jobs)."""
    card = theory_card(theory)
    targets = eko_targets(lhapdf_qgrid(card))
    mine = targets[part::parts]
    log.info(
        "LHAPDF eko part %d/%d: %d of %d Q values on %d x points",
        part + 1,
        parts,
        len(mine),
        len(targets),
        len(eko_xgrid()),
    )
    compute_eko(card, mine, eko_xgrid(), path)


def collect_parts(theory: Mapping[str, Any], paths: Sequence[Path], out: Path) -> None:
    """The operator file from eko's parts, checked to hold the whole LHAPDF Q grid."""
    card = theory_card(theory)
    op = operator_from_eko(paths, float(card["Q0"]), evolution_id(theory))
    expected = eko_targets(lhapdf_qgrid(card))
    if not same_targets(op.targets, expected):
        raise DisfitError(
            f"eko parts {list(map(str, paths))} do not hold the LHAPDF Q grid; rerun them"
        )
    # the grid's own values, which `disfit lhapdf set` checks
    write_operator(dataclasses.replace(op, targets=expected), out)
    log.info(
        "evolution operator: %d Q values, %d flavour blocks → %s",
        len(op.targets),
        len(op.blocks),
        out,
    )


def copy_operator(theory: Mapping[str, Any], source: Path, out: Path) -> None:
    """A shipped (or computed) operator, checked against the run's theory, copied to `out`."""
    op = read_operator(source)
    check_operator(source, op, theory_card(theory), evolution_id(theory))
    write_operator(op, out)
    log.info("LHAPDF evolution operator %s → %s", source, out)
