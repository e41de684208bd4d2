"""The theory's tables of a run, selected from what is shipped in resources/theory/<id>/ or
computed in the run: each is checked to belong to the run's theory before it is used. Their
floats may come from another machine, so they are compared to disfit.floats.RTOL, never
with `==`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from disfit.errors import DisfitError
from disfit.floats import same_floats
from disfit.io.fktable import FKTable, read_fktable, write_fktable
from disfit.theory.card import theory_card, theory_id, xgrid

log = logging.getLogger("disfit")


def check_fktable(path: Path, fktable: FKTable, tid: str, q0: float, grid: Any) -> None:
    """An FK table of the theory `tid`: its id, Q0 and (unless a one-point integrability
    table) the theory's FK x grid."""
    if fktable.provenance.get("theory_id") != tid:
        raise DisfitError(
            f"{path}: FK table of theory {fktable.provenance.get('theory_id')}, the run's "
            f"theory is {tid}; rerun the theory stage"
        )
    if not same_floats(fktable.q0, q0):
        raise DisfitError(
            f"{path}: Q0 = {fktable.q0} GeV differs from the theory's; rerun the theory stage"
        )
    if len(fktable.xgrid) > 1 and not same_floats(fktable.xgrid, grid):
        raise DisfitError(
            f"{path}: x grid differs from the theory's (theory.xgrid_points, "
            "theory.xgrid_min); rerun the theory stage"
        )


def copy_fktables(theory: Mapping[str, Any], sources: Sequence[Path], out: Path) -> None:
    """Check each FK table against the run's theory and copy it to out/<its folder>/<name>
    (one source onto `out` itself when `out` names a .parquet file)."""
    expected = theory_id(theory), theory_card(theory)["Q0"], xgrid(theory)  # once, not per table
    single = len(sources) == 1 and out.suffix == ".parquet"
    for source in sources:
        target = out if single else out / source.parent.name / source.name
        fk = read_fktable(source)
        check_fktable(source, fk, *expected)
        write_fktable(fk, target)
    log.info("%d theory tables → %s", len(sources), out)
