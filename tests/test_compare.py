"""The comparison of two fits and the next iteration's config against validphys 4.1.5's own
functions (tests/reference/make_validphys_compare.py → tests/data/validphys_compare.npz): the
distances, the effective-exponent ranges, LHAPDF's interpolation as pdfflow does it, arc
lengths, and the `compare` target on two tiny runs with different seeds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import ROOT, run_cli, snakemake

from disfit.compare import stats

REFERENCE = ROOT / "tests" / "data" / "validphys_compare.npz"
KEYS = [f"Q={q}/{b}" for q in ("1.65", "100") for b in ("evolution", "flavour")]
RERUN = "the tiny fit changed: rerun tests/reference/make_validphys_compare.py"


@pytest.fixture(scope="module")
def vp() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as ref:
        return {k: ref[k] for k in ref.files}


def test_grid_is_validphys_default(vp):
    np.testing.assert_array_equal(stats.XGRID, vp["x"])


@pytest.mark.parametrize("key", KEYS)
def test_distances_equal_validphys(vp, key):
    """distance_grids and variance_distance_grids on validphys' own grids of the two sets."""
    grid, ref = vp[f"{key}/grid0"], vp[f"{key}/grid1"]
    np.testing.assert_allclose(stats.distance(grid, ref), vp[f"{key}/central"], rtol=1e-13)
    np.testing.assert_allclose(
        stats.variance_distance(grid, ref), vp[f"{key}/variance"], rtol=1e-13
    )
    # the numbers are not trivial: distances of a few standard errors, not zero or NaN
    assert 0.5 < np.mean(vp[f"{key}/central"]) < 50


@pytest.mark.parametrize("member", [0, 1])
def test_next_ranges_equal_validphys(vp, member):
    """next_effective_exponents_table from validphys' α and β at its x points, and the ranges
    vp-nextfitruncard writes (np.clip with its limits, 4 significant digits)."""
    alpha, beta = vp[f"next/{member}/alpha_points"], vp[f"next/{member}/beta_points"]
    labels = [lab.split("|")[0] for lab in vp[f"next/{member}/labels"][::2]]
    labels = ["Σ" if lab == r"$\Sigma$" else lab.strip("$") for lab in labels]
    ranges = stats.next_ranges(alpha, beta, labels)
    raw = vp[f"next/{member}/raw"]
    for j, (a, b) in enumerate(ranges):
        np.testing.assert_allclose(a, raw[2 * j], rtol=1e-14)
        np.testing.assert_allclose(b, raw[2 * j + 1], rtol=1e-14)
        fl = str(vp[f"next/{member}/fl"][j])
        iterated = stats.iterated_range(fl, "smallx", a) + stats.iterated_range(fl, "largex", b)
        assert iterated == list(vp[f"next/{member}/iterated"][j]), fl


def test_significant_digits_round_half_even():
    # reportengine's significant_digits: the float's exact binary value, half-even
    assert stats.significant(1.23456) == 1.235
    assert stats.significant(0.00012345) == 0.0001234  # 0.00012345 is below ...45 in binary
    assert stats.significant(-2.71828) == -2.718


def test_bad_inputs_are_one_line(capsys, tmp_path, monkeypatch):
    """A missing reference, a fit that was not run, an export without its theory id: one
    `disfit: error:` line naming the key or option."""
    monkeypatch.chdir(ROOT)  # the tiny config's t0 PDF is a relative path
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config["compare"] = {"reference": str(tmp_path / "nowhere")}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    assert "key compare.reference" in run_cli(capsys, "check-config", str(path))
    line = run_cli(
        capsys,
        *("next-config", "--config", str(path), "--run-dir", str(tmp_path), "--out", "x.yaml"),
    )
    assert "--run-dir" in line and "lhapdf" in line
    argv = ("export", "n3fit", "--config", str(path), "--run-dir", str(tmp_path))
    assert "key n3fit.theoryid" in run_cli(capsys, *argv, "--outdir", str(tmp_path / "o"))


