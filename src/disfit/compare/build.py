"""`disfit compare`: vp-comparefits for a disfit fit against a reference (another run's results
folder or an LHAPDF set): one HTML page in the report's style, its figures as PNG files for
`snakemake --report`, and the numbers in summary.json and distances.npz."""

from __future__ import annotations

import dataclasses
import html
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from disfit.compare import figures, stats
from disfit.compare.exponents import ALPHA_X, BETA_X, effective_exponents, fit_flavours
from disfit.compare.fits import Fit, labels, load_fit, replica_values
from disfit.errors import DisfitError
from disfit.fit.inputs import FitInputs, fit_inputs_from_config
from disfit.fit.metrics import arc_length_integral, dataset_chi2
from disfit.io.replica import EVOLUTION_FILE, EXPORT_XGRID, read_replica_grid, replica_folders
from disfit.lhapdf.operator import fitted_on
from disfit.report.build import REPORT_Q, html_table, report_page

log = logging.getLogger("disfit")


def _q0_grids(fit: Fit, postfit_dir: Path | None, q0: float) -> np.ndarray:
    """x·f (members, 14, 196) at Q0 in the FK evolution basis: a disfit run's postfit grids
    (what its report uses), else the set at Q0 by LHAPDF's interpolation."""
    if postfit_dir is not None:
        return np.stack(
            [read_replica_grid(f / EVOLUTION_FILE)[1] for _, f in replica_folders(postfit_dir)]
        )
    return fit.evolution_at_q0(q0)


def _chi2(inputs: FitInputs, evolution: np.ndarray) -> dict[str, np.ndarray]:
    xf_fit = fitted_on(inputs.xgrid, EXPORT_XGRID, evolution)
    predictions = inputs.predictions(xf_fit)
    _, exp = dataset_chi2(inputs, predictions, inputs.covmat)
    _, t0 = dataset_chi2(inputs, predictions)
    return {"exp": exp, "t0": t0, "xf_fit": xf_fit}


def _postfit_of(path: Path) -> Path | None:
    return path / "postfit" if (path / "postfit" / "replica_0").is_dir() else None


