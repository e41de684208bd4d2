"""Postfit selection against validphys' own fitveto decisions on crafted inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from disfit.postfit.vetoes import determine_vetoes

CASES = json.loads((Path(__file__).parent / "data" / "fitveto_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_vetoes_equal_validphys(case):
    replicas = [
        {"chi2": c, "arc_lengths": a, "integrability": g, "pos_state": p}
        for c, a, g, p in zip(
            case["chi2"], case["arc_lengths"], case["integrability"], case["pos_state"], strict=True
        )
    ]
    vetoes = determine_vetoes(replicas, case["thresholds"])
    assert set(vetoes) == set(case["vetoes"])
    for key, expected in case["vetoes"].items():
        assert vetoes[key].tolist() == expected, key
    assert 0 < np.sum(vetoes["Total"]) < len(replicas)  # every case vetoes something


def _toy_replica(folder: Path, k: int, chi2: float, pos: str = "POS_PASS") -> None:
    from disfit.io.replica import EXPORT_XGRID, write_json, write_replica_grids

    folder.mkdir(parents=True)
    xf = np.outer(np.arange(1, 15), EXPORT_XGRID * (1 - EXPORT_XGRID)) * (1 + 0.01 * k)
    write_replica_grids(folder, xf, 1.65, {"replica": k})
    write_json(
        folder,
        {"chi2": chi2, "arc_lengths": [1.1] * 5, "integrability": [0.1] * 5, "pos_state": pos},
    )


def test_postfit_selects_skips_corrupt_and_averages(tmp_path):
    from disfit.errors import DisfitError
    from disfit.io.replica import EVOLUTION_FILE, read_replica_grid
    from disfit.postfit.select import postfit

    fit = tmp_path / "fit"
    chi2 = [1.20, 1.21, 1.19, 1.22, 1.18, 1.20, 1.21, 1.19, 1.20, 1.22, 1.21, 9.0]
    for k, c in enumerate(chi2, start=1):
        _toy_replica(fit / f"replica_{k}", k, c, "POS_VETO" if k == 3 else "POS_PASS")
    (fit / "replica_5" / EVOLUTION_FILE).write_bytes(b"PAR1 truncated")  # corrupt: skipped
    settings = {"replicas": 6, "chi2_nsigma": 2.0, "arclength_nsigma": 4.0, "integrability": 0.5}
    summary = postfit(fit, tmp_path / "postfit", settings, 1.65)
    assert "5" in summary["skipped"] and "not a readable Parquet" in summary["skipped"]["5"]
    assert summary["passing"] == [1, 2, 4, 6, 7, 8, 9, 10, 11]  # 3: positivity, 12: χ²
    assert summary["selected"] == [1, 2, 4, 6, 7, 8]
    out = tmp_path / "postfit"
    mean = np.mean(
        [read_replica_grid(fit / f"replica_{k}" / EVOLUTION_FILE)[1] for k in (1, 2, 4, 6, 7, 8)],
        axis=0,
    )
    np.testing.assert_allclose(read_replica_grid(out / "replica_0" / EVOLUTION_FILE)[1], mean)
    assert (out / "replica_6").is_dir() and not (out / "replica_7").exists()
    assert (out / "vetoes.tsv").read_text().splitlines()[0].startswith("replica\t")
    settings["replicas"] = 10
    with pytest.raises(DisfitError, match=r"9 of 11 replicas pass, 10 requested .*ChiSquared: 1"):
        postfit(fit, tmp_path / "again", settings, 1.65)
