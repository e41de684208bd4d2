"""`disfit report`: one self-contained HTML page (figures embedded) and the same figures as PNG
files for `snakemake --report`."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import logging
import multiprocessing
import pickle
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from disfit.basis import FLAVOUR_PIDS
from disfit.errors import DisfitError
from disfit.fit.inputs import fit_inputs_from_config
from disfit.fit.metrics import dataset_chi2, momentum_integral
from disfit.io.atomic import atomic_dir
from disfit.io.datatable import read_dataset
from disfit.io.lhapdf import read_set
from disfit.io.replica import (
    EVOLUTION_FILE,
    FLAVOUR_FILE,
    read_json,
    read_replica_grid,
    replica_folders,
)
from disfit.lhapdf.operator import fitted_on
from disfit.report import figures
from disfit.report.png import save_pickled_png, save_png

log = logging.getLogger("disfit")

REPORT_Q = 100.0  # GeV, the second scale of the PDF plots
_SECTIONS = [
    (t.lower().replace(" ", "-"), t)
    for t in (
        "PDFs",
        "χ² per dataset",
        "Data and theory",
        "Training",
        "Postfit vetoes",
        "Provenance",
    )
]


def _members(postfit_dir: Path) -> list[Path]:
    folders = [folder for _, folder in replica_folders(postfit_dir)]
    if len(folders) < 2:
        raise DisfitError(f"{postfit_dir}: no selected replicas; run postfit first")
    return folders


def _by_pid(values: np.ndarray) -> dict[int, np.ndarray]:
    """{PDG id: values[..., i, :]} for x·f in FLAVOUR_PIDS order on axis −2."""
    return {pid: values[..., i, :] for i, pid in enumerate(FLAVOUR_PIDS)}


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _embed(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


class Page:
    """Sections of HTML and the figures, written as PNG and embedded. With `cores` > 1 the PNGs
    are drawn in that many worker processes while the next figures are built (the figures
    pickled to them: the same bytes as drawing them here; most of a report's time is
    matplotlib drawing its figures)."""

    def __init__(self, folder: Path, cores: int = 1) -> None:
        self.folder = folder
        self.parts: list[str | tuple[str, Future]] = []
        self.title = ""
        self.pool = (
            ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn"))
            if cores > 1
            else None
        )

    def section(self, title: str, text: str = "") -> None:
        anchor = title.lower().replace(" ", "-")
        self.parts.append(f'<h2 id="{html.escape(anchor)}">{html.escape(title)}</h2>{text}')

    def figure(self, name: str, fig, caption: str) -> None:
        import matplotlib.pyplot as plt

        path = self.folder / "figures" / f"{name}.png"
        if self.pool is None:
            save_png(path, fig)
            self.parts.append(_embed(path, caption))
        else:
            self.parts.append(
                (caption, self.pool.submit(save_pickled_png, path, pickle.dumps(fig)))
            )
        plt.close(fig)

    def finish(self) -> None:
        """Wait for the figures drawn in workers and embed them."""
        for k, part in enumerate(self.parts):
            if isinstance(part, tuple):
                caption, future = part
                self.parts[k] = _embed(future.result(), caption)

    def html(self, title: str) -> str:
        style = (
            "body{font-family:sans-serif;max-width:1250px;margin:auto;padding:1em;color:#222}"
            "img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}"
            "figcaption{font-size:90%;color:#555}table{border-collapse:collapse;margin:.5em 0}"
            "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right;font-size:90%}"
            "th{background:#f0f0f0}pre{background:#f7f7f7;padding:.5em;overflow:auto;"
            "font-size:85%}"
        )
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title><style>{style}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "".join(self.parts) + "</body></html>\n"
        )


@contextlib.contextmanager
def report_page(outdir: str | Path, title: str, cores: int = 1) -> Iterator[Page]:
    """A Page written to outdir/index.html with its figures/ when the block ends, atomically:
    the folder is complete or absent. `cores`: processes drawing the figures."""
    with atomic_dir(outdir) as tmp:
        (tmp / "figures").mkdir()
        page = Page(tmp, cores)
        page.title = title
        try:
            yield page
            page.finish()
        finally:
            if page.pool is not None:
                page.pool.shutdown(cancel_futures=True)
        (tmp / "index.html").write_text(page.html(page.title))


def _mean_sd(values: np.ndarray) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def timings(benchmarks: Path | None) -> list[list[Any]]:
    rows = []
    for path in sorted(benchmarks.rglob("*.tsv")) if benchmarks and benchmarks.is_dir() else []:
        try:
            bench = pd.read_csv(path, sep="\t")
            job = str(path.relative_to(benchmarks).with_suffix(""))
            rows.append([job, f"{bench['s'].iloc[-1]:.1f}", f"{bench['max_rss'].iloc[-1]:.0f}"])
        except (OSError, KeyError, ValueError, IndexError, pd.errors.ParserError):
            continue
    return rows


def make_report(
    config: Mapping[str, Any],
    postfit_dir: str | Path,
    outdir: str | Path,
    data_dir: str | Path,
    covmat: str | Path,
    fktable_dirs: Sequence[str | Path],
    positivity_dir: str | Path | None,
    integrability_dir: str | Path | None,
    lhapdf_dir: str | Path | None = None,
    benchmarks: str | Path | None = None,
    cores: int = 1,
) -> dict[str, Any]:
    """Write outdir/index.html and outdir/figures/*.png (drawn by `cores` processes); return
    the numbers shown."""
    postfit_dir, outdir = Path(postfit_dir), Path(outdir)
    folders = _members(postfit_dir)
    veto = json.loads((postfit_dir / "veto_count.json").read_text())
    contents = [read_json(f) for f in folders[1:]]
    xgrid, _, meta = read_replica_grid(folders[0] / FLAVOUR_FILE)
    flavour = np.stack([read_replica_grid(f / FLAVOUR_FILE)[1] for f in folders])
    evolution = np.stack([read_replica_grid(f / EVOLUTION_FILE)[1] for f in folders])
    inputs = fit_inputs_from_config(
        config, data_dir, covmat, fktable_dirs, positivity_dir, integrability_dir
    )
    xf_fit = fitted_on(inputs.xgrid, xgrid, evolution)  # (R+1, 8, nx) on the fit's x grid
    predictions = inputs.predictions(xf_fit)
    total, per = dataset_chi2(inputs, predictions)
    names = [d.name for d in inputs.datasets]
    ndata = np.array([d.ndata for d in inputs.datasets])
    summary = {
        "replicas": len(folders) - 1,
        "chi2_replica0": float(total[0] / inputs.ndata),
        "chi2_replicas": [float(c) for c in total[1:] / inputs.ndata],
        "datasets": {
            n: {
                "ndata": int(k),
                "replica0": float(per[0, j] / k),
                "mean": float(per[1:, j].mean() / k),
                "sd": float(per[1:, j].std() / k),
            }
            for j, (n, k) in enumerate(zip(names, ndata, strict=True))
        },
    }

    title = f"disfit report: {config.get('run_name', '')}"
    t0 = config["fit"].get("t0pdfset")
    with report_page(outdir, title, cores) as page:
        erf_tr = np.array([c["erf_tr"] for c in contents])
        erf_vl = np.array([c["erf_vl"] for c in contents])
        page.section(
            "Summary",
            html_table(
                [
                    "selected replicas",
                    "fitted",
                    "data points",
                    "χ²/N replica 0",
                    "χ²/N replicas",
                    "E_tr",
                    "E_vl",
                    "Q0 [GeV]",
                ],
                [
                    [
                        len(folders) - 1,
                        len(veto["replicas_fitted"]),
                        inputs.ndata,
                        f"{summary['chi2_replica0']:.3f}",
                        _mean_sd(total[1:] / inputs.ndata),
                        _mean_sd(erf_tr),
                        _mean_sd(erf_vl),
                        meta["q0"],
                    ]
                ],
            )
            + f"<p>χ² of the predictions to the central data with the fitting covariance "
            f"({'t0: ' + html.escape(str(t0)) if t0 else 'experimental'}); E_tr and E_vl are "
            "the replicas' training and validation χ²/N to their pseudo-data at the best "
            "epoch.</p><p>" + " · ".join(f'<a href="#{a}">{t}</a>' for a, t in _SECTIONS) + "</p>",
        )
        page.section("PDFs")
        page.figure(
            "pdfs_q0",
            figures.pdf_bands(
                xgrid, _by_pid(flavour[0]), _by_pid(flavour[1:]), f"x·f at Q0 = {meta['q0']} GeV"
            ),
            f"PDFs at the parametrisation scale Q0 = {meta['q0']} GeV: replica 0 (the mean), the "
            "68% CL band of the replicas and mean ± 1σ.",
        )
        if lhapdf_dir is not None:
            summary["sum_rules"] = _lhapdf_section(page, Path(lhapdf_dir))
        page.section("χ² per dataset")
        rows = [
            [n, k, f"{per[0, j] / k:.3f}", _mean_sd(per[1:, j] / k)]
            for j, (n, k) in enumerate(zip(names, ndata, strict=True))
        ]
        rows.append(
            [
                "total",
                inputs.ndata,
                f"{summary['chi2_replica0']:.3f}",
                f"{np.mean(total[1:]) / inputs.ndata:.3f}",
            ]
        )
        page.parts.append(html_table(["dataset", "N", "χ²/N replica 0", "χ²/N replicas"], rows))
        page.figure(
            "chi2_datasets",
            figures.chi2_bars(
                names, per[0] / ndata, per[1:].mean(0) / ndata, per[1:].std(0) / ndata
            ),
            "χ²/N per dataset with the fitting covariance: replica 0 and the replicas.",
        )
        page.section("Data and theory")
        for j, d in enumerate(inputs.datasets):
            table = read_dataset(Path(data_dir) / f"{d.name}.parquet")
            kin = table.kinematics
            error = np.sqrt(np.diag(inputs.covmat)[d.rows])
            page.figure(
                f"data_theory_{d.name}",
                figures.data_theory(
                    d.name,
                    kin["x"].to_numpy(),
                    kin["Q2"].to_numpy(),
                    inputs.central[d.rows],
                    error,
                    predictions[1:, d.rows],
                ),
                f"{d.name}: theory of the replicas (mean ± 1σ) over data, with the data's total "
                f"uncertainty, vs x in bins of Q²; χ²/N (replica 0) = {per[0, j] / ndata[j]:.3f}.",
            )
        page.section("Training")
        chi2 = total[1:] / inputs.ndata
        page.figure(
            "chi2_distributions",
            figures.histograms(
                [
                    ("training", erf_tr, "E_tr (χ²/N)"),
                    ("validation", erf_vl, "E_vl (χ²/N)"),
                    ("all data, central values", chi2, "χ²/N"),
                ],
                "χ² distributions of the selected replicas",
            ),
            "Training and validation χ²/N at the best epoch, and χ²/N to all data.",
        )
        page.figure(
            "stopping",
            figures.histograms(
                [
                    ("best epoch", [c["best_epoch"] for c in contents], "epoch"),
                    ("stopping epoch", [c["stop_epoch"] for c in contents], "epoch"),
                ],
                "Stopping",
            ),
            "Epoch of the best validation χ² (kept weights) and epoch the training stopped.",
        )
        arcs = np.array([c["arc_lengths"] for c in contents])
        page.figure(
            "arclengths",
            figures.histograms(
                [(f, arcs[:, i], "arc length") for i, f in enumerate(("Σ", "g", "V", "V3", "V8"))],
                "Arc lengths at Q0",
            ),
            "Arc lengths of the selected replicas (postfit vetoes outliers beyond mean + nσ).",
        )
        if inputs.positivity:
            sets = []
            for p in inputs.positivity:
                values = np.einsum("dka,rka->rd", p.table, xf_fit[1:])
                x = p.x if p.x is not None else np.arange(1, len(p.table) + 1, dtype=float)
                sets.append((p.name, x, values))
            page.figure(
                "positivity",
                figures.positivity(sets),
                "Positivity observables (structure functions and x·f at their Q²) "
                "of every selected replica; they must stay above zero.",
            )
        page.section("Postfit vetoes", _veto_table(veto))
        page.section("Provenance", _provenance(config, contents, benchmarks))
        (page.folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    log.info(
        "report → %s (%d figures)",
        outdir / "index.html",
        len(list((outdir / "figures").glob("*.png"))),
    )
    return summary


def _lhapdf_section(page: Page, lhapdf_dir: Path) -> list[float]:
    """PDFs at REPORT_Q from the LHAPDF set and its momentum sum rule per member."""
    sets = [p for p in lhapdf_dir.iterdir() if p.is_dir() and p.name != "exportgrids"]
    if len(sets) != 1:
        raise DisfitError(f"{lhapdf_dir}: expected one LHAPDF set folder, found {len(sets)}")
    pdfset = read_set(sets[0])
    pids = pdfset.info["Flavors"]
    members = [pdfset.xfx(member, REPORT_Q) for member in range(len(pdfset.members))]
    xgrid = members[0][0]
    values = np.array([v for _, v in members])  # (members, pids, nx)
    full = np.zeros((len(values), len(FLAVOUR_PIDS), len(xgrid)))
    for i, pid in enumerate(pids):
        full[:, FLAVOUR_PIDS.index(pid)] = values[:, i]
    page.figure(
        "pdfs_100gev",
        figures.pdf_bands(
            xgrid,
            _by_pid(full[0]),
            _by_pid(full[1:]),
            f"x·f at Q = {REPORT_Q:g} GeV (LHAPDF set {pdfset.name})",
        ),
        f"PDFs at Q = {REPORT_Q:g} GeV from the LHAPDF set {pdfset.name} (eko evolution).",
    )
    sums = [momentum_integral(xgrid, v) for v in values]
    page.parts.append(
        f"<p>LHAPDF set <b>{html.escape(pdfset.name)}</b>: {len(values)} members, "
        f"Q from {pdfset.info['QMin']} to {pdfset.info['QMax']:g} GeV. Momentum sum rule at "
        f"{REPORT_Q:g} GeV, ∫ Σ x·f dx: member 0 {sums[0]:.5f}, replicas "
        f"{np.mean(sums[1:]):.5f} ± {np.std(sums[1:]):.5f}.</p>"
    )
    return sums


def _veto_table(veto: Mapping[str, Any]) -> str:
    fitted = veto["replicas_fitted"]
    rows = []
    for check, mask in veto["vetoes"].items():
        if check == "Total":
            continue
        failed = [k for k, ok in zip(fitted, mask, strict=True) if not ok]
        rows.append([check, len(failed), ", ".join(map(str, failed)) or "–"])
    text = html_table(["check", "replicas removed", "which"], rows)
    skipped = veto.get("skipped") or {}
    text += (
        f"<p>{len(veto['passing'])} of {len(fitted)} replicas pass; {len(veto['selected'])} "
        f"selected. Thresholds: {html.escape(json.dumps(veto['thresholds']))}. "
        f"Unreadable replicas skipped: {len(skipped)}"
        + (
            ""
            if not skipped
            else " (" + html.escape("; ".join(f"{k}: {v}" for k, v in skipped.items())) + ")"
        )
        + ".</p>"
    )
    return text


def _provenance(
    config: Mapping[str, Any], contents: Sequence[Mapping[str, Any]], benchmarks
) -> str:
    versions = contents[0].get("version", {})
    seeds = [[c.get("replica", ""), *c.get("seeds", {}).values()] for c in contents[:10]]
    text = "<h3>Versions</h3>" + html_table(list(versions), [list(versions.values())])
    text += "<h3>Seeds (first 10 selected replicas)</h3>" + html_table(
        ["fit replica", *contents[0].get("seeds", {}).keys()], seeds
    )
    jobs = timings(Path(benchmarks) if benchmarks else None)
    if jobs:
        text += "<h3>Timings (Snakemake benchmarks)</h3>" + html_table(
            ["job", "wall time [s]", "max RSS [MB]"], jobs
        )
    text += (
        "<h3>Configuration</h3><pre>"
        + html.escape(yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True))
        + "</pre>"
    )
    return text
