"""Import FK tables made elsewhere: PineAPPL FK tables and n3fit-style pickles."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg as la

from disfit import __version__
from disfit.data.commondata import DataSet, write_dataset
from disfit.data.covmat import write_covmat
from disfit.errors import DisfitError
from disfit.theory.fktable import FK_PIDS, NFL, FKTable, write_fktable

PINEAPPL_SUFFIX = ".pineappl.lz4"


def cfactor_path() -> Path:
    """Folder of C-factor files shipped by nnpdf_data (CF_<NAME>_<FKTABLE>.dat)."""
    import nnpdf_data

    return Path(nnpdf_data.__file__).parent / "cfactors"


def read_cfactor(name: str, fktable: str, folder: Path | None = None) -> np.ndarray:
    """Central values of C-factor `name` for `fktable` (NNPDF's CF_*.dat format)."""
    path = (folder or cfactor_path()) / f"CF_{name}_{fktable}.dat"
    if not path.is_file():
        raise DisfitError(f"{path}: C-factor {name!r} for FK table {fktable} not found")
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("*"):
        raise DisfitError(f"{path}: not a C-factor file (first line should start with '*')")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.startswith("*"))
        values = np.loadtxt(lines[end + 1 :], ndmin=2)
    except (StopIteration, ValueError) as exc:
        raise DisfitError(f"{path}: malformed C-factor file ({exc})") from None
    return values[:, 0]


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


def fktable_from_pineappl(
    path: str | Path,
    name: str | None = None,
    cfactors: Sequence[str] = (),
    conversion_factor: float = 1.0,
) -> FKTable:
    """Read a DIS PineAPPL FK table (evolution basis) into n3fit's convention.

    PineAPPL gives obs = Σ fk · f / bin normalisation; n3fit multiplies x·f, so divide by x and by
    the bin normalisation, then apply the C-factors and the dataset's conversion factor.
    """
    from pineappl.fk_table import FkTable

    path = Path(path)
    name = name or path.name.removesuffix(PINEAPPL_SUFFIX)
    if not path.is_file():
        raise DisfitError(f"{path}: PineAPPL FK table not found")
    try:
        pine = FkTable.read(str(path))
    except BaseException as exc:  # pineappl raises PanicException, a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise DisfitError(f"{path}: not a readable PineAPPL FK table ({exc})") from None
    if len(pine.convolutions) != 1:
        raise DisfitError(f"{path}: {len(pine.convolutions)} convolutions; DIS tables have one")
    xgrid = np.asarray(pine.x_grid(), dtype=float)
    table = np.asarray(pine.table(), dtype=float)  # (ndata, channels, nx)
    table = table / np.asarray(pine.bin_normalizations())[:, None, None] / xgrid
    table *= dataset_factors(name, table.shape[0], cfactors, conversion_factor)[:, None, None]
    active = np.zeros(NFL, dtype=bool)
    dense = np.zeros((table.shape[0], NFL, len(xgrid)))
    for c, channel in enumerate(pine.channels()):
        pids = [entry[0] if isinstance(entry, list | tuple) else entry for entry in channel]
        pid = int(pids[0])
        if len(pids) != 1 or pid not in FK_PIDS:
            raise DisfitError(f"{path}: channel {channel} is not one evolution-basis flavour")
        active[FK_PIDS.index(pid)] = True
        dense[:, FK_PIDS.index(pid)] += table[:, c]
    provenance = {
        "source": "pineappl",
        "file": path.name,
        "cfactors": list(cfactors),
        "conversion_factor": float(conversion_factor),
        "pineappl_metadata": {k: str(v) for k, v in dict(pine.metadata).items()},
        "disfit_version": __version__,
    }
    return FKTable(name, xgrid, active, dense[:, active], float(np.sqrt(pine.fac0())), provenance)


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
            fk = fktable_from_pineappl(
                folder / f"{name}{PINEAPPL_SUFFIX}", name, dataset.cfac, dataset.conversion_factor
            )
            out = Path(outdir) / f"{name}.parquet"
            write_fktable(fk, out)
            written.append(out)
    return written


