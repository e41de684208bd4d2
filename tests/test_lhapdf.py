"""The LHAPDF stage: `disfit lhapdf set` refuses bad inputs, and the shipped LHAPDF operator is
checked against the theory to float tolerance, and the tiny run's set read by pdfflow."""

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
        {"evolution_id": "0123456789abcdef"},
    )
    write_operator(other, bad)
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", str(bad))
    assert "operator of the evolution settings 0123456789abcdef" in line
    assert "rerun the theory stage" in line
    assert not (tmp_path / "lhapdf").exists() and not list(tmp_path.glob(".lhapdf*"))


def test_shipped_operator_check_tolerates_ulps_not_physics(tmp_path):
    """The shipped operator's Q grid against the recomputed one: a few ulp (another numpy) pass,
    a change of physics (1e-6 relative, or another Q0) is refused."""
    from disfit.errors import DisfitError
    from disfit.floats import same_floats
    from disfit.io.operator import read_operator
    from disfit.lhapdf.operator import check_operator
    from disfit.theory.card import evolution_id, theory_card

    tid = evolution_id({})
    path = ROOT / "resources" / "evolution" / tid
    op = read_operator(path / "lhapdf_operator.parquet")
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
    with pytest.raises(DisfitError, match="evolves with"):
        check_operator(path, op, card, evolution_id({"alphas": 0.119}))


def test_theories_with_the_same_evolution_share_the_operator():
    """The LHAPDF operator's key holds every card key eko's evolution reads: FONLL-C and
    ZM-VFNS (and TMC on or off) share it, αs, a mass, Q0 or the order do not; eko's own theory
    card built from EVOLUTION_KEYS alone equals the one built from the whole card."""
    from eko.io import runcards

    from disfit.theory.card import EVOLUTION_KEYS, evolution_id, theory_card, theory_id

    base = evolution_id({})
    for same in ({"scheme": "ZM-VFNS"}, {"tmc": False}):
        assert evolution_id(same) == base and theory_id(same) != theory_id({})
    for other in (
        {"alphas": 0.119},
        {"mb": 4.5},
        {"q0": 1.5},
        {"order": "NLO", "scheme": "FONLL-A"},
    ):
        assert evolution_id(other) != base
    card = theory_card({})
    only = {k: card[k] for k in EVOLUTION_KEYS if k in card}
    assert runcards.Legacy(only, {}).new_theory.raw == runcards.Legacy(card, {}).new_theory.raw


def test_member_and_exportgrid_text_as_number_by_number(tmp_path):
    """The set's knots are formatted by one %-format over the array and the exportgrids by
    libyaml's emitter (for speed): the same text as formatting number by number and as PyYAML's
    own emitter."""
    import yaml

    from disfit.io.exportgrid import write_n3fit_exportgrid
    from disfit.io.lhapdf import _format_rows

    rng = np.random.default_rng(7)
    rows = rng.normal(size=(40, 11)) * 10.0 ** rng.integers(-300, 300, size=(40, 11))
    rows[0, :4] = [0.0, -0.0, 1.0, -1e-320]
    expected = "".join(" ".join(f"{v:.8e}" for v in row) + "\n" for row in rows)
    assert _format_rows(rows) == expected

    path = tmp_path / "replica_1.exportgrid"
    write_n3fit_exportgrid(path, 1, 1.65, np.geomspace(1e-9, 1, 196), rng.normal(size=(14, 196)))
    text = path.read_text()
    content = yaml.safe_load(text)
    assert text == yaml.safe_dump(content, default_flow_style=None, width=200)
    np.testing.assert_array_equal(np.array(content["pdfgrid"]).shape, (196, 14))


