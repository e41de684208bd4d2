"""FK-table format and importers, checked against PineAPPL's own convolution."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import (
    XGRID,
    random_fktable,
    toy_dataset,
    toy_xf_evolution,
    toy_xfx,
    write_toy_pickles,
)

from disfit.basis import NFL
from disfit.data.covmat import covmat_from_systematics
from disfit.errors import DisfitError
from disfit.io.cfactors import read_cfactor
from disfit.io.covmat import read_covmat
from disfit.io.datatable import read_dataset
from disfit.io.fktable import FKTable, read_fktable, write_fktable
from disfit.io.pineappl import read_pineappl_fktable, write_pineappl_fktable
from disfit.observables import dataset_predictions
from disfit.theory.cfactors import with_dataset_factors
from disfit.theory.importers import import_pickles


def test_parquet_round_trip_is_exact(tmp_path):
    fk = random_fktable()
    write_fktable(fk, tmp_path / "fk.parquet")
    back = read_fktable(tmp_path / "fk.parquet")
    np.testing.assert_array_equal(back.values, fk.values)
    np.testing.assert_array_equal(back.xgrid, fk.xgrid)
    np.testing.assert_array_equal(back.active, fk.active)
    assert back.q0 == fk.q0 and back.provenance == fk.provenance
    np.testing.assert_allclose(
        back.predict_fn(toy_xf_evolution), fk.predict_fn(toy_xf_evolution), rtol=1e-14
    )


def test_pineappl_export_import_matches_pineappl_convolution(tmp_path):
    fk = random_fktable()
    path = tmp_path / "TOY_F2.pineappl.lz4"
    write_pineappl_fktable(fk, path)
    back = read_pineappl_fktable(path)
    np.testing.assert_allclose(back.values, fk.values, rtol=1e-14)
    assert back.q0 == pytest.approx(1.65, rel=1e-15) and back.name == "TOY_F2"
    # independent path: PineAPPL convolves its table with LHAPDF-style x f(pid, x, Q2), doing
    # the flavour → evolution rotation and the division by x itself
    from pineappl.fk_table import FkTable

    pine = FkTable.read(str(path))
    reference = pine.convolve(pine.convolutions, [toy_xfx])
    ours = back.predict_fn(toy_xf_evolution)
    np.testing.assert_allclose(ours, reference, rtol=1e-12)


def test_pineappl_import_divides_by_bin_normalisation_and_applies_cfactors(tmp_path):
    from pineappl.fk_table import FkTable

    name = "NUTEV_CC_NU_FE_SIGMARED"  # nnpdf_data ships CF_MAS for it (45 points)
    fk = random_fktable(name, ndata=45)
    path = tmp_path / f"{name}.pineappl.lz4"
    norms = np.linspace(0.5, 3.0, 45)
    write_pineappl_fktable(fk, path, bin_normalizations=norms)
    mas = read_cfactor("MAS", name)
    assert len(mas) == 45 and mas[2] == pytest.approx(0.8997)  # third line of the CF file
    dataset = dataclasses.replace(
        toy_dataset(), fktables=((name,),), cfac=("MAS",), conversion_factor=2.0
    )
    back = with_dataset_factors(read_pineappl_fktable(path), dataset)
    np.testing.assert_allclose(back.values, fk.values * 2.0 * mas[:, None, None], rtol=1e-14)
    assert back.provenance["cfactors"] == ["MAS"]
    pine = FkTable.read(str(path))
    np.testing.assert_allclose(pine.bin_normalizations(), norms, rtol=1e-15)
    reference = pine.convolve(pine.convolutions, [toy_xfx]) * 2.0 * mas
    np.testing.assert_allclose(back.predict_fn(toy_xf_evolution), reference, rtol=1e-12)


def test_pickle_and_pineappl_imports_agree(tmp_path):
    """The same tables through both importers give identical predictions and the covariance."""
    toy = write_toy_pickles(tmp_path)
    num, den, single, covmat = toy["num"], toy["den"], toy["single"], toy["covmat"]
    out = tmp_path / "imported"
    written = import_pickles(tmp_path / "exp.pkl", out, positivity=tmp_path / "pos.pkl")
    assert written == {"datasets": ["TOY_RATIO", "TOY_SINGLE"], "positivity": ["POSTOY"]}

    ratio = read_dataset(out / "data" / "TOY_RATIO.parquet")
    assert ratio.operation == "RATIO" and ratio.fktables == (("TOY_D",), ("TOY_P",))
    operands = [
        [read_fktable(out / "fktables" / "TOY_RATIO" / f"{n}.parquet") for n in op]
        for op in ratio.fktables
    ]
    from_pickle = dataset_predictions(operands, ratio.operation, toy_xf_evolution)
    for fk in (num, den):
        write_pineappl_fktable(fk, tmp_path / f"{fk.name}.pineappl.lz4")
    from_pineappl = dataset_predictions(
        [[read_pineappl_fktable(tmp_path / f"{n}.pineappl.lz4")] for (n,) in ratio.fktables],
        "RATIO",
        toy_xf_evolution,
    )
    direct = num.predict_fn(toy_xf_evolution) / den.predict_fn(toy_xf_evolution)
    np.testing.assert_allclose(from_pickle, direct, rtol=1e-13)
    np.testing.assert_allclose(from_pickle, from_pineappl, rtol=1e-13)
    np.testing.assert_allclose(from_pineappl, direct, rtol=1e-13)

    # the pickle's covariance survives as systematics: rebuilt and stored both equal it
    datasets = [ratio, read_dataset(out / "data" / "TOY_SINGLE.parquet")]
    np.testing.assert_allclose(covmat_from_systematics(datasets), covmat, rtol=1e-12)
    stored, names, _ = read_covmat(out / "data" / "covmat.parquet")
    np.testing.assert_allclose(stored, covmat, rtol=1e-12)
    assert names == ["TOY_RATIO"] * 6 + ["TOY_SINGLE"] * 4
    pos = read_fktable(out / "positivity" / "POSTOY" / "TOY_F2.parquet")
    assert pos.provenance["kind"] == "positivity" and pos.provenance["maxlambda"] == 1e6
    np.testing.assert_array_equal(pos.values, single.values)


def test_operations_and_shapes():
    fk = random_fktable(ndata=3)
    with pytest.raises(DisfitError, match="operation 'DIV' is not supported"):
        dataset_predictions([[fk]], "DIV", toy_xf_evolution)
    with pytest.raises(DisfitError, match="cannot take 1 FK-table operands"):
        dataset_predictions([[fk]], "RATIO", toy_xf_evolution)
    with pytest.raises(DisfitError, match="values of shape"):
        FKTable("bad", XGRID, np.ones(NFL, dtype=bool), np.zeros((2, 3, 4)), 1.65)


def test_import_theory_folder_applies_dataset_settings(tmp_path):
    from disfit.io.datatable import DataSet
    from disfit.theory.importers import import_theory_folder

    num, den = random_fktable("TOY_D", seed=2), random_fktable("TOY_P", seed=3)
    folder = tmp_path / "theory_7" / "fastkernel"
    folder.mkdir(parents=True)
    for fk in (num, den):
        write_pineappl_fktable(fk, folder / f"{fk.name}.pineappl.lz4")
    dataset = DataSet(
        name="TOY_RATIO",
        variant=None,
        process_type="DIS_NC",
        entries=np.arange(1, 7),
        kinematics=None,
        central=np.ones(6),
        stat=np.ones(6),
        sys=np.zeros((6, 0)),
        sys_treatment=(),
        sys_type=(),
        fktables=(("TOY_D",), ("TOY_P",)),
        operation="RATIO",
        conversion_factor=0.5,
    )
    written = import_theory_folder(tmp_path / "theory_7", dataset, tmp_path / "fk")
    assert [p.name for p in written] == ["TOY_D.parquet", "TOY_P.parquet"]
    operands = [[read_fktable(tmp_path / "fk" / f"{n}.parquet")] for (n,) in dataset.fktables]
    np.testing.assert_allclose(operands[0][0].values, 0.5 * num.values, rtol=1e-14)
    ratio = dataset_predictions(operands, "RATIO", toy_xf_evolution)
    direct = num.predict_fn(toy_xf_evolution) / den.predict_fn(toy_xf_evolution)
    np.testing.assert_allclose(ratio, direct, rtol=1e-13)
