"""Fit speed on the default DIS selection, judged against the machine's limits.

- Batch sizes (`--sizes`, each in its own process so that its peak memory is its own): ms per
  replica-epoch, peak RSS, and a small roofline: the FLOPs and the bytes of per-replica matrices
  one replica-epoch needs (counted from the compiled model's shapes), the achieved GFLOP/s and
  GB/s, and their fractions of this machine's peak float32 GEMM rate and memory bandwidth,
  measured in the same run.
- Layouts (`--layouts JOBSxREPLICASxTHREADS`, e.g. 1x100x2 2x50x1): fit jobs run as Snakemake
  runs them, cores/threads at once, each its own process from import to the end of training;
  the wall time of the whole layout, its replica-epochs per second once trained, and its
  projection to 100 replicas x 17000 epochs. Every job's first replica's weights are hashed:
  they must be the same bits in every layout (a replica's numbers do not depend on its batch
  or its threads).

Needs the default run's data tables and FK tables (any earlier default run, or `snakemake
--cores 2 results/default/fktables/<dataset>` for each dataset).
Usage: python benchmarks/fit_timing.py [--epochs 1000] [--sizes 10 100] [--layouts 1x100x2 2x50x1
2x50x1x10]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from disfit.fit.blas import fixed_blas_threads

RUN = Path("results/default")
CORES = 2


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


def work_per_replica_epoch(trainer) -> tuple[float, float]:
    """(FLOPs, bytes) of one replica-epoch: the network on the fit and sum-rule grids forward
    and backward (about 3x the forward's multiply-adds), the triangular block rows of the training
    χ² forward and backward and of the validation χ² forward, and the shared FK products
    (positivity, integrability, ratios) forward and backward. Bytes: the per-replica block rows,
    read once per product (the shared matrices stay in cache)."""
    pdf, inputs = trainer.pdf, trainer.inputs
    points = len(inputs.xgrid) + len(pdf.sumrule_x)
    widths = [1 if pdf.scaler else 2, *pdf.arch.nodes]
    network = 3 * 2 * points * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))

    def elements(chi2) -> int:
        return sum(int(np.prod(row.shape[1:])) for row in chi2.r.block_rows)

    tr = elements(trainer.training)
    vl = 0 if trainer.no_validation else elements(trainer.validation)
    shared = [trainer.pos_table, trainer.int_table]
    shared += [op for _, ops in trainer.predictions.nonlinear for op in ops]
    shared_flops = sum(3 * 2 * int(np.prod(m.shape)) for m in shared)
    flops = network + 2 * 2 * tr + 2 * vl + shared_flops
    return float(flops), float(4 * (2 * tr + vl))


def measure(replicas: int, epochs: int, threads: int | None, chunk: int | None = None) -> dict:
    """One job of `replicas` trained `chunk` at a time (None: all at once), every chunk for
    `epochs` epochs, with the fit's BLAS_THREADS as `disfit fit` runs it."""
    started = time.perf_counter()
    # imported before the BLAS limit is set: threadpoolctl limits the libraries loaded then
    # (scipy's OpenBLAS comes with disfit.fit.train; the CLI has it loaded before it fits)
    import disfit.fit.train  # noqa: F401

    return fixed_blas_threads(_measure)(started, replicas, epochs, threads, chunk)


def _measure(
    started: float, replicas: int, epochs: int, threads: int | None, chunk: int | None
) -> dict:
    from disfit.fit.blas import tensorflow_threads

    tensorflow_threads(threads)
    import tensorflow as tf

    from disfit.config import load_config
    from disfit.fit.train import PUSH_EACH, Trainer, setup_replicas

    config = load_config("config/config.yaml")
    fit = config["fit"]
    fit["epochs"] = epochs
    fit["stopping_patience"] = 1.0  # no replica stops: every epoch is timed
    inputs = default_inputs(config)
    seeds = {k: fit[k] for k in ("trvlseed", "nnseed", "mcseed")}
    frac = float(fit["diagonal_frac"]) if fit["diagonal_basis"] else None
    start = time.perf_counter()
    setup = setup_replicas(
        inputs, range(1, replicas + 1), seeds, bool(fit["resample_negative_pseudodata"]), frac
    )
    trainer = Trainer(inputs, setup, fit, chunk)
    first = time.perf_counter()
    # steps of PUSH_EACH epochs as the fit runs them, each timed: the median is the rate (a
    # shared machine's hiccups land in a few steps)
    steps, loads, compiled, weights = [], 0.0, first, b""
    # no replica stops here, so every slot takes the job's next replica at the same epoch: the
    # job runs as chunks, each loaded as Trainer.train loads a replica in a slot
    for index, position in enumerate(range(0, replicas, trainer.size)):
        began = time.perf_counter()
        if index:
            trainer.load(trainer._positions(position))
        loads += (time.perf_counter() - began) if index else 0.0  # the next chunk's QRs
        if index == 0:
            trainer._steps(tf.constant(0), tf.constant(PUSH_EACH))  # compile + first 100
            compiled = time.perf_counter()
        for epoch in range(PUSH_EACH if index == 0 else 0, epochs, PUSH_EACH):
            began = time.perf_counter()
            trainer._steps(tf.constant(epoch), tf.constant(min(PUSH_EACH, epochs - epoch)))
            steps.append((time.perf_counter() - began) / min(PUSH_EACH, epochs - epoch))
        if index == 0:
            weights = b"".join(
                np.asarray(v.numpy()[0]).tobytes() for v in trainer.pdf.all_variables
            )
    done = time.perf_counter()
    per = float(np.median(steps)) / trainer.size
    flops, nbytes = work_per_replica_epoch(trainer)
    return {
        "replicas": replicas,
        "chunk": trainer.size,
        "threads": threads,
        "ndata": inputs.ndata,
        "import_and_inputs_s": start - started,
        "setup_s": first - start + loads,
        "compile_and_first_100_s": compiled - first,
        "training_s": done - compiled - loads,
        "ms_per_replica_epoch": 1e3 * per,
        "mflop_per_replica_epoch": flops / 1e6,
        "mb_per_replica_epoch": nbytes / 1e6,
        "gflops": flops / per / 1e9,
        "gbytes_per_s": nbytes / per / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "first_replica_sha1": hashlib.sha1(weights).hexdigest()[:16],
    }


def machine_peaks() -> dict:
    """This machine's float32 GEMM rate (TensorFlow, all cores) and memory bandwidth (numpy
    copy of 512 MB: read + write), best of a few tries."""
    import tensorflow as tf

    a = tf.random.uniform((2048, 2048))
    matmul = tf.function(lambda a: tf.linalg.matmul(a, a), jit_compile=True)
    matmul(a).numpy()
    best = min(_timed(lambda: matmul(a).numpy()) for _ in range(5))
    src = np.ones(2**27, np.float32)
    dst = np.empty_like(src)
    copy = min(_timed(lambda: np.copyto(dst, src)) for _ in range(5))
    return {"gemm_gflops": 2 * 2048**3 / best / 1e9, "memory_gb_per_s": 2 * src.nbytes / copy / 1e9}


def cpu_description() -> str:
    """The CPU's model and per-core caches (Linux sysfs): the rates here depend on them (the same
    code runs ~40 % slower per replica-epoch on a 2 MB-L2 Xeon than on a Zen 4 EPYC)."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    caches = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        with contextlib.suppress(OSError):
            level, kind, size = (
                (index / name).read_text().strip() for name in ("level", "type", "size")
            )
            if kind != "Instruction":
                caches.append(f"L{level} {size}")
    return f"{model}, {os.cpu_count()} cores" + (f", {' '.join(caches)}" if caches else "")


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def child(
    replicas: int, epochs: int, threads: int | None, chunk: int | None = None
) -> subprocess.Popen:
    """A measurement in its own process (the parent imports no TensorFlow and holds no large
    array: a child's peak RSS starts from its parent's at the fork)."""
    command = [sys.executable, __file__, "--child", str(replicas), "--epochs", str(epochs)]
    if threads:
        command += ["--threads", str(threads)]
    if chunk:
        command += ["--chunk", str(chunk)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def result(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"a benchmark child failed ({process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def run_layout(layout: str, epochs: int) -> dict:
    """Jobs of a layout (JOBSxREPLICASxTHREADS, xCHUNK for jobs trained a chunk of replicas at
    a time) in waves of CORES/threads at once; wall from the first start to the last end, and
    the training part alone."""
    jobs, replicas, threads, *rest = (int(v) for v in layout.split("x"))
    chunk = rest[0] if rest else replicas
    parallel = max(CORES // threads, 1)
    start, rows, waves = time.perf_counter(), [], []
    for wave in range(0, jobs, parallel):
        count = min(parallel, jobs - wave)
        began = time.perf_counter()
        batch = [result(p) for p in [child(replicas, epochs, threads, chunk) for _ in range(count)]]
        waves.append((time.perf_counter() - began, max(r["training_s"] for r in batch)))
        rows += batch
    wall = time.perf_counter() - start
    trained = sum(t for _, t in waves)
    overhead = (wall - trained) / len(waves)
    # every chunk (padded to `chunk` replicas) trains all epochs; the first's first 100 compile
    per = trained / (jobs * (-(-replicas // chunk) * chunk * epochs - chunk * 100))
    projected = 100 * 17000 * per + overhead * -(-100 // (replicas * parallel))
    return {
        "layout": layout,
        "wall_s": wall,
        "ms_per_replica_epoch": 1e3 * per,
        "overhead_per_wave_s": overhead,
        "projected_100x17000_s": projected,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "hashes": sorted({r["first_replica_sha1"] for r in rows}),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100])
    parser.add_argument("--layouts", nargs="*", default=[])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--child", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=None)
    parser.add_argument("--peaks", action="store_true")
    args = parser.parse_args()
    if args.peaks:
        print(json.dumps(machine_peaks()))
        return
    if args.child is not None:
        print(json.dumps(measure(args.child, args.epochs, args.threads, args.chunk)))
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    peaks = result(
        subprocess.Popen([sys.executable, __file__, "--peaks"], stdout=subprocess.PIPE, text=True)
    )
    print(
        f"machine: {cpu_description()}; float32 GEMM {peaks['gemm_gflops']:.0f} GFLOP/s, "
        f"memory {peaks['memory_gb_per_s']:.1f} GB/s ({CORES} cores used)"
    )
    hashes = set()
    for size in args.sizes:
        row = result(child(size, args.epochs, args.threads, args.chunk))
        hashes.add(row["first_replica_sha1"])
        print(json.dumps(row))
        print(
            f"{size:4d} replicas: {row['ms_per_replica_epoch']:.4f} ms per replica-epoch, "
            f"{row['mflop_per_replica_epoch']:.2f} MFLOP and {row['mb_per_replica_epoch']:.2f} MB "
            f"of per-replica matrices each: {row['gflops']:.1f} GFLOP/s "
            f"({row['gflops'] / peaks['gemm_gflops']:.0%} of GEMM peak), "
            f"{row['gbytes_per_s']:.1f} GB/s ({row['gbytes_per_s'] / peaks['memory_gb_per_s']:.0%}"
            f" of memory bandwidth); setup {row['setup_s']:.1f} s, peak RSS "
            f"{row['peak_rss_mb']:.0f} MB"
        )
    for layout in args.layouts:
        row = run_layout(layout, args.epochs)
        hashes.update(row["hashes"])
        print(json.dumps(row))
        print(
            f"layout {layout} (jobs x replicas x threads [x chunk]): {row['wall_s']:.0f} s wall, "
            f"{row['ms_per_replica_epoch']:.4f} ms per replica-epoch once trained, "
            f"{row['overhead_per_wave_s']:.0f} s per wave before training; projected 100 "
            f"replicas x 17000 epochs: {row['projected_100x17000_s'] / 60:.1f} min; peak RSS "
            f"{row['peak_rss_mb']:.0f} MB per job"
        )
    print(f"replica 1's weights identical in every batch and layout: {len(hashes) == 1}")


if __name__ == "__main__":
    main()
