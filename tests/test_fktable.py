"""FK-table format and importers, checked against PineAPPL's own convolution."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import toy_xf_evolution, toy_xfx

from disfit.data.commondata import read_dataset
from disfit.data.covmat import covmat_from_systematics, read_covmat
from disfit.errors import DisfitError
from disfit.theory.export import write_pineappl_fktable
from disfit.theory.fktable import (
    FK_BASIS,
    NFL,
    FKTable,
    dataset_predictions,
    read_fktable,
    write_fktable,
)
from disfit.theory.importers import fktable_from_pineappl, import_pickles, read_cfactor

XGRID = np.geomspace(2e-7, 1.0, 30)


def random_fktable(name="TOY_F2", ndata=6, flavours=("Sigma", "g", "V", "T3", "T8"), seed=1):
    rng = np.random.default_rng(seed)
    active = np.array([f in flavours for f in FK_BASIS])
    values = rng.normal(size=(ndata, active.sum(), len(XGRID))) / XGRID  # n3fit-like scale
    return FKTable(name, XGRID, active, values, 1.65, {"source": "test"})


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
    back = fktable_from_pineappl(path)
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
    back = fktable_from_pineappl(path, cfactors=["MAS"], conversion_factor=2.0)
    np.testing.assert_allclose(back.values, fk.values * 2.0 * mas[:, None, None], rtol=1e-14)
    assert back.provenance["cfactors"] == ["MAS"]
    pine = FkTable.read(str(path))
    np.testing.assert_allclose(pine.bin_normalizations(), norms, rtol=1e-15)
    reference = pine.convolve(pine.convolutions, [toy_xfx]) * 2.0 * mas
    np.testing.assert_allclose(back.predict_fn(toy_xf_evolution), reference, rtol=1e-12)


def _pickle_fktable(fk: FKTable) -> dict:
    basis = list(np.flatnonzero(fk.active))
    return {"ndata": fk.ndata, "nbasis": len(basis), "nonzero": len(basis), "basis": basis,
            "nx": len(fk.xgrid), "xgrid": fk.xgrid.reshape(1, -1), "fktable": fk.values,
            "name": fk.name}  # fmt: skip


def test_pickle_and_pineappl_imports_agree(tmp_path):
    """The same tables through both importers give identical predictions and the covariance."""
    num, den = random_fktable("TOY_D", seed=2), random_fktable("TOY_P", seed=3)
    single = random_fktable("TOY_F2", ndata=4, flavours=("Sigma", "g", "T3"), seed=4)
    rng = np.random.default_rng(5)
    a = rng.normal(size=(10, 10))
    covmat = a @ a.T + 10 * np.eye(10)
    central = rng.uniform(0.5, 1.5, 10)
    experiment = {
        "name": "TOYEXP",
        "expdata_true": central.reshape(1, -1),
        "covmat": covmat,
        "trmask": np.ones(10, dtype=bool),
        "datasets": [
            {"name": "TOY_RATIO", "ndata": 6, "operation": "RATIO", "frac": 0.75,
             "fktables": [_pickle_fktable(num), _pickle_fktable(den)]},
            {"name": "TOY_SINGLE", "ndata": 4, "operation": "NULL", "frac": 0.75,
             "fktables": [_pickle_fktable(single)]},
        ],
    }  # fmt: skip
    positivity = [{"name": "POSTOY", "lambda": 1e6, "positivity": True,
                   "datasets": [{"name": "POSTOY", "ndata": 4, "operation": "NULL",
                                 "fktables": [_pickle_fktable(single)]}]}]  # fmt: skip
    for name, content in (("exp.pkl", [experiment]), ("pos.pkl", positivity)):
        with open(tmp_path / name, "wb") as stream:
            pickle.dump(content, stream)
    out = tmp_path / "imported"
    written = import_pickles(tmp_path / "exp.pkl", out, positivity=tmp_path / "pos.pkl")
    assert written == {"datasets": ["TOY_RATIO", "TOY_SINGLE"], "positivity": ["POSTOY"]}

    ratio = read_dataset(out / "data" / "TOY_RATIO.parquet")
    assert ratio.operation == "RATIO" and ratio.fktables == (("TOY_D",), ("TOY_P",))
    operands = [[read_fktable(out / "fktables" / "TOY_RATIO" / f"{n}.parquet") for n in op]
                for op in ratio.fktables]  # fmt: skip
    from_pickle = dataset_predictions(operands, ratio.operation, toy_xf_evolution)
    for fk in (num, den):
        write_pineappl_fktable(fk, tmp_path / f"{fk.name}.pineappl.lz4")
    from_pineappl = dataset_predictions(
        [[fktable_from_pineappl(tmp_path / f"{n}.pineappl.lz4")] for (n,) in ratio.fktables],
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
