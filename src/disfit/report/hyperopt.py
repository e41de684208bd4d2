"""`disfit hyperopt report`: the trials table, the best trial's config and a report with
vp-hyperoptplot's figures (loss against each hyperparameter, the losses over the scan, the best
trials), the config's own parameters scored the same way next to them."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from disfit.errors import DisfitError
from disfit.hyperopt.scan import DEFAULT_TRIAL, best_trial, write_best_config
from disfit.io.hyperopt import read_trial, trials_frame, write_trials_table
from disfit.report.build import html_table, report_page
from disfit.report.figures import plt

log = logging.getLogger("disfit")

#: hyperparameters drawn on a log axis, on a linear one, and as categories (vp-hyperoptplot's)
LOG_PARAMETERS = ("learning_rate", "clipnorm", "positivity_initial", "integrability_initial")
LINEAR_PARAMETERS = ("epochs", "stopping_patience")
CATEGORIES = ("optimizer", "initializer", "number_of_layers", "activation")
#: the columns of the best trials' table
SETUP = (
    "number",
    "loss",
    "status",
    "optimizer",
    "learning_rate",
    "clipnorm",
    "epochs",
    "stopping_patience",
    "positivity_initial",
    "integrability_initial",
    "nodes_per_layer",
    "activation",
    "initializer",
)
COLOURS = {"ok": "C0", "fail": "C3", "nan": "C7"}


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "—"
        return f"{value:.4g}"
    return str(value)


def _log_axis(axis, set_scale, loss: bool = False) -> None:
    """A log axis without minor labels (they overlap); the loss axis, narrower than a decade,
    labelled in plain numbers at 1, 2, 3, 5 and 7 times the decades."""
    set_scale("log")
    if loss:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
        axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


def _default_line(ax, default: pd.Series | None, horizontal: bool = True) -> None:
    if default is not None and np.isfinite(default["loss"]):
        draw = ax.axhline if horizontal else ax.axvline
        draw(default["loss"], color="k", ls="--", lw=1, label="fit's parameters")


def loss_against(frame: pd.DataFrame, default: pd.Series | None, ylim: tuple[float, float]):
    """Loss against each hyperparameter: scatter for numbers (log axes for rates and λ's), strips
    for categories; failed trials red, the best an orange square."""
    names = [*LINEAR_PARAMETERS, *LOG_PARAMETERS, *CATEGORIES]
    names = [n for n in names if frame[n].notna().any()]
    ncols = 4
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(14, 3.2 * nrows), squeeze=False)
    best = frame.loc[frame["loss"].idxmin()] if frame["loss"].notna().any() else None
    rng = np.random.default_rng(0)  # jitter of the category strips only
    for ax, name in zip(axes.flat, names, strict=False):
        if name in CATEGORIES:
            levels = sorted(frame[name].dropna().unique(), key=str)
            where = {v: i for i, v in enumerate(levels)}
            x = frame[name].map(where).to_numpy(float) + rng.uniform(-0.15, 0.15, len(frame))
            data = [frame.loc[frame[name] == v, "loss"].dropna().to_numpy() for v in levels]
            data = [d if len(d) else np.array([np.nan]) for d in data]
            ax.violinplot([np.clip(d, *ylim) for d in data], positions=range(len(levels)))
            ax.set_xticks(range(len(levels)), [str(v) for v in levels])
            xbest = None if best is None else where.get(best[name])
        else:
            x = frame[name].to_numpy(float)
            if name in LOG_PARAMETERS:
                _log_axis(ax.xaxis, ax.set_xscale)
            xbest = None if best is None else best[name]
        colours = [COLOURS.get(s, "C7") for s in frame["status"]]
        ax.scatter(x, np.clip(frame["loss"], *ylim), c=colours, s=12, alpha=0.7)
        if xbest is not None:
            ax.plot([xbest], [best["loss"]], "s", color="orange", ms=9, mec="k")
        _default_line(ax, default)
        _log_axis(ax.yaxis, ax.set_yscale, loss=True)
        ax.set_ylim(*ylim)
        ax.set_xlabel(name)
        ax.set_ylabel("loss")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def losses_over_scan(frame: pd.DataFrame, default: pd.Series | None, ylim: tuple[float, float]):
    """Loss against trial number with the running best (vp-hyperoptplot's plot_iterations), and
    the distribution of the losses."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4), width_ratios=(2, 1))
    order = frame.sort_values("number")
    colours = [COLOURS.get(s, "C7") for s in order["status"]]
    left.scatter(order["number"], np.clip(order["loss"], *ylim), c=colours, s=14)
    running = order["loss"].where(order["status"] == "ok").cummin().ffill()
    left.step(order["number"], running, where="post", color="orange", label="best so far")
    _default_line(left, default)
    _log_axis(left.yaxis, left.set_yscale, loss=True)
    left.set_ylim(*ylim)
    left.set_xlabel("trial")
    left.set_ylabel("loss")
    left.legend(loc="upper right")
    for status, part in frame.groupby("status"):
        values = np.clip(part["loss"].dropna(), *ylim)
        bins = np.geomspace(*ylim, 30)
        right.hist(values, bins=bins, alpha=0.6, color=COLOURS.get(status), label=status)
    _log_axis(right.xaxis, right.set_xscale, loss=True)
    _default_line(right, default, horizontal=False)
    right.set_xlabel("loss")
    right.set_ylabel("trials")
    right.legend()
    fig.tight_layout()
    return fig


def best_folds(frame: pd.DataFrame, default: pd.Series | None, count: int = 10):
    """Each fold's loss and held-out χ²/N of the best trials and of the fit's parameters."""
    best = frame[frame["status"] == "ok"].nsmallest(count, "loss")
    folds = sorted(int(c.split("_")[1]) for c in frame.columns if c.endswith("_held_out_chi2"))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    rows = [(f"trial {int(r['number'])}", r) for _, r in best.iterrows()]
    if default is not None:
        rows.append(("fit's parameters", default))
    for ax, what, label in (
        (axes[0], "loss", "fold loss"),
        (axes[1], "held_out_chi2", "held-out χ²/N (t0 covariance)"),
    ):
        for i, (name, row) in enumerate(rows):
            values = [row.get(f"fold_{k}_{what}", np.nan) for k in folds]
            style = {"color": "k", "ls": "--", "marker": "s"} if i == len(best) else {"marker": "o"}
            ax.plot(folds, values, label=name, alpha=0.8, **style)
        ax.set_xticks(folds, [f"fold {k}" for k in folds])
        ax.set_ylabel(label)
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def hyperopt_report(
    config: Mapping[str, Any],
    trial_paths: Sequence[Path],
    default_path: Path | None,
    table: Path,
    best: Path,
    outdir: Path,
) -> dict[str, Any]:
    """Write the trials table, the best trial's config and the report; return the summary."""
    records = [read_trial(p) for p in trial_paths]
    default_record = read_trial(default_path) if default_path else None
    frame = trials_frame(records + ([default_record] if default_record else []))
    write_trials_table(table, frame, {"run_name": config["run_name"]})
    scan = frame[frame["number"] != DEFAULT_TRIAL].reset_index(drop=True)
    default = None
    if default_record:
        default = frame[frame["number"] == DEFAULT_TRIAL].iloc[0]
    number = best_trial(frame)
    if number is None:
        raise DisfitError(
            "no trial passed the threshold (all failed): raise hyperopt.kfold.threshold or "
            "widen the search space, then rerun `snakemake hyperopt`"
        )
    best_record = next(r for r in records if r["number"] == number)
    write_best_config(best, config, best_record)
    # log axes from just below the lowest loss to 4 times it; larger losses drawn at the top
    losses = scan["loss"].dropna()
    low = float(min(losses.min(), np.inf if default is None else default["loss"]))
    ylim = (0.95 * low, min(float(losses.max()) * 1.1, 4 * low))
    summary = {
        "trials": len(scan),
        "ok": int((scan["status"] == "ok").sum()),
        "failed": int((scan["status"] != "ok").sum()),
        "best_trial": number,
        "best_loss": float(best_record["loss"]),
        "default_loss": None if default is None else float(default["loss"]),
        "trial_seconds": float(scan["seconds"].mean()),
        "seconds_per_replica_epoch": float(scan["seconds"].sum() / scan["replica_epochs"].sum()),
    }
    best_rows = scan[scan["status"] == "ok"].nsmallest(10, "loss")
    if default is not None:
        best_rows = pd.concat([best_rows, default.to_frame().T])
    with report_page(outdir, f"disfit hyperopt: {config['run_name']}") as page:
        folds = config["hyperopt"]["kfold"]["partitions"]
        kfold = config["hyperopt"]["kfold"]
        page.section(
            "Summary",
            html_table(
                ["trials", "passed", "failed", "best trial", "best loss", "fit's parameters' loss"],
                [
                    [
                        summary["trials"],
                        summary["ok"],
                        summary["failed"],
                        number,
                        f"{summary['best_loss']:.4f}",
                        _fmt(summary["default_loss"]),
                    ]
                ],
            )
            + f"<p>Loss: {kfold['loss_type']}, replica statistic {kfold['replica_statistic']}, "
            f"fold statistic {kfold['fold_statistic']}, penalties {kfold['penalties']} "
            f"({'in' if kfold['penalties_in_loss'] else 'not in'} the loss), threshold "
            f"{kfold['threshold']}; {config['hyperopt']['replicas']} replica(s) per fold. "
            f"A trial took {summary['trial_seconds']:.1f} s on average, "
            f"{1e3 * summary['seconds_per_replica_epoch']:.3f} ms per fold-replica-epoch.</p>",
        )
        page.section(
            "Best trials",
            html_table(
                SETUP,
                [[_fmt(row[c]) for c in SETUP] for _, row in best_rows.iterrows()],
            )
            + "<p>The last row (trial 0) is the config's own fit parameters scored as a trial.</p>",
        )
        page.figure(
            "hyperopt_folds",
            best_folds(scan, default),
            "Fold losses and held-out χ²/N of the ten best trials and of the fit's parameters",
        )
        page.section("Losses")
        page.figure(
            "hyperopt_iterations",
            losses_over_scan(scan, default, ylim),
            "Loss of each trial (red: failed the threshold) with the best so far, and their "
            "distribution; dashed: the fit's own parameters",
        )
        page.figure(
            "hyperopt_parameters",
            loss_against(scan, default, ylim),
            "Loss against each hyperparameter (orange square: the best trial; dashed: the fit's "
            "parameters; losses above 4 times the lowest drawn at the top edge)",
        )
        page.section(
            "Folds",
            html_table(
                ["fold", "held out"],
                [[k + 1, ", ".join(f["datasets"])] for k, f in enumerate(folds)],
            ),
        )
    log.info(
        "best trial %d: loss %.4f (fit's parameters %s)",
        number,
        summary["best_loss"],
        _fmt(summary["default_loss"]),
    )
    return summary
