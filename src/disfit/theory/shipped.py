"""Checks that a theory table (shipped in resources/theory/, or computed earlier) belongs to the
run's theory before it is used. Its floats may come from another machine, so they are compared
to disfit.floats.RTOL, never with `==`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from disfit.errors import DisfitError
from disfit.floats import same_floats, same_targets


def check_fktable(path: Path, fktable: Any, theory: Mapping[str, Any]) -> None:
    """An FK table of the config's `theory` section: its theory id, Q0 and (unless a one-point
    integrability table) the theory's FK x grid."""
    from disfit.theory.card import theory_card, theory_id, xgrid

    tid = theory_id(theory)
    if fktable.provenance.get("theory_id") != tid:
        raise DisfitError(f"{path}: FK table of theory {fktable.provenance.get('theory_id')}, "
                          f"the run's theory is {tid}; rerun the theory stage")  # fmt: skip
    if not same_floats(fktable.q0, theory_card(theory)["Q0"]):
        raise DisfitError(f"{path}: Q0 = {fktable.q0} GeV differs from the theory's; rerun the "
                          "theory stage")  # fmt: skip
    if len(fktable.xgrid) > 1 and not same_floats(fktable.xgrid, xgrid(theory)):
        raise DisfitError(f"{path}: x grid differs from the theory's (theory.xgrid_points, "
                          "theory.xgrid_min); rerun the theory stage")  # fmt: skip


def check_operator(path: Path, operator: Any, card: Mapping[str, Any], theory_id: str) -> None:
    """The LHAPDF evolution operator of this theory: its theory id, Q0 and Q grid."""
    from disfit.evolve.operator import eko_targets, lhapdf_qgrid

    if operator.provenance.get("theory_id") != theory_id:
        raise DisfitError(f"{path}: operator of theory {operator.provenance.get('theory_id')}, "
                          f"the run's theory is {theory_id}; rerun the theory stage")  # fmt: skip
    if not same_targets(operator.targets, eko_targets(lhapdf_qgrid(card))) or not same_floats(
        operator.q0, card["Q0"]
    ):
        raise DisfitError(f"{path}: Q grid differs from this theory's; rerun the theory")
