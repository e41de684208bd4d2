"""Import FK tables made elsewhere: an NNPDF theory folder's PineAPPL tables (with each dataset's
C-factors) and n3fit's pickles (data, covariance and FK tables)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import scipy.linalg as la

from disfit.errors import DisfitError
from disfit.io.covmat import write_covmat
from disfit.io.datatable import DataSet, write_dataset
from disfit.io.fktable import write_fktable
from disfit.io.pickles import PICKLE_Q0, fktable_from_entry, load_pickle_entries
from disfit.io.pineappl import PINEAPPL_SUFFIX, read_pineappl_fktable
from disfit.theory.cfactors import with_dataset_factors


def import_theory_folder(folder: str | Path, dataset: DataSet, outdir: str | Path) -> list[Path]:
    """Import the FK tables `dataset` names from an NNPDF theory folder (or its fastkernel/)."""
    folder = Path(folder)
    if (folder / "fastkernel").is_dir():
        folder = folder / "fastkernel"
    if not folder.is_dir():
        raise DisfitError(f"{folder}: theory folder not found; set fktables.theory_folder")
    written = []
    for operand in dataset.fktables:
        for name in operand:
            fk = read_pineappl_fktable(folder / f"{name}{PINEAPPL_SUFFIX}", name)
            fk = with_dataset_factors(fk, dataset)
            out = Path(outdir) / f"{name}.parquet"
            write_fktable(fk, out)
            written.append(out)
    return written


def import_pickles(
    experiments: str | Path,
    outdir: str | Path,
    positivity: str | Path | None = None,
    integrability: str | Path | None = None,
    q0: float = PICKLE_Q0,
) -> dict[str, list[str]]:
    """Convert n3fit pickles into disfit data tables, a covariance and FK tables.

    Each experiment's covariance is carried by its Cholesky factor as ADD systematics correlated
    across that experiment's datasets, so disfit's covariance of the written tables is the
    pickle's covariance. Written: data/<dataset>.parquet, data/covmat.parquet,
    fktables/<dataset>/<fk>.parquet, and positivity|integrability/<set>/<fk>.parquet.
    """
    outdir = Path(outdir)
    experiments_path = Path(experiments)
    datasets: list[DataSet] = []
    for exp in load_pickle_entries(experiments_path):
        try:
            central = np.asarray(exp["expdata_true"], dtype=float).reshape(-1)
            covmat = np.asarray(exp["covmat"], dtype=float)
            exp_datasets = exp["datasets"]
        except KeyError as exc:
            raise DisfitError(f"{experiments_path}: experiment dict has no {exc} entry") from None
        try:
            lower = la.cholesky(covmat, lower=True)
        except la.LinAlgError:
            raise DisfitError(
                f"{experiments_path}: covariance of {exp.get('name')} is not positive definite"
            ) from None
        offset = 0
        for dset in exp_datasets:
            name, ndata = str(dset["name"]), int(dset["ndata"])
            rows = slice(offset, offset + ndata)
            block = lower[rows, : offset + ndata]
            keep = np.any(block != 0, axis=0)
            fknames = []
            for i, entry in enumerate(dset["fktables"]):
                fkname = str(entry.get("name", f"{name}_{i}"))
                fk = fktable_from_entry(entry, fkname, q0, experiments_path)
                write_fktable(fk, outdir / "fktables" / name / f"{fkname}.parquet")
                fknames.append(fkname)
            operation = str(dset.get("operation") or "NULL").upper()
            operands = (tuple(fknames),) if operation == "NULL" else tuple((n,) for n in fknames)
            nsys = int(keep.sum())
            datasets.append(
                DataSet(
                    name=name,
                    variant=None,
                    process_type="DIS",
                    entries=np.arange(1, ndata + 1, dtype=np.int64),
                    kinematics=_nan_kinematics(ndata),
                    central=central[rows],
                    stat=np.zeros(ndata),
                    sys=block[:, keep],
                    sys_treatment=("ADD",) * nsys,
                    sys_type=tuple(
                        f"PICKLE_{exp.get('name', 'EXP')}_{k}" for k in np.flatnonzero(keep)
                    ),
                    fktables=operands,
                    operation=operation,
                    ndata_total=ndata,
                    source=f"n3fit pickle {experiments_path.name}",
                )
            )
            offset += ndata
        if offset != len(central):
            raise DisfitError(
                f"{experiments_path}: datasets of {exp.get('name')} hold {offset} points, "
                f"expdata_true {len(central)}"
            )
    from disfit.data.covmat import covmat_from_systematics

    for dataset in datasets:
        write_dataset(dataset, outdir / "data" / f"{dataset.name}.parquet")
    write_covmat(outdir / "data" / "covmat.parquet", covmat_from_systematics(datasets), datasets)
    written = {"datasets": [d.name for d in datasets]}
    for kind, source in (("positivity", positivity), ("integrability", integrability)):
        if source is None:
            continue
        source = Path(source)
        written[kind] = []
        for entry_set in load_pickle_entries(source):
            for dset in entry_set["datasets"]:
                for i, entry in enumerate(dset["fktables"]):
                    fkname = str(entry.get("name", f"{dset['name']}_{i}"))
                    fk = fktable_from_entry(entry, fkname, q0, source)
                    provenance = {
                        **fk.provenance,
                        "kind": kind,
                        "maxlambda": entry_set.get("lambda"),
                    }
                    fk = dataclasses.replace(fk, provenance=provenance)
                    write_fktable(fk, outdir / kind / str(dset["name"]) / f"{fkname}.parquet")
                written[kind].append(str(dset["name"]))
    return written


def _nan_kinematics(ndata: int):
    import pandas as pd

    nan = np.full(ndata, np.nan)
    return pd.DataFrame({"x": nan, "Q2": nan, "y": nan})
