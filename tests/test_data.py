"""The data layer against validphys: the NNPDF4.0 DIS selection, its cuts and covariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from disfit.data.covmat import covmat_from_systematics, inverse_covmat, sqrt_covmat, t0_covmat
from disfit.data.cuts import kinematic_mask
from disfit.io.covmat import read_covmat, write_covmat
from disfit.io.datatable import read_dataset, write_dataset

NNPDF40_COUNTS = [
    121,
    204,
    33,
    34,
    333,
    248,
    416,
    416,
    39,
    37,
    159,
    204,
    254,
    70,
    377,
    42,
    39,
    37,
    26,
]


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.abs(b)))


def test_nnpdf40_dis_selection_counts(nnpdf40_datasets, validphys_reference):
    counts = [d.ndata for d in nnpdf40_datasets]
    assert counts == NNPDF40_COUNTS
    assert sum(counts) == 3089
    # the very same points validphys keeps with its internal cuts for theory 40000000
    entries = np.concatenate([d.entries for d in nnpdf40_datasets])
    np.testing.assert_array_equal(entries, validphys_reference["entries"])
    central = np.concatenate([d.central for d in nnpdf40_datasets])
    np.testing.assert_array_equal(central, validphys_reference["central"])


def test_experimental_covmat_equals_validphys(nnpdf40_datasets, validphys_reference):
    ref = validphys_reference
    cov = covmat_from_systematics(nnpdf40_datasets)
    assert cov.shape == (3089, 3089)
    assert _max_rel(np.diag(cov), ref["diag"]) < 1e-10
    assert _max_rel(cov.sum(axis=1), ref["rowsum"]) < 1e-10
    edges = np.concatenate([[0], np.cumsum(ref["ndata"])])
    norms = np.array(
        [
            [
                np.linalg.norm(cov[a0:a1, b0:b1])
                for b0, b1 in zip(edges[:-1], edges[1:], strict=True)
            ]
            for a0, a1 in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    nonzero = ref["blocknorm"] > 0
    np.testing.assert_array_equal(norms > 0, nonzero)  # same cross-dataset correlation pattern
    assert _max_rel(norms[nonzero], ref["blocknorm"][nonzero]) < 1e-10
    # cross-dataset blocks exist: BCDMS p/d, the HERA sets, NMC with SLAC/BCDMS deuteron...
    assert nonzero.sum() > 19
    sample = cov[ref["rows"], ref["cols"]]
    hit = ref["values"] != 0
    np.testing.assert_array_equal(sample != 0, hit)
    assert _max_rel(sample[hit], ref["values"][hit]) < 1e-10


def test_t0_covmat_equals_validphys(nnpdf40_datasets, validphys_reference):
    ref = validphys_reference
    t0 = [d.central * (1 + 0.05 * np.sin(np.arange(d.ndata))) for d in nnpdf40_datasets]
    cov = t0_covmat(nnpdf40_datasets, t0)
    assert _max_rel(np.diag(cov), ref["t0_diag"]) < 1e-10
    assert _max_rel(cov.sum(axis=1), ref["t0_rowsum"]) < 1e-10
    hit = ref["t0_values"] != 0
    assert _max_rel(cov[ref["rows"], ref["cols"]][hit], ref["t0_values"][hit]) < 1e-10
    # only multiplicative systematics move: with t0 = data it is the experimental covariance
    same = t0_covmat(nnpdf40_datasets, [d.central for d in nnpdf40_datasets])
    np.testing.assert_allclose(same, covmat_from_systematics(nnpdf40_datasets), rtol=1e-14)


def test_cholesky_and_inverse(nnpdf40_datasets):
    cov = covmat_from_systematics(nnpdf40_datasets)
    lower = sqrt_covmat(cov)
    assert np.allclose(np.triu(lower, 1), 0.0)
    np.testing.assert_allclose(lower @ lower.T, cov, rtol=0, atol=1e-12 * np.abs(cov).max())
    inv = inverse_covmat(cov)
    # chi2 of a residual through the inverse equals the whitened residual's norm
    residual = np.sqrt(np.diag(cov)) * np.cos(np.arange(len(cov)))
    whitened = np.linalg.solve(lower, residual)
    assert residual @ inv @ residual == pytest.approx(whitened @ whitened, rel=1e-8)


def test_parquet_round_trip(nnpdf40_datasets, tmp_path):
    datasets = [nnpdf40_datasets[i] for i in (0, 9, 18)]  # RATIO, C-factor, HERA bottom
    paths = []
    for d in datasets:
        path = tmp_path / f"{d.name}.parquet"
        write_dataset(d, path)
        back = read_dataset(path)
        paths.append(path)
        assert (back.name, back.variant, back.operation, back.cfac) == (
            d.name,
            d.variant,
            d.operation,
            d.cfac,
        )
        assert back.fktables == d.fktables and back.sys_type == d.sys_type
        np.testing.assert_array_equal(back.central, d.central)
        np.testing.assert_array_equal(back.sys, d.sys)
        pd.testing.assert_frame_equal(back.kinematics, d.kinematics)
    assert datasets[0].operation == "RATIO" and datasets[1].cfac == ("MAS",)
    cov = covmat_from_systematics(datasets)
    write_covmat(tmp_path / "covmat.parquet", cov, datasets)
    back, names, entries = read_covmat(tmp_path / "covmat.parquet")
    np.testing.assert_array_equal(back, cov)
    assert names[0] == datasets[0].name and len(entries) == len(cov)
    assert not list(tmp_path.glob(".*.tmp*"))  # atomic writes leave no temporaries


def test_generic_dis_cut_analytic():
    # W2 = Q2 (1 - x) / x: x = 0.5, Q2 = 20 → W2 = 20 (kept); x = 0.8, Q2 = 20 → W2 = 5 (cut)
    kin = pd.DataFrame({"x": [0.5, 0.8, 0.01, 0.01], "Q2": [20.0, 20.0, 3.0, 3.5], "y": 0.5})
    np.testing.assert_array_equal(kinematic_mask(kin, "DIS_NC"), [True, False, False, True])
    charm = pd.DataFrame({"x": [0.001, 0.001], "Q2": [7.0, 12.0]})
    np.testing.assert_array_equal(kinematic_mask(charm, "DIS_NC_CHARM"), [False, True])
    np.testing.assert_array_equal(kinematic_mask(charm, "DIS_NC"), [True, True])
    custom = {"q2min": 10.0, "w2min": 0.0, "rules": [{"process_type": "DIS_NC", "rule": "x < 0.1"}]}
    np.testing.assert_array_equal(
        kinematic_mask(kin, "DIS_NC", custom), [False, False, False, False]
    )
