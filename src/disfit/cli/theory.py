"""`disfit theory` (FK tables from yadism + eko, their selection and export) and `disfit import`
(FK tables made elsewhere)."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _coefficients(args: argparse.Namespace) -> None:
    from disfit.theory.coefficients import compute_coefficients

    compute_coefficients(arguments.config(args), args.fktable, args.out)


def _eko(args: argparse.Namespace) -> None:
    from disfit.theory.evolution import compute_part

    compute_part(arguments.config(args), args.part, args.parts, args.out)


def _fktable(args: argparse.Namespace) -> None:
    from disfit.theory.assemble import assemble_fktable

    assemble_fktable(arguments.config(args)["theory"], args.coefficients, args.eko, args.out)


def _constraints(args: argparse.Namespace) -> None:
    from disfit.theory.assemble import constraint_fktables

    theory = arguments.config(args)["theory"]
    constraint_fktables(theory, args.eko, args.positivity, args.integrability)


def _copy(args: argparse.Namespace) -> None:
    from disfit.theory.select import copy_fktables

    copy_fktables(arguments.config(args)["theory"], args.sources, args.out)


def _dataset(args: argparse.Namespace) -> None:
    from disfit.io.datatable import read_dataset
    from disfit.theory.cfactors import dataset_fktables

    dataset_fktables(read_dataset(args.data_table), args.theory_fktables, args.outdir)


def _export(args: argparse.Namespace) -> None:
    from disfit.theory.export import export_theory

    export_theory(args.fktables, args.out)


def _import_pineappl(args: argparse.Namespace) -> None:
    from disfit.io.datatable import read_dataset
    from disfit.theory.importers import import_theory_folder

    import_theory_folder(args.theory_folder, read_dataset(args.data_table), args.outdir)


def _import_pickles(args: argparse.Namespace) -> None:
    from disfit.theory.importers import import_pickles

    import_pickles(args.experiments, args.outdir, args.positivity, args.integrability)


def _dataset_tables(commands, name: str, help_text: str, source: str, func) -> None:
    """A command that writes one data table's FK tables to --outdir from the folder `source`."""
    p = commands.add_parser(name, help=help_text)
    p.add_argument(source, required=True, type=Path)
    p.add_argument("--data-table", required=True, type=Path)
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=func)


def add_parsers(stages) -> None:
    theory = stages.add_parser("theory", help="DIS FK tables from yadism + eko")
    commands = theory.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("coefficients", help="yadism coefficient functions of an FK table")
    arguments.add_config(p)
    p.add_argument("--fktable", required=True)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_coefficients)
    p = commands.add_parser("eko", help="the FK tables' evolution operator on Q2 nodes")
    arguments.add_config(p)
    arguments.add_parts(p, "Q2 nodes")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_eko)
    p = commands.add_parser("fktable", help="coefficients ⊗ operator → FK table")
    arguments.add_config(p)
    p.add_argument("--coefficients", required=True, type=Path)
    p.add_argument("--eko", required=True, type=Path, nargs="+", help="the eko parts")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_fktable)
    p = commands.add_parser("constraints", help="positivity x·f and integrability FK tables")
    arguments.add_config(p)
    p.add_argument("--eko", required=True, type=Path, nargs="+", help="the eko parts")
    p.add_argument("--positivity", required=True, type=Path, help="folder of the x·f tables")
    p.add_argument("--integrability", required=True, type=Path)
    p.set_defaults(func=_constraints)
    p = commands.add_parser("copy", help="check FK tables against the theory and copy them")
    p.add_argument("sources", nargs="+", type=Path)
    arguments.add_config(p)
    p.add_argument("--out", required=True, type=Path, help="a .parquet file or a folder")
    p.set_defaults(func=_copy)
    _dataset_tables(
        commands, "dataset", "a dataset's FK tables with its C-factors", "--theory-fktables",
        _dataset,
    )
    p = commands.add_parser("export", help="FK tables → an NNPDF theory folder (PineAPPL)")
    p.add_argument("fktables", nargs="+", type=Path, help="folders of FK-table Parquet files")
    p.add_argument("--out", required=True, type=Path, help="theory_<ID> folder to write")
    p.set_defaults(func=_export)

    imports = stages.add_parser("import", help="FK tables from PineAPPL files or n3fit pickles")
    commands = imports.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _dataset_tables(
        commands, "pineappl", "a dataset's FK tables from an NNPDF theory folder",
        "--theory-folder", _import_pineappl,
    )
    p = commands.add_parser("pickles", help="n3fit pickles → data tables, covmat, FK tables")
    p.add_argument("--experiments", required=True, type=Path, help="toyexpinfo.pkl")
    p.add_argument("--positivity", type=Path, default=None, help="posdatasets.pkl")
    p.add_argument("--integrability", type=Path, default=None, help="integdatasets.pkl")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_import_pickles)
