"""n3fit's pickles (the seed notebook's toyexpinfo.pkl, posdatasets.pkl, integdatasets.pkl),
loaded without running code from the file."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from disfit import __version__
from disfit.basis import NFL
from disfit.errors import DisfitError
from disfit.io.fktable import FKTable

#: the parametrisation scale of n3fit's pickles (they do not record it): NNPDF4.0's Q0 in GeV
PICKLE_Q0 = 1.65

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


def load_pickle_entries(path: Path) -> list[dict[str, Any]]:
    """The experiment (or positivity/integrability) dicts of an n3fit pickle."""
    content = load_n3fit_pickle(path)
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list) or not all(isinstance(e, dict) for e in content):
        raise DisfitError(f"{path}: expected a list of n3fit experiment dicts")
    return content


def fktable_from_entry(entry: dict[str, Any], name: str, q0: float, source: Path) -> FKTable:
    """An FKTable from one `fktables` entry of an n3fit pickle."""
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
