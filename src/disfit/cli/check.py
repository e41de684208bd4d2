"""`disfit check-config`."""

from __future__ import annotations

import argparse
from pathlib import Path


def _check_config(args: argparse.Namespace) -> None:
    from disfit.checks import check_config_file

    print(check_config_file(args.config))


def add_parsers(stages) -> None:
    p = stages.add_parser("check-config", help="check a config file: schema, datasets, files")
    p.add_argument("config", type=Path)
    p.set_defaults(func=_check_config)
