"""Bad input gives one clear line naming the file or key, a non-zero exit, and no output."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from helpers import run_cli, toy_dataset

from disfit.basis import FK_BASIS
from disfit.cli import main
from disfit.io.datatable import write_dataset
from disfit.io.fktable import FKTable, read_fktable, write_fktable


def commondata_error(
    capsys, tmp_path, dataset: str, variant: str | None = None, cuts: dict | None = None
) -> str:
    """The error line of `disfit data commondata` for a config listing `dataset` (and cuts)."""
    entry = {"dataset": dataset} if variant is None else {"dataset": dataset, "variant": variant}
    config = {"datasets": [entry]} if cuts is None else {"datasets": [entry], "cuts": cuts}
    return run_cli(
        capsys,
        "data",
        "commondata",
        "--config-json",
        json.dumps(config),
        "--dataset",
        dataset,
        "--out",
        str(tmp_path / "d.parquet"),
    )


def no_outputs(folder) -> bool:
    return not any(p.suffix in (".parquet", ".tsv") or ".tmp" in p.name for p in folder.iterdir())


def test_unknown_dataset_suggests_close_names(capsys, tmp_path):
    line = commondata_error(capsys, tmp_path, "BCDMS_NC_NOTFIXED_P_EM-F3")
    assert "'BCDMS_NC_NOTFIXED_P_EM-F3'" in line and "BCDMS_NC_NOTFIXED_P_EM-F2" in line
    line = commondata_error(capsys, tmp_path, "BCDMZ_NC_NOTFIXED_P_EM-F2")
    assert "unknown to nnpdf_data" in line and "did you mean BCDMS_NC_NOTFIXED_P_EM-F2" in line
    assert no_outputs(tmp_path)


def test_unknown_variant_lists_the_known_ones(capsys, tmp_path):
    line = commondata_error(capsys, tmp_path, "SLAC_NC_NOTFIXED_P_EM-F2", "legacy_xx")
    assert "unknown variant 'legacy_xx'" in line and "legacy_dw" in line
    assert no_outputs(tmp_path)


def test_bad_cut_rule_names_the_key(capsys, tmp_path):
    line = commondata_error(
        capsys,
        tmp_path,
        "SLAC_NC_NOTFIXED_P_EM-F2",
        "legacy_dw",
        cuts={"rules": [{"rule": "Q2 >"}]},
    )
    assert "cuts.rules[0].rule" in line
    assert no_outputs(tmp_path)


def test_wrong_schema_and_truncated_parquet(capsys, tmp_path):
    fk = FKTable(
        "TOY",
        np.array([0.1, 0.5]),
        np.array([f == "g" for f in FK_BASIS]),
        np.ones((2, 1, 2)),
        1.65,
    )
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
    line = run_cli(
        capsys,
        "import",
        "pineappl",
        "--theory-folder",
        str(tmp_path / "theory_1"),
        "--data-table",
        str(tmp_path / "toy.parquet"),
        "--outdir",
        str(tmp_path / "fk"),
    )
    assert "TOY.pineappl.lz4: PineAPPL FK table not found" in line


def test_unwritable_output_folder(capsys, tmp_path):
    write_dataset(toy_dataset(stat=(0.1, 0.2)), tmp_path / "toy.parquet")
    (tmp_path / "results").write_text("a file where the output folder should be")
    line = run_cli(
        capsys,
        "data",
        "covmat",
        str(tmp_path / "toy.parquet"),
        "--out",
        str(tmp_path / "results" / "covmat.parquet"),
    )
    assert "results" in line and "permissions" in line


def test_fit_names_a_missing_positivity_table(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    write_dataset(toy_dataset(stat=(0.1, 0.2)), tmp_path / "TOY_NC_F2.parquet")
    line = run_cli(
        capsys,
        "fit",
        "--config",
        str(config),
        "--data-dir",
        str(tmp_path),
        "--covmat",
        str(tmp_path / "covmat.parquet"),
        "--fktables",
        str(tmp_path),
        "--positivity",
        str(tmp_path),
        "--integrability",
        str(tmp_path),
        "--replicas",
        "1",
        "--outdir",
        str(tmp_path / "fit"),
    )
    assert "fit.positivity.datasets: no FK table NNPDF_POS_F2U_40.parquet" in line
    assert not (tmp_path / "fit").exists()


def test_postfit_with_no_replicas(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("datasets:\n  - {dataset: TOY_NC_F2}\n")
    (tmp_path / "fit").mkdir()
    line = run_cli(
        capsys,
        "postfit",
        "--config",
        str(config),
        "--fit-dir",
        str(tmp_path / "fit"),
        "--outdir",
        str(tmp_path / "postfit"),
    )
    assert "no readable replica folders; run the fit first" in line


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
    line = run_cli(
        capsys, "import", "pickles", "--experiments", str(bad), "--outdir", str(tmp_path / "out")
    )
    assert str(bad) in line and ".open, which" in line and "nothing was run" in line
    assert not victim.exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_n3fit_pickles_load_with_every_protocol(tmp_path, protocol):
    """What n3fit pickles hold (numpy arrays of several dtypes, numpy scalars, containers)
    loads with the restricted unpickler, equal to plain pickle's result."""
    import collections
    import pickle

    from disfit.io.pickles import load_n3fit_pickle

    content = [
        {
            "name": "EXP",
            "ndata": np.int64(3),
            "frac": np.float64(0.75),
            "positivity": False,
            "expdata_true": np.arange(3.0).reshape(1, -1),
            "trmask": np.array([True, False, True]),
            "basis": np.array([1, 2, 10], dtype=np.int32),
            "covmat": np.eye(3, dtype=np.float32),
            "datasets": (collections.OrderedDict(a=1), {"x": {1.5, 2.5}}, b"raw", 1 + 2j, None),
        }
    ]
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


def test_theory_copy_checks_tables_against_the_theory(capsys, tmp_path):
    """`disfit theory copy` (what the workflow runs on shipped tables): a table of another
    theory or with another x grid is refused; one whose x grid moved by ulps is accepted."""
    from pathlib import Path

    from disfit.theory.card import theory_id

    shipped = Path(__file__).parents[1] / "resources" / "theory" / theory_id({}) / "fktables"
    source = shipped / "NMC_NC_EM_P_F2.parquet"
    out = tmp_path / "out.parquet"
    line = run_cli(
        capsys,
        "theory",
        "copy",
        str(source),
        "--config-json",
        '{"theory": {"mc": 1.4}}',
        "--out",
        str(out),
    )
    assert "FK table of theory" in line and "rerun the theory stage" in line
    fk = read_fktable(source)
    for xgrid, ok in ((np.nextafter(fk.xgrid, 1), True), (fk.xgrid * (1 + 1e-7), False)):
        moved = tmp_path / "fktables" / source.name
        write_fktable(dataclasses.replace(fk, xgrid=xgrid), moved)
        argv = [
            "theory",
            "copy",
            str(moved),
            "--config-json",
            json.dumps({"theory": {}}),
            "--out",
            str(out),
        ]
        if ok:
            assert main(argv) == 0
        else:
            assert "x grid differs from the theory's" in run_cli(capsys, *argv)
