"""What a fit reads: data tables, their covariance and FK tables, brought to one x grid and to
the 8-flavour fitted basis, so a replica's predictions are one contraction with its x·f."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse.csgraph as csgraph

from disfit.basis import FIT_ROTATION, FITTED_BASIS
from disfit.config import schema
from disfit.constraints import positivity_kept
from disfit.data.commondata import validphys_names
from disfit.data.covmat import t0_covmat
from disfit.errors import DisfitError
from disfit.fit.blas import fixed_blas_threads
from disfit.fit.t0 import t0_pdf
from disfit.io.covmat import read_covmat
from disfit.io.datatable import DataSet, read_dataset
from disfit.io.fktable import FKTable, read_fktable
from disfit.io.parquet import release_read_buffers
from disfit.observables import OPERATIONS, dataset_predictions
from disfit.theory.card import theory_card


@dataclasses.dataclass(frozen=True)
class FitDataset:
    """One dataset in the fit: its slice of the data vector and its operands in the fitted basis
    on the fit's x grid, each (ndata, 8, nx), rows already restricted to the kept points."""

    name: str
    rows: slice
    frac: float
    operation: str
    operands: tuple[np.ndarray, ...]
    process_type: str = ""  # commondata's, e.g. DIS_NC
    experiment: str = ""  # validphys' group of the per-dataset split (default: the name)
    seed_name: str = ""  # the name validphys hashes into the pseudo-data seed (default: the name)

    @property
    def ndata(self) -> int:
        return self.rows.stop - self.rows.start

    @property
    def positive(self) -> bool:
        """Whether resampled pseudo-data must be non-negative: not for asymmetries or
        polarised observables (validphys' make_replica check_positive_masks)."""
        return not ("ASY" in self.process_type or self.process_type.endswith("_POL"))

    @property
    def linear(self) -> bool:
        return self.operation == "NULL" and len(self.operands) == 1


@dataclasses.dataclass(frozen=True)
class ConstraintSet:
    """A positivity or integrability set: observables = table (n, 8, nx) · x·f, with its λ_max."""

    name: str
    table: np.ndarray
    maxlambda: float
    x: np.ndarray | None = None  # of each row, for positivity sets on NNPDF's grid


@dataclasses.dataclass(frozen=True)
class FitInputs:
    """Everything a replica fit needs, as numpy arrays."""

    xgrid: np.ndarray
    datasets: tuple[FitDataset, ...]
    central: np.ndarray
    covmat: np.ndarray  # experimental: the experimental χ²
    fit_covmat: np.ndarray  # training and validation χ², pseudo-data (t0 when a t0 PDF is named)
    groups: tuple[np.ndarray, ...]  # indices of covariance-connected points
    positivity: tuple[ConstraintSet, ...]
    integrability: tuple[ConstraintSet, ...]
    q0: float
    # the x grids of the FK tables as n3fit's model inputs, for feature scaling
    feature_grids: tuple[np.ndarray, ...] = ()
    # predictions of the t0 PDF through the FK tables (a closure test's law), if one is named
    t0_predictions: np.ndarray | None = None

    @property
    def ndata(self) -> int:
        return len(self.central)

    def experiments(self) -> list[tuple[str, list[FitDataset]]]:
        """validphys' groups of the per-dataset split: datasets by experiment, in data order."""
        groups: dict[str, list[FitDataset]] = {}
        for d in self.datasets:
            groups.setdefault(d.experiment or d.name, []).append(d)
        return list(groups.items())

    def predictions(self, xf: np.ndarray) -> np.ndarray:
        """Predictions of every data point for x·f given as (..., 8, nx) on the fit's x grid."""
        parts = []
        for dataset in self.datasets:
            operands = [np.einsum("dka,...ka->...d", op, xf) for op in dataset.operands]
            parts.append(OPERATIONS[dataset.operation](*operands))
        return np.concatenate(parts, axis=-1)


def grid_index(fktable: FKTable, xgrid: np.ndarray) -> np.ndarray:
    """Where each x of the table sits in the fit's `xgrid`: the nearest point, since
    union_xgrid keeps one of x values that agree to 1e-12 (not always the larger)."""
    above = np.clip(np.searchsorted(xgrid, fktable.xgrid), 1, len(xgrid) - 1)
    below = above - 1
    nearer = np.abs(xgrid[below] - fktable.xgrid) <= np.abs(xgrid[above] - fktable.xgrid)
    index = np.where(nearer, below, above) if len(xgrid) > 1 else np.zeros_like(above)
    if not np.allclose(xgrid[index], fktable.xgrid, rtol=1e-12, atol=0):
        raise DisfitError(f"FK table {fktable.name}: its x grid is not part of the fit's x grid")
    return index


