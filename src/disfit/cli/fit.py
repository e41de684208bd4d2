"""`disfit fit` (a batch of replicas) and `disfit postfit` (the replicas that pass)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from disfit.cli import arguments


def _fit(args: argparse.Namespace) -> None:
    from disfit.closure.analysis import fit_closure_batch
    from disfit.fit.blas import tensorflow_threads
    from disfit.fit.runner import fit_batch

    tensorflow_threads(args.threads)
    if args.closure is not None:
        fit_closure_batch(
            arguments.config(args),
            arguments.fit_inputs(args),
            args.closure,
            args.closure_fit,
            args.replicas,
            args.outdir,
            interactive=sys.stderr.isatty(),
        )
    else:
        fit_batch(
            arguments.config(args),
            *arguments.fit_inputs(args),
            args.replicas,
            args.outdir,
            interactive=sys.stderr.isatty(),
        )


def _postfit(args: argparse.Namespace) -> None:
    from disfit.postfit.select import postfit_from_config

    postfit_from_config(arguments.config(args), args.fit_dir, args.outdir)


def add_parsers(stages) -> None:
    p = stages.add_parser("fit", help="fit a batch of replicas (TensorFlow)")
    arguments.add_config(p)
    arguments.add_fit_inputs(p)
    p.add_argument(
        "--replicas", required=True, type=arguments.replica_numbers, help="N or FIRST-LAST"
    )
    p.add_argument("--outdir", required=True, type=Path, help="replica_<k>/ folders go here")
    arguments.add_threads(p)
    p.add_argument(
        "--closure", type=Path, default=None, help="fit a closure fit's data: its closure data file"
    )
    p.add_argument("--closure-fit", type=int, default=1, help="which closure fit (from 1)")
    p.set_defaults(func=_fit)

    p = stages.add_parser("postfit", help="select the replicas passing the vetoes; replica 0")
    arguments.add_config(p)
    p.add_argument("--fit-dir", required=True, type=Path, help="folder of the replica_<k>/")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_postfit)
