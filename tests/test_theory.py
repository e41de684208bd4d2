"""Theory stage pieces that need no eko run: yadism conventions at Q0, x·f and integrability
tables, the DIS catalog and the export to PineAPPL."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_fktable, toy_xf_evolution, toy_xfx

from disfit.basis import FK_BASIS
from disfit.cli import main
from disfit.constraints import INTEGRABILITY, positivity_x
from disfit.errors import DisfitError
from disfit.io.coefficients import load_coefficient_parts, load_coefficients
from disfit.io.fktable import read_fktable, write_fktable
from disfit.io.pineappl import read_pineappl_fktable
from disfit.theory.assemble import (
    fktable_from_coefficients,
    integrability_fktable,
    positivity_pdf_fktable,
)
from disfit.theory.card import theory_card, theory_id, xgrid
from disfit.theory.coefficients import (
    catalog,
    coefficient_jobs,
    compute_coefficients,
    dataset_fktable_points,
    observables_card,
    run_yadism,
)


def identity_operator(grid: np.ndarray) -> np.ndarray:
    """The evolution operator from Q0 to Q0, E[PDG out, x, FK flavour in, x']."""
    from eko import basis_rotation

    rinv = np.linalg.inv(np.array(basis_rotation.rotate_flavor_to_evolution, dtype=float))
    return np.einsum("ak,ij->aikj", rinv, np.eye(len(grid)))


def test_lo_f2_at_q0_is_the_parton_model():
    """At LO without target-mass corrections and at Q² = Q0² (no evolution), the photon-exchange
    F2 of the proton is x Σ e_q² (q + q̄) over the nf = 4 active quarks."""
    config = {"order": "LO", "scheme": "ZM-VFNS", "tmc": False, "xgrid_points": 30}
    card, grid = theory_card(config), xgrid(config)
    q2 = card["Q0"] ** 2
    xs = grid[6:27:5]  # on the interpolation nodes, where the x interpolation is exact
    card_obs = observables_card("NMC_NC_EM_P_F2", [{"x": x, "Q2": q2, "y": 0.5} for x in xs], grid)
    card_obs["prDIS"] = "EM"  # photon exchange only: no Z
    coefficients = run_yadism(card, card_obs)
    fk = fktable_from_coefficients(
        "LO",
        {None: coefficients},
        card,
        lambda q, nf: identity_operator(grid),
        lambda q, nf: 0.1,
        "t",
    )
    predicted = fk.predict_fn(toy_xf_evolution)
    charges = {1: 1 / 9, 2: 4 / 9, 3: 1 / 9, 4: 4 / 9}
    expected = sum(e2 * (toy_xfx(q, xs) + toy_xfx(-q, xs)) for q, e2 in charges.items())
    np.testing.assert_allclose(predicted, expected, rtol=1e-6)


def test_central_coefficients_do_not_need_scale_variations():
    """yadism with its scale-variation terms off (what the theory stage runs) gives the central
    coefficients of a run with them on, bitwise, at NLO."""
    config = {"order": "NLO", "scheme": "ZM-VFNS"}
    card, grid = theory_card(config), xgrid(config)
    points = dataset_fktable_points("SLAC_NC_NOTFIXED_P_EM-F2", "legacy_dw")["SLAC_NC_EM_P_F2"]
    observables = observables_card("SLAC_NC_EM_P_F2", points[:2], grid)
    fast = run_yadism(card, observables)
    full = run_yadism(card, observables, scale_variations=True)
    central = [[k for k, o in enumerate(c["orders"]) if not np.any(o[1:])] for c in (fast, full)]
    assert len(central[0]) == 2  # LO and NLO
    np.testing.assert_array_equal(fast["values"][central[0]], full["values"][central[1]])
    assert np.abs(fast["values"][central[0]]).max() > 0


def test_coefficients_in_parts_join_to_one_run(tmp_path):
    """An FK table's points split into yadism jobs (theory.points_per_job, chunks in Q² order)
    give, joined in the table's order, the arrays of one run over all points, bitwise."""
    config = {
        "theory": {"order": "LO", "scheme": "ZM-VFNS", "xgrid_points": 20},
        "datasets": [{"dataset": "SLAC_NC_NOTFIXED_P_EM-F2", "variant": "legacy_dw"}],
    }
    name = "SLAC_NC_EM_P_F2"
    compute_coefficients(config, name, tmp_path / "all.npz")
    for part in (1, 0):
        compute_coefficients(config, name, tmp_path / f"part{part}.npz", part, 2)
    ((_, (whole, meta)),) = load_coefficient_parts([tmp_path / "all.npz"]).items()
    assert not np.array_equal(load_coefficients(tmp_path / "all.npz")[0]["Q2"], whole["Q2"])
    ((fonll, (joined, joined_meta)),) = load_coefficient_parts(
        [tmp_path / "part1.npz", tmp_path / "part0.npz"]
    ).items()
    assert list(coefficient_jobs(name, "ZM-VFNS", 150)) == ["0", "1"] and len(whole["x"]) == 211
    assert fonll is None
    assert joined_meta == meta
    for key in ("orders", "values", "x", "Q2", "xgrid"):
        np.testing.assert_array_equal(joined[key], whole[key])
    with pytest.raises(DisfitError, match="not the 2 parts"):
        load_coefficient_parts([tmp_path / "part1.npz"])


def test_positivity_pdf_and_integrability_tables():
    config = {"order": "NLO", "scheme": "ZM-VFNS", "xgrid_points": 30}
    card, grid = theory_card(config), xgrid(config)
    xs = positivity_x()
    assert len(xs) == 20 and xs[0] == 5e-7 and xs[-1] == pytest.approx(0.9)
    assert np.sum(xs == 0.1) == 1
    fk = positivity_pdf_fktable(
        "POS_UP", 2, xs, card["Q0"] ** 2, grid, card, lambda q: identity_operator(grid), "t"
    )
    # with no evolution the table returns x u(x) itself, up to eko's x interpolation
    # (eko interpolates f in log x with degree 4: percent-level at x = 0.9 on 30 points)
    np.testing.assert_allclose(fk.predict_fn(toy_xf_evolution), toy_xfx(2, xs), rtol=3e-2)
    on_nodes = positivity_pdf_fktable(
        "POS_UP", 2, grid[3:9], card["Q0"] ** 2, grid, card, lambda q: identity_operator(grid), "t"
    )
    np.testing.assert_allclose(
        on_nodes.predict_fn(toy_xf_evolution), toy_xfx(2, grid[3:9]), rtol=1e-9
    )
    for name, flavour in INTEGRABILITY.items():
        table = integrability_fktable(name, card, "t")
        assert table.xgrid.tolist() == [1e-9] and table.active_flavours == [flavour]
        value = table.predict_fn(toy_xf_evolution)
        assert value[0] == pytest.approx(
            toy_xf_evolution(np.array([1e-9]))[FK_BASIS.index(flavour), 0]
        )


def test_catalog_covers_the_default_datasets(nnpdf40_selection):
    for entry in nnpdf40_selection:
        points = dataset_fktable_points(entry["dataset"], entry.get("variant"))
        for name, pts in points.items():
            assert len(pts) == catalog()[name]["ndata"]
            assert all(p["Q2"] > 0 and 0 < p["x"] < 1 for p in pts)
    assert len({k for k in catalog()}) == 25


def test_theory_id_follows_the_settings():
    base = theory_id({})
    assert base == theory_id({"card": 40000000, "scheme": "FONLL-C"})
    assert base != theory_id({"scheme": "ZM-VFNS"}) != theory_id({"xgrid_points": 40})
    card = theory_card({"mb": 4.5, "order": "NLO", "tmc": False, "scheme": "ZM-VFNS"})
    assert (card["mb"], card["Qmb"], card["PTO"], card["TMC"], card["FNS"]) == (
        4.5,
        4.5,
        1,
        0,
        "ZM-VFNS",
    )


def test_export_theory_reads_back_through_the_importer(tmp_path, capsys):
    tables = [random_fktable("TOY_A", seed=11), random_fktable("TOY_B", ndata=3, seed=12)]
    for fk in tables:
        write_fktable(fk, tmp_path / "fk" / f"{fk.name}.parquet")
    assert (
        main(["theory", "export", str(tmp_path / "fk"), "--out", str(tmp_path / "theory_1")]) == 0
    )
    for fk in tables:
        back = read_pineappl_fktable(
            tmp_path / "theory_1" / "fastkernel" / f"{fk.name}.pineappl.lz4"
        )
        np.testing.assert_allclose(
            back.predict_fn(toy_xf_evolution), fk.predict_fn(toy_xf_evolution), rtol=1e-13
        )
        assert read_fktable(tmp_path / "fk" / f"{fk.name}.parquet").name == back.name


def test_theory_dataset_applies_c_factors(tmp_path):
    import dataclasses

    from helpers import toy_dataset

    from disfit.io.cfactors import read_cfactor
    from disfit.io.datatable import write_dataset

    name = "NUTEV_CC_NU_FE_SIGMARED"
    fk = random_fktable(name, ndata=45, seed=21)
    write_fktable(fk, tmp_path / "theory" / f"{name}.parquet")
    dataset = dataclasses.replace(
        toy_dataset(), fktables=((name,),), cfac=("MAS",), conversion_factor=0.5
    )
    write_dataset(dataset, tmp_path / "data.parquet")
    argv = [
        "theory",
        "dataset",
        "--data-table",
        str(tmp_path / "data.parquet"),
        "--theory-fktables",
        str(tmp_path / "theory"),
        "--outdir",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 0
    back = read_fktable(tmp_path / "out" / f"{name}.parquet")
    expected = fk.values * 0.5 * read_cfactor("MAS", name)[:, None, None]
    np.testing.assert_allclose(back.values, expected, rtol=1e-15)
    assert back.provenance["cfactors"] == ["MAS"]
