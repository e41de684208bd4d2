"""Shared test inputs: a toy PDF with analytic flavours, seeded FK tables and data sets, n3fit-style
pickles, and helpers that run the command line and Snakemake."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from disfit.basis import FIT_ROTATION, FK_BASIS, FLAVOUR_PIDS, evolution_basis
from disfit.cli import main
from disfit.config import validate_config
from disfit.fit.inputs import ConstraintSet, FitDataset, FitInputs, covariance_groups
from disfit.io.datatable import DataSet
from disfit.io.fktable import FKTable

ROOT = Path(__file__).resolve().parents[1]

# x f(x) = N x^a (1 - x)^b per PDG id: distinct shapes so that every flavour combination differs
_TOY = {
    22: (0.01, 0.5, 5.0),
    -6: (0.0, 0.0, 1.0),
    -5: (0.02, 0.1, 9.0),
    -4: (0.04, 0.0, 8.0),
    -3: (0.1, -0.1, 8.0),
    -2: (0.2, -0.15, 7.0),
    -1: (0.25, -0.12, 6.5),
    21: (2.5, -0.2, 5.0),
    1: (0.9, 0.5, 4.0),
    2: (1.8, 0.6, 3.0),
    3: (0.12, -0.05, 7.5),
    4: (0.05, 0.1, 8.5),
    5: (0.02, 0.1, 9.0),
    6: (0.0, 0.0, 1.0),
}


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


XGRID = np.geomspace(2e-7, 1.0, 30)


def random_fktable(name="TOY_F2", ndata=6, flavours=("Sigma", "g", "V", "T3", "T8"), seed=1):
    """A seeded random FK table in n3fit's convention on a 30-point x grid."""
    rng = np.random.default_rng(seed)
    active = np.array([f in flavours for f in FK_BASIS])
    values = rng.normal(size=(ndata, active.sum(), len(XGRID))) / XGRID  # n3fit-like scale
    return FKTable(name, XGRID, active, values, 1.65, {"source": "test"})


def toy_dataset(central=(1.0, 2.0), stat=(0.1, 0.1), sys_type="CORR") -> DataSet:
    """A two-point DIS data table with one systematic."""
    n = len(central)
    return DataSet(
        name="TOY_NC_F2",
        variant=None,
        process_type="DIS_NC",
        entries=np.arange(1, n + 1),
        kinematics=pd.DataFrame({"x": [0.1] * n, "Q2": [10.0] * n}),
        central=np.array(central, dtype=float),
        stat=np.array(stat, dtype=float),
        sys=np.full((n, 1), 0.05),
        sys_treatment=("ADD",),
        sys_type=(sys_type,),
        fktables=(("TOY",),),
        operation="NULL",
        ndata_total=n,
    )


def _pickle_fktable(fk: FKTable) -> dict:
    basis = list(np.flatnonzero(fk.active))
    return {
        "ndata": fk.ndata,
        "nbasis": len(basis),
        "nonzero": len(basis),
        "basis": basis,
        "nx": len(fk.xgrid),
        "xgrid": fk.xgrid.reshape(1, -1),
        "fktable": fk.values,
        "name": fk.name,
    }


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
            {
                "name": "TOY_RATIO",
                "ndata": 6,
                "operation": "RATIO",
                "frac": 0.75,
                "fktables": [_pickle_fktable(num), _pickle_fktable(den)],
            },
            {
                "name": "TOY_SINGLE",
                "ndata": 4,
                "operation": "NULL",
                "frac": 0.75,
                "fktables": [_pickle_fktable(single)],
            },
        ],
    }
    positivity = [
        {
            "name": "POSTOY",
            "lambda": 1e6,
            "positivity": True,
            "datasets": [
                {
                    "name": "POSTOY",
                    "ndata": 4,
                    "operation": "NULL",
                    "fktables": [_pickle_fktable(single)],
                }
            ],
        }
    ]
    for name, content in (("exp.pkl", [experiment]), ("pos.pkl", positivity)):
        with open(folder / name, "wb") as stream:
            pickle.dump(content, stream)
    return {"num": num, "den": den, "single": single, "covmat": covmat}


def run_cli(capsys, *argv: str) -> str:
    """Run `disfit argv`, require exit code 2 and exactly one line on stderr; return it."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("disfit: error: ")
    return err[0]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """`snakemake --cores 2 args` in `workdir`, with this environment's tools on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