# --- n3fit pickles (the seed notebook's toyexpinfo.pkl, posdatasets.pkl, integdatasets.pkl) ---


#: the only globals an n3fit pickle may name: numpy arrays, dtypes and scalars (numpy 1 and 2
#: module paths) and plain containers. Anything else (a function, a class with __reduce__) is
#: refused before it is called, so loading a crafted file runs no code.
PICKLE_GLOBALS = frozenset(
    {
        *(
            (module, name)
            for module in ("numpy.core.multiarray", "numpy._core.multiarray")
            for name in ("_reconstruct", "scalar")
        ),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *(("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "bytearray")),
        *(("builtins", n) for n in ("int", "float", "complex", "bool", "str", "bytes")),
        ("collections", "OrderedDict"),
        ("_codecs", "encode"),  # how protocol 2 stores the bytes of a numpy array
    }
)


class _N3fitUnpickler(pickle.Unpickler):
    """An unpickler that admits only `PICKLE_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        # protocol 2 files name Python 2's modules (pickle maps them back the same way)
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(
                f"it names {module}.{name}, which n3fit pickles never hold (only numpy arrays, "
                "numbers, strings and containers are loaded; nothing was run)"
            )
        return super().find_class(module, name)


def load_n3fit_pickle(path: Path) -> Any:
    """The content of an n3fit pickle, loaded without running code from the file."""
    if not path.is_file():
        raise DisfitError(f"{path}: pickle not found")
    try:
        with path.open("rb") as stream:
            return _N3fitUnpickler(stream).load()
    except Exception as exc:
        raise DisfitError(f"{path}: not a loadable n3fit pickle: {exc}") from None


def _load_pickle(path: Path) -> list[dict[str, Any]]:
    content = load_n3fit_pickle(path)
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list) or not all(isinstance(e, dict) for e in content):
        raise DisfitError(f"{path}: expected a list of n3fit experiment dicts")
    return content


def _fktable_from_dict(entry: dict[str, Any], name: str, q0: float, source: Path) -> FKTable:
    try:
        xgrid = np.asarray(entry["xgrid"], dtype=float).reshape(-1)
        basis = [int(b) for b in np.asarray(entry["basis"]).reshape(-1)]
        values = np.asarray(entry["fktable"], dtype=float)
    except KeyError as exc:
        raise DisfitError(f"{source}: FK table {name} has no {exc} entry") from None
    active = np.zeros(NFL, dtype=bool)
    active[basis] = True
    if basis != sorted(basis):  # n3fit lists the basis in increasing order; be safe
        values = values[:, np.argsort(basis), :]
    provenance = {"source": "n3fit pickle", "file": source.name, "disfit_version": __version__}
    return FKTable(name, xgrid, active, values, q0, provenance)


def import_pickles(
    experiments: str | Path,
    outdir: str | Path,
    positivity: str | Path | None = None,
    integrability: str | Path | None = None,
    q0: float = 1.65,
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
    for exp in _load_pickle(experiments_path):
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
                fk = _fktable_from_dict(entry, fkname, q0, experiments_path)
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
                    ),  # fmt: skip
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
        for lagrange in _load_pickle(source):
            for dset in lagrange["datasets"]:
                for i, entry in enumerate(dset["fktables"]):
                    fkname = str(entry.get("name", f"{dset['name']}_{i}"))
                    fk = _fktable_from_dict(entry, fkname, q0, source)
                    provenance = {
                        **fk.provenance,
                        "kind": kind,
                        "maxlambda": lagrange.get("lambda"),
                    }
                    fk = dataclasses.replace(fk, provenance=provenance)
                    write_fktable(fk, outdir / kind / str(dset["name"]) / f"{fkname}.parquet")
                written[kind].append(str(dset["name"]))
    return written


def _nan_kinematics(ndata: int):
    import pandas as pd

    nan = np.full(ndata, np.nan)
    return pd.DataFrame({"x": nan, "Q2": nan, "y": nan})
