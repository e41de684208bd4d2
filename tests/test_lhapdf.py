"""The LHAPDF stage: `disfit lhapdf set` refuses bad inputs, and the shipped LHAPDF operator is
checked against the theory to float tolerance. (The set of the tiny run is checked in
test_workflow.py, which runs it.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import ROOT, run_cli


def test_lhapdf_set_without_postfit_or_with_a_bad_operator(capsys, tmp_path):
    """`disfit lhapdf set`: no postfit folder; an operator file that is not one; an operator of
    another theory. No set is left behind."""
    from disfit.io.operator import EvolutionOperator, write_operator

    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    args = ["lhapdf", "set", "--config", str(config), "--outdir", str(tmp_path / "lhapdf")]
    postfit = tmp_path / "postfit"
    postfit.mkdir()
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", "op.parquet")
    assert "no replica_0; run postfit first" in line
    (postfit / "replica_0").mkdir()
    (postfit / "veto_count.json").write_text('{"selected": []}')
    bad = tmp_path / "op.parquet"
    bad.write_bytes(b"PAR1 not really")
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", str(bad))
    assert str(bad) in line and "not a readable Parquet file" in line
    other = EvolutionOperator(
        [(4.0, 4)],
        np.array([0.1, 1.0]),
        [(2, 2)],
        np.ones((1, 1, 2, 2)),
        1.65,
        {"theory_id": "0123456789abcdef"},
    )
    write_operator(other, bad)
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", str(bad))
    assert "operator of theory 0123456789abcdef" in line and "rerun the theory stage" in line
    assert not (tmp_path / "lhapdf").exists() and not list(tmp_path.glob(".lhapdf*"))


def test_shipped_operator_check_tolerates_ulps_not_physics(tmp_path):
    """The shipped operator's Q grid against the recomputed one: a few ulp (another numpy) pass,
    a change of physics (1e-6 relative, or another Q0) is refused."""
    from disfit.errors import DisfitError
    from disfit.floats import same_floats
    from disfit.io.operator import read_operator
    from disfit.lhapdf.operator import check_operator
    from disfit.theory.card import theory_card, theory_id

    tid = theory_id({})
    path = ROOT / "resources" / "theory" / tid / "lhapdf"
    op = read_operator(path / "operator.parquet")
    card = theory_card({})
    check_operator(path, op, card, tid)
    ulps = [(float(np.nextafter(np.nextafter(q2, np.inf), np.inf)), nf) for q2, nf in op.targets]
    assert ulps != op.targets
    check_operator(path, dataclasses.replace(op, targets=ulps), card, tid)
    check_operator(path, dataclasses.replace(op, q0=float(np.nextafter(op.q0, 0))), card, tid)
    moved = [(q2 * (1 + 1e-6), nf) for q2, nf in op.targets]
    for bad in (dataclasses.replace(op, targets=moved), dataclasses.replace(op, q0=1.651)):
        with pytest.raises(DisfitError, match="Q grid differs from this theory's"):
            check_operator(path, bad, card, tid)
    assert same_floats([1.0, 0.0], [1.0 + 2e-16, 0.0]) and not same_floats([0.0], [1e-300])
