"""FK table = coefficient functions ⊗ evolution operator, at each point's own Q².

FK[d, e, α] = Σ_o a_s(Q²_d)^o Σ_{a,i} C_o[d, a, i] E(Q²_d)[a, i, e, α] / x_α, with E from the
theory's eko nodes interpolated in ln Q² (never across a heavy-quark threshold), so that
prediction_d = Σ FK · x f(x, Q0) in n3fit's convention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from disfit import __version__
from disfit.errors import DisfitError
from disfit.theory.fktable import FK_BASIS, NFL, FKTable
from disfit.theory.qgrid import Patch, interpolate

#: operator-only positivity sets: x·f of one PDG flavour at Q² = 5 GeV² (NNPDF_POS_*_40)
POSITIVITY_PDFS = {
    "NNPDF_POS_UP_40": 2,
    "NNPDF_POS_ANTI_UP_40": -2,
    "NNPDF_POS_DOWN_40": 1,
    "NNPDF_POS_ANTI_DOWN_40": -1,
    "NNPDF_POS_STRANGE_40": 3,
    "NNPDF_POS_ANTI_STRANGE_40": -3,
    "NNPDF_POS_GLUON_40": 21,
}
#: integrability sets: x·f of one evolution-basis flavour at x = 1e-9 and Q0
INTEGRABILITY = {
    "NNPDF_INTEG_XV_40": "V",
    "NNPDF_INTEG_XV3_40": "V3",
    "NNPDF_INTEG_XV8_40": "V8",
    "NNPDF_INTEG_XT3_40": "T3",
    "NNPDF_INTEG_XT8_40": "T8",
}
INTEGRABILITY_X = 1e-9


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
        from disfit.theory.evolution import load_operators, theory_patches

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
    from eko import basis_rotation
    from eko.interpolation import InterpolatorDispatcher, XGrid

    dispatcher = InterpolatorDispatcher(XGrid(xgrid, log=True), 4)
    weights = np.asarray(dispatcher.get_interpolation(np.asarray(xs, dtype=float)))
    row = list(basis_rotation.flavor_basis_pids).index(pid)
    operator = operator_at(q2)[row]  # (x_out, FK flavour, x_in)
    fk = np.einsum("di,ikj->dkj", weights, operator) * np.asarray(xs)[:, None, None] / xgrid
    active = np.any(fk != 0, axis=(0, 2))
    provenance = _provenance(card, theory_id, "positivity")
    provenance.update(pid=pid, Q2=q2)
    return FKTable(name, xgrid, active, fk[:, active], float(card["Q0"]), provenance)


def integrability_fktable(name: str, card: Mapping[str, Any], theory_id: str) -> FKTable:
    """x·f of one evolution flavour at x = 1e-9 and Q0: a one-point table, no evolution."""
    if name not in INTEGRABILITY:
        raise DisfitError(f"{name}: not an integrability set ({', '.join(INTEGRABILITY)})")
    active = np.array([f == INTEGRABILITY[name] for f in FK_BASIS])
    provenance = _provenance(card, theory_id, "integrability")
    return FKTable(
        name, np.array([INTEGRABILITY_X]), active, np.ones((1, 1, 1)), card["Q0"], provenance
    )
