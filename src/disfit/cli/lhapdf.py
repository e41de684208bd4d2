"""`disfit lhapdf`: the LHAPDF stage, from its eko operator to the set of the postfit replicas."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _eko(args: argparse.Namespace) -> None:
    from disfit.lhapdf.operator import compute_part

    compute_part(arguments.config(args)["theory"], args.part, args.parts, args.out)


def _operator(args: argparse.Namespace) -> None:
    from disfit.lhapdf.operator import collect_parts

    collect_parts(arguments.config(args)["theory"], args.eko, args.out)


def _copy(args: argparse.Namespace) -> None:
    from disfit.lhapdf.operator import copy_operator

    copy_operator(arguments.config(args)["theory"], args.source, args.out)


def _set(args: argparse.Namespace) -> None:
    from disfit.lhapdf.build import lhapdf_set

    lhapdf_set(arguments.config(args), args.postfit_dir, args.operator, args.outdir)


def add_parsers(stages) -> None:
    lhapdf = stages.add_parser("lhapdf", help="the LHAPDF set of a fit (one eko operator)")
    commands = lhapdf.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("eko", help="eko from Q0 to the LHAPDF Q grid, in parts")
    arguments.add_config(p)
    arguments.add_parts(p, "Q values")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_eko)
    p = commands.add_parser("operator", help="eko parts → the LHAPDF evolution operator")
    arguments.add_config(p)
    p.add_argument("--eko", required=True, type=Path, nargs="+", help="the eko parts")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_operator)
    p = commands.add_parser("copy", help="check a (shipped) operator against the theory, copy it")
    p.add_argument("source", type=Path)
    arguments.add_config(p)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_copy)
    p = commands.add_parser("set", help="postfit replicas → LHAPDF set and n3fit exportgrids")
    arguments.add_config(p)
    p.add_argument("--postfit-dir", required=True, type=Path, help="the postfit folder")
    p.add_argument("--operator", required=True, type=Path, help="the theory's LHAPDF operator")
    p.add_argument("--outdir", required=True, type=Path, help="the set and exportgrids go here")
    p.set_defaults(func=_set)
