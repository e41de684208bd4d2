"""The tiny config through a real SLURM (scripts/local_slurm.sh start: one node on localhost)
with the SLURM profile: every non-local rule is a SLURM job.

    bash scripts/local_slurm.sh start
    snakemake --workflow-profile profiles/slurm --slurm-status-command squeue \
        --configfile config/test.yaml --config run_name=slurm

`--slurm-status-command squeue`: the local SLURM keeps no accounting, so `sacct` cannot answer.
Without a running SLURM (`sinfo` fails) the test is skipped; CI starts one (.ci/run).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from helpers import ROOT, snakemake

pytestmark = pytest.mark.slow


def _slurm_running() -> bool:
    if not shutil.which("sinfo"):
        return False
    return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _slurm_running(), reason="no SLURM running (local_slurm.sh start)")
def test_tiny_config_through_slurm(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "Snakefile", work)
    for folder in ("workflow", "config", "envs", "resources", "profiles"):
        shutil.copytree(ROOT / folder, work / folder)
    args = [
        "--workflow-profile",
        "profiles/slurm",
        "--slurm-status-command",
        "squeue",
        "--configfile",
        "config/test.yaml",
        "--config",
        "run_name=slurm",
    ]
    run = snakemake(work, *args, "--slurm-init-seconds-before-status-checks", "5")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    # the terminal shows the disfit logger's summary; Snakemake's full log is in its log file
    assert "done: fit" in run.stdout + run.stderr
    (logfile,) = (work / ".snakemake" / "log").glob("*.snakemake.log")
    log = logfile.read_text()
    # the heavy rules went to SLURM, the copies ran in the main job
    for rule in (
        "data_commondata",
        "data_covmat",
        "fit_1_1",
        "fit_2_2",
        "postfit",
        "lhapdf",
        "report",
    ):
        assert f"rule {rule}:" in log
    # 3 datasets, covmat, 2 fits, postfit, lhapdf, report
    assert log.count("has been submitted with SLURM jobid") == 9
    results = work / "results" / "slurm"
    vetoes = json.loads((results / "postfit" / "veto_count.json").read_text())
    assert vetoes["replicas_fitted"] == [1, 2]
    assert (results / "lhapdf" / "disfit_slurm" / "disfit_slurm_0002.dat").is_file()
    assert (results / "report" / "index.html").is_file()
    again = snakemake(work, *args)
    assert "Nothing to be done" in again.stdout + again.stderr
