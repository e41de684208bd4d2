"""`disfit closure data` and `disfit closure report`: the closure test's data from the law, and
its estimators over the postfit replicas of every closure fit."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import FK_BASIS
from disfit.closure import estimators as est
from disfit.closure.pseudodata import closure_config, closure_data, filterseed, fit_config
from disfit.errors import DisfitError
from disfit.fit.inputs import FitInputs, fit_inputs_from_config
from disfit.fit.t0 import t0_pdf
from disfit.io.closure import read_closure_data, write_closure_data
from disfit.io.replica import EVOLUTION_FILE, read_history, read_replica_grid, replica_folders
from disfit.lhapdf.operator import fitted_on, xf_on

log = logging.getLogger("disfit")


def point_names(inputs: FitInputs) -> list[str]:
    """The dataset of each data point, in the fit's order."""
    return [d.name for d in inputs.datasets for _ in range(d.ndata)]


def write_data(
    config: Mapping[str, Any], fit_inputs: Sequence[Any], fit: int, out: Path
) -> np.ndarray:
    """`disfit closure data`: the law's predictions and closure fit `fit`'s data to `out`."""
    config = closure_config(config)
    inputs = fit_inputs_from_config(config, *fit_inputs)
    data = closure_data(inputs, config, fit)
    closure = config["closure"]
    meta = {
        "fakepdf": closure["fakepdf"],
        "level": closure["level"],
        "fit": fit,
        "filterseed": filterseed(config, fit),
    }
    write_closure_data(out, point_names(inputs), inputs.t0_predictions, data, meta)
    shift = (data - inputs.t0_predictions) ** 2 / np.diag(inputs.fit_covmat)
    log.info("closure fit %d, level %d: <η²/σ²> = %.3f", fit, closure["level"], shift.mean())
    return data


def closure_inputs(
    config: Mapping[str, Any], fit_inputs: Sequence[Any], data_file: Path, fit: int
) -> FitInputs:
    """The inputs of closure fit `fit` (from 1): its central data from its closure data file,
    the law's covariance (MULT relative to the law) for sampling, fitting and χ²."""
    inputs = fit_inputs_from_config(config, *fit_inputs)
    law, data, meta = read_closure_data(data_file, point_names(inputs))
    if meta.get("fit") != fit:
        raise DisfitError(
            f"{data_file}: holds the data of closure fit {meta.get('fit')}, not {fit}"
        )
    if not np.allclose(law, inputs.t0_predictions, rtol=1e-10, atol=0):
        raise DisfitError(
            f"{data_file}: made from another law than closure.fakepdf {meta.get('fakepdf')}; "
            "rerun `snakemake closure`"
        )
    return dataclasses.replace(inputs, central=data, covmat=inputs.fit_covmat)


def fit_closure_batch(
    config: Mapping[str, Any],
    fit_inputs: Sequence[Any],
    data_file: Path,
    fit: int,
    replicas: Sequence[int],
    outdir: Path,
    interactive: bool = False,
) -> list[dict[str, Any]]:
    """`disfit fit --closure`: replicas of closure fit `fit` with its config and data."""
    from disfit.fit.runner import run_batch

    config = fit_config(config, fit)
    inputs = closure_inputs(config, fit_inputs, data_file, fit)
    return run_batch(config, inputs, replicas, outdir, interactive)


