"""A theory's FK tables as an NNPDF theory folder of PineAPPL tables, for validphys and n3fit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from disfit.errors import DisfitError
from disfit.io.fktable import read_fktable
from disfit.io.pineappl import PINEAPPL_SUFFIX, write_pineappl_fktable

log = logging.getLogger("disfit")


def export_theory(folders: Sequence[Path], out: Path) -> None:
    """Every FK table in `folders` as out/fastkernel/<name>.pineappl.lz4."""
    paths = sorted(p for folder in folders for p in folder.glob("*.parquet"))
    if not paths:
        raise DisfitError(f"no FK tables (*.parquet) in {', '.join(map(str, folders))}")
    for path in paths:
        fk = read_fktable(path)
        write_pineappl_fktable(fk, out / "fastkernel" / f"{fk.name}{PINEAPPL_SUFFIX}")
    log.info("exported %d FK tables → %s", len(paths), out / "fastkernel")
