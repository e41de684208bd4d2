"""NNPDF's C-factor files (`CF_<NAME>_<FKTABLE>.dat`, shipped by nnpdf_data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disfit.errors import DisfitError


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
