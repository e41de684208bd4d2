"""FK table = coefficient functions ⊗ evolution operator, at each point's own Q².

FK[d, e, α] = Σ_o a_s(Q²_d)^o Σ_{a,i} C_o[d, a, i] E(Q²_d)[a, i, e, α] / x_α, with E from the
theory's eko nodes interpolated in ln Q² (never across a heavy-quark threshold), so that
prediction_d = Σ FK · x f(x, Q0) in n3fit's convention.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit import __version__
from disfit.basis import FK_BASIS, NFL, eko_row
from disfit.constraints import (
    INTEGRABILITY,
    INTEGRABILITY_TABLE_X,
    POSITIVITY_PDFS,
    POSITIVITY_Q2,
    POSITIVITY_STRUCTURE_FUNCTIONS,
    positivity_x,
)
from disfit.errors import DisfitError
from disfit.io.coefficients import load_coefficient_parts
from disfit.io.fktable import FKTable, write_fktable
from disfit.theory.card import theory_card, theory_id
from disfit.theory.evolution import load_operators, strong_coupling, theory_patches
from disfit.theory.qgrid import Patch, interpolate

log = logging.getLogger("disfit")


class OperatorAt:
    """Evolution operators at any Q² ≥ Q0² from the eko nodes, cached per Q²."""

    def __init__(
        self,
        nodes: Sequence[tuple[float, int]],
        operators: Sequence[np.ndarray],
        all_patches: Sequence[Patch],
    ) -> None:
        self.nodes, self.operators, self.patches = list(nodes), list(operators), all_patches
        self._cache: dict[float, np.ndarray] = {}

    @classmethod
    def from_eko(cls, card: Mapping[str, Any], paths: Sequence) -> tuple[OperatorAt, np.ndarray]:
        """Operators of a theory's eko files (its parts), and their x grid."""
        nodes, operators, xgrid = load_operators(paths)
        return cls(nodes, operators, theory_patches(card)), xgrid

    def __call__(self, q2: float) -> np.ndarray:
        if q2 not in self._cache:
            exact = [i for i, (node, _) in enumerate(self.nodes) if node == q2]
            self._cache[q2] = (
                self.operators[exact[0]]
                if exact
                else interpolate(q2, self.nodes, self.operators, self.patches)
            )
        return self._cache[q2]


def _provenance(card: Mapping[str, Any], theory_id: str, kind: str) -> dict[str, Any]:
    return {
        "source": "disfit theory (yadism + eko)",
        "kind": kind,
        "theory_id": theory_id,
        "order": int(card["PTO"]),
        "scheme": card["FNS"],
        "tmc": int(card["TMC"]),
        "disfit_version": __version__,
    }


def fktable_from_coefficients(
    name: str,
    coefficients: Mapping[str, np.ndarray],
    card: Mapping[str, Any],
    operator_at: Callable[[float], np.ndarray],
    a_s: Callable[[float], float],
    theory_id: str,
    kind: str = "data",
) -> FKTable:
    """Contract yadism coefficients with the evolution operator at each point's Q².

    Points below Q0² cannot be evolved to: their rows are zero and listed in the provenance
    (`below_q0`); the default DIS cuts (Q² > 3.49 GeV²) never keep them.
    """
    xgrid = np.asarray(coefficients["xgrid"], dtype=float)
    q2 = np.asarray(coefficients["Q2"], dtype=float)
    orders, values = coefficients["orders"], coefficients["values"]
    use = [k for k, o in enumerate(orders) if o[0] <= card["PTO"] and not np.any(o[1:])]
    fk = np.zeros((len(q2), NFL, len(xgrid)))
    below = np.flatnonzero(q2 < card["Q0"] ** 2 * (1 - 1e-12))
    for d in np.setdiff1d(np.arange(len(q2)), below):
        coupling = a_s(float(q2[d]))
        coefficient = sum(coupling ** int(orders[k][0]) * values[k, d] for k in use)
        fk[d] = np.einsum("ai,aikj->kj", coefficient, operator_at(float(q2[d]))) / xgrid
    provenance = _provenance(card, theory_id, kind)
    provenance["below_q0"] = below.tolist()
    active = np.any(fk != 0, axis=(0, 2))
    return FKTable(name, xgrid, active, fk[:, active], float(card["Q0"]), provenance)


