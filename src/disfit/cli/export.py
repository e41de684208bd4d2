"""`disfit export n3fit`: a fit in n3fit's layout for validphys."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _n3fit(args: argparse.Namespace) -> None:
    from disfit.export.n3fit import export_from_config

    export_from_config(arguments.config(args), args.run_dir, args.outdir)


def add_parsers(stages) -> None:
    export = stages.add_parser("export", help="a fit in another code's layout")
    commands = export.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "n3fit", help="the fit in n3fit's layout (filter.yml, nnfit/, postfit/) for validphys"
    )
    arguments.add_config(p)
    p.add_argument("--run-dir", required=True, type=Path, help="the run's results folder")
    p.add_argument("--outdir", required=True, type=Path, help="folder to write <fit name>/ into")
    p.set_defaults(func=_n3fit)
