"""Closure tests: the level-1 data against validphys 4.1.5's make_level1_data, the estimators
against validphys' own functions, an analytic limit, and the workflow target on the tiny run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg as la

from disfit.closure import estimators as est
from disfit.closure.pseudodata import closure_data, fit_config, level1_shift
from disfit.fit.inputs import FitDataset, FitInputs, covariance_groups
from disfit.fit.replicas import replica_seed

DATA = Path(__file__).parent / "data"


def _inputs(loaded, law: np.ndarray) -> FitInputs:
    """FitInputs of `loaded` datasets whose t0 PDF (the law) predicts `law`."""
    from disfit.data.commondata import validphys_names
    from disfit.data.covmat import covmat_from_systematics, t0_covmat

    datasets, offset, parts = [], 0, []
    for d in loaded:
        experiment, seed_name = validphys_names(d.name, d.variant)
        rows = slice(offset, offset + d.ndata)
        zero = np.zeros((d.ndata, 8, 1))
        datasets.append(FitDataset(d.name, rows, 0.75, "NULL", (zero,), "", experiment, seed_name))
        parts.append(law[rows])
        offset += d.ndata
    central = np.concatenate([d.central for d in loaded])
    covmat = covmat_from_systematics(loaded)
    return FitInputs(
        np.ones(1),
        tuple(datasets),
        central,
        covmat,
        t0_covmat(loaded, parts),
        covariance_groups(covmat, [d.rows for d in datasets]),
        (),
        (),
        1.65,
        t0_predictions=law,
    )


def _reference(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / name) as ref:
        return {k: ref[k] for k in ref.files}


def test_level1_data_equal_validphys():
    """validphys 4.1.5's make_level1_data per experiment (tests/reference/
    make_validphys_level1.py): the experiment's covariance with MULT relative to the law, one
    generator per experiment seeded by the filterseed alone."""
    from disfit.data.commondata import load_dataset

    ref = _reference("validphys_level1.npz")
    variants = ["legacy_dw", "legacy", "legacy_dw", "legacy"]
    loaded = [load_dataset(str(n), v) for n, v in zip(ref["names"], variants, strict=True)]
    inputs = _inputs(loaded, ref["law"])
    for seed in (0, 1, 7):
        level1 = ref["law"] + level1_shift(inputs, seed)
        np.testing.assert_allclose(level1, ref[f"level1/{seed}"], rtol=1e-10)
    config = {
        "closure": {"fakepdf": "law", "level": 2, "filterseed": 0},
        "fit": {"trvlseed": 5, "nnseed": 6, "mcseed": 7, "t0pdfset": None},
    }
    # fit l shifts with filterseed + l - 1; the same config gives the same bits
    np.testing.assert_allclose(closure_data(inputs, config, 2), ref["level1/1"], rtol=1e-10)
    np.testing.assert_array_equal(closure_data(inputs, config, 3), closure_data(inputs, config, 3))
    assert not np.allclose(closure_data(inputs, config, 1), closure_data(inputs, config, 3))
    config["closure"]["level"] = 0
    np.testing.assert_array_equal(closure_data(inputs, config, 2), ref["law"])


def test_closure_fit_config():
    config = {
        "closure": {"fakepdf": "some/law", "level": 1, "filterseed": 3, "fits": 4},
        "fit": {"trvlseed": 5, "nnseed": 6, "mcseed": 7, "t0pdfset": "other", "genrep": True},
    }
    second = fit_config(config, 2)
    assert second["fit"]["t0pdfset"] == "some/law" and second["fit"]["genrep"] is False
    assert [second["fit"][k] for k in ("trvlseed", "nnseed", "mcseed")] == [6, 7, 8]
    assert config["fit"]["trvlseed"] == 5  # the config itself is left alone
    config["closure"]["level"] = 2
    assert fit_config(config, 1)["fit"]["genrep"] is True
    from disfit.errors import DisfitError

    with pytest.raises(DisfitError, match="numbered from 1"):
        fit_config(config, 0)


def test_estimators_equal_validphys():
    """validphys 4.1.0's multiclosure functions on made-up predictions (tests/reference/
    make_validphys_multiclosure.py): bias and variance per fit, ξ_1σ per eigendirection, the
    bootstrap (same resamples from the same seed), φ, Δχ², ξ_1σ in PDF space."""
    ref = _reference("validphys_multiclosure.npz")
    covmat, law, data, replicas = ref["covmat"], ref["law"], ref["data"], ref["replicas"]
    fits, nrep, ndata = replicas.shape
    indices = est.bootstrap_indices(fits, nrep, 20, 9689372)
    starts = np.cumsum((0, *ref["sizes"]))
    parts = [("total", slice(0, ndata))] + [
        (f"dataset{i}", slice(starts[i], starts[i + 1])) for i in range(len(ref["sizes"]))
    ]
    for name, rows in parts:
        e = est.estimators(
            covmat[rows, rows], replicas[..., rows], law[rows], data[:, rows], indices
        )
        np.testing.assert_allclose(e.bias, ref[f"{name}/bias"], rtol=1e-10)
        np.testing.assert_allclose(e.variance, ref[f"{name}/variance"], rtol=1e-10)
        np.testing.assert_array_equal(e.xi, ref[f"{name}/xi"])
        np.testing.assert_allclose(e.bootstrap[:, 0], ref[f"{name}/boot_bias"], rtol=1e-10)
        np.testing.assert_allclose(e.bootstrap[:, 1], ref[f"{name}/boot_variance"], rtol=1e-10)
        np.testing.assert_allclose(e.phi, ref[f"{name}/phi"], rtol=1e-10)
        np.testing.assert_allclose(e.delta_chi2, ref[f"{name}/delta_chi2"], rtol=1e-10)
    per_flavour, total = est.pdf_xi(ref["pdf"], ref["pdf_law"])
    np.testing.assert_array_equal(per_flavour, ref["pdf/xi_flavours"])
    assert total == pytest.approx(float(ref["pdf/xi_total"]), abs=1e-15)


def test_estimators_analytic_limit():
    """Fits whose means scatter around the law exactly as their replicas scatter around the
    means (both N(0, C)): R_bv → 1, ξ_1σ → erf(1/√2) = 0.683, φ² → 1 per point."""
    rng = np.random.default_rng(11)
    n, fits, nrep = 8, 400, 60
    a = rng.normal(size=(n, n))
    covmat = a @ a.T + n * np.eye(n)
    lower = la.cholesky(covmat, lower=True)
    law = rng.uniform(1, 2, n)
    means = law + (lower @ rng.normal(size=(n, fits))).T
    replicas = means[:, None, :] + np.einsum("ij,frj->fri", lower, rng.normal(size=(fits, nrep, n)))
    e = est.estimators(covmat, replicas, law, means, est.bootstrap_indices(fits, nrep, 10, 1))
    assert e.ratio == pytest.approx(1.0, abs=0.05)
    assert e.xi.mean() == pytest.approx(0.683, abs=0.02)
    assert float(est.expected_xi(1.0)) == pytest.approx(0.6827, abs=1e-4)
    assert np.mean(e.phi**2) == pytest.approx(1.0, abs=0.05)


def test_closure_data_file_checks(tmp_path):
    from disfit.errors import DisfitError
    from disfit.io.closure import read_closure_data, write_closure_data

    path = tmp_path / "data.parquet"
    law = np.arange(1.0, 4.0)
    write_closure_data(path, ["A", "A", "B"], law, law + 1, {"level": 1, "fit": 2})
    got_law, data, meta = read_closure_data(path, ["A", "A", "B"])
    np.testing.assert_array_equal(got_law, law)
    np.testing.assert_array_equal(data, law + 1)
    assert meta["fit"] == 2 and meta["level"] == 1
    with pytest.raises(DisfitError, match="not the fit's datasets"):
        read_closure_data(path, ["A", "B", "B"])
    with pytest.raises(DisfitError, match="not a readable Parquet"):
        (tmp_path / "bad.parquet").write_text("not parquet")
        read_closure_data(tmp_path / "bad.parquet", ["A"])


@pytest.mark.slow
def test_closure_target_on_the_tiny_run(workdir, tiny_run):
    """`snakemake closure` over the tiny run's data: two level-2 closure fits of two replicas,
    each fitting its own level-1 data with its own seeds; the estimators and the report."""
    from helpers import job_counts, snakemake

    from disfit.closure.analysis import point_names
    from disfit.closure.pseudodata import closure_config
    from disfit.config import load_config
    from disfit.fit.inputs import fit_inputs_from_config
    from disfit.io.closure import read_closure_data

    assert tiny_run.returncode == 0
    overlay = workdir / "config" / "closure-tiny.yaml"
    overlay.write_text(
        "fit: {epochs: 300}\n"
        "closure: {fakepdf: resources/t0/dis_exp, fits: 2, replicas: 2, filterseed: 4,"
        " bootstrap_samples: 5}\n"
    )
    run = snakemake(workdir, "closure", "--configfile", "config/test.yaml", str(overlay))
    assert run.returncode == 0, run.stderr[-3000:]
    results = workdir / "results" / "test"
    config = load_config(workdir / "config" / "test.yaml")
    config["closure"] = {
        "fakepdf": str(workdir / "resources/t0/dis_exp"),
        "level": 2,
        "filterseed": 4,
        "fits": 2,
    }
    config = closure_config(config)
    inputs = fit_inputs_from_config(
        config,
        results / "data",
        results / "data" / "covmat.parquet",
        sorted((results / "fktables").iterdir()),
        results / "theory" / "positivity",
        results / "theory" / "integrability",
    )
    for fit in (1, 2):
        path = results / "closure" / "data" / f"fit_{fit}.parquet"
        law, data, _ = read_closure_data(path, point_names(inputs))
        np.testing.assert_allclose(law, inputs.t0_predictions, rtol=1e-12)
        np.testing.assert_allclose(data, law + level1_shift(inputs, 3 + fit), rtol=1e-12)
        content = json.loads(
            (results / "closure" / f"fit_{fit}" / "replica_1" / "replica.json").read_text()
        )
        assert content["seeds"]["mcseed"] == replica_seed(1, 746898422 + fit - 1)
    summary = json.loads((results / "closure" / "estimators.json").read_text())["summary"]
    assert summary["fits"] == 2 and summary["replicas_per_fit"] == 2
    assert np.isfinite([summary[k] for k in ("R_bv", "xi_1sigma", "phi", "delta_chi2")]).all()
    # the bootstrap reruns the report only; one more fit adds its jobs and reruns the report
    overlay.write_text(overlay.read_text().replace("bootstrap_samples: 5", "bootstrap_samples: 6"))
    dry = snakemake(workdir, "-n", "closure", "--configfile", "config/test.yaml", str(overlay))
    assert job_counts(dry.stdout) == {"closure": 1}, dry.stdout[-2000:]
    overlay.write_text(overlay.read_text().replace("fits: 2", "fits: 3"))
    dry = snakemake(workdir, "-n", "closure", "--configfile", "config/test.yaml", str(overlay))
    assert job_counts(dry.stdout) == {
        "closure_data_3": 1,
        "closure_fit_3_1_1": 1,
        "closure_fit_3_2_2": 1,
        "closure_postfit_3": 1,
        "closure": 1,
    }, dry.stdout[-2000:]
    html = (results / "closure" / "report" / "index.html").read_text()
    assert html.count("<img") == 5
    assert len(list((results / "closure" / "report" / "figures").glob("*.png"))) == 5
