"""`disfit iterate`: iterated fits as NNPDF makes them (vp-nextfitruncard, fit, again): from a
finished fit, up to N iterations, each the `next_config` of the previous fit run through the
workflow (Snakemake, in the same folder, its own run_name), until the iterations are stable.
Writes results/<run>/iterations/: each iteration's config, summary.json and index.html with how
the preprocessing ranges, the t0 χ² and the PDFs move from one iteration to the next."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from disfit.compare import stats
from disfit.compare.fits import load_fit
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_dir
from disfit.iterate.next_config import next_config
from disfit.report.build import Page, html_table

log = logging.getLogger("disfit")

#: flavours whose PDF distances between iterations are followed (validphys' evolution basis)
FLAVOURS = ("Σ", "g", "V", "V3", "T3", "T8")


def _fit_numbers(run_dir: Path) -> dict[str, Any]:
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    return {
        "chi2_t0": summary["chi2_replica0"],
        "chi2_t0_replicas": float(np.mean(summary["chi2_replicas"])),
        "replicas": summary["replicas"],
    }


def _ranges(config: Mapping[str, Any]) -> dict[str, list[float]]:
    return {b["fl"]: [*b["smallx"], *b["largex"]] for b in config["fit"]["basis"]}


def _distances(run_dir: Path, previous: Path, q0: float) -> dict[str, float]:
    """Mean over validphys' x grid of the central-value distance at Q0 between two fits."""
    grids = [load_fit(p).grid(stats.XGRID, q0, "evolution") for p in (run_dir, previous)]
    labels = [label for label, _ in stats.BASES["evolution"]]
    distance = stats.distance(*grids)
    return {f: float(np.nanmean(distance[labels.index(f)])) for f in FLAVOURS}


def is_stable(step: Mapping[str, Any], tolerance: float, chi2_tolerance: float) -> bool:
    """Stable: no preprocessing bound moved by more than `tolerance` and the t0 χ²/N by no
    more than `chi2_tolerance` from the previous iteration."""
    return step["max_range_shift"] <= tolerance and abs(step["chi2_t0_shift"]) <= chi2_tolerance


def run_iterations(
    config: Mapping[str, Any],
    iterations: int,
    outdir: str | Path,
    snakemake_args: Sequence[str] = (),
    tolerance: float = 0.1,
    chi2_tolerance: float = 0.01,
) -> dict[str, Any]:
    """Iterate the finished fit of `config` (results/<run_name>, relative to the current folder
    where the workflow runs) at most `iterations` times, stopping at the first stable one."""
    from disfit.theory.card import theory_card

    q0 = float(theory_card(config["theory"])["Q0"])
    run_dir = Path("results") / config["run_name"]
    if not (run_dir / "report" / "summary.json").is_file():
        raise DisfitError(f"{run_dir}: no report; run the fit through the workflow first")
    outdir = Path(outdir)
    history = [{"run_name": config["run_name"], "ranges": _ranges(config), **_fit_numbers(run_dir)}]
    current, stable = dict(config), False
    with atomic_dir(outdir) as tmp:
        for k in range(1, iterations + 1):
            new = next_config(current, run_dir)
            path = outdir.parent / f"iteration_{k}.yaml"
            path.write_text(yaml.safe_dump(new, sort_keys=False, default_flow_style=None))
            (tmp / path.name).write_text(path.read_text())
            cmd = [sys.executable, "-m", "snakemake", "--nolock", "--configfile", str(path)]
            log.info("iteration %d: %s", k, " ".join([*cmd, *snakemake_args]))
            done = subprocess.run([*cmd, *snakemake_args], capture_output=True, text=True)
            (tmp / f"iteration_{k}.log").write_text(done.stdout + done.stderr)
            if done.returncode:
                raise DisfitError(
                    f"iteration {k} ({new['run_name']}) failed; see {outdir}/iteration_{k}.log"
                )
            previous, run_dir = run_dir, Path("results") / new["run_name"]
            step = {"run_name": new["run_name"], "ranges": _ranges(new), **_fit_numbers(run_dir)}
            last = history[-1]
            step["range_shift"] = {
                fl: float(np.max(np.abs(np.subtract(r, last["ranges"][fl]))))
                for fl, r in step["ranges"].items()
            }
            step["max_range_shift"] = max(step["range_shift"].values())
            step["chi2_t0_shift"] = step["chi2_t0"] - last["chi2_t0"]
            step["distance_to_previous"] = _distances(run_dir, previous, q0)
            stable = is_stable(step, tolerance, chi2_tolerance)
            step["stable"] = stable
            history.append(step)
            current = new
            if stable:
                break
        summary = {
            "iterations": len(history) - 1,
            "stable": stable,
            "tolerance": tolerance,
            "chi2_tolerance": chi2_tolerance,
            "history": history,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        (tmp / "index.html").write_text(_page(tmp, summary))
    log.info("%d iterations, stable: %s → %s", len(history) - 1, stable, outdir)
    return summary


def _page(folder: Path, summary: Mapping[str, Any]) -> str:
    history = summary["history"]
    page = Page(folder)
    rows = [
        [
            i,
            h["run_name"],
            f"{h['chi2_t0']:.4f}",
            f"{h.get('chi2_t0_shift', 0):+.4f}",
            f"{h.get('max_range_shift', 0):.3f}",
            " ".join(f"{f} {d:.2f}" for f, d in h.get("distance_to_previous", {}).items()),
            h.get("stable", ""),
        ]
        for i, h in enumerate(history)
    ]
    page.section(
        "Iterations",
        html_table(
            [
                "iteration",
                "run",
                "χ²/N (t0, replica 0)",
                "Δ",
                "largest range shift",
                "mean distance to the previous (Q0)",
                "stable",
            ],
            rows,
        )
        + f"<p>Stable: every preprocessing bound within {summary['tolerance']} of the previous "
        f"iteration's and the t0 χ²/N within {summary['chi2_tolerance']}.</p>",
    )
    flavours = list(history[0]["ranges"])
    ranges = [
        [fl, i, *(f"{v:.4g}" for v in h["ranges"][fl])]
        for fl in flavours
        for i, h in enumerate(history)
    ]
    page.section(
        "Preprocessing ranges",
        html_table(["flavour", "iteration", "α min", "α max", "β min", "β max"], ranges),
    )
    return page.html("disfit iterations")


def iterate_from_config(
    config: Mapping[str, Any], outdir: str | Path, cores: int
) -> dict[str, Any]:
    """run_iterations with the config's iterate section, each iteration on `cores` cores."""
    section = config["iterate"]
    return run_iterations(
        {k: v for k, v in config.items() if k not in ("iterate", "compare")},
        section["iterations"],
        outdir,
        ["--cores", str(cores)],
        section["tolerance"],
        section["chi2_tolerance"],
    )
