"""Time of `disfit lhapdf set`: the postfit replicas into an LHAPDF set with the theory's operator.

    python benchmarks/lhapdf_evolution.py [--postfit results/default/postfit]
        [--operator results/default/theory/lhapdf/operator.parquet]

Evolves the whole postfit folder (issue bar: 100 replicas in ≤ 2 minutes on 2 cores) and a
copy holding only replica 0 and one replica, and prints both times and their ratio: one
operator serves every replica, so the cost per replica falls with the number of replicas.
Also prints the momentum sum rule of every member at Q = 100 GeV from the written set.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from disfit.fit.metrics import momentum_integral
from disfit.io.lhapdf import read_set
from disfit.lhapdf.build import evolve_set
from disfit.report.build import REPORT_Q
from disfit.theory.card import theory_card, theory_id


def _timed(postfit: Path, operator: Path, outdir: Path) -> float:
    card, tid = theory_card({}), theory_id({})
    start = time.perf_counter()
    evolve_set(postfit, operator, outdir, card, tid, "bench")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postfit", type=Path, default=Path("results/default/postfit"))
    parser.add_argument(
        "--operator",
        type=Path,
        default=Path("results/default/theory/lhapdf/operator.parquet"),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = tmp / "postfit_small"
        small.mkdir()
        for k in (0, 1):
            shutil.copytree(args.postfit / f"replica_{k}", small / f"replica_{k}")
        veto = json.loads((args.postfit / "veto_count.json").read_text())
        veto["selected"] = veto["selected"][:1]
        (small / "veto_count.json").write_text(json.dumps(veto))
        one = _timed(small, args.operator, tmp / "one")
        replicas = len(list(args.postfit.glob("replica_*"))) - 1
        full = _timed(args.postfit, args.operator, tmp / "all")
        print(f"1 replica (+ replica 0): {one:.1f} s")
        print(f"{replicas} replicas (+ replica 0): {full:.1f} s  (bar: 100 in 120 s)")
        print(f"ratio all/one: {full / one:.1f} for {replicas}× the replicas")
        pdfset = read_set(tmp / "all" / "bench")
        sums = np.array(
            [momentum_integral(*pdfset.xfx(m, REPORT_Q)) for m in range(len(pdfset.members))]
        )
        print(
            f"momentum sum rule at {REPORT_Q:g} GeV: member 0 {sums[0]:.6f}, replicas "
            f"{sums[1:].mean():.6f} ± {sums[1:].std():.6f}, worst |1 − M| "
            f"{np.abs(sums - 1).max():.2e}"
        )


if __name__ == "__main__":
    main()