#: one NNLO eko node (theory 40000000, a small x grid) computed by both eko backends
EKO_NODE = {"card": 40000000, "q2": 100.0, "nf": 5, "xgrid_points": 20, "xgrid_min": 1e-5}


def node_operator(path: Path) -> np.ndarray:
    """eko's operator of EKO_NODE (written to `path`), in eko's own basis."""
    from disfit.theory.card import theory_card, xgrid
    from disfit.theory.evolution import compute_eko, load_operators

    theory = {
        "card": EKO_NODE["card"],
        "xgrid_points": EKO_NODE["xgrid_points"],
        "xgrid_min": EKO_NODE["xgrid_min"],
    }
    compute_eko(theory_card(theory), [(EKO_NODE["q2"], EKO_NODE["nf"])], xgrid(theory), path)
    _, (operator,), _ = load_operators(path)
    return operator


def job_counts(stdout: str) -> dict[str, int]:
    """Snakemake's "Job stats" table of a dry run."""
    lines = stdout.split("Job stats:")[1].splitlines()[3:]
    counts = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


FIT_XGRID = np.geomspace(1e-5, 0.9, 25)


def toy_fit_inputs(ratio_flavours=(0, 1, 2, 5), linear: bool = True) -> FitInputs:
    """Fit inputs on FIT_XGRID: two DIS-like datasets (one a RATIO of two FK tables on
    `ratio_flavours`) made from the toy PDF, a correlated systematic, one positivity and one
    integrability set; without the linear one when `linear` is false."""
    rng = np.random.default_rng(7)
    fitted_toy = np.linalg.lstsq(FIT_ROTATION, toy_xf_evolution(FIT_XGRID), rcond=None)[0]

    def table(n: int, flavours=(0, 1, 2, 5)) -> np.ndarray:  # positive weights, like F2 kernels
        t = np.zeros((n, 8, len(FIT_XGRID)))
        weights = np.array([0.3, 0.05, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1])[list(flavours)]
        t[:, list(flavours)] = (
            rng.uniform(0.1, 1.0, (n, len(flavours), len(FIT_XGRID))) * weights[:, None]
        )
        return t

    a, num, den = table(30), table(12, ratio_flavours), table(12, ratio_flavours)
    datasets = (  # one experiment, as validphys groups the per-dataset split
        FitDataset("TOY_A", slice(0, 30), 0.75, "NULL", (a,), "", "TOY"),
        FitDataset("TOY_RATIO", slice(30, 42), 0.75, "RATIO", (num, den), "", "TOY"),
    )
    if not linear:
        datasets = (FitDataset("TOY_RATIO", slice(0, 12), 0.75, "RATIO", (num, den)),)
    n = sum(d.ndata for d in datasets)
    probe = FitInputs(FIT_XGRID, datasets, np.zeros(n), np.eye(n), np.eye(n), (), (), (), 1.65)
    truth = probe.predictions(fitted_toy)
    sigma = 0.02 * truth
    cov = np.diag(sigma**2)
    corr = 0.01 * truth[: datasets[0].ndata]
    cov[: len(corr), : len(corr)] += np.outer(corr, corr)
    pos = np.zeros((5, 8, len(FIT_XGRID)))
    pos[np.arange(5), 1, np.arange(5) * 4] = 1.0  # x·g at five x points
    integ = np.zeros((1, 8, len(FIT_XGRID)))
    integ[0, 5, 0] = 1.0  # x·T3 at the smallest x
    return FitInputs(
        FIT_XGRID,
        datasets,
        truth,
        cov,
        cov,
        covariance_groups(cov, [d.rows for d in datasets]),
        (ConstraintSet("POS_G", pos, 1e6),),
        (ConstraintSet("INTEG_T3", integ, 100.0),),
        1.65,
        (FIT_XGRID, FIT_XGRID, FIT_XGRID[:1]),  # data, positivity and integrability grids
    )


def toy_fit_config(epochs: int = 300) -> dict:
    """A validated fit section with a small network that learns the toy inputs quickly."""
    config = validate_config({"datasets": [{"dataset": "TOY_A"}], "fit": {"epochs": epochs}})
    fit = config["fit"]
    fit["nodes_per_layer"] = [10, 8]
    fit["activation_per_layer"] = ["tanh", "linear"]
    fit["optimizer"] = {"optimizer_name": "Adam", "learning_rate": 1e-2, "clipnorm": 1.0}
    fit["threshold_chi2"] = 50.0
    return fit
