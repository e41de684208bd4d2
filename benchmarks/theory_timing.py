"""Time the theory stage: FK tables of the default DIS selection + positivity + integrability.

    python benchmarks/theory_timing.py --scheme ZM-VFNS   # regenerate in a scratch copy, report
    python benchmarks/theory_timing.py RUN_DIR    # report on an existing run (results/<run>)
    python benchmarks/theory_timing.py --costs    # yadism s/point per scheme part, eko s/node
    python benchmarks/theory_timing.py --scheme ZM-VFNS --nodes 1.3:4   # other Q² nodes

Without --scheme the default theory (FONLL-C: hours of CPU) is regenerated.

Prints the wall time of the regeneration and its ratio to the 10-minute target, and the CPU
time per kind of job from Snakemake's benchmark files. `--costs` times yadism on samples of
real points (HERA NC, BCDMS, HERA charm, NuTeV) for ZM-VFNS and each of FONLL-C's seven parts,
with target-mass corrections on and off, and one eko node; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 600.0


def summarise(run: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted((run / "benchmarks" / "theory").glob("*.tsv")):
        kind = tsv.stem.split("_")[0]
        bench = pd.read_csv(tsv, sep="\t")
        first = bench.iloc[0]
        rows.append(
            {
                "kind": kind,
                "job": tsv.stem,
                "wall_s": first["s"],
                "cpu_s": first["cpu_time"],
                "max_rss_mb": first["max_rss"],
            }
        )
    table = pd.DataFrame(rows)
    return table.groupby("kind").agg(
        jobs=("job", "count"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        max_rss_mb=("max_rss_mb", "max"),
    )


def regenerate(theory: dict | None = None) -> tuple[float, Path]:
    """`snakemake ship_theory` of the default theory (with `theory` overrides) in a scratch copy."""
    work = Path(tempfile.mkdtemp(prefix="disfit-theory-bench-"))
    shutil.copy(ROOT / "Snakefile", work)
    for folder in ("workflow", "config", "envs", "resources/t0"):  # the config's t0 PDF
        shutil.copytree(ROOT / folder, work / folder)
    settings = {"theory": {"regenerate": True, **(theory or {})}}
    (work / "config" / "regenerate-theory.yaml").write_text(yaml.safe_dump(settings))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "ship_theory",
            "--cores",
            "2",
            "--configfile",
            "config/config.yaml",
            "config/regenerate-theory.yaml",
        ],
        cwd=work,
        env=env,
        check=True,
    )
    return time.perf_counter() - start, work / "results" / "default"


#: (dataset, variant, FK table, points) timed by --costs, as one yadism job holds them (the
#: first points in Q² order): small-x HERA, fixed-target, heavy-flavour and neutrino tables
SAMPLES = [
    ("HERA_NC_318GEV_EP-SIGMARED", "legacy", "HERA_NC_318GEV_EP_SIGMARED", 100),
    ("BCDMS_NC_NOTFIXED_P_EM-F2", "legacy_dw", "BCDMS_NC_100GEV_EM_P_F2", 97),
    ("HERA_NC_318GEV_EAVG_CHARM-SIGMARED", "legacy", "HERA_NC_318GEV_EAVG_SIGMARED_CHARM", 52),
    ("NUTEV_CC_NOTFIXED_FE_NU-SIGMARED", "legacy_dw", "NUTEV_CC_NU_FE_SIGMARED", 45),
]


def part_costs() -> pd.DataFrame:
    """yadism seconds per point (the run's setup included) per sample, scheme part and TMC.
    Points that share a Q² share yadism's target-mass-correction integrals within one run, so
    the cost per point depends on how many points a job holds."""
    import numpy as np

    from disfit.theory.card import theory_card, xgrid
    from disfit.theory.coefficients import dataset_fktable_points, observables_card, run_yadism
    from disfit.theory.fonll import FONLL_PARTS

    rows = []
    for dataset, variant, fktable, n in SAMPLES:
        points = dataset_fktable_points(dataset, variant)[fktable]
        order = np.argsort([p["Q2"] for p in points], kind="stable")
        chosen = [points[i] for i in order[:n]]
        for tmc in (True, False):
            theory = {"scheme": "FONLL-C", "tmc": tmc}
            card, grid = theory_card(theory), xgrid(theory)
            zm = theory_card({**theory, "scheme": "ZM-VFNS"})
            runs = [("ZM-VFNS", zm)] + [
                (f"{k} {p.scheme} nf={p.nf} {p.parts}", p.card(card))
                for k, p in enumerate(FONLL_PARTS)
            ]
            for label, run_card in runs:
                start = time.perf_counter()
                run_yadism(run_card, observables_card(fktable, chosen, grid))
                seconds = (time.perf_counter() - start) / n
                rows.append({"table": fktable, "tmc": tmc, "run": label, "s_per_point": seconds})
                q2 = len({p["Q2"] for p in chosen})
                print(
                    f"{fktable:36s} {n:3d} points {q2:3d} Q² tmc={tmc:d} {label:30s} "
                    f"{seconds:6.3f} s/point",
                    flush=True,
                )
    return pd.DataFrame(rows)


def eko_node_seconds() -> float:
    """One NNLO eko node of the default theory on the 50-point FK x grid."""
    from disfit.theory.card import theory_card, xgrid
    from disfit.theory.evolution import compute_eko, eko_backend

    card, grid = theory_card({}), xgrid({})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        compute_eko(card, [(100.0, 5)], grid, Path(tmp) / "node.tar")
        seconds = time.perf_counter() - start
    print(f"eko ({eko_backend()} backend): {seconds:.1f} s for one NNLO node on 50 x points")
    return seconds


def main() -> None:
    if sys.argv[1:] == ["--costs"]:
        eko_node_seconds()
        costs = part_costs()
        table = costs.pivot_table(index="run", columns=["table", "tmc"], values="s_per_point")
        print(table.round(2).to_string())
        zm = costs[costs["run"] == "ZM-VFNS"].set_index(["table", "tmc"])["s_per_point"]
        fonll = costs[costs["run"] != "ZM-VFNS"].groupby(["table", "tmc"])["s_per_point"].sum()
        print("FONLL-C (7 parts) / ZM-VFNS per point:")
        print((fonll / zm).round(1).to_string())
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path, help="report on this results/<run> folder")
    parser.add_argument("--scheme", help="theory.scheme of the regeneration")
    parser.add_argument("--nodes", help="theory.node_ratio:interpolation_points, e.g. 1.3:4")
    args = parser.parse_args()
    if args.run is not None:
        run, wall = args.run, None
    else:
        theory: dict = {"scheme": args.scheme} if args.scheme else {}
        if args.nodes:
            ratio, points = args.nodes.split(":")
            theory.update(node_ratio=float(ratio), interpolation_points=int(points))
        wall, run = regenerate(theory)
    table = summarise(run)
    print(table.to_string())
    print(f"CPU total {table['cpu_s'].sum():.0f} s; summed job wall {table['wall_s'].sum():.0f} s")
    if wall is not None:
        print(
            f"wall {wall:.0f} s for the whole theory: {wall / TARGET_S:.2f} × the 10-minute target"
        )


if __name__ == "__main__":
    main()
