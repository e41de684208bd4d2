"""One eko evolution operator per theory, on Q² nodes per flavour-number patch.

Operators at any Q² come from Lagrange interpolation in ln Q² between the nodes of the same
patch (qgrid.interpolate); they are rotated to the evolution basis on their input side, so an
FK table contracts them with x·f at Q0 in the 14-flavour FK basis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import eko_evolution_to_flavour
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path
from disfit.theory.card import theory_card, thresholds, xgrid
from disfit.theory.fonll import FONLL_PARTS, FonllPart, is_fonll
from disfit.theory.qgrid import Patch, patch_of, patches, q2_nodes

log = logging.getLogger("disfit")


def theory_patches(card: Mapping[str, Any], q2max: float = 1e6) -> list[Patch]:
    """Flavour-number patches of the card's VFNS above Q0 (the PDFs' evolution)."""
    return patches(card["Q0"], thresholds(card), card["nf0"], q2max, card.get("MaxNfPdf", 5))


def operator_patches(card: Mapping[str, Any], q2max: float = 1e6) -> list[Patch]:
    """The Q² ranges and flavour numbers of the FK tables' operators: the VFNS patches, or for
    FONLL one fixed-flavour family per NfFF of its parts over the whole range (eko evolves to
    (Q², nf) through the thresholds, backwards where needed: nf = 3 from Q0 > mc)."""
    if not is_fonll(card):
        return theory_patches(card, q2max)
    return [Patch(card["Q0"] ** 2, q2max, nf) for nf in sorted({p.nf for p in FONLL_PARTS})]


def operator_requests(
    card: Mapping[str, Any], q2: np.ndarray, parts: Sequence[FonllPart | None]
) -> list[tuple[float, int]]:
    """(Q², nf) at which FK tables need the operator: each Q² ≥ Q0² in the VFNS (part None),
    or for each FONLL part where its weight is not zero."""
    q2 = np.asarray(q2, dtype=float)
    q2 = q2[q2 >= card["Q0"] ** 2]
    vfns = theory_patches(card)
    requests = []
    for part in parts:
        if part is None:
            requests += [(float(q), patch_of(q, vfns).nf) for q in q2]
        else:
            requests += [(float(q), part.nf) for q in q2[part.weights(q2, card) != 0]]
    return requests


def eko_backend() -> str:
    """ "rust" when eko is patched to its Rust backend (scripts/rustify_eko.sh), else "numba"."""
    from eko.evolution_operator import quad_ker

    return "rust" if hasattr(quad_ker, "cb_quad_ker_qcd") else "numba"


def eko_cards(card: Mapping[str, Any], nodes: Sequence[tuple[float, int]], xgrid: np.ndarray):
    """eko's (TheoryCard, OperatorCard) for the nodes (Q², nf) on `xgrid`."""
    from eko.io import runcards

    theory = runcards.Legacy(dict(card), {}).new_theory
    operator = runcards.OperatorCard.from_dict(
        {
            "init": (float(card["Q0"]), int(card["nf0"])),
            "mugrid": [(float(np.sqrt(q2)), int(nf)) for q2, nf in nodes],
            "xgrid": [float(x) for x in xgrid],
            "configs": {
                "evolution_method": "truncated" if card["ModEv"] == "TRN" else "iterate-exact",
                "ev_op_max_order": [10, 0],
                "ev_op_iterations": 1 if card["ModEv"] == "TRN" else 30,
                "scvar_method": None,
                "inversion_method": "expanded" if card["ModEv"] == "TRN" else "exact",
                "interpolation_polynomial_degree": 4,
                "interpolation_is_log": True,
                "n_integration_cores": 1,
                "polarized": False,
                "time_like": False,
            },
            "debug": {"skip_singlet": False, "skip_non_singlet": False},
        }
    )
    return theory, operator


def compute_eko(
    card: Mapping[str, Any], nodes: Sequence[tuple[float, int]], xgrid: np.ndarray, path: Path
) -> None:
    """Run eko for `nodes` and write its output file atomically."""
    import eko
    from eko.runner.managed import solve

    theory, operator = eko_cards(card, nodes, xgrid)
    log.info("eko %s (%s backend): %d Q2 nodes", eko.__version__, eko_backend(), len(nodes))
    with atomic_path(path) as tmp:
        tmp.unlink()
        solve(theory, operator, tmp)


