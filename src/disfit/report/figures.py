"""The report's figures (matplotlib): PDFs with replica bands, data vs theory, fit statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

#: what the PDF figures show, (label, how to get it from x·f in the flavour basis by PDG id)
PDF_PANELS = (
    ("g", {21: 1.0}),
    ("Σ", {q: 1.0 for q in (-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6)}),
    ("V", {1: 1.0, -1: -1.0, 2: 1.0, -2: -1.0, 3: 1.0, -3: -1.0, 4: 1.0, -4: -1.0}),
    ("T3", {2: 1.0, -2: 1.0, 1: -1.0, -1: -1.0}),
    ("u", {2: 1.0}),
    ("d", {1: 1.0}),
    ("s", {3: 1.0}),
    ("ū", {-2: 1.0}),
    ("d̄", {-1: 1.0}),
)


def pdf_bands(
    xgrid: np.ndarray,
    central: Mapping[int, np.ndarray],
    replicas: Mapping[int, np.ndarray],
    title: str,
    xmin: float = 1e-5,
) -> Figure:
    """3×3 panels of x·f: replica 0 (central), the 68% CL band of the replicas (16th–84th
    percentile) and mean ± 1σ (dashed). `central[pid]` is (nx,), `replicas[pid]` (R, nx)."""
    fig, axes = plt.subplots(3, 3, figsize=(12, 10), constrained_layout=True)
    keep = xgrid >= xmin
    x = xgrid[keep]
    for ax, (label, combination) in zip(axes.flat, PDF_PANELS, strict=True):
        c = sum(w * central[pid] for pid, w in combination.items())[keep]
        r = sum(w * replicas[pid] for pid, w in combination.items())[:, keep]
        low, high = np.percentile(r, [16, 84], axis=0)
        mean, sd = r.mean(axis=0), r.std(axis=0)
        ax.fill_between(x, low, high, alpha=0.35, color="C0", label="68% CL")
        ax.plot(x, mean + sd, "C0--", lw=0.9, label="±1σ")
        ax.plot(x, mean - sd, "C0--", lw=0.9)
        ax.plot(x, c, "C3", lw=1.4, label="replica 0")
        ax.set_xscale("log")
        ax.set_xlim(x[0], 1)
        ax.set_title(f"x{label}(x)")
        ax.set_xlabel("x")
        ax.axhline(0, color="0.6", lw=0.6)
        top = np.percentile(high, 99.5) if np.all(np.isfinite(high)) else None
        if top is not None and top > 0:
            ax.set_ylim(min(0.0, np.min(low) * 1.1), top * 1.15)
    axes.flat[0].legend(loc="upper right", fontsize=8)
    fig.suptitle(title)
    return fig


def data_theory(
    name: str,
    x: np.ndarray,
    q2: np.ndarray,
    data: np.ndarray,
    error: np.ndarray,
    theory: np.ndarray,
    nbins: int = 9,
) -> Figure:
    """Theory/data vs x in Q² bins: data error bars around 1 and the replicas' mean ± 1σ band.
    `theory` is (replicas, ndata)."""
    edges = np.unique(np.quantile(q2, np.linspace(0, 1, min(nbins, len(np.unique(q2))) + 1)))
    bins = np.clip(np.searchsorted(edges, q2, side="right") - 1, 0, len(edges) - 2)
    used = sorted(set(bins))
    cols = min(3, len(used))
    rows = int(np.ceil(len(used) / cols))
    width, height = 4.2 * cols, 3.2 * rows
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    # fixed margins in inches, not a layout engine: equal panels need no solver, and the
    # constrained layout took half of the report's time (one of these figures per dataset)
    fig.subplots_adjust(
        left=0.7 / width,
        right=1 - 0.15 / width,
        bottom=0.5 / height,
        top=1 - 0.55 / height,
        hspace=0.45,
        wspace=0.3,
    )
    mean, sd = theory.mean(axis=0), theory.std(axis=0)
    for ax, b in zip(axes.flat, used, strict=False):
        sel = np.flatnonzero(bins == b)
        order = sel[np.argsort(x[sel])]
        ax.errorbar(
            x[order],
            np.ones(len(order)),
            yerr=error[order] / np.abs(data[order]),
            fmt="o",
            ms=3,
            color="k",
            lw=0.8,
            label="data",
        )
        # points at one x may have several Q² in a bin: theory as points, not a line
        ratio, spread = mean[order] / data[order], sd[order] / np.abs(data[order])
        ax.errorbar(
            x[order] * 1.03,
            ratio,
            yerr=spread,
            fmt="s",
            ms=3,
            color="C3",
            lw=1.2,
            label="theory (replicas)",
        )
        if x[order].max() > 10 * x[order].min():
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"Q² ∈ [{edges[b]:.3g}, {edges[b + 1]:.3g}] GeV²", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylabel("ratio to data")
    for ax in list(axes.flat)[len(used) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(name)
    return fig


def histograms(panels: Sequence[tuple[str, np.ndarray, str]], title: str) -> Figure:
    """One histogram per (title, values, x label), side by side."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False, constrained_layout=True
    )
    for ax, (label, values, xlabel) in zip(axes.flat, panels, strict=True):
        values = np.asarray(values, dtype=float)
        ax.hist(
            values[np.isfinite(values)],
            bins=min(30, max(5, len(values) // 3)),
            color="C0",
            alpha=0.8,
        )
        ax.axvline(np.mean(values), color="C3", lw=1.2, label=f"mean {np.mean(values):.3g}")
        ax.set_title(label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("replicas")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def positivity(sets: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> Figure:
    """Each positivity observable vs x: every replica (thin) and the smallest value, with the
    zero line the constraint keeps them above."""
    cols = 4
    rows = int(np.ceil(len(sets) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(16, 3.2 * rows), squeeze=False, constrained_layout=True
    )
    for ax, (name, x, values) in zip(axes.flat, sets, strict=False):
        order = np.argsort(x)
        for r in values:
            ax.plot(x[order], r[order], color="C0", lw=0.4, alpha=0.4)
        ax.plot(x[order], values.min(axis=0)[order], "C3", lw=1.2, label="minimum")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_title(name.replace("NNPDF_POS_", "").replace("_40", ""), fontsize=9)
        ax.set_xlabel("x")
    for ax in list(axes.flat)[len(sets) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Positivity observables of the selected replicas")
    return fig


def chi2_bars(
    names: Sequence[str], central: np.ndarray, mean: np.ndarray, sd: np.ndarray
) -> Figure:
    """χ²/N per dataset: replica 0 and the replicas' mean ± sd."""
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(names) + 1.2), constrained_layout=True)
    y = np.arange(len(names))
    ax.barh(y + 0.2, central, height=0.4, color="C3", label="replica 0")
    ax.barh(y - 0.2, mean, height=0.4, xerr=sd, color="C0", alpha=0.7, label="replicas mean ± sd")
    ax.axvline(1, color="k", lw=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("χ²/N")
    ax.legend()
    return fig
