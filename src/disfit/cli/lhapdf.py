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
    add, path = arguments.add_command, arguments.required_path
    p = add(commands, "eko", "eko from Q0 to the LHAPDF Q grid, in parts", _eko)
    arguments.add_parts(p, "Q values")
    add(commands, "operator", "eko parts → the LHAPDF evolution operator", _operator, eko=True)
    add(
        commands,
        "copy",
        "check a (shipped) operator against the theory, copy it",
        _copy,
        ("source", {"type": Path}),
    )
    add(
        commands,
        "set",
        "postfit replicas → LHAPDF set and n3fit exportgrids",
        _set,
        ("--postfit-dir", path("the postfit folder")),
        ("--operator", path("the theory's LHAPDF operator")),
        out="--outdir",
    )
