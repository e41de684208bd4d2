"""The Snakemake workflow: lint, dry-runs, the tiny config end to end, and a rerun that does
nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, snakemake

from disfit.data.commondata import load_dataset
from disfit.data.covmat import covmat_from_systematics
from disfit.io.covmat import read_covmat

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(ROOT / "Snakefile", work)
    for folder in ("workflow", "config", "envs", "resources", "profiles"):
        shutil.copytree(ROOT / folder, work / folder)
    return work


def test_lint_and_dry_runs(workdir):
    lint = snakemake(workdir, "--lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    dry = snakemake(workdir, "-n")
    assert dry.returncode == 0, dry.stderr
    # the default run: NNPDF4.0's DIS selection but HERA bottom (no FONLL)
    assert "data_commondata              18" in dry.stdout
    # the default theory is shipped: its tables are copied, not computed, and 100 replicas fitted
    assert "theory_select" in dry.stdout and "fit_1_100" in dry.stdout
    assert "theory_coefficients" not in dry.stdout
    # regenerating it: 24 data + 4 positivity FK tables, eko in parts, the LHAPDF operator
    theory = workdir / "config" / "theory.yaml"
    theory.write_text("theory: {regenerate: true}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/config.yaml", str(theory))
    assert dry.returncode == 0, dry.stderr
    for jobs in (
        "theory_coefficients             28",
        "theory_eko                       2",
        "lhapdf_eko                       2",
        "lhapdf_operator                  1",
        "theory_fktable                  24",
        "theory_positivity_fktable        4",
        "theory_dataset                  18",
    ):
        assert jobs in dry.stdout, dry.stdout[-2000:]


def test_tiny_config_end_to_end_then_nothing_to_do(workdir):
    run = snakemake(workdir, "--configfile", "config/test.yaml")
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


def test_lhapdf_set_of_the_tiny_run(workdir):
    """The tiny run's LHAPDF set, read by pdfflow (lhapdf-management's parser, LHAPDF's
    interpolation): Q0 = the exported grids to 1e-8, the momentum sum rule at 100 GeV to 1e-3,
    αs as eko's coupling, and disfit's own reader agrees with pdfflow."""
    import pdfflow
    import yaml
    from lhapdf_management.pdfsets import PDF as LHAPDFFile

    from disfit.io.lhapdf import read_set
    from disfit.io.replica import read_replica_grid
    from disfit.theory.card import theory_card
    from disfit.theory.evolution import strong_coupling

    results = workdir / "results" / "test"
    folder = results / "lhapdf" / "disfit_test"
    info = yaml.safe_load((folder / "disfit_test.info").read_text())
    assert info["NumMembers"] == 3 and info["Format"] == "lhagrid1" and info["QMax"] == 1e5
    assert len(set(info["AlphaS_Qs"])) == 49 and info["AlphaS_Qs"][0] == 1.65
    card = theory_card({})
    a_s = strong_coupling(card)
    np.testing.assert_allclose(
        4 * np.pi * a_s(info["MZ"] ** 2), card["alphas"], rtol=1e-6
    )  # αs(Qref) of the card
    ours = read_set(folder)
    for member in range(3):
        pdf = pdfflow.mkPDF(f"disfit_test/{member}", dirname=str(folder.parent))
        x, xf, meta = read_replica_grid(
            results / "postfit" / f"replica_{member}" / "xf_flavour.parquet"
        )
        pids = [int(c) for c in meta["columns"]]
        # the knots as lhapdf-management parses them (x slowest, then Q): Q0 = the export grid
        first = LHAPDFFile(folder).get_member_grids(member)[0]
        knots = first.grid.reshape(len(first.x), len(first.q2), len(first.flav))[:, 0, :]
        assert np.isclose(first.q2[0], 1.65**2) and np.allclose(first.x, x, rtol=1e-8, atol=0)
        for j, pid in enumerate(int(f) for f in first.flav):
            np.testing.assert_allclose(knots[:, j], xf[pids.index(pid)], rtol=1e-8, atol=1e-15)
            # and pdfflow's interpolation on the knots
            inside = x < 1  # LHAPDF's last knot x = 1
            read = pdf.py_xfxQ2(pid, x[inside], np.full(inside.sum(), 1.65**2)).numpy()
            np.testing.assert_allclose(read, xf[pids.index(pid)][inside], rtol=1e-6, atol=1e-10)
        # momentum sum rule at Q = 100 GeV: every flavour of the set, integrated in ln x
        grid = np.geomspace(1e-9, 1, 20001)[:-1]
        values = pdf.py_xfxQ2_allpid(grid, np.full(grid.size, 1e4)).numpy()
        momentum = np.trapezoid(values.sum(axis=1) * grid, np.log(grid))
        assert abs(momentum - 1) < 1e-3, (member, momentum)
        # disfit's reader on the set's knots at 100 GeV (between Q knots): same as pdfflow
        xs, ours_all = ours.xfx(member, 100.0)
        ours_g = ours_all[info["Flavors"].index(21)]
        theirs = pdf.py_xfxQ2(21, xs[:-1], np.full(xs.size - 1, 1e4)).numpy()
        big = np.abs(theirs) > 1e-3
        np.testing.assert_allclose(ours_g[:-1][big], theirs[big], rtol=2e-3)
    # a second evolution path: the theory's positivity tables give x·f at Q² = 5 GeV² from the
    # data-node operators (another eko run, the 50-point FK grid, Q² interpolation of the
    # operator); the set gives it from the LHAPDF operator and LHAPDF's Q interpolation
    from disfit.constraints import positivity_x
    from disfit.io.fktable import read_fktable
    from disfit.lhapdf.operator import xf_on

    x, xf_ev, _ = read_replica_grid(results / "postfit" / "replica_1" / "xf_evolution.parquet")
    pdf = pdfflow.mkPDF("disfit_test/1", dirname=str(folder.parent))
    for name, pid in (("GLUON", 21), ("UP", 2), ("ANTI_DOWN", -1), ("STRANGE", 3)):
        fk = read_fktable(results / "theory" / "positivity" / f"NNPDF_POS_{name}_40.parquet")
        via_fk = fk.predict(xf_on(fk.xgrid, x, xf_ev))
        xs = positivity_x()
        via_set = pdf.py_xfxQ2(pid, xs, np.full(xs.size, 5.0)).numpy()
        np.testing.assert_allclose(via_set, via_fk, rtol=2e-3, atol=2e-3 * np.abs(via_fk).max())
    exportgrid = yaml.safe_load(
        (results / "lhapdf" / "exportgrids" / "replica_1.exportgrid").read_text()
    )
    assert exportgrid["labels"][6] == "GLUON" and len(exportgrid["pdfgrid"]) == 196


def test_report_renders_in_chromium(workdir, tmp_path):
    """The report page in headless Chromium: every figure loads; a screenshot is kept."""
    from playwright.sync_api import sync_playwright

    page_path = workdir / "results" / "test" / "report" / "index.html"
    figures = sorted((page_path.parent / "figures").glob("*.png"))
    # PDFs at Q0 and 100 GeV, χ² per dataset, 3 datasets, χ², stopping, arc lengths, positivity
    assert len(figures) == 10, [f.name for f in figures]
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (scripts/env.sh installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        state = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])"
        )
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        text = page.inner_text("body")
        browser.close()
    assert len(state) == 10 and all(ok and width > 0 for ok, width, _ in state), state
    for heading in ("PDFs", "χ² per dataset", "Data and theory", "Postfit vetoes", "Provenance"):
        assert heading in text
    shutil.copy(tmp_path / "report.png", workdir / "report-screenshot.png")
    assert (tmp_path / "report.png").stat().st_size > 100_000


def test_snakemake_report_registers_the_figures(workdir):
    # Snakemake's own output (not the disfit logger's) lists what the report adds
    run = snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "--report",
        "smk-report.html",
        "--workflow-profile",
        "none",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    log = run.stdout + run.stderr
    for figure in ("pdfs_q0.png", "pdfs_100gev.png", "chi2_datasets.png", "positivity.png"):
        assert f"Adding {figure}" in log
    assert (workdir / "smk-report.html").stat().st_size > 100_000


def test_reruns_follow_what_changed(workdir):
    """After the tiny run: a fit setting reruns the fits and postfit only; a theory setting
    reruns the theory stage too."""
    fit = workdir / "config" / "fit-change.yaml"
    fit.write_text("fit: {replicas: 2, replicas_per_job: 1, epochs: 1500, threshold_chi2: 10.0}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/test.yaml", str(fit))
    assert dry.returncode == 0, dry.stderr
    jobs = _job_counts(dry.stdout)
    assert jobs.keys() == {"fit_1_1", "fit_2_2", "postfit", "lhapdf", "report", "all"}, jobs
    theory = workdir / "config" / "theory-change.yaml"
    theory.write_text("theory: {order: NLO}\n")
    dry = snakemake(workdir, "-n", "--configfile", "config/test.yaml", str(theory))
    assert dry.returncode == 0, dry.stderr
    jobs = _job_counts(dry.stdout)
    assert {"theory_coefficients", "theory_eko", "fit_1_1", "postfit"} <= jobs.keys(), jobs
    assert "data_commondata" not in jobs


def _job_counts(stdout: str) -> dict[str, int]:
    """Snakemake's "Job stats" table of a dry run."""
    lines = stdout.split("Job stats:")[1].splitlines()[3:]
    counts = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_kill_9_during_a_fit_then_resume(workdir):
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
