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


class _WritesAFile:
    """What a crafted pickle holds: unpickling calls open(path, 'w'), creating the file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_crafted_pickle_runs_no_code(capsys, tmp_path):
    """A pickle whose __reduce__ would write a file: one error line naming the file, no file
    written, no output."""
    import pickle

    victim = tmp_path / "written_by_the_pickle.txt"
    bad = tmp_path / "exp.pkl"
    experiment = {"name": "EXP", "expdata_true": np.ones(2), "payload": _WritesAFile(victim)}
    bad.write_bytes(pickle.dumps([experiment]))
    # the crafted file really would write it with a plain pickle.load
    pickle.loads(bad.read_bytes())
    assert victim.exists()
    victim.unlink()
    line = run_cli(capsys, "import", "pickles", "--experiments", str(bad),
                   "--outdir", str(tmp_path / "out"))  # fmt: skip
    assert str(bad) in line and ".open, which" in line and "nothing was run" in line
    assert not victim.exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_n3fit_pickles_load_with_every_protocol(tmp_path, protocol):
    """What n3fit pickles hold (numpy arrays of several dtypes, numpy scalars, containers)
    loads with the restricted unpickler, equal to plain pickle's result."""
    import collections
    import pickle

    from disfit.theory.importers import load_n3fit_pickle

    content = [
        {
            "name": "EXP", "ndata": np.int64(3), "frac": np.float64(0.75), "positivity": False,
            "expdata_true": np.arange(3.0).reshape(1, -1), "trmask": np.array([True, False, True]),
            "basis": np.array([1, 2, 10], dtype=np.int32), "covmat": np.eye(3, dtype=np.float32),
            "datasets": (collections.OrderedDict(a=1), {"x": {1.5, 2.5}}, b"raw", 1 + 2j, None),
        }
    ]  # fmt: skip
    path = tmp_path / "exp.pkl"
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    loaded = load_n3fit_pickle(path)
    expected = pickle.loads(path.read_bytes())
    assert loaded[0].keys() == expected[0].keys()
    for key, value in expected[0].items():
        if isinstance(value, np.ndarray):
            assert loaded[0][key].dtype == value.dtype
            np.testing.assert_array_equal(loaded[0][key], value)
        else:
            assert loaded[0][key] == value


