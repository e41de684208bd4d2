"""The config: the schema's errors and the mistakes only `disfit check-config` sees, each one
line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import run_cli

from disfit.cli import main


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
        ("datasets:\n  - {dataset: A}\nclosure: {level: 1}\n", "'fakepdf' is a required"),
        ("datasets:\n  - {dataset: A}\nclosure: {fakepdf: x, level: 3}\n", "key closure.level"),
        ("datasets:\n  - {dataset: A}\nlhapdf: {name: my set}\n", "key lhapdf.name"),
    ],
)
def test_config_errors(capsys, tmp_path, content, expected):
    path = tmp_path / "config.yaml"
    path.write_text(content)
    line = run_cli(capsys, "check-config", str(path))
    assert str(path) in line and expected in line


SLAC = "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw}\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # datasets: unknown name, unknown variant, a C-factor nnpdf_data lacks
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F3}\n",
            "key datasets[0]: dataset 'SLAC_NC_NOTFIXED_P_EM-F3': no such observable",
        ),
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_xx}\n",
            "key datasets[0]: dataset 'SLAC_NC_NOTFIXED_P_EM-F2': unknown variant 'legacy_xx'",
        ),
        (
            "datasets:\n  - {dataset: SLAC_NC_NOTFIXED_P_EM-F2, variant: legacy_dw, cfac: [QCD]}\n",
            "key datasets[0].cfac: nnpdf_data has no C-factor 'QCD'",
        ),
        # cut rules that do not parse, name an unknown variable, or are not conditions
        (SLAC + "cuts: {rules: [{rule: 'Q2 >'}]}\n", "key cuts.rules[0].rule: cannot evaluate"),
        (SLAC + "cuts: {rules: [{rule: 'Qsq > 8'}]}\n", "key cuts.rules[0].rule: cannot evaluate"),
        (SLAC + "cuts: {rules: [{rule: 'Q2 + 8'}]}\n", "'Q2 + 8' is not a condition"),
        # impossible theory settings
        (SLAC + "theory: {q0: 6.0}\n", "key theory.q0: Q0 = 6.0 GeV must lie below the bottom"),
        (SLAC + "theory: {mc: 5.0}\n", "masses must be ordered mc < mb < mt"),
        (SLAC + "theory: {card: 123}\n", "key theory.card: no theory card 123.yaml"),
        (
            SLAC + "fktables: {source: none}\ntheory: {regenerate: true}\n",
            "key theory.regenerate: true needs fktables.source: theory",
        ),
        # the network: activation, initializer, optimizer unknown to Keras
        (
            SLAC + "fit: {activation_per_layer: [tanh, tanhh, linear]}\n",
            "key fit.activation_per_layer[1]: 'tanhh' is not one of",
        ),
        (SLAC + "fit: {initializer: glorot_normall}\n", "key fit.initializer: 'glorot_normall'"),
        (SLAC + "fit: {optimizer: {optimizer_name: Nadamm}}\n", "key fit.optimizer.optimizer"),
        # positivity and integrability sets the theory does not make
        (
            SLAC + "fit: {positivity: {datasets: [{dataset: NNPDF_POS_F2C_17PTS}]}}\n",
            "key fit.positivity.datasets[0].dataset: unknown set 'NNPDF_POS_F2C_17PTS'",
        ),
        (
            SLAC + "fit: {integrability: {datasets: [{dataset: NNPDF_INTEG_XS_40}]}}\n",
            "key fit.integrability.datasets[0].dataset: unknown set 'NNPDF_INTEG_XS_40'",
        ),
        # the t0 PDF: missing, or a folder that is neither an LHAPDF set nor a disfit fit
        (SLAC + "fit: {t0pdfset: no/such/set}\n", "key fit.t0pdfset: no/such/set is not a folder"),
        (SLAC + "fit: {t0pdfset: '{tmp}'}\n", "no <name>_0000.dat"),
        (SLAC + "fit: {t0pdfset: '{tmp}/broken'}\n", "broken_0000.dat"),
        # inputs named by the config
        (SLAC + "fktables: {source: pineappl}\n", "key fktables.theory_folder: fktables.source"),
        (SLAC + "fktables: {source: pineappl, theory_folder: '{tmp}/none'}\n", "is not a folder"),
        (
            SLAC + "fktables: {source: pineappl, theory_folder: '{tmp}'}\n",
            "has no SLAC_NC_EM_P_F2.pineappl.lz4 (datasets[0], SLAC_NC_NOTFIXED_P_EM-F2)",
        ),
        (SLAC + "pickles: {experiments: '{tmp}/toy.pkl'}\n", "key pickles.experiments:"),
        # relations between sections
        (
            SLAC + "fit: {replicas: 10, replicas_per_job: 10}\npostfit: {replicas: 20}\n",
            "key postfit.replicas: 20 replicas to keep but fit.replicas is 10",
        ),
        # closure tests: the law is read as a t0 PDF, postfit keeps no more than is fitted
        (SLAC + "closure: {fakepdf: no/such/law}\n", "key closure.fakepdf: no/such/law is not a"),
        (SLAC + "closure: {fakepdf: '{tmp}/broken'}\n", "broken_0000.dat"),
        (
            SLAC + "closure: {fakepdf: resources/t0/dis_exp, replicas: 10}\n"
            "postfit: {replicas: 20}\n",
            "key postfit.replicas: 20 replicas to keep but closure.replicas is 10",
        ),
    ],
)
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


def test_check_config_passes_the_shipped_configs(capsys, tmp_path):
    """The shipped configs pass the whole check (the default one with its t0 set)."""
    for name in ("config/config.yaml", "config/test.yaml"):
        assert main(["check-config", name]) == 0, capsys.readouterr().err
    # the closure overlay, merged over the default config as Snakemake merges --configfile
    config = yaml.safe_load(Path("config/config.yaml").read_text())
    config.update(yaml.safe_load(Path("config/closure.yaml").read_text()))
    merged = tmp_path / "closure.yaml"
    merged.write_text(yaml.safe_dump(config))
    assert main(["check-config", str(merged)]) == 0, capsys.readouterr().err
