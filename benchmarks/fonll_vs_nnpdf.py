"""disfit's FONLL-C FK tables against NNPDF's own FONLL-C grids (theory 400), dataset by dataset.

    python benchmarks/fonll_vs_nnpdf.py GRIDS CONFIG

GRIDS: a folder of PineAPPL grids of NNPDF/theories' `data/grids/400/` (yadism's FONLL-C, the
theory card of 40000000 but its FONLL implementation of the time: one yadism run per grid,
evolved in the VFNS). CONFIG: the config of a disfit run with `theory.scheme: FONLL-C` whose
theory stage has run: results/<run_name>/theory/ holds its tables and its eko operator.

Both are convolved with one PDF, the t0 PDF of the default run at Q0: disfit's tables
directly; NNPDF's grids with that PDF evolved to each grid Q² by the run's own eko operator
(VFNS, interpolated in ln Q² from its nodes) and αs of the VFNS. Prints, per dataset, the
points compared and the mean, spread and largest relative difference disfit/NNPDF − 1.
"""

from __future__ import annotations

import argparse
import functools
import logging
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("fonll_vs_nnpdf")


def vfns_pdf(run: Path, theory: dict, xf_q0: np.ndarray):
    """x·f(x, Q²) (LHAPDF-style callable) of `xf_q0` (FK basis on the FK x grid) evolved by the
    run's eko operator, interpolated in x with eko's own log-x polynomials."""
    from eko import basis_rotation
    from eko.interpolation import InterpolatorDispatcher, XGrid

    from disfit.theory.assemble import OperatorAt
    from disfit.theory.card import xgrid

    at, grid = OperatorAt.from_eko(theory, sorted((run / "theory" / "eko").glob("*.tar")))
    assert np.allclose(grid, xgrid(theory))
    dispatcher = InterpolatorDispatcher(XGrid(grid, log=True), 4)
    pids = list(basis_rotation.flavor_basis_pids)
    f_q0 = xf_q0 / grid

    @functools.cache
    def at_q2(q2: float) -> np.ndarray:  # f(Q², x node) per PDG id
        return np.einsum("aikj,kj->ai", at(q2), f_q0)

    @functools.cache
    def weights(x: float) -> np.ndarray:
        return np.asarray(dispatcher.get_interpolation(np.array([x])))[0]

    def xfx(pid: int, x: float, q2: float) -> float:
        pid = 21 if pid == 0 else pid
        return float(x * weights(x) @ at_q2(q2)[pids.index(pid)])

    return xfx


def compare(grids: Path, config_path: Path) -> list[dict]:
    import pineappl

    from disfit.config import load_config
    from disfit.fit.t0 import t0_pdf
    from disfit.io.fktable import read_fktable
    from disfit.theory.card import theory_card, xgrid
    from disfit.theory.coefficients import fktable_points
    from disfit.theory.evolution import strong_coupling

    config = load_config(config_path)
    run = ROOT / "results" / config["run_name"]
    theory = config["theory"]
    card = theory_card(theory)
    if card["FNS"] != "FONLL-C":
        raise SystemExit(f"{run}: its theory is {card['FNS']}, not FONLL-C")
    grid = xgrid(theory)
    xf_q0 = t0_pdf(ROOT / "resources" / "t0" / "dis_exp", card["Q0"])(grid)
    xfx = vfns_pdf(run, theory, xf_q0)
    a_s = strong_coupling(card)
    rows = []
    for table in sorted((run / "theory" / "fktables").glob("*.parquet")):
        path = grids / f"{table.stem}.pineappl.lz4"
        if not path.is_file():  # one grid for BCDMS' beam energies (F2 has no y dependence)
            path = grids / f"{re.sub(r'_[0-9]+GEV_EM_', '_EM_', table.stem)}.pineappl.lz4"
        if not path.is_file():
            continue
        fk = read_fktable(table)
        ours = fk.predict_fn(lambda x, v=xf_q0: v)  # on the FK x grid
        nnpdf_grid = pineappl.grid.Grid.read(str(path))
        orders = [o.as_tuple() for o in nnpdf_grid.orders()]
        mask = np.array([o[0] <= card["PTO"] and not any(o[1:]) for o in orders])
        # the grid's bins (Q², x) in our points' order; points below Q0² cannot be evolved to
        limits = np.array(nnpdf_grid.bin_limits())[:, :, 0]
        points = fktable_points(table.stem, config["datasets"])
        ours_kin = np.array([[p["Q2"], p["x"]] for p in points])
        match = np.array([int(np.argmin(np.abs(limits / k - 1).sum(axis=1))) for k in ours_kin])
        if not np.allclose(limits[match], ours_kin, rtol=1e-6):
            print(f"{table.stem:40s} skipped: the bins of {path.name} are not its points")
            continue
        kept = np.flatnonzero(ours_kin[:, 0] >= card["Q0"] ** 2)
        theirs = np.asarray(
            nnpdf_grid.convolve(
                pdg_convs=nnpdf_grid.convolutions,
                xfxs=[xfx],
                alphas=lambda q2: 4 * np.pi * a_s(q2),
                order_mask=mask,
                bin_indices=np.array(match[kept], dtype=np.uint64),
            )
        )
        rel = ours[kept] / theirs - 1
        for q2, x, r in zip(*ours_kin[kept].T, rel, strict=True):
            log.info("%s Q2 %g x %g: %+.3e", table.stem, q2, x, r)
        rows.append(
            {
                "table": table.stem,
                "points": len(kept),
                "mean": float(rel.mean()),
                "std": float(rel.std()),
                "max": float(np.abs(rel).max()),
            }
        )
        print(
            f"{table.stem:40s} {len(kept):4d} points: disfit/NNPDF - 1 = "
            f"{rel.mean():+.2e} ± {rel.std():.1e}, largest {np.abs(rel).max():.1e}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grids", type=Path)
    parser.add_argument("config", type=Path)
    parser.add_argument("--points", action="store_true", help="print every point's difference")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO if args.points else logging.WARNING, format="%(message)s"
    )
    compare(args.grids, args.config)


if __name__ == "__main__":
    main()
