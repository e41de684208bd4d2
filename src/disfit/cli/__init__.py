"""The `disfit` command line: one subcommand per pipeline stage, each parsing its arguments and
calling one function of the package (as ekobox's cli: one module per command group).

Every Snakemake rule is one call of this tool. Errors from bad input come out as a single line
`disfit: error: ...` and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from disfit import __version__
from disfit.cli import (
    check,
    closure,
    compare,
    data,
    export,
    fit,
    hyperopt,
    lhapdf,
    report,
    theory,
)
from disfit.errors import DisfitError

COMMANDS = (check, data, theory, fit, lhapdf, report, compare, export, closure, hyperopt)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="disfit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"disfit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    for module in COMMANDS:
        module.add_parsers(stages)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    # oneDNN's kernels change the fit's last bits with its thread count: off, whatever the
    # environment says, so that the same config gives the same replicas everywhere
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        args.func(args)
    except DisfitError as exc:
        print(f"disfit: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unwritable output folder, full disk, ...
        where = exc.filename or "output"
        print(
            f"disfit: error: {where}: {exc.strerror or exc}; check the path, its permissions "
            "and free space",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