@pytest.mark.slow
def test_lhapdf_set_of_the_tiny_run(workdir, tiny_run):
    """The tiny run's LHAPDF set, read by pdfflow (lhapdf-management's parser, LHAPDF's
    interpolation): Q0 = the exported grids to 1e-8, the momentum sum rule at 100 GeV to 1e-3,
    αs as eko's coupling, and disfit's own reader agrees with pdfflow."""
    import pdfflow
    import yaml
    from lhapdf_management.pdfsets import PDF as LHAPDFFile

    from disfit.io.lhapdf import read_set
    from disfit.io.replica import read_replica_grid
    from disfit.theory.card import theory_card
    from disfit.theory.evolution import strong_coupling

    results = workdir / "results" / "test"
    folder = results / "lhapdf" / "disfit_test"
    info = yaml.safe_load((folder / "disfit_test.info").read_text())
    assert info["NumMembers"] == 3 and info["Format"] == "lhagrid1" and info["QMax"] == 1e5
    assert len(set(info["AlphaS_Qs"])) == 49 and info["AlphaS_Qs"][0] == 1.65
    card = theory_card({})
    a_s = strong_coupling(card)
    np.testing.assert_allclose(
        4 * np.pi * a_s(info["MZ"] ** 2), card["alphas"], rtol=1e-6
    )  # αs(Qref) of the card
    ours = read_set(folder)
    for member in range(3):
        pdf = pdfflow.mkPDF(f"disfit_test/{member}", dirname=str(folder.parent))
        x, xf, meta = read_replica_grid(
            results / "postfit" / f"replica_{member}" / "xf_flavour.parquet"
        )
        pids = [int(c) for c in meta["columns"]]
        # the knots as lhapdf-management parses them (x slowest, then Q): Q0 = the export grid
        first = LHAPDFFile(folder).get_member_grids(member)[0]
        knots = first.grid.reshape(len(first.x), len(first.q2), len(first.flav))[:, 0, :]
        assert np.isclose(first.q2[0], 1.65**2) and np.allclose(first.x, x, rtol=1e-8, atol=0)
        for j, pid in enumerate(int(f) for f in first.flav):
            np.testing.assert_allclose(knots[:, j], xf[pids.index(pid)], rtol=1e-8, atol=1e-15)
            # and pdfflow's interpolation on the knots
            inside = x < 1  # LHAPDF's last knot x = 1
            read = pdf.py_xfxQ2(pid, x[inside], np.full(inside.sum(), 1.65**2)).numpy()
            np.testing.assert_allclose(read, xf[pids.index(pid)][inside], rtol=1e-6, atol=1e-10)
        # momentum sum rule at Q = 100 GeV: every flavour of the set, integrated in ln x
        grid = np.geomspace(1e-9, 1, 20001)[:-1]
        values = pdf.py_xfxQ2_allpid(grid, np.full(grid.size, 1e4)).numpy()
        momentum = np.trapezoid(values.sum(axis=1) * grid, np.log(grid))
        assert abs(momentum - 1) < 1e-3, (member, momentum)
        # disfit's reader on the set's knots at 100 GeV (between Q knots): same as pdfflow
        xs, ours_all = ours.xfx(member, 100.0)
        ours_g = ours_all[info["Flavors"].index(21)]
        theirs = pdf.py_xfxQ2(21, xs[:-1], np.full(xs.size - 1, 1e4)).numpy()
        big = np.abs(theirs) > 1e-3
        np.testing.assert_allclose(ours_g[:-1][big], theirs[big], rtol=2e-3)
    # a second evolution path: the theory's positivity tables give x·f at Q² = 5 GeV² from the
    # data-node operators (another eko run, the 50-point FK grid, Q² interpolation of the
    # operator); the set gives it from the LHAPDF operator and LHAPDF's Q interpolation
    from disfit.constraints import positivity_x
    from disfit.io.fktable import read_fktable
    from disfit.lhapdf.operator import xf_on

    x, xf_ev, _ = read_replica_grid(results / "postfit" / "replica_1" / "xf_evolution.parquet")
    pdf = pdfflow.mkPDF("disfit_test/1", dirname=str(folder.parent))
    for name, pid in (("GLUON", 21), ("UP", 2), ("ANTI_DOWN", -1), ("STRANGE", 3)):
        fk = read_fktable(results / "theory" / "positivity" / f"NNPDF_POS_{name}_40.parquet")
        via_fk = fk.predict(xf_on(fk.xgrid, x, xf_ev))
        xs = positivity_x()
        via_set = pdf.py_xfxQ2(pid, xs, np.full(xs.size, 5.0)).numpy()
        np.testing.assert_allclose(via_set, via_fk, rtol=2e-3, atol=2e-3 * np.abs(via_fk).max())
    exportgrid = yaml.safe_load(
        (results / "lhapdf" / "exportgrids" / "replica_1.exportgrid").read_text()
    )
    assert exportgrid["labels"][6] == "GLUON" and len(exportgrid["pdfgrid"]) == 196
