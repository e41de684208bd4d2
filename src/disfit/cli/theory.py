"""`disfit theory` (FK tables from yadism + eko, their selection and export) and `disfit import`
(FK tables made elsewhere)."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _coefficients(args: argparse.Namespace) -> None:
    from disfit.theory.coefficients import compute_coefficients

    compute_coefficients(
        arguments.config(args), args.fktable, args.out, args.part, args.parts, args.fonll_part
    )


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


def add_parsers(stages) -> None:
    theory = stages.add_parser("theory", help="DIS FK tables from yadism + eko")
    commands = theory.add_subparsers(dest="command", required=True, metavar="COMMAND")
    imports = stages.add_parser("import", help="FK tables from PineAPPL files or n3fit pickles")
    import_commands = imports.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add, path = arguments.add_command, arguments.required_path
    p = add(
        commands,
        "coefficients",
        "yadism coefficient functions of an FK table",
        _coefficients,
        ("--fktable", {"required": True}),
        ("--fonll-part", {"type": int, "help": "FONLL theories: which of the seven yadism runs"}),
    )
    arguments.add_parts(p, "FK table's points")
    p = add(commands, "eko", "the FK tables' evolution operator on Q2 nodes", _eko)
    arguments.add_parts(p, "Q2 nodes")
    add(
        commands,
        "fktable",
        "coefficients ⊗ operator → FK table",
        _fktable,
        ("--coefficients", {**path("its coefficient files (parts)"), "nargs": "+"}),
        eko=True,
    )
    add(
        commands,
        "constraints",
        "positivity x·f and integrability FK tables",
        _constraints,
        ("--integrability", path()),
        eko=True,
        out="--positivity",
    )
    add(
        commands,
        "copy",
        "check FK tables against the theory and copy them",
        _copy,
        ("sources", {"nargs": "+", "type": Path, "help": "FK tables; --out: .parquet or folder"}),
    )
    add(
        commands,
        "export",
        "FK tables → an NNPDF theory folder (PineAPPL)",
        _export,
        ("fktables", {"nargs": "+", "type": Path, "help": "folders of FK-table Parquet files"}),
        config=False,
    )
    # one data table's FK tables, into --outdir, from the theory's or an NNPDF theory folder
    for group, name, source, func, help_text in (
        (commands, "dataset", "--theory-fktables", _dataset, "with the dataset's C-factors"),
        (
            import_commands,
            "pineappl",
            "--theory-folder",
            _import_pineappl,
            "from an NNPDF theory folder",
        ),
    ):
        add(
            group,
            name,
            f"a dataset's FK tables {help_text}",
            func,
            (source, path()),
            ("--data-table", path()),
            config=False,
            out="--outdir",
        )
    add(
        import_commands,
        "pickles",
        "n3fit pickles → data tables, covmat, FK tables",
        _import_pickles,
        ("--experiments", path("toyexpinfo.pkl")),
        ("--positivity", {"type": Path, "help": "posdatasets.pkl"}),
        ("--integrability", {"type": Path, "help": "integdatasets.pkl"}),
        config=False,
        out="--outdir",
    )
