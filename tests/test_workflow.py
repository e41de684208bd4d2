"""The Snakemake workflow: lint, dry-runs, the tiny config end to end, and a rerun that does
nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import job_counts, snakemake

from disfit.constraints import POSITIVITY_STRUCTURE_FUNCTIONS
from disfit.data.commondata import load_dataset
from disfit.data.covmat import covmat_from_systematics
from disfit.io.covmat import read_covmat
from disfit.theory.coefficients import coefficient_jobs, fktable_datasets

pytestmark = pytest.mark.slow


def test_lint_and_dry_runs(workdir):
    lint = snakemake(workdir, "--lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    dry = snakemake(workdir, "-n")
    assert dry.returncode == 0, dry.stderr
    # the default run: NNPDF4.0's DIS selection, all 19 datasets (FONLL-C: HERA bottom too)
    assert "data_commondata              19" in dry.stdout
    # the default theory is shipped: its tables are copied, not computed, and 100 replicas fitted
    # in two jobs of 50
    assert "theory_select" in dry.stdout and "fit_1_50" in dry.stdout and "fit_51_100" in dry.stdout
    assert "theory_coefficients" not in dry.stdout
    # regenerating it: seven FONLL parts per table in jobs sized by their cost, 25 data + 5
    # positivity FK tables, eko in parts, the LHAPDF operator
    theory = workdir / "config" / "theory.yaml"
    theory.write_text("theory: {regenerate: true}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/config.yaml", str(theory))
    assert dry.returncode == 0, dry.stderr
    datasets = yaml.safe_load((workdir / "config" / "config.yaml").read_text())["datasets"]
    tables = [*fktable_datasets(datasets), *POSITIVITY_STRUCTURE_FUNCTIONS]
    jobs = sum(len(coefficient_jobs(t, "FONLL-C", 150)) for t in tables)
    assert len(tables) == 30 and jobs > 7 * 30
    for line in (
        rf"theory_coefficients +{jobs}\n",
        "theory_eko                       2",
        "lhapdf_eko                       2",
        "lhapdf_operator                  1",
        "theory_fktable                  25",
        "theory_positivity_fktable        5",
        "theory_dataset                  19",
    ):
        assert re.search(line, dry.stdout), dry.stdout[-2000:]
    # ZM-VFNS: one yadism run per table in jobs of 150 points; the LHAPDF operator of the
    # FONLL-C theory (same evolution) is the shipped one
    theory.write_text("theory: {scheme: ZM-VFNS}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/config.yaml", str(theory))
    assert dry.returncode == 0, dry.stderr
    jobs = sum(len(coefficient_jobs(t, "ZM-VFNS", 150)) for t in tables)
    assert re.search(rf"theory_coefficients +{jobs}\n", dry.stdout), dry.stdout[-2000:]
    assert "theory_fktable                  25" in dry.stdout
    assert "lhapdf_operator_select" in dry.stdout and "lhapdf_eko" not in dry.stdout


def test_tiny_config_end_to_end_then_nothing_to_do(workdir, tiny_run):
    run = tiny_run
    assert run.returncode == 0, run.stderr[-3000:]
    results = workdir / "results" / "test"
    summary = pd.read_csv(results / "data" / "summary.tsv", sep="\t")
    assert summary["ndata_cut"].tolist() == [33, 204, 37, 274]
    covmat, names, _ = read_covmat(results / "data" / "covmat.parquet")
    datasets = [
        load_dataset(n, v)
        for n, v in (
            ("SLAC_NC_NOTFIXED_P_EM-F2", "legacy_dw"),
            ("NMC_NC_NOTFIXED_P_EM-SIGMARED", "legacy"),
            ("HERA_NC_318GEV_EAVG_CHARM-SIGMARED", "legacy"),
        )
    ]
    np.testing.assert_allclose(covmat, covmat_from_systematics(datasets), rtol=1e-14)
    assert (results / "logs" / "data" / "covmat.log").read_text().count("274 points") == 1
    for k in (1, 2):  # two replica fits from the shipped FK tables
        content = json.loads((results / "fit" / f"replica_{k}" / "replica.json").read_text())
        assert content["ndata"]["total"] == 274 and np.isfinite(content["chi2"])
    vetoes = json.loads((results / "postfit" / "veto_count.json").read_text())
    assert vetoes["replicas_fitted"] == [1, 2] and vetoes["selected"] == vetoes["passing"]
    assert (results / "postfit" / "replica_0" / "xf_evolution.parquet").is_file()
    again = snakemake(workdir, "--configfile", "config/test.yaml")
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr


def test_reruns_follow_what_changed(workdir, tiny_run):
    """After the tiny run: a fit setting reruns the fits and postfit only; a theory setting
    reruns the theory stage too."""
    fit = workdir / "config" / "fit-change.yaml"
    fit.write_text("fit: {replicas: 2, replicas_per_job: 1, epochs: 1500, threshold_chi2: 10.0}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/test.yaml", str(fit))
    assert dry.returncode == 0, dry.stderr
    jobs = job_counts(dry.stdout)
    assert jobs.keys() == {"fit_1_1", "fit_2_2", "postfit", "lhapdf", "report", "all"}, jobs
    theory = workdir / "config" / "theory-change.yaml"
    theory.write_text("theory: {order: NLO, scheme: FONLL-A}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/test.yaml", str(theory))
    assert dry.returncode == 0, dry.stderr
    jobs = job_counts(dry.stdout)
    assert {"theory_coefficients", "theory_eko", "fit_1_1", "postfit"} <= jobs.keys(), jobs
    assert "data_commondata" not in jobs


def test_kill_9_during_a_fit_then_resume(workdir, tiny_run):
    """kill -9 of a running fit job: the run fails, leaves no replica folder, and a rerun
    completes with replicas identical to the uninterrupted run (results/test) bit for bit."""
    import time

    overlay = workdir / "config" / "resume.yaml"
    overlay.write_text("run_name: resume\n")
    args = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "1",
        "--configfile",
        "config/test.yaml",
        str(overlay),
    ]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.Popen(
        args, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log = workdir / "results" / "resume" / "logs" / "fit" / "replicas_1-1.log"
    deadline = time.time() + 300
    while time.time() < deadline and not (log.is_file() and "fit of" in log.read_text()):
        time.sleep(0.5)
    killed = subprocess.run(["pkill", "-9", "-f", "disfit fit .*results/resume/fit"])
    assert killed.returncode == 0, "no running fit job to kill"
    run.communicate(timeout=300)
    assert run.returncode != 0
    fit = workdir / "results" / "resume" / "fit"
    assert not (fit / "replica_1").exists() and not list(fit.glob(".replica_*"))
    again = snakemake(workdir, "--configfile", "config/test.yaml", str(overlay))
    assert again.returncode == 0, again.stderr[-3000:]
    for k in (1, 2):
        for name in ("xf_evolution.parquet", "xf_flavour.parquet", "chi2_history.parquet"):
            ours = (fit / f"replica_{k}" / name).read_bytes()
            assert (
                ours == (workdir / "results" / "test" / "fit" / f"replica_{k}" / name).read_bytes()
            )
    ours = workdir / "results" / "resume" / "postfit" / "replica_0" / "xf_evolution.parquet"
    theirs = workdir / "results" / "test" / "postfit" / "replica_0" / "xf_evolution.parquet"
    assert ours.read_bytes() == theirs.read_bytes()
    # the LHAPDF members too (the set's name follows the run)
    for k in range(3):
        ours = (
            workdir
            / "results"
            / "resume"
            / "lhapdf"
            / "disfit_resume"
            / f"disfit_resume_{k:04d}.dat"
        )
        theirs = (
            workdir / "results" / "test" / "lhapdf" / "disfit_test" / f"disfit_test_{k:04d}.dat"
        )
        assert ours.read_bytes() == theirs.read_bytes()


def test_slurm_profile_dry_run(workdir):
    dry = snakemake(
        workdir, "-n", "--workflow-profile", "profiles/slurm", "--configfile", "config/test.yaml"
    )
    assert dry.returncode == 0, dry.stderr[-2000:]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, frac: 1.5}\n",
            "key datasets[0].frac: 1.5 is greater than the maximum of 1",
        ),
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_xx}\n",
            "key datasets[0]: dataset 'SLAC_NC_NOTFIXED_P_EM-F2': unknown variant 'legacy_xx'",
        ),
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw}\n"
            "fit: {t0pdfset: no/such/set}\n",
            "key fit.t0pdfset",
        ),
    ],
)
def test_bad_config_stops_before_any_job(workdir, content, expected):
    """The Snakefile runs the same checks as `disfit check-config`: one line, before the DAG,
    nothing written, for a real run as for a dry run."""
    bad = workdir / "config" / "bad.yaml"
    bad.write_text(content)
    for dry in (True, False):
        run = snakemake(
            workdir, *(["-n"] if dry else []), "--configfile", str(bad), "--config", "run_name=bad"
        )
        assert run.returncode != 0
        snakemakes_own = ("Using workflow specific profile", "Config file")
        lines = [
            line
            for line in (run.stdout + run.stderr).strip().splitlines()
            if not line.startswith(snakemakes_own)
        ]
        assert len(lines) == 1 and lines[0].startswith("disfit: error: "), lines
        assert str(bad) in lines[0] and expected in lines[0]
        assert not (workdir / "results" / "bad").exists()


def test_pickle_import_through_the_workflow(workdir, tmp_path):
    from helpers import write_toy_pickles

    toy = write_toy_pickles(tmp_path)
    config = workdir / "config" / "pickles.yaml"
    config.write_text(
        "run_name: pickles\nfktables: {source: none}\n"
        "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw}\n"
        f"pickles: {{experiments: {tmp_path / 'exp.pkl'}, positivity: {tmp_path / 'pos.pkl'}, "
        "fit: false}\n"
    )
    run = snakemake(workdir, "--configfile", str(config))
    assert run.returncode == 0, run.stderr[-3000:]
    covmat, names, _ = read_covmat(
        workdir / "results" / "pickles" / "pickles" / "data" / "covmat.parquet"
    )
    np.testing.assert_allclose(covmat, toy["covmat"], rtol=1e-12)
    assert (workdir / "results" / "pickles" / "pickles" / "positivity" / "POSTOY").is_dir()
