"""Bad input gives one clear line naming the file or key, a non-zero exit, and no output."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from disfit.cli import main
from disfit.data.commondata import DataSet, write_dataset
from disfit.theory.fktable import FK_BASIS, FKTable, write_fktable


def run_cli(capsys, *argv: str) -> str:
    """Run `disfit argv`, require exit code 2 and exactly one line on stderr; return it."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("disfit: error: ")
    return err[0]


def toy_dataset(central=(1.0, 2.0), stat=(0.1, 0.1), sys_type="CORR") -> DataSet:
    n = len(central)
    return DataSet(
        name="TOY_NC_F2", variant=None, process_type="DIS_NC",
        entries=np.arange(1, n + 1), kinematics=pd.DataFrame({"x": [0.1] * n, "Q2": [10.0] * n}),
        central=np.array(central, dtype=float), stat=np.array(stat, dtype=float),
        sys=np.full((n, 1), 0.05), sys_treatment=("ADD",), sys_type=(sys_type,),
        fktables=(("TOY",),), operation="NULL", ndata_total=n,
    )  # fmt: skip


def no_outputs(folder) -> bool:
    return not any(p.suffix in (".parquet", ".tsv") or ".tmp" in p.name for p in folder.iterdir())


def test_unknown_dataset_suggests_close_names(capsys, tmp_path):
    out = tmp_path / "d.parquet"
    line = run_cli(capsys, "data", "commondata", "--dataset", "BCDMS_NC_NOTFIXED_P_EM-F3",
                   "--out", str(out))  # fmt: skip
    assert "'BCDMS_NC_NOTFIXED_P_EM-F3'" in line and "BCDMS_NC_NOTFIXED_P_EM-F2" in line
    line = run_cli(capsys, "data", "commondata", "--dataset", "BCDMZ_NC_NOTFIXED_P_EM-F2",
                   "--out", str(out))  # fmt: skip
    assert "unknown to nnpdf_data" in line and "did you mean BCDMS_NC_NOTFIXED_P_EM-F2" in line
    assert no_outputs(tmp_path)


def test_unknown_variant_lists_the_known_ones(capsys, tmp_path):
    line = run_cli(capsys, "data", "commondata", "--dataset", "SLAC_NC_NOTFIXED_P_EM-F2",
                   "--variant", "legacy_xx", "--out", str(tmp_path / "d.parquet"))  # fmt: skip
    assert "unknown variant 'legacy_xx'" in line and "legacy_dw" in line
    assert no_outputs(tmp_path)


def test_bad_cut_rule_names_the_key(capsys, tmp_path):
    line = run_cli(capsys, "data", "commondata", "--dataset", "SLAC_NC_NOTFIXED_P_EM-F2",
                   "--variant", "legacy_dw", "--cuts", '{"rules": [{"rule": "Q2 >"}]}',
                   "--out", str(tmp_path / "d.parquet"))  # fmt: skip
    assert "cuts.rules[0].rule" in line
    assert no_outputs(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("datasets: [\n", "line 2 malformed YAML"),
        ("datasets: []\n", "key datasets: [] should be non-empty"),
        ("datasets:\n  - {dataset: A, frac: 2}\n", "key datasets[0].frac"),
        ("datasets:\n  - {dataset: A}\ncuts: {q2min: -1}\n", "key cuts.q2min"),
        ("datasets:\n  - {dataset: A}\nfktables: {source: yadism2}\n", "choose one of"),
        ("datasets:\n  - {dataset: A}\nrepl1cas: 3\n", "allowed keys"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("datasets:\n  - {variant: legacy}\n", "'dataset' is a required property"),
        ("datasets:\n  - {dataset: A}\n  - {dataset: A}\n", "lists ['A'] twice"),
        ("datasets:\n  - {dataset: A}\nrun_name: a/b\n", "key run_name"),
        ("datasets:\n  - {dataset: A}\nfit: {epochs: -5}\n", "key fit.epochs"),
        ("datasets:\n  - {dataset: A}\nfit: {replicas: ten}\n", "'ten' is not of type"),
        (
            "datasets:\n  - {dataset: A}\nfit: {replicas: 2, replicas_per_job: 5}\n",
            "fit.replicas_per_job (5) exceeds fit.replicas (2)",
        ),
        (
            "datasets:\n  - {dataset: A}\nfit: {optimizer: {optimizer_name: Adamm}}\n",
            "choose one of",
        ),
        (
            "datasets:\n  - {dataset: A}\nfit: {optimizer: {learning_rate: 0}}\n",
            "key fit.optimizer.learning_rate",
        ),
        ("datasets:\n  - {dataset: A}\nfit: {nodes_per_layer: [25, 20, 7]}\n", "must end with 8"),
        (
            "datasets:\n  - {dataset: A}\nfit: {activation_per_layer: [tanh]}\n",
            "1 entries for 3 layers",
        ),
        (
            "datasets:\n  - {dataset: A}\nfit: {stopping_patience: 1.5}\n",
            "key fit.stopping_patience",
        ),
        ("datasets:\n  - {dataset: A}\nfit: {sumrule_points: 2}\n", "key fit.sumrule_points"),
        ("datasets:\n  - {dataset: A}\nfit: {t0pdfset: 3}\n", "key fit.t0pdfset"),
        ("datasets:\n  - {dataset: A}\ntheory: {order: N3LO}\n", "choose one of"),
        ("datasets:\n  - {dataset: A}\ntheory: {alphas: 1.5}\n", "key theory.alphas"),
        ("datasets:\n  - {dataset: A}\ntheory: {xgrid_points: 5}\n", "key theory.xgrid_points"),
        (
            "datasets:\n  - {dataset: A}\npostfit: {integrability: -1}\n",
            "key postfit.integrability",
        ),
        ("datasets:\n  - {dataset: A}\npostfit: {replicas: 0}\n", "key postfit.replicas"),
        ("datasets:\n  - {dataset: A}\nlhapdf: {name: my set}\n", "key lhapdf.name"),
    ],
)
def test_config_errors(capsys, tmp_path, content, expected):
    path = tmp_path / "config.yaml"
    path.write_text(content)
    line = run_cli(capsys, "check-config", str(path))
    assert str(path) in line and expected in line


