"""Hyperopt speed: seconds per trial and per fold-replica-epoch of a finished scan, and, measured
in one run, a trial's folds stacked in one batch against the same folds fitted one after another.

Usage:
  python benchmarks/hyperopt_scan.py [--scan results/default/hyperopt]   (a finished scan)
  python benchmarks/hyperopt_scan.py --stacking [--epochs 2000]           (needs the default
      run's data and FK tables, as benchmarks/fit_timing.py)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def scan_numbers(folder: Path) -> dict:
    """From the trial records and Snakemake's benchmark files of a scan."""
    from disfit.io.hyperopt import read_trial

    records = [read_trial(p) for p in sorted((folder / "trials").glob("trial_*.json"))]
    jobs = [
        pd.read_csv(p, sep="\t")["s"].iloc[-1]
        for p in sorted((folder / "benchmarks" / "trials").glob("trial_*.tsv"))
    ]
    seconds = np.array([r["seconds"]["total"] for r in records])
    training = np.array([r["seconds"]["training"] for r in records])
    work = np.array([r["replica_epochs"] for r in records])
    return {
        "trials": len(records),
        "job_seconds_per_trial": float(np.mean(jobs)) if jobs else None,
        "seconds_per_trial_in_process": float(seconds.mean()),
        "ms_per_fold_replica_epoch": float(1e3 * seconds.sum() / work.sum()),
        "ms_per_fold_replica_epoch_training": float(1e3 * training.sum() / work.sum()),
        "fold_replica_epochs_per_trial": float(work.mean()),
    }


def stacking(epochs: int) -> dict:
    """One trial of the fit's parameters: its 4 folds × 2 replicas in one batch, and each fold's
    2 replicas as its own batch; every replica trains all `epochs` (patience 1)."""
    from disfit.config import load_config, with_defaults
    from disfit.fit.train import Trainer
    from disfit.hyperopt.trial import held_out_masks, stacked_setup

    sys.path.insert(0, str(Path(__file__).parent))
    from fit_timing import default_inputs

    config = load_config("config/config.yaml")
    fit = config["fit"]
    fit.update(epochs=epochs, stopping_patience=1.0, diagonal_basis=False)
    hyper = with_defaults("hyperopt", {})
    inputs = default_inputs(config)
    folds = held_out_masks(inputs, hyper["kfold"]["partitions"])
    replicas = hyper["replicas"]

    def timed(masks: np.ndarray) -> float:
        start = time.perf_counter()
        Trainer(inputs, stacked_setup(inputs, fit, replicas, masks), fit).run()
        return time.perf_counter() - start

    timed(folds[:1])  # warm-up: TensorFlow's first graph
    stacked = timed(folds)
    separate = sum(timed(folds[k : k + 1]) for k in range(len(folds)))
    work = len(folds) * replicas * (epochs + 1)
    return {
        "epochs": epochs,
        "folds": len(folds),
        "replicas_per_fold": replicas,
        "stacked_seconds": stacked,
        "separate_seconds": separate,
        "separate_over_stacked": separate / stacked,
        "stacked_ms_per_fold_replica_epoch": 1e3 * stacked / work,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan", type=Path, default=Path("results/default/hyperopt"))
    parser.add_argument("--stacking", action="store_true")
    parser.add_argument("--epochs", type=int, default=2000)
    args = parser.parse_args()
    result = stacking(args.epochs) if args.stacking else scan_numbers(args.scan)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
