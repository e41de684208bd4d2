"""Every flavour basis of disfit and the rotations between them, in one place (as eko's
`basis_rotation.py` and n3fit's `layers/rotations.py`).

- FK_BASIS: the 14-flavour evolution basis of FK tables and of a replica's x·f at Q0, in n3fit's
  order, with PineAPPL's evolution-basis PIDs (FK_PIDS);
- FLAVOUR_PIDS: the PDG flavour basis that pairs with it (LHAPDF's order, photon first);
- FITTED_BASIS: n3fit's 8 EVOL fitted flavours, the network outputs;
- EXPORTGRID_LABELS / EXPORTGRID_PIDS: the columns of n3fit's `.exportgrid` files;
- eko's own flavour order (eko.basis_rotation.flavor_basis_pids), met through `eko_to_flavour`.
"""

from __future__ import annotations

import functools

import numpy as np

FK_BASIS = (
    "photon",
    "Sigma",
    "g",
    "V",
    "V3",
    "V8",
    "V15",
    "V24",
    "V35",
    "T3",
    "T8",
    "T15",
    "T24",
    "T35",
)
FK_PIDS = (22, 100, 21, 200, 203, 208, 215, 224, 235, 103, 108, 115, 124, 135)
NFL = len(FK_BASIS)
FLAVOUR_PIDS = (22, -6, -5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5, 6)

#: n3fit's EVOL fitted basis: the 8 network outputs.
FITTED_BASIS = ("sng", "g", "v", "v3", "v8", "t3", "t8", "t15")
#: which fitted flavour each FK-basis flavour equals at Q0 (no photon; b and t are not fitted,
#: so V15…V35 equal V and T24, T35 equal Σ)
_FITTED_SOURCE = {
    "Sigma": "sng",
    "g": "g",
    "V": "v",
    "V3": "v3",
    "V8": "v8",
    "V15": "v",
    "V24": "v",
    "V35": "v",
    "T3": "t3",
    "T8": "t8",
    "T15": "t15",
    "T24": "sng",
    "T35": "sng",
}

#: n3fit's exportgrid columns (PDG: −6 … −1, 21, 1 … 6, 22)
EXPORTGRID_LABELS = (
    "TBAR",
    "BBAR",
    "CBAR",
    "SBAR",
    "UBAR",
    "DBAR",
    "GLUON",
    "D",
    "U",
    "S",
    "C",
    "B",
    "T",
    "PHT",
)
EXPORTGRID_PIDS = (-6, -5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5, 6, 22)


def _evolution_rotation() -> np.ndarray:
    """14×14 matrix R with xf_evolution = R @ xf_flavour (FK_BASIS rows, FLAVOUR_PIDS columns)."""
    rot = np.zeros((NFL, NFL))
    col = {pid: i for i, pid in enumerate(FLAVOUR_PIDS)}
    rot[FK_BASIS.index("photon"), col[22]] = 1.0
    rot[FK_BASIS.index("g"), col[21]] = 1.0
    for q in range(1, 7):
        plus = {col[q]: 1.0, col[-q]: 1.0}
        minus = {col[q]: 1.0, col[-q]: -1.0}
        for c, v in plus.items():
            rot[FK_BASIS.index("Sigma"), c] += v
        for c, v in minus.items():
            rot[FK_BASIS.index("V"), c] += v
    # T_{n^2-1} = sum_{k<n} q_k^+ - (n-1) q_n^+, quarks ordered u, d, s, c, b, t; V likewise
    order = (2, 1, 3, 4, 5, 6)
    for n in range(2, 7):
        for prefix, sign in (("T", 1.0), ("V", -1.0)):
            row = FK_BASIS.index(f"{prefix}{n * n - 1}")
            for k, q in enumerate(order[:n]):
                weight = 1.0 if k < n - 1 else -(n - 1.0)
                rot[row, col[q]] += weight
                rot[row, col[-q]] += weight * sign
    return rot


#: xf_evolution = EVOLUTION_ROTATION @ xf_flavour
EVOLUTION_ROTATION = _evolution_rotation()


def _fitted_to_fk_basis() -> np.ndarray:
    """(14, 8) matrix: x·f in FK_BASIS from the fitted flavours."""
    rot = np.zeros((NFL, len(FITTED_BASIS)))
    for row, flavour in enumerate(FK_BASIS):
        if flavour in _FITTED_SOURCE:
            rot[row, FITTED_BASIS.index(_FITTED_SOURCE[flavour])] = 1.0
    return rot


#: xf_evolution = FIT_ROTATION @ xf_fitted
FIT_ROTATION = _fitted_to_fk_basis()


def evolution_basis(xf_flavour: np.ndarray) -> np.ndarray:
    """x·f in FK_BASIS from x·f in FLAVOUR_PIDS order (axis -2 holds the 14 flavours)."""
    return np.einsum("ef,...fa->...ea", EVOLUTION_ROTATION, xf_flavour)


def flavour_basis(xf_evolution: np.ndarray) -> np.ndarray:
    """x·f in FLAVOUR_PIDS order from x·f in FK_BASIS order (axis -2)."""
    return np.einsum("fe,...ea->...fa", np.linalg.inv(EVOLUTION_ROTATION), xf_evolution)


def exportgrid_order() -> list[int]:
    """Rows of a FLAVOUR_PIDS array in n3fit's exportgrid column order."""
    return [FLAVOUR_PIDS.index(pid) for pid in EXPORTGRID_PIDS]


def lhapdf_pids(nf_max: int) -> list[int]:
    """The flavours an LHAPDF set lists: quarks up to `nf_max` and the gluon, LHAPDF's order."""
    return [*range(-nf_max, 0), 21, *range(1, nf_max + 1)]


def eko_to_flavour() -> np.ndarray:
    """(14, 14) matrix taking eko's flavour order (basis_rotation.flavor_basis_pids) to
    FLAVOUR_PIDS order."""
    from eko import basis_rotation

    pids = list(basis_rotation.flavor_basis_pids)
    matrix = np.zeros((NFL, len(pids)))
    for i, pid in enumerate(FLAVOUR_PIDS):
        matrix[i, pids.index(pid)] = 1.0
    return matrix


def eko_row(pid: int) -> int:
    """The index of PDG id `pid` in eko's flavour order."""
    from eko import basis_rotation

    return list(basis_rotation.flavor_basis_pids).index(pid)


@functools.cache
def eko_evolution_to_flavour() -> np.ndarray:
    """The inverse of eko's flavour → evolution rotation (its own evolution basis order)."""
    from eko import basis_rotation

    return np.linalg.inv(np.array(basis_rotation.rotate_flavor_to_evolution, dtype=float))