def load_operators(
    paths: str | Path | Sequence[str | Path],
) -> tuple[list[tuple[float, int]], list[np.ndarray], np.ndarray]:
    """(nodes, operators, xgrid) from eko files (the parts of one theory's operator), sorted in
    Q²; operators E[out PDG id, x_out, in FK flavour, x_in] act on f at Q0 in the FK evolution
    basis (disfit.basis.FK_BASIS order)."""
    import eko

    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    items, grids = [], []
    for path in paths:
        try:
            with eko.EKO.read(Path(path)) as output:
                grids.append(np.asarray(output.xgrid.raw, dtype=float))
                items += [
                    ((float(ep[0]), int(ep[1])), np.array(op.operator)) for ep, op in output.items()
                ]
        except Exception as exc:  # eko raises many types for a broken archive
            raise DisfitError(
                f"{path}: not a readable eko output ({exc}); rerun the theory"
            ) from None
    if any(not np.array_equal(g, grids[0]) for g in grids):
        raise DisfitError(f"eko parts {paths} have different x grids; rerun the theory")
    items.sort(key=lambda item: item[0])
    rinv = eko_evolution_to_flavour()
    nodes = [node for node, _ in items]
    operators = [np.einsum("aibj,bk->aikj", op, rinv) for _, op in items]
    return nodes, operators, grids[0]


def fktable_nodes(config: Mapping[str, Any]) -> list[tuple[float, int]]:
    """The eko nodes (Q², nf) of a theory's FK tables: every Q² ≥ Q0² of the configured
    datasets and the positivity scale, thinned to theory.node_ratio per flavour patch."""
    from disfit.constraints import POSITIVITY_Q2
    from disfit.theory.coefficients import dataset_fktable_points

    card = theory_card(config["theory"])
    q2 = [POSITIVITY_Q2]
    for d in config["datasets"]:
        for points in dataset_fktable_points(d["dataset"], d["variant"]).values():
            q2 += [p["Q2"] for p in points]
    parts = FONLL_PARTS if is_fonll(card) else [None]
    # the positivity x·f tables are the VFNS operator alone
    requests = operator_requests(card, q2, parts) + operator_requests(card, [POSITIVITY_Q2], [None])
    ratio = float(config["theory"]["node_ratio"])
    npoints = int(config["theory"]["interpolation_points"])
    nodes = []
    for patch in operator_patches(card):
        inside = [q for q, nf in requests if nf == patch.nf and patch.contains(q)]
        nodes += q2_nodes(inside, [patch], ratio=ratio, npoints=npoints) if inside else []
    log.info(
        "%d Q2 nodes for %d distinct Q2 (%s, nf=%s)",
        len(nodes),
        len(set(q2)),
        card["FNS"],
        sorted({nf for _, nf in nodes}),
    )
    return nodes


def compute_part(config: Mapping[str, Any], part: int, parts: int, path: Path) -> None:
    """eko for every `parts`-th node of the FK tables' operator, from the `part`-th: the
    operator is computed in parts, in parallel jobs."""
    nodes = fktable_nodes(config)
    mine = nodes[part::parts]
    log.info("eko part %d/%d: %d of %d Q2 nodes", part + 1, parts, len(mine), len(nodes))
    compute_eko(theory_card(config["theory"]), mine, xgrid(config["theory"]), path)


def strong_coupling(card: Mapping[str, Any]):
    """a_s(Q², nf=None) = alpha_s / 4π in the card's VFNS, as eko evolves it."""
    from eko.couplings import Couplings, couplings_mod_ev
    from eko.matchings import Atlas, nf_default
    from eko.quantities.heavy_quarks import MatchingScales

    theory, operator = eko_cards(card, [(10.0, 4)], np.array([1e-3, 0.1, 1.0]))
    masses = [m.value**2 for m in theory.heavy.masses]
    ratios = np.power(theory.heavy.matching_ratios, 2.0).tolist()
    couplings = Couplings(
        theory.couplings,
        theory.order,
        couplings_mod_ev(operator.configs.evolution_method),
        masses=masses,
        hqm_scheme=theory.heavy.masses_scheme,
        thresholds_ratios=ratios,
    )
    matching = np.array(masses) * np.array(ratios)
    matching[card.get("MaxNfPdf", 5) - 3 :] = np.inf
    atlas = Atlas(MatchingScales(matching), (card["Q0"] ** 2, card["nf0"]))

    def a_s(q2: float, nf: int | None = None) -> float:
        """At a threshold, `nf` picks the side (the default: the flavours above it)."""
        return float(couplings.a_s(q2, nf_to=nf if nf is not None else nf_default(q2, atlas)))

    return a_s
