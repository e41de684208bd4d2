"""The closure report: the law against each closure fit's PDFs at Q0, R_bv and ξ_1σ per dataset
with bootstrap errors, Δχ² and φ, the normalised deviations; one HTML page and its figures."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.basis import FK_BASIS
from disfit.closure.analysis import closure_estimators, write_estimators
from disfit.report.build import html_table, report_page, timings
from disfit.report.figures import plt

log = logging.getLogger("disfit")

PDF_FLAVOURS = ("Sigma", "g", "V", "V3", "T3", "T8")
DATA_REGION = (1e-3, 0.7)


def law_and_fits(x: np.ndarray, fits: np.ndarray, law: np.ndarray, q0: float):
    """x·f at Q0 of the law and each fit's mean ± 1σ, relative to the law, in the data region."""
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), constrained_layout=True)
    keep = (x >= DATA_REGION[0]) & (x <= DATA_REGION[1])
    for ax, name in zip(axes.flat, PDF_FLAVOURS, strict=True):
        i = FK_BASIS.index(name)
        ax.plot(x[keep], law[i, keep], "k", lw=1.6, label="law", zorder=5)
        for j, fit in enumerate(fits):
            mean, sd = fit[:, i, keep].mean(axis=0), fit[:, i, keep].std(axis=0)
            ax.fill_between(x[keep], mean - sd, mean + sd, alpha=0.15, color=f"C{j % 10}")
            ax.plot(x[keep], mean, color=f"C{j % 10}", lw=0.7)
        ax.set_xscale("log")
        ax.set_title(f"x{name}(x, Q0 = {q0:g} GeV)")
        ax.set_xlabel("x")
        ax.axhline(0, color="0.6", lw=0.6)
    axes.flat[0].legend()
    return fig


def ratio_xi(names: list[str], datasets: Mapping[str, Mapping[str, float]], total: Mapping):
    """R_bv and ξ_1σ (measured and expected) per dataset and for all data, bootstrap errors."""
    rows = [*names, "all data"]
    values = [*(datasets[n] for n in names), total]
    y = np.arange(len(rows))
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12, 0.33 * len(rows) + 1.5), sharey=True, constrained_layout=True
    )
    left.errorbar(
        [v["R_bv"] for v in values], y, xerr=[v["R_bv_error"] for v in values], fmt="o", color="C0"
    )
    left.axvline(1, color="k", lw=0.8)
    left.axvspan(0.9, 1.1, color="0.85", zorder=0)
    left.set_xlabel("R_bv = sqrt(bias / variance)")
    left.set_yticks(y, rows, fontsize=8)
    left.invert_yaxis()
    right.errorbar(
        [v["xi_1sigma"] for v in values],
        y - 0.15,
        xerr=[v["xi_1sigma_error"] for v in values],
        fmt="o",
        label="measured",
    )
    right.errorbar(
        [v["xi_expected"] for v in values],
        y + 0.15,
        xerr=[v["xi_expected_error"] for v in values],
        fmt="s",
        label="erf(1/(√2 R_bv))",
    )
    right.axvline(0.68, color="k", lw=0.8)
    right.set_xlabel("ξ_1σ")
    right.legend(fontsize=8)
    return fig


def deviations_histogram(deltas: np.ndarray, ratio: float):
    """δ/σ over fits and eigendirections of the covariance, against N(0, 1) and N(0, R_bv²)."""
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    finite = deltas[np.isfinite(deltas)]
    ax.hist(finite, bins=np.linspace(-5, 5, 51), density=True, alpha=0.6, label="δ/σ")
    t = np.linspace(-5, 5, 201)
    for width, label in ((1.0, "N(0, 1)"), (ratio, f"N(0, R_bv²), R_bv = {ratio:.2f}")):
        ax.plot(t, np.exp(-0.5 * (t / width) ** 2) / (width * np.sqrt(2 * np.pi)), label=label)
    ax.set_xlabel("(mean − law) / replica σ, per eigendirection of the covariance and fit")
    ax.legend()
    return fig


def training(histories: list[np.ndarray]):
    """χ²_tr/N and χ²_vl/N against the epoch, the median over each closure fit's replicas."""
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    for j, (epoch, tr, vl) in enumerate(histories):
        ax.plot(epoch, tr, color=f"C{j % 10}", lw=0.9, label="training" if j == 0 else None)
        ax.plot(epoch, vl, "--", color=f"C{j % 10}", lw=0.9, label="validation" if j == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("χ²/N (median over replicas)")
    ax.legend()
    return fig


def delta_chi2_phi(names: list[str], datasets: Mapping[str, Mapping[str, float]]):
    """Δχ² (mean ± sd over fits) and φ per dataset."""
    y = np.arange(len(names))
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12, 0.33 * len(names) + 1.5), sharey=True, constrained_layout=True
    )
    left.errorbar(
        [datasets[n]["delta_chi2"] for n in names],
        y,
        xerr=[datasets[n]["delta_chi2_error"] for n in names],
        fmt="o",
    )
    left.axvline(0, color="k", lw=0.8)
    left.set_xlabel("Δχ² = (χ²[T⟨f⟩, D1] − χ²[T_law, D1]) / χ²[T_law, D1]")
    left.set_yticks(y, names, fontsize=8)
    left.invert_yaxis()
    right.barh(y, [datasets[n]["phi"] for n in names], color="C2")
    right.set_xlabel("φ")
    return fig