def postfit_predictions(
    inputs: FitInputs, postfit_dir: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predictions (R, ndata), x·f (R, 14, nx) at Q0, x) of the selected replicas 1..R."""
    folders = [f for k, f in replica_folders(postfit_dir) if k > 0]
    if len(folders) < 2:
        raise DisfitError(f"{postfit_dir}: fewer than 2 selected replicas; run postfit first")
    x = read_replica_grid(folders[0] / EVOLUTION_FILE)[0]
    evolution = np.stack([read_replica_grid(f / EVOLUTION_FILE)[1] for f in folders])
    predictions = inputs.predictions(fitted_on(inputs.xgrid, x, evolution))
    return predictions, evolution, x


def _pdf_grids(
    evolution: np.ndarray, x: np.ndarray, law: np.ndarray, points: int
) -> tuple[np.ndarray, np.ndarray]:
    """ξ's PDF values: (fits, R, 7, nx) of the fits and (7, nx) of the law, on validphys' x."""
    singlet, other = est.xi_grids(points)
    rows = [FK_BASIS.index(f) for f in est.XI_FLAVOURS]

    def on(values: np.ndarray) -> np.ndarray:  # (..., 14, len(x)) → (..., 7, points)
        parts = [
            xf_on(singlet if f in ("Sigma", "g") else other, x, values[..., r, :])
            for f, r in zip(est.XI_FLAVOURS, rows, strict=True)
        ]
        return np.stack(parts, axis=-2)

    return on(evolution), on(law)


def training_history(fit_dir: Path) -> np.ndarray:
    """(3, n): epoch and the median over a closure fit's replicas of χ²_tr/N and χ²_vl/N (of
    the replicas still training at that epoch)."""
    histories = [read_history(f) for _, f in replica_folders(fit_dir)]
    epochs = np.unique(np.concatenate([h[0] for h in histories]))
    tr = np.full((len(histories), len(epochs)), np.nan)
    vl = np.full_like(tr, np.nan)
    for i, (epoch, chi2_tr, chi2_vl) in enumerate(histories):
        where = np.searchsorted(epochs, epoch)
        tr[i, where], vl[i, where] = chi2_tr, chi2_vl
    return np.array([epochs, np.nanmedian(tr, axis=0), np.nanmedian(vl, axis=0)])


def _summary(e: est.Estimators) -> dict[str, Any]:
    ratio = e.ratio_bootstrap
    return {
        "ndata": e.ndata,
        "bias": float(e.bias.mean() / e.ndata),
        "variance": float(e.variance.mean() / e.ndata),
        "R_bv": e.ratio,
        "R_bv_error": float(ratio.std()),
        "xi_1sigma": float(e.xi.mean()),
        "xi_1sigma_error": float(e.bootstrap[:, 2].std()),
        "xi_expected": float(est.expected_xi(e.ratio)),
        "xi_expected_error": float(est.expected_xi(ratio).std()),
        "phi": float(e.phi.mean()),
        "delta_chi2": float(np.mean(e.delta_chi2)),
        "delta_chi2_error": float(np.std(e.delta_chi2)),
    }


def closure_estimators(
    config: Mapping[str, Any],
    fit_inputs: Sequence[Any],
    data_files: Sequence[Path],
    postfit_dirs: Sequence[Path],
    fit_dirs: Sequence[Path] = (),
) -> dict[str, Any]:
    """Every estimator of the closure test, per dataset and over all data, with the arrays the
    report plots (with `fit_dirs`, the closure fits' folders, their training histories)."""
    config = closure_config(config)
    closure = config["closure"]
    inputs = fit_inputs_from_config(config, *fit_inputs)
    if len(postfit_dirs) != len(data_files):
        raise DisfitError(
            f"{len(data_files)} closure data files but {len(postfit_dirs)} postfit folders"
        )
    files = [read_closure_data(f, point_names(inputs)) for f in data_files]
    law = files[0][0]
    if any(not np.array_equal(f[0], law) for f in files):
        raise DisfitError("closure data files made from different laws; rerun `snakemake closure`")
    data = np.stack([f[1] for f in files])
    loaded = [postfit_predictions(inputs, Path(p)) for p in postfit_dirs]
    nrep = min(len(p) for p, _, _ in loaded)  # as validphys: the fewest replicas of any fit
    replicas = np.stack([p[:nrep] for p, _, _ in loaded])  # (fits, R, ndata)
    x = loaded[0][2]
    evolution = np.stack([e[:nrep] for _, e, _ in loaded])
    indices = est.bootstrap_indices(
        len(data), nrep, closure["bootstrap_samples"], closure["bootstrap_seed"]
    )
    covmat = inputs.fit_covmat
    everything = est.estimators(covmat, replicas, law, data, indices)
    per_dataset = {}
    for d in inputs.datasets:
        block = covmat[d.rows, d.rows]
        per_dataset[d.name] = est.estimators(
            block, replicas[..., d.rows], law[d.rows], data[:, d.rows], indices
        )
    law_pdf = t0_pdf(closure["fakepdf"], inputs.q0)(x)
    grids, law_grid = _pdf_grids(evolution, x, law_pdf, closure["pdf_points"])
    xi_flavour, xi_pdf = est.pdf_xi(grids, law_grid)
    sqrtcov = np.linalg.cholesky(covmat)
    chi2_central = est.chi2(sqrtcov, (data - replicas.mean(axis=1)).T) / inputs.ndata
    chi2_law = est.chi2(sqrtcov, (data - law[None]).T) / inputs.ndata
    return {
        "summary": {
            "level": closure["level"],
            "fits": len(data),
            "replicas_per_fit": nrep,
            "fakepdf": closure["fakepdf"],
            "chi2_central_per_point": [float(c) for c in chi2_central],
            "chi2_law_per_point": [float(c) for c in chi2_law],
            **_summary(everything),
            "xi_1sigma_pdf": xi_pdf,
            "xi_1sigma_pdf_flavours": {
                f: float(v.mean()) for f, v in zip(est.XI_FLAVOURS, xi_flavour, strict=True)
            },
        },
        "datasets": {name: _summary(e) for name, e in per_dataset.items()},
        "arrays": {
            "normalised_deviations": everything.normalised.ravel(),
            "ratio_bootstrap": everything.ratio_bootstrap,
            "x": x,
            "fits_pdf": evolution,
            "law_pdf": law_pdf,
            "q0": inputs.q0,
            "histories": [training_history(Path(f)) for f in fit_dirs],
        },
    }


def write_estimators(result: Mapping[str, Any], out: Path) -> None:
    """estimators.json: the summary and the per-dataset numbers."""
    from disfit.io.atomic import atomic_path

    with atomic_path(out) as tmp:
        text = json.dumps({k: result[k] for k in ("summary", "datasets")}, indent=1)
        tmp.write_text(text + "\n")
