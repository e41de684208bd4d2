"""`disfit report`: the HTML report of a fit."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _report(args: argparse.Namespace) -> None:
    from disfit.report.build import make_report

    make_report(
        arguments.config(args),
        args.postfit_dir,
        args.outdir,
        *arguments.fit_inputs(args),
        args.lhapdf_dir,
        args.benchmarks,
        args.cores,
    )


def add_parsers(stages) -> None:
    p = stages.add_parser("report", help="HTML report with figures of the fit")
    arguments.add_config(p)
    p.add_argument("--postfit-dir", required=True, type=Path)
    arguments.add_fit_inputs(p)
    p.add_argument("--lhapdf-dir", type=Path, default=None, help="the `disfit lhapdf set` folder")
    p.add_argument("--benchmarks", type=Path, default=None, help="Snakemake benchmark folder")
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--cores", type=int, default=1, help="processes drawing the figures")
    p.set_defaults(func=_report)
