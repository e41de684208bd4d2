"""Produce tests/data/validphys_covmat.npz: validphys' covariance of the NNPDF4.0 DIS selection.

Run once, by hand, in an environment with validphys (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    mkdir -p /tmp/vp/share/NNPDF/theories/theory_40000000   # internal cuts need only the card
    /tmp/vp/bin/python tests/reference/make_validphys_covmat.py

The matrix itself is 76 MB, so the file keeps what pins it down: per-dataset kept entries, the
diagonal, every row sum, the Frobenius norm of each dataset-pair block and a seeded sample of
entries drawn from every block (cross-dataset blocks included). The t0 covariance is checked the
same way with synthetic t0 predictions data * (1 + 0.05 sin(i)).
"""

from pathlib import Path

import numpy as np
import yaml
from validphys import covmats
from validphys.api import API

HERE = Path(__file__).resolve().parent
datasets = yaml.safe_load((HERE.parents[1] / "config" / "nnpdf40_dis.yaml").read_text())["datasets"]
inputs = [{k: v for k, v in d.items() if k in ("dataset", "variant", "cfac")} for d in datasets]
common = dict(dataset_inputs=inputs, theoryid=40_000_000, use_cuts="internal")
cds = API.dataset_inputs_loaded_cd_with_cuts(**common)
cov = covmats.dataset_inputs_covmat_from_systematics(cds, use_weights_in_covmat=False)
t0 = [cd.central_values.to_numpy() * (1 + 0.05 * np.sin(np.arange(cd.ndata))) for cd in cds]
cov_t0 = covmats.dataset_inputs_t0_covmat_from_systematics(
    cds, data_input=None, use_weights_in_covmat=False, dataset_inputs_t0_predictions=t0
)

ndata = np.array([cd.ndata for cd in cds])
edges = np.concatenate([[0], np.cumsum(ndata)])
rng = np.random.default_rng(20261123)
rows, cols = [], []
for a in range(len(cds)):
    for b in range(len(cds)):
        k = 40
        rows.append(rng.integers(edges[a], edges[a + 1], k))
        cols.append(rng.integers(edges[b], edges[b + 1], k))
rows, cols = np.concatenate(rows), np.concatenate(cols)


def block_norms(m):
    return np.array(
        [
            [
                np.linalg.norm(m[edges[a] : edges[a + 1], edges[b] : edges[b + 1]])
                for b in range(len(cds))
            ]
            for a in range(len(cds))
        ]
    )


np.savez_compressed(
    HERE.parent / "data" / "validphys_covmat.npz",
    names=np.array([cd.setname for cd in cds]),
    ndata=ndata,
    entries=np.concatenate([cd.commondata_table.index.to_numpy() for cd in cds]),
    central=np.concatenate([cd.central_values.to_numpy() for cd in cds]),
    diag=np.diag(cov),
    rowsum=cov.sum(axis=1),
    blocknorm=block_norms(cov),
    rows=rows,
    cols=cols,
    values=cov[rows, cols],
    t0_diag=np.diag(cov_t0),
    t0_rowsum=cov_t0.sum(axis=1),
    t0_values=cov_t0[rows, cols],
)
print("datasets", len(cds), "points", ndata.sum(), list(ndata))
