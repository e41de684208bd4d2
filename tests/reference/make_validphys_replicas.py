"""Produce tests/data/validphys_replicas.npz: validphys 4.1.5's training masks and pseudo-data.

Run once, by hand, in an environment with validphys (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    mkdir -p /tmp/vp/share/NNPDF/theories/theory_40000000   # internal cuts need only the card
    /tmp/vp/bin/python tests/reference/make_validphys_replicas.py

Four small datasets in three experiments (NMC's deuteron ratio is the DEUTERON experiment in
its legacy_dw variant, NMC's proton data NMC, HERA charm HERACOMB) with the experimental
covariance: for replicas 1-3 of NNPDF4.0's seeds, the per-dataset split of each experiment
(`standard_masks` on the group named after it, as `diagonal_basis: false` groups the data;
training fraction 0.75)
and the pseudo-data of each group (`make_replica` with `group_replica_mcseed`, which hashes
the datasets' legacy names), and the pseudo-data of all data as one group `ALL` (the
diagonal basis' grouping).
"""

from pathlib import Path

import numpy as np
from validphys.api import API
from validphys.core import DataGroupSpec
from validphys.covmats import dataset_inputs_covmat_from_systematics
from validphys.n3fit_data import (
    group_replica_mcseed,
    replica_mcseed,
    replica_trvlseed,
    standard_masks,
)
from validphys.pseudodata import make_replica

OUT = Path(__file__).resolve().parents[1] / "data" / "validphys_replicas.npz"
SELECTION = [
    {"dataset": "NMC_NC_NOTFIXED_EM-F2", "variant": "legacy_dw"},
    {"dataset": "NMC_NC_NOTFIXED_P_EM-SIGMARED", "variant": "legacy"},
    {"dataset": "SLAC_NC_NOTFIXED_D_EM-F2", "variant": "legacy_dw"},
    {"dataset": "HERA_NC_318GEV_EAVG_CHARM-SIGMARED", "variant": "legacy"},
]
TRVLSEED, MCSEED = 14613416, 746898422
common = dict(theoryid=40_000_000, use_cuts="internal")


def group_data(inputs: list[dict]):
    cds = API.dataset_inputs_loaded_cd_with_cuts(dataset_inputs=inputs, **common)
    central = np.concatenate([cd.central_values.to_numpy() for cd in cds])
    covmat = dataset_inputs_covmat_from_systematics(cds, use_weights_in_covmat=False)
    return cds, central, covmat


def main() -> None:
    groups = API.group_dataset_inputs_by_experiment(dataset_inputs=SELECTION, **common)
    arrays: dict[str, np.ndarray] = {"names": np.array([d["dataset"] for d in SELECTION])}
    arrays["groups"] = np.array([g["group_name"] for g in groups])
    for replica in (1, 2, 3):
        trvl = replica_trvlseed(replica, TRVLSEED)
        mc = replica_mcseed(replica, MCSEED, True)
        masks, data = {}, {}
        for group in groups:
            inputs = [
                {"dataset": d.name, "variant": d.variant, "frac": 0.75} for d in group["data_input"]
            ]
            spec = API.data(dataset_inputs=inputs, **common)
            named = DataGroupSpec(group["group_name"], spec.datasets, dsinputs=spec.dsinputs)
            for d, m in zip(inputs, standard_masks(named, trvl).tr_masks, strict=True):
                masks[d["dataset"]] = m
            cds, central, covmat = group_data(inputs)
            values = make_replica(central, group_replica_mcseed(mc, cds), covmat)
            offset = 0
            for d, cd in zip(inputs, cds, strict=True):
                data[d["dataset"]] = values[offset : offset + cd.ndata]
                offset += cd.ndata
        order = [d["dataset"] for d in SELECTION]
        arrays[f"trmask/{replica}"] = np.concatenate([masks[n] for n in order])
        arrays[f"pseudodata/{replica}"] = np.concatenate([data[n] for n in order])
        cds, central, covmat = group_data(SELECTION)
        arrays[f"pseudodata_all/{replica}"] = make_replica(
            central, group_replica_mcseed(mc, cds), covmat
        )
        arrays["central"] = central
    np.savez(OUT, **arrays)
    print(f"wrote {OUT}: groups {list(arrays['groups'])}")


if __name__ == "__main__":
    main()