def fitted_basis_table(fktable: FKTable, xgrid: np.ndarray) -> np.ndarray:
    """The FK table as (ndata, 8, len(xgrid)) acting on the fitted flavours at `xgrid`."""
    index = grid_index(fktable, xgrid)
    rotated = np.einsum("dja,jk->dka", fktable.values, FIT_ROTATION[fktable.active])
    out = np.zeros((fktable.ndata, len(FITTED_BASIS), len(xgrid)))
    out[:, :, index] = rotated
    return out


def union_xgrid(tables: Sequence[FKTable]) -> np.ndarray:
    """All x points of `tables`, merged where they agree to 1e-12."""
    xs = np.unique(np.concatenate([fk.xgrid for fk in tables]))
    keep = np.ones(len(xs), dtype=bool)
    keep[1:] = ~np.isclose(xs[1:], xs[:-1], rtol=1e-12, atol=0)
    return xs[keep]


def covariance_groups(covmat: np.ndarray, rows: Sequence[slice]) -> tuple[np.ndarray, ...]:
    """Point indices of each set of datasets (given by their `rows`) linked by correlations:
    the χ² splits exactly into these blocks, and each holds whole datasets."""
    owner = np.empty(len(covmat), dtype=int)
    for i, r in enumerate(rows):
        owner[r] = i
    i, j = np.nonzero(covmat)
    links = np.zeros((len(rows), len(rows)), dtype=bool)
    links[owner[i], owner[j]] = True
    count, labels = csgraph.connected_components(links, directed=False)
    return tuple(np.flatnonzero(labels[owner] == k) for k in range(count))


