"""The t0 PDF: x·f at Q0 from an LHAPDF-format set (member 0) or from a previous disfit fit (mean
of its replicas), as a function x → (14, nx) in the FK evolution basis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

from disfit.basis import FLAVOUR_PIDS, NFL, evolution_basis
from disfit.errors import DisfitError
from disfit.io.lhapdf import read_member
from disfit.io.replica import EVOLUTION_FILE, read_replica_grid, replica_folders


def _interpolator(x: np.ndarray, xf: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    spline = CubicSpline(np.log(x), xf, axis=-1)
    return lambda points: spline(np.log(np.asarray(points, dtype=float)))


def lhapdf_member_at_q0(folder: Path, q0: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, x·f (14 flavour PIDs, nx)) of member 0 of an lhagrid1 set at its node Q = q0."""
    dat = sorted(folder.glob("*_0000.dat"))
    if not dat:
        raise DisfitError(
            f"{folder}: no <name>_0000.dat; name an LHAPDF set folder or a disfit postfit folder"
        )
    first = read_member(dat[0])[0]
    node = np.flatnonzero(np.isclose(first.qgrid, q0, rtol=1e-4))
    if len(node) == 0:
        raise DisfitError(f"{dat[0]}: its first subgrid has no Q = {q0} GeV node (the fit's Q0)")
    xf = np.zeros((NFL, len(first.xgrid)))
    for j, pid in enumerate(first.pids):
        if pid in FLAVOUR_PIDS:
            xf[FLAVOUR_PIDS.index(pid)] = first.values[node[0], j]
    return first.xgrid, xf


def t0_pdf(
    path: str | Path, q0: float, key: str = "fit.t0pdfset"
) -> Callable[[np.ndarray], np.ndarray]:
    """x → x·f (14, nx) in the FK evolution basis of the t0 PDF named by fit.t0pdfset: member 0
    of an LHAPDF set, or replica 0 of a disfit postfit folder (the mean of the replicas postfit
    selected, as LHAPDF's member 0 of a fit). `key` names the config entry in errors."""
    path = Path(path)
    if not path.is_dir():
        raise DisfitError(f"{key}: {path} is not a folder (an LHAPDF set or a postfit folder)")
    folders = dict(replica_folders(path))
    if 0 in folders:  # a postfit folder: replica 0 is the mean of the selected replicas
        x, xf, _ = read_replica_grid(folders[0] / EVOLUTION_FILE)
        return _interpolator(x, xf)
    if folders:
        raise DisfitError(
            f"{key}: {path} holds a fit's raw replicas, some of which postfit may reject;"
            " name its postfit folder (results/<run>/postfit) or an LHAPDF set"
        )
    x, xf = lhapdf_member_at_q0(path, q0)
    return _interpolator(x, evolution_basis(xf))
