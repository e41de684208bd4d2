"""The report of the tiny run: the page in headless Chromium and the figures Snakemake's report
registers."""

from __future__ import annotations

import shutil

import pytest
from helpers import snakemake


def test_figures_drawn_in_other_processes_are_the_same_bytes(tmp_path):
    """A page whose figures are drawn by worker processes (`disfit report --cores`) is the same
    page, byte for byte, as one drawn in the report's process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from disfit.report.build import report_page

    def draw(page):
        x = np.geomspace(1e-5, 1, 50)
        for k in range(3):
            fig, axes = plt.subplots(1, 2, figsize=(6, 3), layout="constrained")
            axes[0].semilogx(x, x ** (k + 0.5) * (1 - x) ** 3, label=f"replica {k}")
            axes[0].fill_between(x, 0, x * (1 - x), alpha=0.3)
            axes[1].errorbar(np.arange(5), np.arange(5) ** 0.5, yerr=0.1, fmt="o")
            axes[0].legend()
            page.section(f"part {k}", "<p>text</p>")
            page.figure(f"figure_{k}", fig, f"caption {k}")

    for cores in (1, 2):
        with report_page(tmp_path / f"cores{cores}", "test", cores) as page:
            draw(page)
    one, many = tmp_path / "cores1", tmp_path / "cores2"
    assert (one / "index.html").read_bytes() == (many / "index.html").read_bytes()
    for k in range(3):
        png = f"figures/figure_{k}.png"
        assert (one / png).read_bytes() == (many / png).read_bytes()


@pytest.mark.slow
def test_report_renders_in_chromium(workdir, tiny_run, tmp_path):
    """The report page in headless Chromium: every figure loads; a screenshot is kept."""
    from playwright.sync_api import sync_playwright

    page_path = workdir / "results" / "test" / "report" / "index.html"
    figures = sorted((page_path.parent / "figures").glob("*.png"))
    # PDFs at Q0 and 100 GeV, χ² per dataset, 3 datasets, χ², stopping, arc lengths, positivity
    assert len(figures) == 10, [f.name for f in figures]
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (scripts/test.sh installs it)"
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


@pytest.mark.slow
def test_snakemake_report_registers_the_figures(workdir, tiny_run):
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