def load_fit_inputs(
    data_dir: str | Path,
    covmat_path: str | Path,
    fktable_dirs: Sequence[str | Path],
    positivity: Sequence[tuple[str | Path, float]] = (),
    integrability: Sequence[tuple[str | Path, float]] = (),
    fracs: dict[str, float] | None = None,
    t0: Callable[[np.ndarray], np.ndarray] | None = None,
) -> FitInputs:
    """Read the data tables named by the covariance, their FK tables (one folder per dataset,
    in the order of `fktable_dirs`), and the positivity and integrability tables. With `t0`
    (x → x·f (14, nx) at Q0) the fitting covariance is the t0 one."""
    covmat, names, _entries = read_covmat(covmat_path)
    order = list(dict.fromkeys(names))
    folders = {Path(d).name: Path(d) for d in fktable_dirs}
    datasets: list[DataSet] = []
    for name in order:
        path = Path(data_dir) / f"{name}.parquet"
        if not path.is_file():
            raise DisfitError(f"{path}: data table of {name} (named by {covmat_path}) not found")
        datasets.append(read_dataset(path))
        if name not in folders:
            raise DisfitError(f"no FK-table folder for dataset {name}; pass it with --fktables")
    tables = {
        d.name: [
            [read_fktable(folders[d.name] / f"{fk}.parquet") for fk in op] for op in d.fktables
        ]
        for d in datasets
    }
    constraints = {
        kind: [(read_fktable(p), float(lam)) for p, lam in entries]
        for kind, entries in (("positivity", positivity), ("integrability", integrability))
    }
    every = [fk for ops in tables.values() for op in ops for fk in op]
    every += [fk for entries in constraints.values() for fk, _ in entries]
    xgrid = union_xgrid(every)
    q0s = {round(fk.q0, 6) for fk in every}
    if len(q0s) != 1:
        raise DisfitError(f"FK tables of different Q0 in one fit: {sorted(q0s)} GeV")

    # datasets the config does not list (an imported pickle's) train on the schema's fraction
    default_frac = schema()["properties"]["datasets"]["items"]["properties"]["frac"]["default"]
    fit_datasets, offset = [], 0
    for dataset in datasets:
        if dataset.operation not in OPERATIONS:
            raise DisfitError(f"{dataset.name}: operation {dataset.operation} is not supported")
        rows = dataset.entries - 1
        operands = []
        for operand in tables[dataset.name]:
            full = np.concatenate([fitted_basis_table(fk, xgrid) for fk in operand])
            if full.shape[0] == dataset.ndata_total:
                operands.append(full[rows])
            else:
                raise DisfitError(
                    f"{dataset.name}: FK tables hold {full.shape[0]} points, the data "
                    f"{dataset.ndata_total}; regenerate the FK tables"
                )
        frac = (fracs or {}).get(dataset.name, default_frac)
        experiment, seed_name = dataset.name, dataset.name
        if dataset.source == "nnpdf_data":
            experiment, seed_name = validphys_names(dataset.name, dataset.variant)
        fit_datasets.append(
            FitDataset(
                dataset.name,
                slice(offset, offset + dataset.ndata),
                frac,
                dataset.operation,
                tuple(operands),
                dataset.process_type,
                experiment,
                seed_name,
            )
        )
        offset += dataset.ndata
    central = np.concatenate([d.central for d in datasets])
    if covmat.shape != (len(central), len(central)):
        raise DisfitError(f"{covmat_path}: covariance does not match the data tables")
    fit_covmat, t0_predictions = covmat, None
    if t0 is not None:
        predictions = [
            dataset_predictions(tables[d.name], d.operation, t0)[d.entries - 1] for d in datasets
        ]
        fit_covmat = t0_covmat(datasets, predictions)
        t0_predictions = np.concatenate(predictions)

    def constraint_sets(kind: str) -> tuple[ConstraintSet, ...]:
        sets = []
        for fk, lam in constraints[kind]:
            table = fitted_basis_table(fk, xgrid)
            if kind == "integrability":
                sets.append(ConstraintSet(fk.name, table, lam))
                continue
            rows, x = positivity_kept(fk.name, fk.ndata)  # n3fit's added_filter_rules
            sets.append(ConstraintSet(fk.name, table[rows], lam, x))
        return tuple(sets)

    # n3fit's model inputs: each dataset's grid (one copy when all agree), each constraint's;
    # as points of the fit's grid, so that x values equal to 1e-12 count as one
    data_grids = [xgrid[grid_index(tables[d.name][0][0], xgrid)] for d in datasets]
    if all(np.array_equal(g, data_grids[0]) for g in data_grids):
        data_grids = data_grids[:1]
    constraint_grids = [xgrid[grid_index(fk, xgrid)] for e in constraints.values() for fk, _ in e]
    feature_grids = (*data_grids, *constraint_grids)

    release_read_buffers()
    return FitInputs(
        xgrid=xgrid,
        datasets=tuple(fit_datasets),
        central=central,
        covmat=covmat,
        fit_covmat=fit_covmat,
        groups=covariance_groups(covmat, [d.rows for d in fit_datasets]),
        positivity=constraint_sets("positivity"),
        integrability=constraint_sets("integrability"),
        q0=float(next(iter(every)).q0),
        feature_grids=feature_grids,
        t0_predictions=t0_predictions,
    )


def find_table(folder: str | Path | None, name: str, key: str) -> Path:
    """The FK table `name` in `folder` (or a subfolder, as imported pickles keep them); `key`
    names the config entry that asked for it."""
    if folder is not None:
        folder = Path(folder)
        for candidate in (folder / f"{name}.parquet", *folder.glob(f"*/{name}.parquet")):
            if candidate.is_file():
                return candidate
    raise DisfitError(
        f"{key}: no FK table {name}.parquet in {folder or 'the given folders'}; fix the name "
        "or make the table"
    )


@fixed_blas_threads
def fit_inputs_from_config(
    config: Mapping[str, Any],
    data_dir: str | Path,
    covmat: str | Path,
    fktable_dirs: Sequence[str | Path],
    positivity_dir: str | Path | None,
    integrability_dir: str | Path | None,
) -> FitInputs:
    """The fit's inputs as a validated config names them: datasets with their training
    fractions, positivity and integrability sets with their λ_max, the t0 PDF."""
    fit = config["fit"]
    folders = {"positivity": positivity_dir, "integrability": integrability_dir}
    constraints = {
        kind: [
            (find_table(folders[kind], e["dataset"], f"fit.{kind}.datasets"), e["maxlambda"])
            for e in fit[kind]["datasets"]
        ]
        for kind in ("positivity", "integrability")
    }
    t0 = None
    if fit["t0pdfset"]:
        t0 = t0_pdf(fit["t0pdfset"], float(theory_card(config["theory"])["Q0"]))
    fracs = {d["dataset"]: d["frac"] for d in config["datasets"]}
    return load_fit_inputs(
        data_dir,
        covmat,
        fktable_dirs,
        constraints["positivity"],
        constraints["integrability"],
        fracs,
        t0,
    )