def test_wrong_schema_and_truncated_parquet(capsys, tmp_path):
    fk = FKTable("TOY", np.array([0.1, 0.5]), np.array([f == "g" for f in FK_BASIS]),
                 np.ones((2, 1, 2)), 1.65)  # fmt: skip
    write_fktable(fk, tmp_path / "fk.parquet")
    out = tmp_path / "out" / "covmat.parquet"
    line = run_cli(capsys, "data", "covmat", str(tmp_path / "fk.parquet"), "--out", str(out))
    assert "fk.parquet" in line and "'disfit.fktable' file, expected 'disfit.data'" in line
    write_dataset(toy_dataset(), tmp_path / "toy.parquet")
    raw = (tmp_path / "toy.parquet").read_bytes()
    (tmp_path / "truncated.parquet").write_bytes(raw[: len(raw) // 2])
    line = run_cli(capsys, "data", "covmat", str(tmp_path / "truncated.parquet"), "--out", str(out))
    assert "truncated.parquet: not a readable Parquet file" in line
    assert not out.exists()


def test_nan_in_data_and_singular_covariance(capsys, tmp_path):
    nan = dataclasses.replace(toy_dataset(), central=np.array([1.0, np.nan]))
    write_dataset(nan, tmp_path / "nan.parquet")
    out = tmp_path / "out" / "covmat.parquet"
    line = run_cli(capsys, "data", "covmat", str(tmp_path / "nan.parquet"), "--out", str(out))
    assert "nan.parquet: NaN or infinite values" in line
    # no statistical error and one fully correlated systematic: rank one
    write_dataset(toy_dataset(stat=(0.0, 0.0)), tmp_path / "singular.parquet")
    line = run_cli(capsys, "data", "covmat", str(tmp_path / "singular.parquet"), "--out", str(out))
    assert "singular" in line
    assert not out.exists()


def test_missing_pineappl_table(capsys, tmp_path):
    write_dataset(toy_dataset(), tmp_path / "toy.parquet")
    (tmp_path / "theory_1" / "fastkernel").mkdir(parents=True)
    line = run_cli(capsys, "import", "pineappl", "--theory-folder", str(tmp_path / "theory_1"),
                   "--data-table", str(tmp_path / "toy.parquet"),
                   "--outdir", str(tmp_path / "fk"))  # fmt: skip
    assert "TOY.pineappl.lz4: PineAPPL FK table not found" in line


def test_unwritable_output_folder(capsys, tmp_path):
    write_dataset(toy_dataset(stat=(0.1, 0.2)), tmp_path / "toy.parquet")
    (tmp_path / "results").write_text("a file where the output folder should be")
    line = run_cli(capsys, "data", "covmat", str(tmp_path / "toy.parquet"),
                   "--out", str(tmp_path / "results" / "covmat.parquet"))  # fmt: skip
    assert "results" in line and "permissions" in line


def test_fit_names_a_missing_positivity_table(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    write_dataset(toy_dataset(stat=(0.1, 0.2)), tmp_path / "TOY_NC_F2.parquet")
    line = run_cli(capsys, "fit", "--config", str(config), "--data-dir", str(tmp_path),
                   "--covmat", str(tmp_path / "covmat.parquet"), "--fktables", str(tmp_path),
                   "--lagrange", str(tmp_path), "--replicas", "1",
                   "--outdir", str(tmp_path / "fit"))  # fmt: skip
    assert "fit.positivity.datasets: no FK table NNPDF_POS_F2U_40.parquet" in line
    assert not (tmp_path / "fit").exists()


def test_postfit_with_no_replicas(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    (tmp_path / "fit").mkdir()
    line = run_cli(capsys, "postfit", "--config", str(config), "--fit-dir", str(tmp_path / "fit"),
                   "--outdir", str(tmp_path / "postfit"))  # fmt: skip
    assert "no readable replica folders; run the fit first" in line


def test_evolve_without_postfit_or_with_a_bad_operator(capsys, tmp_path):
    """`disfit evolve`: no postfit folder; an operator file that is not one; an operator of
    another theory. No set is left behind."""
    from disfit.evolve.operator import EvolutionOperator, write_operator

    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    args = ["evolve", "--config", str(config), "--outdir", str(tmp_path / "lhapdf")]
    postfit = tmp_path / "postfit"
    postfit.mkdir()
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", "op.parquet")
    assert "no replica_0; run postfit first" in line
    (postfit / "replica_0").mkdir()
    (postfit / "veto_count.json").write_text('{"selected": []}')
    bad = tmp_path / "op.parquet"
    bad.write_bytes(b"PAR1 not really")
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", str(bad))
    assert str(bad) in line and "not a readable Parquet file" in line
    other = EvolutionOperator([(4.0, 4)], np.array([0.1, 1.0]), [(2, 2)], np.ones((1, 1, 2, 2)),
                              1.65, {"theory_id": "0123456789abcdef"})  # fmt: skip
    write_operator(other, bad)
    line = run_cli(capsys, *args, "--postfit-dir", str(postfit), "--operator", str(bad))
    assert "operator of theory 0123456789abcdef" in line and "rerun the theory stage" in line
    assert not (tmp_path / "lhapdf").exists() and not list(tmp_path.glob(".lhapdf*"))