@pytest.fixture(scope="module")
def seed2_run(workdir, tiny_run):
    """config/test-seed2.yaml through the workflow next to the tiny run."""
    assert tiny_run.returncode == 0, tiny_run.stderr[-2000:]
    run = snakemake(workdir, "--configfile", "config/test-seed2.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.glob("*.dat")):
        sha.update(path.name.encode() + path.read_bytes())
    return sha.hexdigest()


@pytest.mark.slow
def test_compare_target_against_validphys(workdir, seed2_run, vp):
    """`snakemake compare` on the two tiny runs: the page and its figures, and the numbers
    equal validphys' on the same LHAPDF sets (pdfflow's interpolation included)."""
    results = workdir / "results"
    sets = [results / "test" / "lhapdf" / "disfit_test", results / "test_seed2" / "lhapdf"]
    sets[1] = sets[1] / "disfit_test_seed2"
    if [_digest(s) for s in sets] != list(vp["sha256"]):
        pytest.fail(RERUN)
    (workdir / "config" / "compare.yaml").write_text(
        yaml.safe_dump({"compare": {"reference": "results/test_seed2"}})
    )
    run = snakemake(workdir, "compare", "--configfile", "config/test.yaml", "config/compare.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    out = results / "test" / "compare"
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert len(figures) == 19, figures
    page = (out / "index.html").read_text()
    for heading in ("Distances", "χ² per dataset", "Effective exponents", "Positivity"):
        assert heading in page

    from disfit.compare.fits import load_fit
    from disfit.fit.metrics import arc_length_integral

    fits = [load_fit(results / "test"), load_fit(results / "test_seed2")]
    with np.load(out / "distances.npz") as mine:
        for key in KEYS:
            q, basis = float(key.split("/")[0][2:]), key.split("/")[1]
            for i, fit in enumerate(fits):
                # LHAPDF's log-bicubic interpolation as pdfflow does it, to round-off
                np.testing.assert_allclose(
                    fit.grid(stats.XGRID, q, basis), vp[f"{key}/grid{i}"], rtol=1e-9, atol=1e-12
                )
            for kind in ("central", "variance"):
                np.testing.assert_allclose(
                    mine[f"Q={q:g}/{basis}/{kind}"], vp[f"{key}/{kind}"], rtol=1e-7
                )
    for basis in ("evolution", "flavour"):
        for i, fit in enumerate(fits):
            arcs = arc_length_integral(lambda x, f=fit, b=basis: f.grid(x, 1.65, b))
            np.testing.assert_allclose(arcs, vp[f"arc/{basis}/{i}"], rtol=1e-10)

    summary = json.loads((out / "summary.json").read_text())
    report = json.loads((results / "test" / "report" / "summary.json").read_text())
    for name, entry in report["datasets"].items():
        # the current fit's t0 χ² is the report's (both use the postfit grids)
        assert summary["chi2"][name]["t0"][0] == pytest.approx(entry["replica0"], rel=1e-12)
    for j, fl in enumerate(vp["next/0/fl"]):
        got = summary["next_ranges"]["test"]["iterated"][str(fl)]
        assert got["smallx"] + got["largex"] == list(vp["next/0/iterated"][j])


@pytest.mark.slow
def test_next_config_equals_vp_nextfitruncard(workdir, seed2_run, vp, tmp_path):
    """`disfit next-config`: t0 = the fit's postfit folder, validphys' ranges, new seeds, a
    config the schema accepts; the seeds are reproducible."""
    from disfit.cli import main
    from disfit.config import load_config

    out = tmp_path / "next.yaml"
    config = workdir / "config" / "test-seed2.yaml"
    run_dir = workdir / "results" / "test_seed2"
    argv = ["next-config", "--config", str(config), "--run-dir", str(run_dir)]
    assert main([*argv, "--out", str(out)]) == 0
    new = load_config(out)
    assert new["run_name"] == "test_seed2_iter1"
    assert new["fit"]["t0pdfset"] == str(run_dir / "postfit")
    ranges = {b["fl"]: b["smallx"] + b["largex"] for b in new["fit"]["basis"]}
    for j, fl in enumerate(vp["next/1/fl"]):
        assert ranges[str(fl)] == list(vp["next/1/iterated"][j]), fl
    old = yaml.safe_load(config.read_text())["fit"]
    assert all(new["fit"][s] != old[s] for s in ("trvlseed", "nnseed", "mcseed"))
    again = tmp_path / "again.yaml"
    assert main([*argv, "--out", str(again)]) == 0
    assert yaml.safe_load(again.read_text()) == yaml.safe_load(out.read_text())
