"""validphys reads a disfit fit: the tiny run exported in n3fit's layout (`snakemake n3fit`) is
loaded by validphys 4.1.5 in NNPDF's own environment (tests/reference/validphys_load_fit.py),
which computes a dataset's χ² with the fit's cuts and theory (equal to disfit's within 1e-3)
and vp-nextfitruncard's ranges (equal to `disfit next-config`'s).

Skipped, with the reason, where NNPDF's environment or disfit's default theory installed in it
(benchmarks/n3fit_side_by_side.py --steps env theory) is absent."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import ROOT, snakemake

NNPDF_ENV = Path.home() / ".cache" / "disfit" / "nnpdf-4.1.5"
THEORY_ID = 999003  # where benchmarks/n3fit_side_by_side.py installs disfit's default theory
DATASET, VARIANT = "NMC_NC_NOTFIXED_P_EM-SIGMARED", "legacy"


def _missing() -> str | None:
    """Why validphys cannot run here, or None."""
    from disfit.config import load_config
    from disfit.theory.card import theory_id

    python = NNPDF_ENV / "bin" / "python"
    if not python.is_file():
        return f"NNPDF's environment {NNPDF_ENV} is absent (benchmarks/n3fit_side_by_side.py)"
    cards = list(
        NNPDF_ENV.glob(f"lib/python3*/site-packages/nnpdf_data/theory_cards/{THEORY_ID}.yaml")
    )
    folder = NNPDF_ENV / "share" / "NNPDF" / "theories" / f"theory_{THEORY_ID}" / "fastkernel"
    if not cards or not folder.is_dir():
        return f"theory {THEORY_ID} is not in {NNPDF_ENV} (n3fit_side_by_side.py --steps theory)"
    ours = theory_id(load_config(ROOT / "config" / "test.yaml")["theory"])
    if ours not in str(yaml.safe_load(cards[0].read_text()).get("Comments", "")):
        return f"theory {THEORY_ID} in {NNPDF_ENV} is not disfit's theory {ours}"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]


def _disfit_chi2(workdir: Path) -> float:
    """χ²/N of member 0 (replica 0 of postfit) for DATASET, experimental covariance, as the
    comparison computes it."""
    from disfit.basis import FIT_ROTATION
    from disfit.config import load_config
    from disfit.fit.inputs import fit_inputs_from_config
    from disfit.fit.metrics import dataset_chi2
    from disfit.io.replica import EVOLUTION_FILE, EXPORT_XGRID, read_replica_grid
    from disfit.lhapdf.operator import xf_on

    config = load_config(workdir / "config" / "test.yaml")
    run = workdir / "results" / "test"
    names = [d["dataset"] for d in config["datasets"]]
    inputs = fit_inputs_from_config(
        config,
        run / "data",
        run / "data" / "covmat.parquet",
        [run / "fktables" / n for n in names],
        run / "theory" / "positivity",
        run / "theory" / "integrability",
    )
    _, xf, _ = read_replica_grid(run / "postfit" / "replica_0" / EVOLUTION_FILE)
    fitted = np.einsum("kf,fa->ka", np.linalg.pinv(FIT_ROTATION), xf)[None]
    predictions = inputs.predictions(xf_on(inputs.xgrid, EXPORT_XGRID, fitted))
    _, per = dataset_chi2(inputs, predictions, inputs.covmat)
    j = names.index(DATASET)
    return float(per[0, j] / inputs.datasets[j].ndata)


def test_validphys_loads_the_export(workdir, tiny_run, tmp_path, monkeypatch):
    assert tiny_run.returncode == 0, tiny_run.stderr[-2000:]
    (workdir / "config" / "n3fit.yaml").write_text(
        yaml.safe_dump({"n3fit": {"theoryid": THEORY_ID}})
    )
    run = snakemake(workdir, "n3fit", "--configfile", "config/test.yaml", "config/n3fit.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    export = workdir / "results" / "test" / "n3fit"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [
            str(NNPDF_ENV / "bin" / "python"),
            str(ROOT / "tests" / "reference" / "validphys_load_fit.py"),
            str(export),
            "disfit_test",
            str(THEORY_ID),
            DATASET,
            VARIANT,
        ],
        capture_output=True,
        text=True,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    vp = json.loads(done.stdout.strip().splitlines()[-1])
    assert vp["fit"] == "disfit_test" and vp["theoryid"] == THEORY_ID
    assert vp["replicas"] == 2 and vp["ndata"] == 204
    monkeypatch.chdir(workdir)  # the config's t0 PDF is a relative path
    ours = _disfit_chi2(workdir)
    assert vp["chi2_central_per_point"] == pytest.approx(ours, rel=1e-3)

    from disfit.cli import main

    out = tmp_path / "next.yaml"
    argv = ["next-config", "--config", "config/test.yaml", "--run-dir", "results/test"]
    assert main([*argv, "--out", str(out)]) == 0
    basis = yaml.safe_load(out.read_text())["fit"]["basis"]
    assert [b["smallx"] + b["largex"] for b in basis] == [
        b["smallx"] + b["largex"] for b in vp["next_basis"]
    ]
