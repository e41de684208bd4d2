"""PineAPPL FK tables (`.pineappl.lz4`), NNPDF's theory format: read into disfit's FKTable and
written from it, so that validphys and n3fit read disfit's tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disfit import __version__
from disfit.basis import FK_PIDS, NFL
from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path
from disfit.io.fktable import FKTable

PINEAPPL_SUFFIX = ".pineappl.lz4"


def read_pineappl_fktable(path: str | Path, name: str | None = None) -> FKTable:
    """Read a DIS PineAPPL FK table (evolution basis) into n3fit's convention.

    PineAPPL gives obs = Σ fk · f / bin normalisation; n3fit multiplies x·f, so divide by x and by
    the bin normalisation. A dataset's C-factors are applied by its caller.
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
        "pineappl_metadata": {k: str(v) for k, v in dict(pine.metadata).items()},
        "disfit_version": __version__,
    }
    return FKTable(name, xgrid, active, dense[:, active], float(np.sqrt(pine.fac0())), provenance)


def write_pineappl_fktable(
    fktable: FKTable,
    path: str | Path,
    bin_normalizations: np.ndarray | None = None,
    proton_pid: int = 2212,
) -> None:
    """Write `fktable` as a DIS PineAPPL FK table (evolution basis, one convolution).

    PineAPPL's convention is obs = Σ fk · f / bin normalisation, so the n3fit table (which
    multiplies x·f) is multiplied by x and by the normalisations (1 unless given).
    """
    from pineappl.boc import BinsWithFillLimits, Channel, Kinematics, Order, ScaleFuncForm, Scales
    from pineappl.convolutions import Conv, ConvType
    from pineappl.fk_table import FkTable
    from pineappl.grid import Grid
    from pineappl.interpolation import Interp
    from pineappl.pids import PidBasis
    from pineappl.subgrid import ImportSubgridV1

    q2 = float(fktable.q0) ** 2
    xgrid = np.asarray(fktable.xgrid, dtype=float)
    pids = [pid for pid, a in zip(FK_PIDS, fktable.active, strict=True) if a]
    ndata = fktable.ndata
    norms = np.ones(ndata) if bin_normalizations is None else np.asarray(bin_normalizations)
    values = fktable.values * xgrid * norms[:, None, None]
    bins = BinsWithFillLimits.from_limits_and_normalizations(
        [[(float(i), float(i + 1))] for i in range(ndata)], [float(n) for n in norms]
    )
    grid = Grid(
        PidBasis.Evol,
        [Channel([([pid], 1.0)]) for pid in pids],
        [Order(0, 0, 0, 0, 0)],
        bins,
        [Conv(ConvType(polarized=False, time_like=False), proton_pid)],
        # interpolation specs are required but unused by imported subgrids: (Q2, x)
        [Interp(min(0.5 * q2, 1.0), max(2.0 * q2, 1e8)), Interp(min(xgrid.min(), 1e-7), 1.0)],
        [Kinematics.Scale(0), Kinematics.X(0)],
        Scales(ScaleFuncForm.Scale(0), ScaleFuncForm.Scale(0), ScaleFuncForm.NoScale(0)),
    )
    nodes = [[q2], [float(x) for x in xgrid]]
    for d in range(ndata):
        for c in range(len(pids)):
            subgrid = ImportSubgridV1(np.ascontiguousarray(values[d, c][np.newaxis, :]), nodes)
            grid.set_subgrid(0, d, c, subgrid.into())
    fk = FkTable(grid)
    fk.set_metadata("disfit_name", fktable.name)
    for key, value in fktable.provenance.items():
        fk.set_metadata(f"disfit_{key}", str(value))
    with atomic_path(path) as tmp:
        fk.write_lz4(str(tmp))
