"""Shared test inputs: a toy PDF with analytic flavours, and the NNPDF4.0 DIS selection."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml

from disfit.theory.fktable import FK_BASIS, FLAVOUR_PIDS, FKTable, evolution_basis

ROOT = Path(__file__).resolve().parents[1]

# x f(x) = N x^a (1 - x)^b per PDG id: distinct shapes so that every flavour combination differs
_TOY = {
    22: (0.01, 0.5, 5.0), -6: (0.0, 0.0, 1.0), -5: (0.02, 0.1, 9.0), -4: (0.04, 0.0, 8.0),
    -3: (0.1, -0.1, 8.0), -2: (0.2, -0.15, 7.0), -1: (0.25, -0.12, 6.5), 21: (2.5, -0.2, 5.0),
    1: (0.9, 0.5, 4.0), 2: (1.8, 0.6, 3.0), 3: (0.12, -0.05, 7.5), 4: (0.05, 0.1, 8.5),
    5: (0.02, 0.1, 9.0), 6: (0.0, 0.0, 1.0),
}  # fmt: skip


def toy_xfx(pid: int, x: float | np.ndarray, q2: float = 0.0) -> float | np.ndarray:
    """LHAPDF-style x f(x) of the toy PDF for one PDG id."""
    norm, a, b = _TOY[pid]
    return norm * np.power(x, a) * np.power(1.0 - x, b)


def toy_xf_flavour(x: np.ndarray) -> np.ndarray:
    """(14, nx) x·f in disfit's flavour basis order (FLAVOUR_PIDS)."""
    return np.array([toy_xfx(pid, np.asarray(x)) for pid in FLAVOUR_PIDS])


def toy_xf_evolution(x: np.ndarray) -> np.ndarray:
    """(14, nx) x·f in the FK-table evolution basis."""
    return evolution_basis(toy_xf_flavour(x))


@pytest.fixture(scope="session")
def nnpdf40_selection() -> list[dict]:
    return yaml.safe_load((ROOT / "config" / "nnpdf40_dis.yaml").read_text())["datasets"]


@pytest.fixture(scope="session")
def nnpdf40_datasets(nnpdf40_selection):
    """The 19 NNPDF4.0 DIS datasets after cuts (about a minute: CHORUS' YAML is 20 MB)."""
    from disfit.data.commondata import load_dataset

    return [
        load_dataset(d["dataset"], d.get("variant"), cfac=d.get("cfac", ()))
        for d in nnpdf40_selection
    ]


@pytest.fixture(scope="session")
def validphys_reference() -> dict[str, np.ndarray]:
    """validphys 4.1.5 numbers for the selection (tests/reference/make_validphys_covmat.py)."""
    with np.load(ROOT / "tests" / "data" / "validphys_covmat.npz") as ref:
        return {k: ref[k] for k in ref.files}


XGRID = np.geomspace(2e-7, 1.0, 30)


def random_fktable(name="TOY_F2", ndata=6, flavours=("Sigma", "g", "V", "T3", "T8"), seed=1):
    """A seeded random FK table in n3fit's convention on a 30-point x grid."""
    rng = np.random.default_rng(seed)
    active = np.array([f in flavours for f in FK_BASIS])
    values = rng.normal(size=(ndata, active.sum(), len(XGRID))) / XGRID  # n3fit-like scale
    return FKTable(name, XGRID, active, values, 1.65, {"source": "test"})


def _pickle_fktable(fk: FKTable) -> dict:
    basis = list(np.flatnonzero(fk.active))
    return {"ndata": fk.ndata, "nbasis": len(basis), "nonzero": len(basis), "basis": basis,
            "nx": len(fk.xgrid), "xgrid": fk.xgrid.reshape(1, -1), "fktable": fk.values,
            "name": fk.name}  # fmt: skip


def write_toy_pickles(folder: Path) -> dict:
    """n3fit-style pickles (the seed notebook's structure) in `folder`: exp.pkl and pos.pkl.

    One experiment with a RATIO dataset (6 points) and a NULL one (4 points), a dense
    covariance, and a positivity set. Returns the ingredients for checks.
    """
    num, den = random_fktable("TOY_D", seed=2), random_fktable("TOY_P", seed=3)
    single = random_fktable("TOY_F2", ndata=4, flavours=("Sigma", "g", "T3"), seed=4)
    rng = np.random.default_rng(5)
    a = rng.normal(size=(10, 10))
    covmat = a @ a.T + 10 * np.eye(10)
    experiment = {
        "name": "TOYEXP",
        "expdata_true": rng.uniform(0.5, 1.5, 10).reshape(1, -1),
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
        with open(folder / name, "wb") as stream:
            pickle.dump(content, stream)
    return {"num": num, "den": den, "single": single, "covmat": covmat}
