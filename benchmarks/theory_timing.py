"""Time the theory stage: FK tables of the default DIS selection + positivity + integrability.

    python benchmarks/theory_timing.py            # regenerate in a scratch copy, then report
    python benchmarks/theory_timing.py RUN_DIR    # report on an existing run (results/<run>)

Prints the wall time of the regeneration and its ratio to the 10-minute target, and the CPU
time per kind of job from Snakemake's benchmark files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

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


def regenerate() -> tuple[float, Path]:
    work = Path(tempfile.mkdtemp(prefix="disfit-theory-bench-"))
    shutil.copy(ROOT / "Snakefile", work)
    for folder in ("workflow", "config", "envs"):
        shutil.copytree(ROOT / folder, work / folder)
    (work / "config" / "regenerate-theory.yaml").write_text("theory:\n  regenerate: true\n")
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


def main() -> None:
    if len(sys.argv) > 1:
        run, wall = Path(sys.argv[1]), None
    else:
        wall, run = regenerate()
    table = summarise(run)
    print(table.to_string())
    print(f"CPU total {table['cpu_s'].sum():.0f} s; summed job wall {table['wall_s'].sum():.0f} s")
    if wall is not None:
        print(
            f"wall {wall:.0f} s for the whole theory: {wall / TARGET_S:.2f} × the 10-minute target"
        )


if __name__ == "__main__":
    main()
