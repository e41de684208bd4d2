"""Arguments several commands share: the config, the fit's inputs, replica ranges."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_config(parser: argparse.ArgumentParser) -> None:
    """--config FILE or --config-json TEXT (the part of the config the workflow passes)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, help="the run's config YAML")
    source.add_argument("--config-json", help="the config as JSON (what the workflow passes)")


def config(args: argparse.Namespace) -> dict[str, Any]:
    """The validated config of --config or --config-json."""
    from disfit.config import config_from_json, load_config

    return load_config(args.config) if args.config else config_from_json(args.config_json)


def add_fit_inputs(parser: argparse.ArgumentParser) -> None:
    """The fit's inputs: data tables, covariance, FK tables, positivity/integrability tables."""
    parser.add_argument("--data-dir", required=True, type=Path, help="folder of the data tables")
    parser.add_argument("--covmat", required=True, type=Path)
    parser.add_argument(
        "--fktables",
        required=True,
        nargs="+",
        type=Path,
        help="one folder of FK tables per dataset, named after it",
    )
    parser.add_argument(
        "--positivity", type=Path, default=None, help="folder of the positivity sets' FK tables"
    )
    parser.add_argument(
        "--integrability",
        type=Path,
        default=None,
        help="folder of the integrability sets' FK tables",
    )


def fit_inputs(args: argparse.Namespace) -> tuple[Any, ...]:
    """The fit's inputs of add_fit_inputs, in the order the package's functions take them."""
    return (args.data_dir, args.covmat, args.fktables, args.positivity, args.integrability)


def replica_numbers(text: str) -> list[int]:
    """'3' or '1-10' → replica numbers."""
    try:
        first, _, last = text.partition("-")
        numbers = list(range(int(first), int(last or first) + 1))
    except ValueError:
        numbers = []
    if not numbers or numbers[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give replicas as N or FIRST-LAST, from 1")
    return numbers


def add_parts(parser: argparse.ArgumentParser, what: str) -> None:
    """--part/--parts of a computation split into parallel jobs."""
    parser.add_argument("--part", type=int, default=0, help=f"which part of the {what} (from 0)")
    parser.add_argument("--parts", type=int, default=1, help=f"parts the {what} are split into")


def add_command(
    commands,
    name: str,
    help_text: str,
    func,
    *options: tuple[str, dict[str, Any]],
    config: bool = True,
    eko: bool = False,
    out: str | None = "--out",
) -> argparse.ArgumentParser:
    """A subcommand calling `func`: with the config options, --eko parts, an output option
    `out` (a file or folder) as asked, and `options` as (flag, add_argument keywords)."""
    parser = commands.add_parser(name, help=help_text)
    if config:
        add_config(parser)
    if eko:
        parser.add_argument("--eko", required=True, type=Path, nargs="+", help="the eko parts")
    if out:
        parser.add_argument(out, required=True, type=Path)
    for flag, keywords in options:
        parser.add_argument(flag, **keywords)
    parser.set_defaults(func=func)
    return parser


#: an option naming a file or folder the command needs
def required_path(help_text: str | None = None) -> dict[str, Any]:
    return {"required": True, "type": Path, "help": help_text}


def add_threads(parser: argparse.ArgumentParser) -> None:
    """--threads: TensorFlow's threads (the Snakemake job's)."""
    parser.add_argument(
        "--threads", type=int, default=None, help="TensorFlow threads (default: all cores)"
    )