SLAC = "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw}\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # datasets: unknown name, unknown variant, a C-factor nnpdf_data lacks
        ("datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F3}\n",
         "key datasets[0]: dataset 'SLAC_NC_NOTFIXED_P_EM-F3': no such observable"),
        ("datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_xx}\n",
         "key datasets[0]: dataset 'SLAC_NC_NOTFIXED_P_EM-F2': unknown variant 'legacy_xx'"),
        ("datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw, cfac: [QCD]}\n",
         "key datasets[0].cfac: nnpdf_data has no C-factor 'QCD'"),
        # cut rules that do not parse, name an unknown variable, or are not conditions
        (SLAC + "cuts: {rules: [{rule: 'Q2 >'}]}\n", "key cuts.rules[0].rule: cannot evaluate"),
        (SLAC + "cuts: {rules: [{rule: 'Qsq > 8'}]}\n", "key cuts.rules[0].rule: cannot evaluate"),
        (SLAC + "cuts: {rules: [{rule: 'Q2 + 8'}]}\n", "'Q2 + 8' is not a condition"),
        # impossible theory settings
        (SLAC + "theory: {q0: 6.0}\n", "key theory.q0: Q0 = 6.0 GeV must lie below the bottom"),
        (SLAC + "theory: {mc: 5.0}\n", "masses must be ordered mc < mb < mt"),
        (SLAC + "theory: {card: 123}\n", "key theory.card: no theory card 123.yaml"),
        (SLAC + "fktables: {source: none}\ntheory: {regenerate: true}\n",
         "key theory.regenerate: true needs fktables.source: theory"),
        # the network: activation, initializer, optimizer unknown to Keras
        (SLAC + "fit: {activation_per_layer: [tanh, tanhh, linear]}\n",
         "key fit.activation_per_layer[1]: 'tanhh' is not one of"),
        (SLAC + "fit: {initializer: glorot_normall}\n", "key fit.initializer: 'glorot_normall'"),
        (SLAC + "fit: {optimizer: {optimizer_name: Nadamm}}\n", "key fit.optimizer.optimizer"),
        # positivity and integrability sets the theory does not make
        (SLAC + "fit: {positivity: {datasets: [{dataset: NNPDF_POS_F2C_17PTS}]}}\n",
         "key fit.positivity.datasets[0].dataset: unknown set 'NNPDF_POS_F2C_17PTS'"),
        (SLAC + "fit: {integrability: {datasets: [{dataset: NNPDF_INTEG_XS_40}]}}\n",
         "key fit.integrability.datasets[0].dataset: unknown set 'NNPDF_INTEG_XS_40'"),
        # the t0 PDF: missing, or a folder that is neither an LHAPDF set nor a disfit fit
        (SLAC + "fit: {t0pdfset: no/such/set}\n", "key fit.t0pdfset: no/such/set is not a folder"),
        (SLAC + "fit: {t0pdfset: '{tmp}'}\n", "no <name>_0000.dat"),
        (SLAC + "fit: {t0pdfset: '{tmp}/broken'}\n", "broken_0000.dat"),
        # inputs named by the config
        (SLAC + "fktables: {source: pineappl}\n", "key fktables.theory_folder: fktables.source"),
        (SLAC + "fktables: {source: pineappl, theory_folder: '{tmp}/none'}\n", "is not a folder"),
        (SLAC + "fktables: {source: pineappl, theory_folder: '{tmp}'}\n",
         "has no SLAC_NC_EM_P_F2.pineappl.lz4 (datasets[0], SLAC_NC_NOTFIXED_P_EM-F2)"),
        (SLAC + "pickles: {experiments: '{tmp}/toy.pkl'}\n", "key pickles.experiments:"),
        # relations between sections
        (SLAC + "fit: {replicas: 10, replicas_per_job: 10}\npostfit: {replicas: 20}\n",
         "key postfit.replicas: 20 replicas to keep but fit.replicas is 10"),
    ],
)  # fmt: skip
def test_config_mistakes_caught_by_check_config(capsys, tmp_path, content, expected):
    """Mistakes the schema cannot see, each caught by `disfit check-config` in seconds, with
    one line naming the file and the key, and nothing written."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "broken.info").write_text("SetDesc: broken\n")
    (broken / "broken_0000.dat").write_text("PdfType: central\n---\nnot numbers\n")
    path = tmp_path / "config.yaml"
    path.write_text(content.replace("{tmp}", str(tmp_path)))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    line = run_cli(capsys, "check-config", str(path))
    assert str(path) in line and expected in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_check_config_passes_the_shipped_configs(capsys):
    """The shipped configs pass the whole check (the default one with its t0 set)."""
    for name in ("config/config.yaml", "config/test.yaml"):
        assert main(["check-config", name]) == 0, capsys.readouterr().err


def test_shipped_operator_check_tolerates_ulps_not_physics(tmp_path):
    """The shipped operator's Q grid against the recomputed one: a few ulp (another numpy) pass,
    a change of physics (1e-6 relative, or another Q0) is refused."""
    import dataclasses
    from pathlib import Path

    from disfit.errors import DisfitError
    from disfit.evolve.operator import read_operator
    from disfit.floats import same_floats
    from disfit.theory.card import theory_card, theory_id
    from disfit.theory.shipped import check_operator

    tid = theory_id({})
    path = Path(__file__).parents[1] / "resources" / "theory" / tid / "evolution"
    op = read_operator(path / "lhapdf_operator.parquet")
    card = theory_card({})
    check_operator(path, op, card, tid)
    ulps = [(float(np.nextafter(np.nextafter(q2, np.inf), np.inf)), nf) for q2, nf in op.targets]
    assert ulps != op.targets
    check_operator(path, dataclasses.replace(op, targets=ulps), card, tid)
    check_operator(path, dataclasses.replace(op, q0=float(np.nextafter(op.q0, 0))), card, tid)
    moved = [(q2 * (1 + 1e-6), nf) for q2, nf in op.targets]
    for bad in (dataclasses.replace(op, targets=moved), dataclasses.replace(op, q0=1.651)):
        with pytest.raises(DisfitError, match="Q grid differs from this theory's"):
            check_operator(path, bad, card, tid)
    assert same_floats([1.0, 0.0], [1.0 + 2e-16, 0.0]) and not same_floats([0.0], [1e-300])


def test_theory_copy_checks_tables_against_the_theory(capsys, tmp_path):
    """`disfit theory copy` (what the workflow runs on shipped tables): a table of another
    theory or with another x grid is refused; one whose x grid moved by ulps is accepted."""
    import json
    from pathlib import Path

    from disfit.theory.card import theory_id
    from disfit.theory.fktable import read_fktable

    shipped = Path(__file__).parents[1] / "resources" / "theory" / theory_id({}) / "fktables"
    source = shipped / "NMC_NC_EM_P_F2.parquet"
    out = tmp_path / "out.parquet"
    line = run_cli(capsys, "theory", "copy", str(source), "--theory", '{"mc": 1.4}',
                   "--out", str(out))  # fmt: skip
    assert "FK table of theory" in line and "rerun the theory stage" in line
    fk = read_fktable(source)
    for xgrid, ok in ((np.nextafter(fk.xgrid, 1), True), (fk.xgrid * (1 + 1e-7), False)):
        moved = tmp_path / "fktables" / source.name
        write_fktable(dataclasses.replace(fk, xgrid=xgrid), moved)
        argv = ["theory", "copy", str(moved), "--theory", json.dumps({}), "--out", str(out)]
        if ok:
            assert main(argv) == 0
        else:
            assert "x grid differs from the theory's" in run_cli(capsys, *argv)
