"""`disfit data`: commondata → Parquet data tables, covariance and summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from disfit.cli import arguments


def _commondata(args: argparse.Namespace) -> None:
    from disfit.data.commondata import write_configured_dataset

    write_configured_dataset(arguments.config(args), args.dataset, args.out)


def _covmat(args: argparse.Namespace) -> None:
    from disfit.data.covmat import write_experimental_covmat

    write_experimental_covmat(args.tables, args.out)


def _summary(args: argparse.Namespace) -> None:
    from disfit.data.summary import write_summary

    write_summary(args.tables, args.out)


def add_parsers(stages) -> None:
    data = stages.add_parser("data", help="commondata → Parquet data tables and covariance")
    commands = data.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("commondata", help="one configured dataset, cut, as a data table")
    arguments.add_config(p)
    p.add_argument("--dataset", required=True, help="e.g. BCDMS_NC_NOTFIXED_P_EM-F2")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_commondata)
    for name, func, help_text in (
        ("covmat", _covmat, "experimental covariance of the given data tables"),
        ("summary", _summary, "points per dataset before and after cuts (TSV)"),
    ):
        p = commands.add_parser(name, help=help_text)
        p.add_argument("tables", nargs="+", type=Path)
        p.add_argument("--out", required=True, type=Path)
        p.set_defaults(func=func)
