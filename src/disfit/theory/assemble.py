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
from disfit.config import with_defaults
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
from disfit.theory.evolution import (
    load_operators,
    operator_patches,
    strong_coupling,
    theory_patches,
)
from disfit.theory.fonll import FONLL_PARTS, fonll_provenance, is_fonll
from disfit.theory.qgrid import Patch, interpolate, patch_of

log = logging.getLogger("disfit")


class OperatorAt:
    """Evolution operators at any Q² ≥ Q0² from the eko nodes, cached per (Q², nf): with nf
    given, FONLL's fixed-flavour operator; without, the VFNS one."""

    def __init__(
        self,
        nodes: Sequence[tuple[float, int]],
        operators: Sequence[np.ndarray],
        all_patches: Sequence[Patch],
        vfns: Sequence[Patch] | None = None,
        npoints: int = 4,
    ) -> None:
        self.nodes, self.operators, self.patches = list(nodes), list(operators), all_patches
        self.vfns = all_patches if vfns is None else vfns
        self.npoints = npoints
        self._cache: dict[tuple[float, int], np.ndarray] = {}

    @classmethod
    def from_eko(cls, theory: Mapping[str, Any], paths: Sequence) -> tuple[OperatorAt, np.ndarray]:
        """Operators of a theory's eko files (its parts), and their x grid."""
        card, npoints = (
            theory_card(theory),
            int(with_defaults("theory", theory)["interpolation_points"]),
        )
        nodes, operators, xgrid = load_operators(paths)
        patches, vfns = operator_patches(card), theory_patches(card)
        return cls(nodes, operators, patches, vfns, npoints), xgrid

    def __call__(self, q2: float, nf: int | None = None) -> np.ndarray:
        nf = patch_of(q2, self.vfns).nf if nf is None else nf
        if (q2, nf) not in self._cache:
            exact = [i for i, node in enumerate(self.nodes) if node == (q2, nf)]
            self._cache[q2, nf] = (
                self.operators[exact[0]]
                if exact
                else interpolate(q2, self.nodes, self.operators, self.patches, self.npoints, nf)
            )
        return self._cache[q2, nf]


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


def evolve_coefficients(
    coefficients: Mapping[str, np.ndarray],
    card: Mapping[str, Any],
    operator_at: Callable[[float, int | None], np.ndarray],
    a_s: Callable[[float, int | None], float],
    weights: np.ndarray | None = None,
    nf: int | None = None,
) -> np.ndarray:
    """FK[d, FK flavour, x] of one set of yadism coefficients: Σ_o a_s^o C_o ⊗ E(Q²_d) / x,
    times the points' `weights`, with the operator and a_s of `nf` flavours (None: the VFNS).
    Points below Q0², or of weight zero, stay zero."""
    xgrid = np.asarray(coefficients["xgrid"], dtype=float)
    q2 = np.asarray(coefficients["Q2"], dtype=float)
    weights = np.ones(len(q2)) if weights is None else weights
    orders, values = coefficients["orders"], coefficients["values"]
    use = [k for k, o in enumerate(orders) if o[0] <= card["PTO"] and not np.any(o[1:])]
    fk = np.zeros((len(q2), NFL, len(xgrid)))
    for d in np.flatnonzero((q2 >= card["Q0"] ** 2 * (1 - 1e-12)) & (weights != 0)):
        coupling = a_s(float(q2[d]), nf)
        coefficient = sum(coupling ** int(orders[k][0]) * values[k, d] for k in use)
        if weights[d] != 1:
            coefficient = weights[d] * coefficient
        fk[d] = np.einsum("ai,aikj->kj", coefficient, operator_at(float(q2[d]), nf)) / xgrid
    return fk


def fktable_from_coefficients(
    name: str,
    coefficients: Mapping[int | None, Mapping[str, np.ndarray]],
    card: Mapping[str, Any],
    operator_at: Callable[[float, int | None], np.ndarray],
    a_s: Callable[[float, int | None], float],
    theory_id: str,
    kind: str = "data",
) -> FKTable:
    """Contract yadism coefficients with the evolution operator at each point's Q²: those of
    the card's scheme (key None), or FONLL's seven parts with their signs, threshold weights,
    operators and a_s (disfit.theory.fonll).

    Points below Q0² cannot be evolved to: their rows are zero and listed in the provenance
    (`below_q0`); the default DIS cuts (Q² > 3.49 GeV²) never keep them.
    """
    first = next(iter(coefficients.values()))
    xgrid = np.asarray(first["xgrid"], dtype=float)
    q2 = np.asarray(first["Q2"], dtype=float)
    provenance = _provenance(card, theory_id, kind)
    if is_fonll(card):
        if sorted(coefficients, key=str) != list(range(len(FONLL_PARTS))):
            raise DisfitError(
                f"{name}: {card['FNS']} needs the coefficients of FONLL parts 0 … "
                f"{len(FONLL_PARTS) - 1}, got {sorted(coefficients, key=str)}; rerun the theory"
            )
        fk = np.zeros((len(q2), NFL, len(xgrid)))
        for index, part in enumerate(FONLL_PARTS):
            arrays = coefficients[index]
            if not (np.array_equal(arrays["Q2"], q2) and np.array_equal(arrays["xgrid"], xgrid)):
                raise DisfitError(f"{name}: FONLL part {index} holds other points; rerun")
            weights = part.weights(q2, card)
            fk += evolve_coefficients(arrays, card, operator_at, a_s, weights, part.nf)
        provenance["fonll_parts"] = [fonll_provenance(part, card) for part in FONLL_PARTS]
    elif set(coefficients) == {None}:
        fk = evolve_coefficients(first, card, operator_at, a_s)
    else:
        raise DisfitError(f"{name}: FONLL coefficients for a {card['FNS']} theory; rerun")
    provenance["below_q0"] = np.flatnonzero(q2 < card["Q0"] ** 2 * (1 - 1e-12)).tolist()
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
    groups = load_coefficient_parts(coefficients)
    meta = next(iter(groups.values()))[1]
    arrays = {fonll: group[0] for fonll, group in groups.items()}
    at, _ = OperatorAt.from_eko(theory, eko)
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
    at, xgrid = OperatorAt.from_eko(theory, eko)
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
