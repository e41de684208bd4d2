"""A dataset's factors on its FK tables: its conversion factor times its C-factors (NNPDF's
CF_*.dat files), applied per point to the tables of the theory."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from disfit.errors import DisfitError
from disfit.io.cfactors import read_cfactor
from disfit.io.datatable import DataSet
from disfit.io.fktable import FKTable, read_fktable, write_fktable

log = logging.getLogger("disfit")


def dataset_factors(
    fktable: str, ndata: int, cfactors: Sequence[str] = (), conversion_factor: float = 1.0
) -> np.ndarray:
    """Per-point factor a dataset applies to one of its FK tables: its conversion factor times
    its C-factors for that table."""
    factor = np.full(ndata, float(conversion_factor))
    for cfac in cfactors:
        values = read_cfactor(cfac, fktable)
        if len(values) != ndata:
            raise DisfitError(
                f"C-factor {cfac} for {fktable}: {len(values)} values, {ndata} points"
            )
        factor *= values
    return factor


def with_dataset_factors(fktable: FKTable, dataset: DataSet) -> FKTable:
    """`fktable` times the dataset's per-point factors, the factors named in its provenance."""
    factor = dataset_factors(fktable.name, fktable.ndata, dataset.cfac, dataset.conversion_factor)
    provenance = {
        **fktable.provenance,
        "cfactors": list(dataset.cfac),
        "conversion_factor": dataset.conversion_factor,
    }
    return dataclasses.replace(
        fktable, values=fktable.values * factor[:, None, None], provenance=provenance
    )


def dataset_fktables(dataset: DataSet, theory_fktables: Path, outdir: Path) -> None:
    """Write the dataset's FK tables of the theory (folder `theory_fktables`) to `outdir`, with
    its factors applied."""
    for operand in dataset.fktables:
        for name in operand:
            fk = read_fktable(theory_fktables / f"{name}.parquet")
            write_fktable(with_dataset_factors(fk, dataset), outdir / f"{name}.parquet")
    log.info("%s: FK tables with C-factors %s → %s", dataset.name, list(dataset.cfac), outdir)
