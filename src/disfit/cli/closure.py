"""`disfit closure data` (the closure test's data from the law) and `disfit closure report` (the
estimators over the closure fits, and their report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _data(args: argparse.Namespace) -> None:
    from disfit.closure.analysis import write_data

    write_data(arguments.config(args), arguments.fit_inputs(args), args.fit, args.out)


def _report(args: argparse.Namespace) -> None:
    from disfit.report.closure import closure_report

    closure_report(
        arguments.config(args),
        arguments.fit_inputs(args),
        args.closure_data,
        args.postfit_dirs,
        args.estimators,
        args.outdir,
        args.benchmarks,
        args.fit_dirs,
    )


def add_parsers(stages) -> None:
    commands = stages.add_parser("closure", help="closure tests").add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )
    p = commands.add_parser("data", help="the law's predictions and a closure fit's data")
    arguments.add_config(p)
    arguments.add_fit_inputs(p)
    p.add_argument("--fit", required=True, type=int, help="which closure fit (from 1)")
    p.add_argument("--out", required=True, type=Path, help="the closure data Parquet file")
    p.set_defaults(func=_data)

    p = commands.add_parser("report", help="estimators over the closure fits and their report")
    arguments.add_config(p)
    arguments.add_fit_inputs(p)
    p.add_argument(
        "--closure-data", required=True, nargs="+", type=Path, help="each closure fit's data"
    )
    p.add_argument(
        "--postfit-dirs", required=True, nargs="+", type=Path, help="each closure fit's postfit"
    )
    p.add_argument(
        "--fit-dirs", nargs="*", type=Path, default=[], help="each closure fit's replica folders"
    )
    p.add_argument("--estimators", required=True, type=Path, help="estimators.json")
    p.add_argument("--benchmarks", type=Path, default=None, help="Snakemake benchmark folder")
    p.add_argument("--outdir", required=True, type=Path, help="the report's folder")
    p.set_defaults(func=_report)