def make_closure_report(
    result: Mapping[str, Any], outdir: Path, benchmarks: Path | None = None
) -> None:
    """outdir/index.html and outdir/figures/*.png."""
    summary, datasets, arrays = result["summary"], result["datasets"], result["arrays"]
    names = list(datasets)
    with report_page(outdir, "disfit closure test") as page:
        page.section(
            "Summary",
            html_table(
                [
                    "level",
                    "fits",
                    "replicas per fit",
                    "data points",
                    "R_bv",
                    "ξ_1σ",
                    "erf(1/(√2 R_bv))",
                    "ξ_1σ PDF at Q0",
                    "Δχ²",
                    "φ",
                ],
                [
                    [
                        summary["level"],
                        summary["fits"],
                        summary["replicas_per_fit"],
                        summary["ndata"],
                        f"{summary['R_bv']:.3f} ± {summary['R_bv_error']:.3f}",
                        f"{summary['xi_1sigma']:.3f} ± {summary['xi_1sigma_error']:.3f}",
                        f"{summary['xi_expected']:.3f} ± {summary['xi_expected_error']:.3f}",
                        f"{summary['xi_1sigma_pdf']:.3f}",
                        f"{summary['delta_chi2']:.4f} ± {summary['delta_chi2_error']:.4f}",
                        f"{summary['phi']:.3f}",
                    ]
                ],
            )
            + f"<p>Law: {summary['fakepdf']}. χ²/N against each fit's data: fits' mean "
            + ", ".join(f"{c:.3f}" for c in summary["chi2_central_per_point"])
            + "; law "
            + ", ".join(f"{c:.3f}" for c in summary["chi2_law_per_point"])
            + ". Errors: standard deviation over bootstrap resamples of fits and replicas.</p>",
        )
        page.section("PDFs")
        page.figure(
            "closure_pdfs",
            law_and_fits(arrays["x"], arrays["fits_pdf"], arrays["law_pdf"], arrays["q0"]),
            "The law (black) and each closure fit's mean ± 1σ at Q0 in the data region",
        )
        if arrays["histories"]:
            page.section("Training")
            page.figure(
                "closure_training",
                training(arrays["histories"]),
                "Training (solid) and validation (dashed) χ²/N of each closure fit against the "
                "epoch: at level 0 both fall towards 0",
            )
        page.section("Bias and variance")
        page.figure(
            "closure_ratio_xi",
            ratio_xi(names, datasets, summary),
            "R_bv (grey: [0.9, 1.1]) and ξ_1σ measured against expected, per dataset",
        )
        page.figure(
            "closure_deviations",
            deviations_histogram(arrays["normalised_deviations"], summary["R_bv"]),
            "Normalised deviations of the fits' means from the law, all data",
        )
        page.section("Δχ² and φ")
        page.figure(
            "closure_delta_chi2_phi",
            delta_chi2_phi(names, datasets),
            "Δχ² (mean ± sd over fits) and φ per dataset",
        )
        rows = [
            [
                n,
                v["ndata"],
                f"{v['R_bv']:.3f} ± {v['R_bv_error']:.3f}",
                f"{v['xi_1sigma']:.3f} ± {v['xi_1sigma_error']:.3f}",
                f"{v['xi_expected']:.3f}",
                f"{v['bias']:.3f}",
                f"{v['variance']:.3f}",
                f"{v['delta_chi2']:.4f}",
                f"{v['phi']:.3f}",
            ]
            for n, v in datasets.items()
        ]
        page.section(
            "Per dataset",
            html_table(
                ["dataset", "N", "R_bv", "ξ_1σ", "expected ξ", "bias/N", "variance/N", "Δχ²", "φ"],
                rows,
            ),
        )
        flavours = summary["xi_1sigma_pdf_flavours"]
        page.section(
            "ξ_1σ in PDF space",
            html_table(list(flavours), [[f"{v:.3f}" for v in flavours.values()]]),
        )
        jobs = timings(benchmarks)
        if jobs:
            total = sum(float(s) for _, s, _ in jobs)
            page.section(
                "Timing",
                html_table(["job", "seconds", "max RSS [MB]"], jobs)
                + f"<p>Sum over jobs: {total:.0f} s.</p>",
            )


def closure_report(
    config: Mapping[str, Any],
    fit_inputs: Sequence[Any],
    data_files: Sequence[Path],
    postfit_dirs: Sequence[Path],
    estimators: Path,
    outdir: Path,
    benchmarks: Path | None = None,
    fit_dirs: Sequence[Path] = (),
) -> dict[str, Any]:
    """`disfit closure report`: the estimators to `estimators` (JSON), the report to `outdir`;
    returns the summary."""
    result = closure_estimators(config, fit_inputs, data_files, postfit_dirs, fit_dirs)
    write_estimators(result, estimators)
    make_closure_report(result, outdir, benchmarks)
    s = result["summary"]
    log.info(
        "closure: R_bv = %.3f ± %.3f, xi_1sigma = %.3f ± %.3f (expected %.3f)",
        s["R_bv"],
        s["R_bv_error"],
        s["xi_1sigma"],
        s["xi_1sigma_error"],
        s["xi_expected"],
    )
    return s
