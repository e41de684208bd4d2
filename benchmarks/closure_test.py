"""Closure test (level 2) on the default DIS selection: a known PDF makes the data, a fit must
find it again.

The known PDF is the mean of an earlier disfit fit (its replica-0), so it is representable by
the model. Level-1 data = its predictions through the default FK tables + one draw of the
experimental covariance (seed --seed); the fit then makes its own replicas of those data as
usual (level 2). Printed: the χ²/N of the fit's mean and of the truth against the level-1 data,
per-replica χ², and how often the truth lies inside the fit's 1σ / 2σ band at Q0 in the data
region. Usage: python benchmarks/closure_test.py --truth results/default/fit [--replicas 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from fit_timing import default_inputs

from disfit.basis import FIT_ROTATION, FK_BASIS
from disfit.config import load_config
from disfit.data.covmat import sqrt_covmat
from disfit.fit.metrics import dataset_chi2
from disfit.fit.runner import fit_replicas
from disfit.fit.t0 import t0_pdf
from disfit.io.replica import EVOLUTION_FILE, read_json, read_replica_grid

FLAVOURS = ("Sigma", "g", "V", "V3", "T3", "T8")
DATA_REGION = (1e-3, 0.6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--truth", type=Path, default=Path("results/default/fit"))
    parser.add_argument("--replicas", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=None, help="default: the config's")
    parser.add_argument("--seed", type=int, default=20260123, help="level-1 noise seed")
    parser.add_argument("--out", type=Path, default=Path("results/closure"))
    args = parser.parse_args()

    config = load_config("config/config.yaml")
    fit = config["fit"]
    if args.epochs:
        fit["epochs"] = args.epochs
    inputs = default_inputs(config)
    truth = t0_pdf(args.truth, inputs.q0)
    fitted_truth = np.linalg.lstsq(FIT_ROTATION, truth(inputs.xgrid), rcond=None)[0]
    exact = inputs.predictions(fitted_truth)
    noise = sqrt_covmat(inputs.covmat) @ np.random.default_rng(args.seed).normal(size=inputs.ndata)
    level1 = dataclasses.replace(inputs, central=exact + noise)

    start = time.perf_counter()
    fit_replicas(level1, fit, range(1, args.replicas + 1), args.out)
    seconds = time.perf_counter() - start

    contents = [read_json(args.out / f"replica_{k}") for k in range(1, args.replicas + 1)]
    good = [k for k, c in enumerate(contents, 1) if c["status"] == "ok"]
    grids = np.array(
        [read_replica_grid(args.out / f"replica_{k}" / EVOLUTION_FILE)[1] for k in good]
    )
    x = read_replica_grid(args.out / f"replica_{good[0]}" / EVOLUTION_FILE)[0]
    mean, sd = grids.mean(axis=0), grids.std(axis=0)
    fitted_mean = np.linalg.lstsq(FIT_ROTATION, mean, rcond=None)[0]
    # χ² of replica 0 (the mean) needs its predictions on the FK grid: interpolate the mean
    from scipy.interpolate import CubicSpline

    mean_on_grid = CubicSpline(np.log(x), fitted_mean, axis=-1)(np.log(inputs.xgrid))
    chi2_mean = dataset_chi2(level1, inputs.predictions(mean_on_grid)[None])[0][0]
    chi2_truth = dataset_chi2(level1, exact[None])[0][0]
    region = (x >= DATA_REGION[0]) & (x <= DATA_REGION[1])
    known = truth(x)
    coverage = {}
    for name in FLAVOURS:
        i = FK_BASIS.index(name)
        pull = np.abs(mean[i, region] - known[i, region]) / sd[i, region]
        coverage[name] = {"1sigma": float(np.mean(pull <= 1)), "2sigma": float(np.mean(pull <= 2))}
    summary = {
        "replicas": args.replicas,
        "passing": len(good),
        "epochs": fit["epochs"],
        "fit_seconds": seconds,
        "ndata": inputs.ndata,
        "chi2_per_point_replica0_vs_level1": chi2_mean / inputs.ndata,
        "chi2_per_point_truth_vs_level1": chi2_truth / inputs.ndata,
        "chi2_per_point_replicas_mean": float(np.mean([c["chi2"] for c in contents])),
        "erf_tr_mean": float(np.mean([c["erf_tr"] for c in contents])),
        "erf_vl_mean": float(np.mean([c["erf_vl"] for c in contents])),
        "truth_within_band_x_1e-3_0.6": coverage,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