def make_comparison(
    config: Mapping[str, Any],
    current: str | Path,
    reference: str | Path,
    outdir: str | Path,
    data_dir: str | Path,
    covmat: str | Path,
    fktable_dirs: Sequence[str | Path],
    positivity_dir: str | Path | None,
    integrability_dir: str | Path | None,
) -> dict[str, Any]:
    """Write outdir/index.html, outdir/figures/*.png, summary.json and distances.npz comparing
    the run folder `current` with `reference`; return the summary."""
    current, reference, outdir = Path(current), Path(reference), Path(outdir)
    fits = [
        load_fit(current, str(config.get("run_name", "current")), "--current"),
        load_fit(reference),
    ]
    if fits[1].label == fits[0].label:
        fits[1] = dataclasses.replace(fits[1], label=f"{fits[1].label} (reference)")
    names = [f.label for f in fits]
    inputs = fit_inputs_from_config(
        config, data_dir, covmat, fktable_dirs, positivity_dir, integrability_dir
    )
    q0 = inputs.q0
    for fit in fits:
        if fit.members < 3:
            raise DisfitError(f"{fit.label}: {fit.members - 1} replicas; compare needs at least 2")
    summary: dict[str, Any] = {"fits": names, "q0": q0, "q": REPORT_Q, "distances": {}}
    arrays: dict[str, np.ndarray] = {"x": stats.XGRID}

    with report_page(outdir, f"disfit comparison: {names[0]} vs {names[1]}") as page:
        page.section(
            "Summary",
            html_table(
                ["", "current", "reference"],
                [
                    ["fit", *names],
                    ["LHAPDF set", *(f.pdfset.name for f in fits)],
                    ["members (with member 0)", *(f.members for f in fits)],
                ],
            )
            + "<p>As vp-comparefits: the PDFs of both fits at Q0 and "
            f"{REPORT_Q:g} GeV from their LHAPDF sets (LHAPDF's interpolation, as validphys), "
            "validphys' distances, χ² per dataset with this run's data and FK tables, replica "
            "statistics, arc lengths, effective exponents and positivity.</p>",
        )

        # PDFs and distances at Q0 and REPORT_Q, in both of vp-comparefits' bases
        page.section("PDFs")
        grids: dict[tuple[float, str], list[np.ndarray]] = {}
        for q in (q0, REPORT_Q):
            for basis in ("evolution", "flavour"):
                grids[q, basis] = [f.grid(stats.XGRID, q, basis) for f in fits]
                title = f"{basis} basis, Q = {q:g} GeV"
                tag = f"{basis}_q{q:g}".replace(".", "p")
                page.figure(
                    f"pdfs_{tag}",
                    figures.pdf_bands(stats.XGRID, grids[q, basis], names, labels(basis), title),
                    f"PDFs, {title}: central value (member 0) and 68% band of each fit.",
                )
                page.figure(
                    f"pdfs_ratio_{tag}",
                    figures.pdf_bands(
                        stats.XGRID, grids[q, basis], names, labels(basis), title, ratio=True
                    ),
                    f"PDFs, {title}, divided by the reference's central value.",
                )

        page.section(
            "Distances",
            "<p>validphys' distances: d = |cv₁ − cv₂| / sqrt(σ₁²/N₁ + σ₂²/N₂) of the central "
            "values (member 0) and the same for the variances, in units of the standard error "
            "of the mean (N counts the members, member 0 included, as validphys does). d ≈ 1: "
            "statistically equivalent fits (two samples of one distribution); d ≈ 10: a "
            "one-σ difference for 100 replicas.</p>",
        )
        rows = []
        for (q, basis), (grid, ref) in grids.items():
            central, variance = stats.distance(grid, ref), stats.variance_distance(grid, ref)
            key = f"Q={q:g}/{basis}"
            arrays[f"{key}/central"], arrays[f"{key}/variance"] = central, variance
            summary["distances"][key] = {}
            for j, label in enumerate(labels(basis)):
                entry = {
                    "central_mean": float(np.nanmean(central[j])),
                    "central_max": float(np.nanmax(central[j])),
                    "variance_mean": float(np.nanmean(variance[j])),
                    "variance_max": float(np.nanmax(variance[j])),
                }
                summary["distances"][key][label] = entry
                rows.append(
                    [f"{q:g}", basis, label]
                    + [f"{entry[k]:.2f}" for k in ("central_mean", "central_max")]
                    + [f"{entry[k]:.2f}" for k in ("variance_mean", "variance_max")]
                )
            page.figure(
                f"distances_{basis}_q{q:g}".replace(".", "p"),
                figures.distances(
                    stats.XGRID, central, variance, labels(basis), f"{basis}, Q = {q:g} GeV"
                ),
                f"Distances between the fits, {basis} basis, Q = {q:g} GeV, x in [1e-5, 1).",
            )
        page.parts.append(
            html_table(
                ["Q [GeV]", "basis", "flavour", "d(cv) mean", "d(cv) max", "d(σ) mean", "d(σ) max"],
                rows,
            )
        )

        # χ² per dataset, experimental and t0 covariance
        page.section("χ² per dataset")
        chi2 = [
            _chi2(inputs, _q0_grids(f, _postfit_of(p), q0))
            for f, p in zip(fits, (current, reference), strict=True)
        ]
        ndata = np.array([d.ndata for d in inputs.datasets])
        t0 = config["fit"].get("t0pdfset")
        rows, summary["chi2"] = [], {}
        for j, d in enumerate(inputs.datasets):
            values = {
                kind: [float(c[kind][0, j] / ndata[j]) for c in chi2] for kind in ("exp", "t0")
            }
            summary["chi2"][d.name] = {"ndata": int(ndata[j]), **values}
            rows.append(
                [d.name, ndata[j]]
                + [
                    f"{v:.3f}"
                    for kind in ("exp", "t0")
                    for v in (*values[kind], values[kind][0] - values[kind][1])
                ]
            )
        totals = {
            kind: [float(c[kind][0].sum() / ndata.sum()) for c in chi2] for kind in ("exp", "t0")
        }
        summary["chi2"]["total (diagonal blocks)"] = {"ndata": int(ndata.sum()), **totals}
        rows.append(
            ["total (sum of the datasets)", ndata.sum()]
            + [
                f"{v:.3f}"
                for kind in ("exp", "t0")
                for v in (*totals[kind], totals[kind][0] - totals[kind][1])
            ]
        )
        page.parts.append(
            html_table(
                ["dataset", "N", "exp: current", "reference", "Δ", "t0: current", "reference", "Δ"],
                rows,
            )
            + "<p>χ²/N of member 0 (the central PDF) with this run's data, cuts and FK tables; "
            "exp: the experimental covariance, t0: the t0 covariance "
            f"({html.escape(str(t0)) if t0 else 'no t0 PDF in the config: experimental'}). "
            "Δ = current − reference.</p>"
        )
        page.figure(
            "chi2_datasets",
            figures.chi2_bars(
                [d.name for d in inputs.datasets],
                [c["exp"][0] / ndata for c in chi2],
                names,
                "χ²/N per dataset (experimental covariance)",
            ),
            "χ²/N of the central PDF per dataset, experimental covariance.",
        )

        # replica statistics: E_tr, E_vl, training lengths
        page.section("Training")
        have = [f for f in fits if f.replicas]
        if have:
            page.figure(
                "training",
                figures.histograms(
                    [
                        (key, [replica_values(f, key) for f in have], label)
                        for key, label in (
                            ("erf_tr", "E_tr (χ²/N)"),
                            ("erf_vl", "E_vl (χ²/N)"),
                            ("best_epoch", "epoch"),
                            ("stop_epoch", "epoch"),
                        )
                    ],
                    [f.label for f in have],
                    "Training and validation χ² and training lengths",
                ),
                "E_tr and E_vl at the best epoch, the best epoch and the epoch training stopped, "
                "of each fit's selected replicas (validphys' plot_training_validation and "
                "plot_training_length).",
            )
            summary["training"] = {
                f.label: {
                    key: [float(replica_values(f, key).mean()), float(replica_values(f, key).std())]
                    for key in ("erf_tr", "erf_vl", "best_epoch", "stop_epoch")
                }
                for f in have
            }
        if len(have) < 2:
            page.parts.append(
                "<p>The reference is an LHAPDF set alone: it has no replica statistics.</p>"
            )

        # arc lengths at Q0 in both bases
        page.section("Arc lengths")
        summary["arc_lengths"] = {}
        for basis in ("evolution", "flavour"):
            values = [
                arc_length_integral(lambda x, f=f: f.grid(x, q0, basis))  # noqa: B023
                for f in fits
            ]
            page.figure(
                f"arc_lengths_{basis}",
                figures.arc_lengths(
                    values, names, labels(basis), f"Arc lengths at Q0 = {q0:g} GeV, {basis} basis"
                ),
                f"Arc lengths at Q0 of every member, {basis} basis: 68% interval of the replicas.",
            )
            summary["arc_lengths"][basis] = {
                f.label: {
                    lab: [float(v[1:, j].mean()), float(v[1:, j].std())]
                    for j, lab in enumerate(labels(basis))
                }
                for f, v in zip(fits, values, strict=True)
            }

        # effective exponents and the next ranges
        page.section("Effective exponents")
        effective = [effective_exponents(f, config, q0) for f in fits]
        flavours = fit_flavours(config)
        previous = {b["fl"]: b for b in config["fit"]["basis"]}
        for kind, x, scale in (("alpha", ALPHA_X, "log"), ("beta", BETA_X, "linear")):
            key = "smallx" if kind == "alpha" else "largex"
            lines = [
                [
                    (f"previous ({names[0]})", previous[fl][key]),
                    (f"next ({names[0]})", effective[0]["next"][fl][key]),
                ]
                for fl, _, _ in flavours
            ]
            page.figure(
                f"{kind}_eff",
                figures.exponent_bands(
                    x,
                    [e[kind] for e in effective],
                    names,
                    [label for _, label, _ in flavours],
                    lines,
                    f"{kind} effective exponent at Q0 = {q0:g} GeV",
                    scale,
                ),
                f"Effective {kind} exponents of both fits with the current fit's preprocessing "
                "ranges (previous) and the next fit's (next_effective_exponents_table).",
            )
        rows = []
        for fl, label, _ in flavours:
            for key, greek in (("smallx", "α"), ("largex", "β")):
                rows.append(
                    [label, greek, *(f"{v:.4g}" for v in previous[fl][key])]
                    + [f"{v:.4g}" for e in effective for v in e["next"][fl][key]]
                )
        page.parts.append(
            html_table(
                ["flavour", "", "previous min", "max"]
                + [f"next ({n}) {m}" for n in names for m in ("min", "max")],
                rows,
            )
            + "<p>next: validphys' next_effective_exponents_table (α at x = 1e-6, 1e-3; β at "
            "x = 0.65, 0.95; mean and 68% band of the replicas, twice the band). "
            "`disfit next-config` writes them, clipped and rounded as vp-nextfitruncard does.</p>"
        )
        summary["next_ranges"] = {
            n: {"raw": e["next"], "iterated": e["next_iterated"]}
            for n, e in zip(names, effective, strict=True)
        }

        # positivity
        if inputs.positivity:
            page.section("Positivity")
            sets = []
            for p in inputs.positivity:
                values = [np.einsum("dka,rka->rd", p.table, c["xf_fit"]) for c in chi2]
                x = p.x if p.x is not None else np.arange(1, len(p.table) + 1, dtype=float)
                sets.append((p.name, x, values))
            page.figure(
                "positivity",
                figures.positivity(sets, names),
                "Positivity observables of both fits: central value and 68% band.",
            )
            summary["positivity_min"] = {
                name: {s[0]: float(s[2][i][1:].min()) for s in sets} for i, name in enumerate(names)
            }
        (page.folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        np.savez_compressed(page.folder / "distances.npz", **arrays)
    log.info("comparison %s vs %s → %s", names[0], names[1], outdir / "index.html")
    return summary
