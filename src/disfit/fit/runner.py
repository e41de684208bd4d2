"""`disfit fit`: one batch of replicas from inputs to replica folders."""

from __future__ import annotations

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
from disfit.fit.metrics import arc_lengths, chi2_inverses, dataset_chi2, integrability_numbers
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
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Fit `replicas`, `fit.replicas_per_chunk` at a time on one compiled program (a replica
    that ends leaves its place to the next, Trainer.train), and write outdir/replica_<k>/ for
    each as it ends; returns their JSONs. `progress` gets (replicas ended, replicas)."""
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
    loaded = time.perf_counter()
    inverses = chi2_inverses(inputs)  # for every replica's χ² per dataset, as replicas end
    out = []

    def ended(slots: list[int], positions: list[int], result: FitResult) -> None:
        contents, export = replica_outputs(
            inputs, trainer, slots, result, [replicas[p] for p in positions], seeds, inverses
        )
        done = time.perf_counter()
        for r, content in enumerate(contents):
            content["timing"].update(
                {
                    "walltime": {
                        "replica_set": loaded - started,
                        "replica_fitted": float(result.seconds[r]),
                        "replica_set_to_replica_fitted": done - started,
                    },
                    # disfit's: the job's first 100 iterations (with the compilation)
                    "first_iterations": result.first_seconds,
                    "replicas_in_batch": len(replicas),
                    "replicas_in_chunk": trainer.size,
                }
            )
            k = content["replica"]
            with atomic_dir(Path(outdir) / f"replica_{k}") as folder:  # complete or absent
                write_replica_grids(folder, export[r], inputs.q0, {"replica": k})
                stop = result.stop_epoch[r]
                history = [h for h in result.history[r] if h["epoch"] <= stop + 1]
                write_history(folder, history, 0)
                write_json(folder, content)
            out.append(content)

    trainer.train(ended, progress)
    return out


def replica_outputs(
    inputs: FitInputs,
    trainer: Trainer,
    slots: list[int],
    result: FitResult,
    replicas: Sequence[int],
    seeds: Mapping[str, int],
    inverses: tuple[list[np.ndarray], list[np.ndarray]],
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The replica.json contents (timing left empty) and x·f on the export grid of the
    replicas `replicas` at `slots` (`result` over them), evaluated at their best weights, put in
    their slots for the while: the other slots' replicas then train on. `inverses`: the
    fitting covariance's (chi2_inverses, computed once per job)."""
    live = [np.array(v.numpy()) for v in trainer.pdf.all_variables]
    weights = [array.copy() for array in live]
    for array, best in zip(weights, result.weights, strict=True):
        array[slots] = best
    trainer.restore(weights)
    pdf, fitted = trainer.pdf, trainer.fitted

    def xf(x: np.ndarray) -> np.ndarray:  # (R, 14, nx) in the FK evolution basis
        return np.einsum("ek,rkn->ren", FIT_ROTATION, fitted(x)[slots])

    xf_flat = trainer.xf_flat()
    erf_tr = (trainer.training(xf_flat).numpy() / trainer.training.norm.numpy())[slots]
    erf_vl = (trainer.validation(xf_flat).numpy() / trainer.validation.norm.numpy())[slots]
    predictions = np.array([inputs.predictions(f) for f in fitted(inputs.xgrid)[slots]])
    total, per_dataset = dataset_chi2(inputs, predictions, inverses=inverses)
    arcs = arc_lengths(xf)
    integ = integrability_numbers(xf)
    export = xf(EXPORT_XGRID)
    alpha, beta = pdf.alpha.numpy()[slots], pdf.beta.numpy()[slots]
    trainer.restore(live)
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
    """Fit `replicas` together with a progress bar (on a terminal) or a log line each time
    replicas end (in a log file, from which Snakemake's disfit logger draws its bar), and write
    their folders."""
    fit = config["fit"]
    log.info("fit of %d points, replicas %s", inputs.ndata, list(replicas))
    label = f"replicas {replicas[0]}-{replicas[-1]}"
    if interactive:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (
            TextColumn(label),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} trained"),
        )
        with Progress(*columns, TimeRemainingColumn()) as bar:
            task = bar.add_task("replicas", total=len(replicas))

            def show(done: int, _: int) -> None:
                bar.update(task, completed=done)

            results = fit_replicas(inputs, fit, replicas, outdir, show)
    else:

        def progress(done: int, total: int) -> None:
            log.info("%s: %d/%d trained", label, done, total)

        results = fit_replicas(inputs, fit, replicas, outdir, progress)
    for content in results:
        log.info(describe(content))
    return results
