"""The data summary of a run: points per dataset before and after cuts (a TSV for people)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from disfit.io.atomic import atomic_path
from disfit.io.datatable import read_dataset

log = logging.getLogger("disfit")


def write_summary(tables: Sequence[Path], out: Path) -> None:
    """One row per data table (name, variant, process, points before and after cuts,
    systematics) and a TOTAL row."""
    rows = []
    for path in tables:
        d = read_dataset(path)
        rows.append(
            {
                "dataset": d.name,
                "variant": d.variant,
                "process": d.process_type,
                "ndata_total": d.ndata_total,
                "ndata_cut": d.ndata,
                "nsys": d.sys.shape[1],
            }
        )
    table = pd.DataFrame(rows)
    total = {
        "dataset": "TOTAL",
        "ndata_total": table["ndata_total"].sum(),
        "ndata_cut": table["ndata_cut"].sum(),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["nsys"] = table["nsys"].astype("Int64")
    with atomic_path(out) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    log.info("%d datasets, %d points after cuts", len(rows), total["ndata_cut"])