def positivity_pdf_fktable(
    name: str,
    pid: int,
    xs: np.ndarray,
    q2: float,
    xgrid: np.ndarray,
    card: Mapping[str, Any],
    operator_at: Callable[[float], np.ndarray],
    theory_id: str,
) -> FKTable:
    """x·f of PDG flavour `pid` at (xs, q2): the operator alone, interpolated in x by eko's
    own interpolation basis."""
    from eko.interpolation import InterpolatorDispatcher, XGrid

    dispatcher = InterpolatorDispatcher(XGrid(xgrid, log=True), 4)
    weights = np.asarray(dispatcher.get_interpolation(np.asarray(xs, dtype=float)))
    row = eko_row(pid)
    operator = operator_at(q2)[row]  # (x_out, FK flavour, x_in)
    fk = np.einsum("di,ikj->dkj", weights, operator) * np.asarray(xs)[:, None, None] / xgrid
    active = np.any(fk != 0, axis=(0, 2))
    provenance = _provenance(card, theory_id, "positivity")
    provenance.update(pid=pid, Q2=q2)
    return FKTable(name, xgrid, active, fk[:, active], float(card["Q0"]), provenance)


def integrability_fktable(name: str, card: Mapping[str, Any], theory_id: str) -> FKTable:
    """x·f of one evolution flavour at INTEGRABILITY_TABLE_X and Q0: a one-point table, no
    evolution."""
    if name not in INTEGRABILITY:
        raise DisfitError(f"{name}: not an integrability set ({', '.join(INTEGRABILITY)})")
    active = np.array([f == INTEGRABILITY[name] for f in FK_BASIS])
    provenance = _provenance(card, theory_id, "integrability")
    return FKTable(
        name, np.array([INTEGRABILITY_TABLE_X]), active, np.ones((1, 1, 1)), card["Q0"], provenance
    )


def assemble_fktable(
    theory: Mapping[str, Any], coefficients: Sequence[Path], eko: Sequence[Path], out: Path
) -> None:
    """`disfit theory fktable`: one FK table from its yadism coefficients (their parts) and
    the eko parts."""
    card = theory_card(theory)
    arrays, meta = load_coefficient_parts(coefficients)
    at, _ = OperatorAt.from_eko(card, eko)
    kind = "positivity" if meta["fktable"] in POSITIVITY_STRUCTURE_FUNCTIONS else "data"
    fk = fktable_from_coefficients(
        meta["fktable"], arrays, card, at, strong_coupling(card), theory_id(theory), kind
    )
    write_fktable(fk, out)
    log.info("%s: FK table of %d points, %d flavours → %s", fk.name, fk.ndata, fk.active.sum(), out)


def constraint_fktables(
    theory: Mapping[str, Any], eko: Sequence[Path], positivity: Path, integrability: Path
) -> None:
    """`disfit theory constraints`: the positivity x·f tables (the operator alone) into
    `positivity` and the integrability tables into `integrability`."""
    card = theory_card(theory)
    at, xgrid = OperatorAt.from_eko(card, eko)
    tid = theory_id(theory)
    for name, pid in POSITIVITY_PDFS.items():
        fk = positivity_pdf_fktable(name, pid, positivity_x(), POSITIVITY_Q2, xgrid, card, at, tid)
        write_fktable(fk, positivity / f"{name}.parquet")
    for name in INTEGRABILITY:
        write_fktable(integrability_fktable(name, card, tid), integrability / f"{name}.parquet")
    log.info(
        "%d positivity x·f tables → %s, %d integrability tables → %s",
        len(POSITIVITY_PDFS),
        positivity,
        len(INTEGRABILITY),
        integrability,
    )
