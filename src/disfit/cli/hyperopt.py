"""`disfit hyperopt ask` (a generation's proposals), `disfit hyperopt trial` (one trial's fits
and loss) and `disfit hyperopt report` (the trials table, the best config and the report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _ask(args: argparse.Namespace) -> None:
    from disfit.hyperopt.scan import ask

    ask(arguments.config(args), args.generation, args.trials, args.out)


def _trial(args: argparse.Namespace) -> None:
    from disfit.fit.blas import tensorflow_threads
    from disfit.hyperopt.scan import fit_trial

    tensorflow_threads(args.threads)
    fit_trial(
        arguments.config(args), arguments.fit_inputs(args), args.proposals, args.trial, args.out
    )


def _report(args: argparse.Namespace) -> None:
    from disfit.report.hyperopt import hyperopt_report

    hyperopt_report(
        arguments.config(args),
        args.trials,
        args.default,
        args.table,
        args.best,
        args.outdir,
    )


def add_parsers(stages) -> None:
    commands = stages.add_parser(
        "hyperopt", help="hyperparameter scan with k-folding"
    ).add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("ask", help="a generation's proposals from the earlier trials")
    arguments.add_config(p)
    p.add_argument("--generation", required=True, type=int, help="which generation (from 0)")
    p.add_argument(
        "--trials",
        nargs="*",
        type=Path,
        default=[],
        help="every earlier generation's trial records",
    )
    p.add_argument("--out", required=True, type=Path, help="the generation's proposals (JSON)")
    p.set_defaults(func=_ask)

    p = commands.add_parser("trial", help="fit and score one trial, fold by fold")
    arguments.add_config(p)
    arguments.add_fit_inputs(p)
    p.add_argument(
        "--proposals",
        type=Path,
        default=None,
        help="the trial's generation file; without it the config's fit parameters are scored",
    )
    p.add_argument("--trial", type=int, default=None, help="the trial's number (from 1)")
    p.add_argument("--out", required=True, type=Path, help="the trial's record (JSON)")
    arguments.add_threads(p)
    p.set_defaults(func=_trial)

    p = commands.add_parser("report", help="the trials table, the best config and the report")
    arguments.add_config(p)
    p.add_argument("--trials", required=True, nargs="+", type=Path, help="the trial records")
    p.add_argument("--default", type=Path, default=None, help="the fit parameters' record")
    p.add_argument("--table", required=True, type=Path, help="trials.parquet")
    p.add_argument("--best", required=True, type=Path, help="the best trial's config (YAML)")
    p.add_argument("--outdir", required=True, type=Path, help="the report's folder")
    p.set_defaults(func=_report)
