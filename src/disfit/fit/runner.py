"""`disfit fit`: one batch of replicas from inputs to replica folders."""

from __future__ import annotations

import functools
import json
import logging
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit import __version__
from disfit.basis import FIT_ROTATION, FITTED_BASIS
from disfit.fit.blas import fixed_blas_threads
from disfit.fit.inputs import FitInputs, fit_inputs_from_config
from disfit.fit.metrics import arc_lengths, dataset_chi2, integrability_numbers
from disfit.fit.replicas import replica_seed
from disfit.fit.train import FitResult, Trainer, setup_replicas
from disfit.io.atomic import atomic_dir
from disfit.io.replica import EXPORT_XGRID, write_history, write_json, write_replica_grids

log = logging.getLogger("disfit")


def versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {
        "disfit": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


@fixed_blas_threads
def fit_replicas(
    inputs: FitInputs,
    fit: Mapping[str, Any],
    replicas: Sequence[int],
    outdir: str | Path,
    progress: Callable[[int, int, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Fit `replicas`, `fit.replicas_per_chunk` at a time on one compiled program, and write
    outdir/replica_<k>/ for each as its chunk ends; returns their JSONs. `progress` gets (chunk,
    chunks, epochs done, epochs) of the chunk in training."""
    started = time.perf_counter()
    seeds = {k: int(fit[k]) for k in ("trvlseed", "nnseed", "mcseed")}
    diagonal_frac = float(fit["diagonal_frac"]) if fit["diagonal_basis"] else None
    setup = setup_replicas(
        inputs,
        list(replicas),
        seeds,
        bool(fit["resample_negative_pseudodata"]),
        diagonal_frac,
        bool(fit["genrep"]),
    )
    trainer = Trainer(inputs, setup, fit, int(fit["replicas_per_chunk"]))
    del setup  # its whitening: ndata² floats the training no longer needs
    chunks = -(-len(replicas) // trainer.size)
    out = []
    for index, positions in enumerate(trainer.chunks()):
        loaded = time.perf_counter()
        report = None if progress is None else functools.partial(progress, index, chunks)
        result = trainer.run(report)
        trained = time.perf_counter()
        contents, export = chunk_outputs(
            inputs, trainer, result, [replicas[p] for p in positions], seeds
        )
        done = time.perf_counter()
        for r, content in enumerate(contents):
            content["timing"].update(
                {
                    "walltime": {
                        "replica_set": loaded - started,
                        "replica_fitted": trained - loaded,
                        "replica_set_to_replica_fitted": done - started,
                    },
                    # disfit's: the first 100 iterations of the training (the first chunk's hold
                    # the compilation)
                    "first_iterations": result.first_seconds,
                    "replicas_in_batch": len(replicas),
                    "replicas_in_chunk": trainer.size,
                }
            )
            k = content["replica"]
            with atomic_dir(Path(outdir) / f"replica_{k}") as folder:  # complete or absent
                write_replica_grids(folder, export[r], inputs.q0, {"replica": k})
                history = [h for h in result.history if h["epoch"] <= result.stop_epoch[r] + 1]
                write_history(folder, history, r)
                write_json(folder, content)
            out.append(content)
    return out


def chunk_outputs(
    inputs: FitInputs,
    trainer: Trainer,
    result: FitResult,
    replicas: Sequence[int],
    seeds: Mapping[str, int],
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The replica.json contents (timing left empty) of the chunk's first len(replicas)
    replicas, and x·f of every replica of the chunk on the export grid; the best weights are
    restored first."""
    trainer.restore(result)
    pdf, fitted = trainer.pdf, trainer.fitted

    def xf(x: np.ndarray) -> np.ndarray:  # (R, 14, nx) in the FK evolution basis
        return np.einsum("ek,rkn->ren", FIT_ROTATION, fitted(x))

    xf_flat = trainer.xf_flat()
    erf_tr = trainer.training(xf_flat).numpy() / trainer.training.norm.numpy()
    erf_vl = trainer.validation(xf_flat).numpy() / trainer.validation.norm.numpy()
    predictions = np.array([inputs.predictions(f) for f in fitted(inputs.xgrid)])
    total, per_dataset = dataset_chi2(inputs, predictions)
    arcs = arc_lengths(xf)
    integ = integrability_numbers(xf)
    export = xf(EXPORT_XGRID)
    alpha, beta = pdf.alpha.numpy(), pdf.beta.numpy()
    out = []
    for r, k in enumerate(replicas):
        never = result.best_epoch[r] < 0
        out.append(
            {
                "preprocessing": [
                    {
                        "fl": f,
                        "smallx": float(alpha[r, j]),
                        "largex": float(beta[r, j]),
                        "trainable": bool(pdf.arch.trainable[j]),
                    }
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
                "timing": {},  # the caller's
                "version": versions(),
                # disfit's additions
                "replica": int(k),
                "seeds": {name: replica_seed(int(k), seed) for name, seed in seeds.items()},
                "status": "nan" if result.nan[r] else ("fail" if never else "ok"),
                "ndata": {
                    "training": int(result.ntr[r]),
                    "validation": int(result.nvl[r]),
                    "total": inputs.ndata,
                },
                "chi2_datasets": {
                    d.name: {"chi2": float(per_dataset[r, j]), "ndata": d.ndata}
                    for j, d in enumerate(inputs.datasets)
                },
            }
        )
    return out, export


def describe(content: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: content[k] for k in ("replica", "chi2", "erf_tr", "erf_vl", "best_epoch")}
    )


def fit_batch(
    config: Mapping[str, Any],
    data_dir: Path,
    covmat: Path,
    fktables: Sequence[Path],
    positivity: Path | None,
    integrability: Path | None,
    replicas: Sequence[int],
    outdir: Path,
    interactive: bool = False,
) -> list[dict[str, Any]]:
    """`disfit fit`: read the inputs and fit `replicas` (run_batch)."""
    inputs = fit_inputs_from_config(config, data_dir, covmat, fktables, positivity, integrability)
    return run_batch(config, inputs, replicas, outdir, interactive)


def run_batch(
    config: Mapping[str, Any],
    inputs: FitInputs,
    replicas: Sequence[int],
    outdir: Path,
    interactive: bool = False,
) -> list[dict[str, Any]]:
    """Fit `replicas` together with a progress bar (on a terminal) or a log line every 500
    epochs (in a log file, from which Snakemake's disfit logger draws its bar), and write their
    folders."""
    fit = config["fit"]
    log.info("fit of %d points, replicas %s", inputs.ndata, list(replicas))
    label = f"replicas {replicas[0]}-{replicas[-1]}"
    if interactive:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (
            TextColumn(label),
            BarColumn(),
            TextColumn("{task.description}: epoch {task.completed}/{task.total}"),
        )
        with Progress(*columns, TimeRemainingColumn()) as bar:
            task = bar.add_task("chunk 1", total=fit["epochs"])

            def show(chunk: int, chunks: int, done: int, _: int) -> None:
                bar.update(task, completed=done, description=f"chunk {chunk + 1}/{chunks}")

            results = fit_replicas(inputs, fit, replicas, outdir, show)
    else:

        def progress(chunk: int, chunks: int, done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                log.info("%s, chunk %d/%d: epoch %d/%d", label, chunk + 1, chunks, done, total)

        results = fit_replicas(inputs, fit, replicas, outdir, progress)
    for content in results:
        log.info(describe(content))
    return results
