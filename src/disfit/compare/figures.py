"""The comparison's figures (matplotlib): two PDF sets' bands and ratio, validphys' distances,
effective exponents, χ² per dataset, replica statistics and positivity observables."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from disfit.compare.stats import errorbar68  # noqa: E402

COLOURS = ("C0", "C3")


def _panels(n: int, width: float = 4.0, height: float = 3.2):
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, height * rows), squeeze=False, constrained_layout=True
    )
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)[:n]


def pdf_bands(
    x: np.ndarray,
    grids: Sequence[np.ndarray],
    names: Sequence[str],
    labels: Sequence[str],
    title: str,
    ratio: bool = False,
    xscale: str = "log",
) -> Figure:
    """validphys' plot_pdfs: per flavour the central value (member 0) and 68% band of each set;
    `ratio` divides everything by the last set's central value (normalize_to: reference)."""
    fig, axes = _panels(len(labels))
    norm = grids[-1][0] if ratio else np.ones_like(grids[-1][0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for grid, name, colour in zip(grids, names, COLOURS, strict=False):
            low, high = errorbar68(grid)
            for j, ax in enumerate(axes):
                ax.fill_between(x, low[j] / norm[j], high[j] / norm[j], color=colour, alpha=0.3)
                ax.plot(x, grid[0, j] / norm[j], color=colour, lw=1.2, label=name)
    for j, ax in enumerate(axes):
        ax.set_xscale(xscale)
        ax.set_title(f"x{labels[j]}" + (" / reference" if ratio else ""))
        ax.set_xlabel("x")
        if ratio:
            ax.set_ylim(0.5, 1.5)
            ax.axhline(1, color="0.5", lw=0.6)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def distances(
    x: np.ndarray,
    central: np.ndarray,
    variance: np.ndarray,
    labels: Sequence[str],
    title: str,
    ymax: float = 20.0,
) -> Figure:
    """validphys' plot_pdfdistances / plot_pdfvardistances in one figure per basis: the
    distance of the central values (solid) and of the uncertainties (dashed)."""
    fig, ax = plt.subplots(1, 2, figsize=(13, 4.2), constrained_layout=True)
    for j, label in enumerate(labels):
        colour = f"C{j % 10}"
        ax[0].plot(x, central[j], color=colour, lw=1.1, label=label)
        ax[1].plot(x, variance[j], color=colour, lw=1.1, ls="--", label=label)
    for a, what in zip(ax, ("central values", "uncertainties"), strict=True):
        a.set_xscale("log")
        a.set_ylim(0, ymax)
        a.set_xlabel("x")
        a.set_ylabel("d [standard errors]")
        a.set_title(f"distance of the {what}")
    ax[0].legend(fontsize=8, ncol=3)
    fig.suptitle(title)
    return fig


def exponent_bands(
    x: np.ndarray,
    grids: Sequence[np.ndarray],
    names: Sequence[str],
    labels: Sequence[str],
    lines: Sequence[Sequence[tuple[str, Sequence[float]]]],
    title: str,
    xscale: str,
) -> Figure:
    """validphys' plot_alpha_eff / plot_beta_eff: the effective exponent's central value (mean
    of the replicas) and 68% band per set, with horizontal lines at the ranges of `lines`
    (per flavour: (name, [min, max]))."""
    fig, axes = _panels(len(labels))
    for grid, name, colour in zip(grids, names, COLOURS, strict=False):
        low, high = errorbar68(grid)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(grid[1:], axis=0)
        for j, ax in enumerate(axes):
            ax.fill_between(x, low[j], high[j], color=colour, alpha=0.3)
            ax.plot(x, mean[j], color=colour, lw=1.2, label=name)
    for j, ax in enumerate(axes):
        for k, (name, bounds) in enumerate(lines[j]):
            ax.hlines(bounds, x[0], x[-1], colors="k", linestyles=("-.", ":")[k % 2], label=name)
        ax.set_xscale(xscale)
        ax.set_title(labels[j])
        ax.set_xlabel("x")
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    return fig


def chi2_bars(
    names: Sequence[str], values: Sequence[np.ndarray], labels: Sequence[str], title: str
) -> Figure:
    """χ²/N per dataset of each fit, side by side (validphys' plot_fits_datasets_chi2)."""
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(names) + 1.4), constrained_layout=True)
    y = np.arange(len(names))
    height = 0.8 / len(values)
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        ax.barh(y + (i - (len(values) - 1) / 2) * height, v, height=height, label=label)
    ax.axvline(1, color="k", lw=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("χ²/N")
    ax.legend()
    ax.set_title(title)
    return fig


def histograms(
    panels: Sequence[tuple[str, Sequence[np.ndarray], str]], names: Sequence[str], title: str
) -> Figure:
    """Per (title, one array per fit, x label) the two fits' histograms overlaid
    (validphys' plot_training_validation, plot_training_length)."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.4 * len(panels), 3.4), squeeze=False, constrained_layout=True
    )
    for ax, (label, arrays, xlabel) in zip(axes.flat, panels, strict=True):
        finite = [np.asarray(a, dtype=float) for a in arrays]
        both = np.concatenate([a[np.isfinite(a)] for a in finite if a.size])
        bins = np.histogram_bin_edges(both, bins=min(30, max(5, len(both) // 4)))
        for a, name, colour in zip(finite, names, COLOURS, strict=False):
            if a.size:
                ax.hist(a, bins=bins, color=colour, alpha=0.5, label=f"{name} ({np.mean(a):.3g})")
        ax.set_title(label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("replicas")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return fig


def arc_lengths(
    values: Sequence[np.ndarray], names: Sequence[str], labels: Sequence[str], title: str
) -> Figure:
    """validphys' plot_arc_lengths: per flavour the midpoint and half-width of each set's 68%
    interval over the replicas."""
    fig, ax = plt.subplots(figsize=(8, 3.8), constrained_layout=True)
    xs = np.arange(len(labels))
    for i, (v, name) in enumerate(zip(values, names, strict=True)):
        low, high = errorbar68(v)
        shift = (i - (len(values) - 1) / 2) / 5
        ax.errorbar(xs + shift, (low + high) / 2, yerr=np.abs(high - low) / 2, fmt="o", label=name)
    ax.set_xticks(xs, labels)
    ax.set_ylabel("arc length")
    ax.legend()
    ax.set_title(title)
    return fig


def positivity(
    sets: Sequence[tuple[str, np.ndarray, Sequence[np.ndarray]]], names: Sequence[str]
) -> Figure:
    """validphys' plot_dataspecs_positivity: each positivity observable of each fit, central
    (member 0) and 68% band, with the zero line they must stay above."""
    fig, axes = _panels(len(sets), width=4.2, height=3.0)
    for ax, (name, x, values) in zip(axes, sets, strict=True):
        order = np.argsort(x)
        for v, fitname, colour in zip(values, names, COLOURS, strict=False):
            low, high = errorbar68(v)
            ax.fill_between(x[order], low[order], high[order], color=colour, alpha=0.3)
            ax.plot(x[order], v[0][order], color=colour, lw=1.1, label=fitname)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_title(name.replace("NNPDF_POS_", "").replace("_40", ""), fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle("Positivity observables")
    return fig
