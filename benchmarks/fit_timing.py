"""Fit speed on the default DIS selection: replica-epochs per second for batches of 1, 10 and
100 replicas, their ratios, and the projection for 100 replicas × 17000 epochs.

Needs the default run's data tables and FK tables (any earlier default run, or `snakemake
--cores 2 results/default/fktables/<dataset>` for each dataset). Each batch size runs in its
own process so that its peak memory is its own.
Usage: python benchmarks/fit_timing.py [--epochs 1000] [--sizes 1 10 100]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

RUN = Path("results/default")


def default_inputs(config: dict):
    """The default run's fit inputs: its data tables, FK tables and the shipped theory's
    positivity and integrability tables."""
    from disfit.fit.inputs import fit_inputs_from_config

    fktables = [RUN / "fktables" / d["dataset"] for d in config["datasets"]]
    (shipped,) = sorted(Path("resources/theory").glob("*/"))
    return fit_inputs_from_config(
        config,
        RUN / "data",
        RUN / "data" / "covmat.parquet",
        fktables,
        shipped / "positivity",
        shipped / "integrability",
    )


def measure(replicas: int, epochs: int) -> dict:
    from disfit.config import load_config
    from disfit.fit.train import PUSH_EACH, Trainer, setup_replicas

    config = load_config("config/config.yaml")
    fit = config["fit"]
    fit["epochs"] = epochs
    fit["stopping_patience"] = 1.0  # no replica stops: every epoch is timed
    inputs = default_inputs(config)
    seeds = {k: fit[k] for k in ("trvlseed", "nnseed", "mcseed")}
    start = time.perf_counter()
    trainer = Trainer(inputs, setup_replicas(inputs, range(1, replicas + 1), seeds), fit)
    import tensorflow as tf

    first = time.perf_counter()
    trainer._chunk(tf.constant(0), tf.constant(PUSH_EACH))  # compile + first 100 epochs
    compiled = time.perf_counter()
    trainer._chunk(tf.constant(PUSH_EACH), tf.constant(epochs - PUSH_EACH))
    done = time.perf_counter()
    per = (done - compiled) / (replicas * (epochs - PUSH_EACH))
    return {
        "replicas": replicas,
        "ndata": inputs.ndata,
        "setup_s": first - start,
        "compile_and_first_100_s": compiled - first,
        "ms_per_replica_epoch": 1e3 * per,
        "replica_epochs_per_s": 1 / per,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--child", type=int, default=None)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.epochs)))
        return
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--epochs", str(args.epochs)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]))
    base = rows[0]["ms_per_replica_epoch"]
    for row in rows:
        speedup = base / row["ms_per_replica_epoch"]
        print(
            f"{row['replicas']:4d} replicas: {row['ms_per_replica_epoch']:.3f} ms per "
            f"replica-epoch ({row['replica_epochs_per_s']:.0f}/s), {speedup:.1f}x the "
            f"1-replica rate, peak RSS {row['peak_rss_mb']:.0f} MB"
        )
    last = rows[-1]
    projected = last["ms_per_replica_epoch"] * 1e-3 * 100 * 17000 + last["setup_s"]
    print(
        f"projected 100 replicas x 17000 epochs at the {last['replicas']}-replica rate: "
        f"{projected / 60:.1f} min (target 10 min)"
    )


if __name__ == "__main__":
    main()
