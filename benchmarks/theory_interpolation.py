"""Accuracy of the ln Q² interpolation of the evolution operator, on BCDMS proton F2.

    python benchmarks/theory_interpolation.py [--order NNLO] [--xgrid-points 50]
    python benchmarks/theory_interpolation.py --study 1.3:4 2.0:4 2.0:6 ...  # ratio:points

`--study` compares node spacings and interpolation orders on BCDMS p F2 and the small-x
(x < 0.01) HERA NC e+p 318 GeV points, against operators at every exact Q².

BCDMS_NC_NOTFIXED_P_EM-F2 (351 points, 24 distinct Q², both sides of the bottom threshold):
FK tables from eko operators on the theory's Q² nodes, interpolated to each Q², against FK
tables from operators computed at every exact Q². Prints the largest relative difference of
the predictions for the toy PDF of the tests (target ≤ 1e-4) and the eko timings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import toy_xf_evolution  # noqa: E402

from disfit.theory.assemble import OperatorAt, fktable_from_coefficients  # noqa: E402
from disfit.theory.card import theory_card, xgrid  # noqa: E402
from disfit.theory.coefficients import (  # noqa: E402
    dataset_fktable_points,
    observables_card,
    run_yadism,
)
from disfit.theory.evolution import (  # noqa: E402
    compute_eko,
    load_operators,
    strong_coupling,
    theory_patches,
)
from disfit.theory.qgrid import patch_of, q2_nodes  # noqa: E402


def _eko(args: tuple) -> float:
    card, nodes, grid, path = args
    start = time.perf_counter()
    compute_eko(card, nodes, grid, path)
    return time.perf_counter() - start


def interpolation_accuracy(
    order: str, xgrid_points: int = 50, node_ratio: float = 1.3, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, int]:
    """(interpolated, exact) predictions of BCDMS p F2 for the toy PDF, and the node count."""
    config = {"order": order, "scheme": "ZM-VFNS", "xgrid_points": xgrid_points}
    card, grid = theory_card(config), xgrid(config)
    points = dataset_fktable_points("BCDMS_NC_NOTFIXED_P_EM-F2", "legacy_dw")
    start = time.perf_counter()
    coefficients = {k: run_yadism(card, observables_card(k, p, grid)) for k, p in points.items()}
    if verbose:
        print(f"yadism: {time.perf_counter() - start:.1f} s for 351 points")
    q2 = sorted({float(q) for c in coefficients.values() for q in c["Q2"]})
    all_patches = theory_patches(card)
    nodes = q2_nodes(q2, all_patches, ratio=node_ratio)
    exact = [(q, patch_of(q, all_patches).nf) for q in q2]
    work = Path(tempfile.mkdtemp(prefix="disfit-interp-"))
    jobs = {  # two processes: the 2 cores of this machine
        "nodes": [(card, nodes[i::2], grid, work / f"nodes{i}.tar") for i in range(2)],
        "exact": [(card, exact[i::2], grid, work / f"exact{i}.tar") for i in range(2)],
    }
    a_s = strong_coupling(card)
    predictions = {}
    for label, parts in jobs.items():
        start = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_eko, parts))
        wall = time.perf_counter() - start
        n = sum(len(p[1]) for p in parts)
        if verbose:
            print(
                f"eko {label}: {n} Q² in {wall:.0f} s wall on 2 processes "
                f"({2 * wall / n:.1f} s per Q²)"
            )
        at = OperatorAt(*load_operators([p[3] for p in parts])[:2], all_patches)
        predictions[label] = np.concatenate(
            [
                fktable_from_coefficients(k, {None: c}, card, at, a_s, "bench").predict_fn(
                    toy_xf_evolution
                )
                for k, c in coefficients.items()
            ]
        )
    assert len(q2) == 24
    return predictions["nodes"], predictions["exact"], len(nodes)


#: the points of --study: BCDMS p F2 (fixed target, both sides of mb²) and the small-x
#: (x < 0.01) HERA NC e+p points at 318 GeV
STUDY = {
    "BCDMS": ("BCDMS_NC_NOTFIXED_P_EM-F2", "legacy_dw", 1.0),
    "HERA small-x": ("HERA_NC_318GEV_EP-SIGMARED", "legacy", 0.01),
}


def interpolation_study(
    order: str, xgrid_points: int, settings: list[tuple[float, int]]
) -> dict[tuple[float, int], dict[str, float]]:
    """Largest relative difference interpolated/exact per sample, for each (node ratio,
    interpolation points), with the node count: operators at every exact Q² computed once."""
    config = {"order": order, "scheme": "ZM-VFNS", "xgrid_points": xgrid_points}
    card, grid = theory_card(config), xgrid(config)
    coefficients = {}
    for label, (dataset, variant, xmax) in STUDY.items():
        for table, points in dataset_fktable_points(dataset, variant).items():
            chosen = [p for p in points if p["x"] < xmax and p["Q2"] >= card["Q0"] ** 2]
            coefficients[label, table] = run_yadism(card, observables_card(table, chosen, grid))
    q2 = sorted({float(q) for c in coefficients.values() for q in c["Q2"]})
    all_patches = theory_patches(card)
    work = Path(tempfile.mkdtemp(prefix="disfit-interp-"))
    a_s = strong_coupling(card)

    def predictions(at: OperatorAt) -> dict[str, np.ndarray]:
        out: dict[str, list] = {}
        for (label, table), c in coefficients.items():
            fk = fktable_from_coefficients(table, {None: c}, card, at, a_s, "bench")
            out.setdefault(label, []).append(fk.predict_fn(toy_xf_evolution))
        return {label: np.concatenate(v) for label, v in out.items()}

    def evolve(nodes: list[tuple[float, int]], name: str) -> OperatorAt:
        parts = [(card, nodes[i::2], grid, work / f"{name}{i}.tar") for i in range(2)]
        start = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_eko, parts))
        print(
            f"eko {name}: {len(nodes)} Q² in {time.perf_counter() - start:.0f} s wall", flush=True
        )
        return load_operators([p[3] for p in parts])[:2]

    exact_nodes = [(q, patch_of(q, all_patches).nf) for q in q2]
    exact = predictions(OperatorAt(*evolve(exact_nodes, "exact"), all_patches))
    results = {}
    for ratio, npoints in settings:
        nodes = q2_nodes(q2, all_patches, ratio=ratio, npoints=npoints)
        name = f"nodes-{ratio}-{npoints}"
        at = OperatorAt(*evolve(nodes, name), all_patches, npoints=npoints)
        interpolated = predictions(at)
        results[ratio, npoints] = {"nodes": len(nodes), "distinct Q2": len(q2)} | {
            label: float(np.abs(interpolated[label] / exact[label] - 1).max()) for label in exact
        }
        print(f"ratio {ratio}, {npoints} points: {results[ratio, npoints]}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", default="NNLO", choices=["LO", "NLO", "NNLO"])
    parser.add_argument("--xgrid-points", type=int, default=50)
    parser.add_argument("--node-ratio", type=float, default=1.3)
    parser.add_argument(
        "--study",
        nargs="+",
        metavar="RATIO:POINTS",
        help="node ratios and interpolation points to compare on BCDMS and small-x HERA",
    )
    args = parser.parse_args()
    if args.study:
        settings = [(float(r), int(n)) for r, n in (s.split(":") for s in args.study)]
        results = interpolation_study(args.order, args.xgrid_points, settings)
        print(f"{args.order}, {args.xgrid_points} x points: max |interpolated/exact - 1|")
        for (ratio, npoints), row in results.items():
            print(
                f"  ratio {ratio:4.2f}, {npoints} points: "
                + ", ".join(
                    f"{k} {v:.2e}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()
                )
            )
        return
    interpolated, exact, nodes = interpolation_accuracy(
        args.order, args.xgrid_points, args.node_ratio
    )
    rel = np.abs(interpolated / exact - 1)
    print(
        f"{args.order}, {args.xgrid_points} x points, {nodes} nodes for 24 Q²: "
        f"max relative difference interpolated/exact = {rel.max():.2e} "
        f"({rel.max() / 1e-4:.3f} × the 1e-4 target), median {np.median(rel):.1e}"
    )


if __name__ == "__main__":
    main()
