"""`disfit fit`: one batch of replicas from inputs to replica folders."""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import integrate
from threadpoolctl import threadpool_limits

from disfit import __version__
from disfit.errors import DisfitError
from disfit.fit.inputs import (
    FIT_ROTATION,
    FITTED_BASIS,
    FitInputs,
    dataset_predictions,
    load_fit_inputs,
)
from disfit.fit.output import EXPORT_XGRID, write_exportgrid, write_history, write_json
from disfit.fit.replicas import replica_seed
from disfit.fit.train import Trainer, setup_replicas
from disfit.theory.fktable import FK_BASIS

ARCLENGTH_FLAVOURS = ("Sigma", "g", "V", "V3", "V8")
INTEGRABILITY_FLAVOURS = ("V", "T3", "V3", "T8", "V8")  # n3fit's order
INTEGRABILITY_X = np.array([1e-9, 1e-8, 1e-7])


def arc_lengths(xf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """validphys' arc lengths (≥ 4.0.7) of Σ, g, V, V3, V8 at Q0: ∫ sqrt(1 + (d(x·xf)/dx)²) over
    three linear segments of 199 points in [1e-6, 1], Simpson's rule. `xf(x)` → (R, 14, nx)."""
    rows = [FK_BASIS.index(f) for f in ARCLENGTH_FLAVOURS]
    total = 0.0
    for a, b in ((1e-6, 1e-4), (1e-4, 1e-2), (1e-2, 1.0)):
        grid = np.linspace(a, b, 199, endpoint=False)
        values = xf(grid)[:, rows, :] * grid  # validphys multiplies x·f by x once more
        slope = np.diff(values, axis=-1) / ((b - a) / 199)
        total = total + integrate.simpson(np.sqrt(1 + slope**2), x=grid[1:], axis=-1)
    return total


def integrability_numbers(xf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Σ_{x ∈ 1e-9, 1e-8, 1e-7} |x f(x, Q0)| of V, T3, V3, T8, V8 (postfit wants ≤ 0.5)."""
    rows = [FK_BASIS.index(f) for f in INTEGRABILITY_FLAVOURS]
    return np.abs(xf(INTEGRABILITY_X)[:, rows, :]).sum(axis=-1)


def dataset_chi2(inputs: FitInputs, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """χ² against the central data with the fitting covariance: (replicas,) total and
    (replicas, datasets) per dataset (its own diagonal block)."""
    residual = inputs.central - predictions

    def quadratic(r: np.ndarray, inv: np.ndarray) -> float:
        # numpy's own loops on a fresh copy: BLAS would sum in an order that depends on memory
        # alignment, i.e. on the batch, and a replica must not depend on its batch
        r = np.array(r)
        return float(np.einsum("i,ij,j->", r, inv, r))

    total = np.zeros(len(predictions))
    for group in inputs.groups:
        inv = np.linalg.inv(inputs.fit_covmat[np.ix_(group, group)])
        total += [quadratic(r, inv) for r in residual[:, group]]
    per = np.zeros((len(predictions), len(inputs.datasets)))
    for j, d in enumerate(inputs.datasets):
        inv = np.linalg.inv(inputs.fit_covmat[d.rows, d.rows])
        per[:, j] = [quadratic(r, inv) for r in residual[:, d.rows]]
    return total, per


def versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {"disfit": __version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "python": platform.python_version()}  # fmt: skip


def find_table(folders: Sequence[Path], name: str, key: str) -> Path:
    """The FK table `name` in one of `folders` (or their subfolders); `key` names the config
    entry that asked for it."""
    for folder in folders:
        for candidate in (folder / f"{name}.parquet", *folder.glob(f"*/{name}.parquet")):
            if candidate.is_file():
                return candidate
    raise DisfitError(
        f"{key}: no FK table {name}.parquet in {', '.join(map(str, folders))}; fix the name "
        "or make the table"
    )


#: BLAS threads of the fit's float64 linear algebra (covariance and t0 Cholesky factors, one QR
#: per replica). OpenBLAS's results depend on its thread count in the last bits, so the count
#: is fixed here, not taken from the scheduler (Snakemake sets OMP_NUM_THREADS to a job's
#: threads, which --cores scales down): the same config gives the same replicas on any cores.
BLAS_THREADS = 2


def fixed_blas_threads(function: Callable) -> Callable:
    """Run `function` with BLAS_THREADS BLAS threads (threadpoolctl), whatever the environment."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


@fixed_blas_threads
def fit_inputs_from_config(
    config: Mapping[str, Any],
    data_dir: str | Path,
    covmat: str | Path,
    fktable_dirs: Sequence[str | Path],
    lagrange_dirs: Sequence[str | Path],
) -> FitInputs:
    """The fit's inputs as a validated config names them: datasets with their training
    fractions, positivity and integrability sets with their λ_max, the t0 PDF."""
    fit = config["fit"]
    folders = [Path(d) for d in lagrange_dirs]
    lagrange = {
        kind: [
            (find_table(folders, e["dataset"], f"fit.{kind}.datasets"), e["maxlambda"])
            for e in fit[kind]["datasets"]
        ]
        for kind in ("positivity", "integrability")
    }
    t0 = None
    if fit["t0pdfset"]:
        from disfit.fit.t0 import t0_pdf
        from disfit.theory.card import theory_card

        t0 = t0_pdf(fit["t0pdfset"], float(theory_card(config["theory"])["Q0"]))
    fracs = {d["dataset"]: d["frac"] for d in config["datasets"]}
    return load_fit_inputs(data_dir, covmat, fktable_dirs, lagrange["positivity"],
                           lagrange["integrability"], fracs, t0)  # fmt: skip


@fixed_blas_threads
def fit_replicas(
    inputs: FitInputs,
    fit: Mapping[str, Any],
    replicas: Sequence[int],
    outdir: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Fit `replicas` together and write outdir/replica_<k>/ for each; returns their JSONs."""
    started = time.perf_counter()
    seeds = {k: int(fit[k]) for k in ("trvlseed", "nnseed", "mcseed")}
    # XLA compiles a batch of one to other kernels than larger batches (which all agree with each
    # other bit for bit): a lone replica is fitted next to a copy of itself, so that a replica's
    # result never depends on the batch it was fitted in
    batch = list(replicas) * 2 if len(replicas) == 1 else list(replicas)
    setup = setup_replicas(inputs, batch, seeds, bool(fit["resample_negative_pseudodata"]))
    trainer = Trainer(inputs, setup, fit)
    prepared = time.perf_counter()
    result = trainer.run(progress)
    trained = time.perf_counter()

    pdf = trainer.pdf
    for var, best in zip(pdf.all_variables, result.weights, strict=True):
        var.assign(best)

    def fitted(x: np.ndarray) -> np.ndarray:  # (R, 8, nx), float64 of the float32 model
        return np.asarray(pdf(np.asarray(x, dtype=float)), dtype=float).transpose(0, 2, 1)

    def xf(x: np.ndarray) -> np.ndarray:  # (R, 14, nx) in the FK evolution basis
        return np.einsum("ek,rkn->ren", FIT_ROTATION, fitted(x))

    xf_flat = trainer.xf_flat()
    erf_tr = trainer.training(xf_flat).numpy() / max(result.ntr, 1)
    erf_vl = trainer.validation(xf_flat).numpy() / max(trainer.validation.npoints, 1)
    predictions = np.array([dataset_predictions(inputs, f) for f in fitted(inputs.xgrid)])
    total, per_dataset = dataset_chi2(inputs, predictions)
    arcs = arc_lengths(xf)
    integ = integrability_numbers(xf)
    export = xf(EXPORT_XGRID)
    alpha, beta = pdf.alpha.numpy(), pdf.beta.numpy()
    done = time.perf_counter()
    out = []
    for r, k in enumerate(replicas):
        final = Path(outdir) / f"replica_{k}"
        folder = Path(outdir) / f".replica_{k}.tmp"  # renamed when complete
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        never = result.best_epoch[r] < 0
        content = {
            "preprocessing": [
                {
                    "fl": f,
                    "smallx": float(alpha[r, j]),
                    "largex": float(beta[r, j]),
                    "trainable": bool(pdf.arch.trainable[j]),
                }  # fmt: skip
                for j, f in enumerate(FITTED_BASIS)
            ],
            "stop_epoch": int(result.stop_epoch[r]) + 1,
            "best_epoch": int(result.stop_epoch[r] if never else result.best_epoch[r]),
            "erf_tr": float(erf_tr[r]),
            "erf_vl": float(erf_vl[r]),
            "chi2": float(total[r] / inputs.ndata),
            "pos_state": "POS_VETO" if never else "POS_PASS",
            "arc_lengths": [float(a) for a in arcs[r]],
            "integrability": [float(v) for v in integ[r]],
            "timing": {
                "walltime": {
                    "replica_set": prepared - started,
                    "replica_fitted": trained - prepared,
                    "replica_set_to_replica_fitted": done - started,
                },
                "replicas_in_batch": len(replicas),
            },
            "version": versions(),
            # disfit's additions
            "replica": int(k),
            "seeds": {name: replica_seed(int(k), seed) for name, seed in seeds.items()},
            "status": "nan" if result.nan[r] else ("fail" if never else "ok"),
            "ndata": {"training": result.ntr, "validation": result.nvl, "total": inputs.ndata},
            "chi2_datasets": {
                d.name: {"chi2": float(per_dataset[r, j]), "ndata": d.ndata}
                for j, d in enumerate(inputs.datasets)
            },
        }
        write_exportgrid(folder, export[r], inputs.q0, {"replica": int(k)})
        history = [h for h in result.history if h["epoch"] <= result.stop_epoch[r] + 1]
        write_history(folder, history, r)
        write_json(folder, content)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(folder, final)
        out.append(content)
    return out


def describe(content: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: content[k] for k in ("replica", "chi2", "erf_tr", "erf_vl", "best_epoch")}
    )
