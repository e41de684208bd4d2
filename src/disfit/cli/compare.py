"""`disfit compare` (vp-comparefits: a fit against a reference), `disfit next-config`
(vp-nextfitruncard: the config of the next iteration) and `disfit iterate` (iterations until
stable)."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _compare(args: argparse.Namespace) -> None:
    from disfit.compare.build import make_comparison

    make_comparison(
        arguments.config(args),
        args.current,
        args.reference,
        args.outdir,
        *arguments.fit_inputs(args),
    )


def _next_config(args: argparse.Namespace) -> None:
    from disfit.iterate.next_config import write_next_config

    write_next_config(args.config, args.run_dir, args.out, args.keep_seeds)


def _iterate(args: argparse.Namespace) -> None:
    from disfit.iterate.loop import iterate_from_config

    iterate_from_config(arguments.config(args), args.outdir, args.cores)


def add_parsers(stages) -> None:
    p = stages.add_parser("compare", help="compare a fit with a reference (vp-comparefits)")
    arguments.add_config(p)
    p.add_argument("--current", required=True, type=Path, help="this run's results folder")
    p.add_argument(
        "--reference",
        required=True,
        type=Path,
        help="another run's results folder or an LHAPDF set folder",
    )
    arguments.add_fit_inputs(p)
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_compare)

    p = stages.add_parser(
        "next-config",
        help="the next iteration's config: t0 = this fit, ranges from its effective exponents",
    )
    p.add_argument("--config", required=True, type=Path, help="the fit's config YAML")
    p.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="its results folder (default: results/<run_name>)",
    )
    p.add_argument("--out", required=True, type=Path, help="the next config YAML to write")
    p.add_argument(
        "--keep-seeds",
        action="store_true",
        help="keep the seeds (vp-nextfitruncard draws new ones)",
    )
    p.set_defaults(func=_next_config)

    p = stages.add_parser(
        "iterate", help="iterated fits from a finished one, until stable (Snakemake per fit)"
    )
    arguments.add_config(p)
    p.add_argument("--outdir", required=True, type=Path, help="results/<run>/iterations")
    p.add_argument("--cores", type=int, default=1, help="cores of each iteration's Snakemake")
    p.set_defaults(func=_iterate)
