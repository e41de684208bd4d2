"""Produce tests/data/validphys_level1.npz: validphys 4.1.5's level-1 closure data.

Run once, by hand, in an environment with validphys (kept out of disfit's dependencies):

    python -m venv /tmp/vp && /tmp/vp/bin/pip install "nnpdf[nolha]==4.1.5"
    mkdir -p /tmp/vp/share/NNPDF/theories/theory_40000000   # internal cuts need only the card
    /tmp/vp/bin/python tests/reference/make_validphys_level1.py

The four datasets of make_validphys_replicas.py in their three experiments, with a made-up law
(the data times 1 + 0.05 sin(i), so that MULT systematics taken relative to the law differ from
the data's): validphys' own `make_level1_data`, called per experiment as
`filter_closure_data_by_experiment` does, for filterseeds 0, 1 and 7.
"""

from pathlib import Path

import numpy as np
from make_validphys_replicas import SELECTION, common  # the same four datasets
from validphys.api import API
from validphys.core import DataGroupSpec
from validphys.pseudodata import make_level1_data
from validphys.results import data_index

OUT = Path(__file__).resolve().parents[1] / "data" / "validphys_level1.npz"


def law_of(values: np.ndarray, offset: int) -> np.ndarray:
    return values * (1 + 0.05 * np.sin(offset + np.arange(len(values))))


groups = API.group_dataset_inputs_by_experiment(dataset_inputs=SELECTION, **common)
arrays: dict[str, np.ndarray] = {"names": np.array([d["dataset"] for d in SELECTION])}
laws, offsets = {}, {}
offset = 0
for d in SELECTION:
    cd = API.loaded_commondata_with_cuts(dataset_input=d, **common)
    laws[d["dataset"]] = law_of(cd.central_values.to_numpy(), offset)
    offsets[d["dataset"]] = offset
    offset += cd.ndata
arrays["law"] = np.concatenate([laws[d["dataset"]] for d in SELECTION])
for seed in (0, 1, 7):
    level1 = {}
    for group in groups:
        inputs = [{"dataset": d.name, "variant": d.variant} for d in group["data_input"]]
        spec = API.data(dataset_inputs=inputs, **common)
        named = DataGroupSpec(group["group_name"], spec.datasets, dsinputs=spec.dsinputs)
        cds = API.dataset_inputs_loaded_cd_with_cuts(dataset_inputs=inputs, **common)
        level0 = [cd.with_central_value(laws[cd.setname]) for cd in cds]
        for cd in make_level1_data(named, level0, seed, data_index(named), False):
            level1[cd.setname] = cd.central_values.to_numpy()
    arrays[f"level1/{seed}"] = np.concatenate([level1[d["dataset"]] for d in SELECTION])
np.savez(OUT, **arrays)
print(f"wrote {OUT}")
