"""Produce tests/data/validphys_compare.npz: validphys' own numbers for the comparison of two runs
of the tiny config (config/test.yaml and config/test-seed2.yaml: other seeds), and for the next
iteration's preprocessing ranges.

Run by hand in NNPDF's environment (never a disfit dependency; see benchmarks/ for how it is
made), after running both configs through the workflow in a scratch copy:

    snakemake --cores 1 --configfile config/test.yaml
    snakemake --cores 1 --configfile config/test-seed2.yaml
    ~/.cache/disfit/nnpdf-4.1.5/bin/python tests/reference/make_validphys_compare.py \
        results/test results/test_seed2

validphys reads the two LHAPDF sets (pdfflow's interpolation) and computes, at Q0 and 100 GeV
in vp-comparefits' two bases (CCBAR_ASYMM, CCBAR_ASYMM_FLAVOUR) on its default x grid:
xplotting_grid, distance_grids and variance_distance_grids (the reference fit second, as
vp-comparefits' `normalize_to: 2`); arc_lengths at Q0; next_effective_exponents_table of each
set with the fit's Q0 and the EVOL basis (vp-nextfitruncard's call), and those ranges through
vp-nextfitruncard's PREPROCESSING_LIMS clip and 4-digit rounding (iterate_preprocessing_yaml).
The hashes of the sets' member files are stored: the test tells a changed tiny fit (rerun this
script) from a wrong computation.
"""

import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
from validphys import arclength, pdfgrids
from validphys.core import PDF
from validphys.eff_exponents import alpha_eff, beta_eff, fmt, next_effective_exponents_table
from validphys.lhapdf_compatibility import lhapdf
from validphys.pdfbases import check_basis
from validphys.scripts.vp_nextfitruncard import PREPROCESSING_LIMS

HERE = Path(__file__).resolve().parent
Q0, Q = 1.65, 100.0
BASES = {"evolution": "CCBAR_ASYMM", "flavour": "CCBAR_ASYMM_FLAVOUR"}


def lhapdf_set(results: Path) -> Path:
    (folder,) = [p for p in (results / "lhapdf").iterdir() if (p / f"{p.name}.info").is_file()]
    return folder


def digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.glob("*.dat")):
        sha.update(path.name.encode() + path.read_bytes())
    return sha.hexdigest()


sets = [lhapdf_set(Path(p).resolve()) for p in sys.argv[1:3]]
share = Path(tempfile.mkdtemp())
for folder in sets:
    (share / folder.name).symlink_to(folder)
lhapdf.pathsPrepend(str(share))
pdfs = [PDF(folder.name) for folder in sets]
out = {"sets": np.array([f.name for f in sets]), "sha256": np.array([digest(f) for f in sets])}

for q in (Q0, Q):
    for name, basis in BASES.items():
        grids = [pdfgrids.xplotting_grid(pdf, q, basis=basis) for pdf in pdfs]
        key = f"Q={q:g}/{name}"
        out["x"] = grids[0].xgrid
        for i, grid in enumerate(grids):
            out[f"{key}/grid{i}"] = grid.grid_values.data
        # normalize_to: 2 in vp-comparefits' card is index 1 once reportengine has checked it
        out[f"{key}/central"] = pdfgrids.distance_grids(pdfs, grids, 1)[0].grid_values.data[0]
        out[f"{key}/variance"] = pdfgrids.variance_distance_grids(pdfs, grids, 1)[
            0
        ].grid_values.data[0]

for name, basis in BASES.items():
    for i, pdf in enumerate(pdfs):
        out[f"arc/{name}/{i}"] = arclength.arc_lengths(pdf, Q0, basis).stats.data

checked = check_basis("EVOL", None)
for i, pdf in enumerate(pdfs):
    table = next_effective_exponents_table(
        pdf, fitq0fromfit=Q0, basis=checked["basis"], flavours=checked["flavours"]
    )
    for name, func, (x1, x2) in (
        ("alpha", alpha_eff, (1e-6, 1e-3)),
        ("beta", beta_eff, (0.65, 0.95)),
    ):
        grid = func(pdf, xmin=x1, xmax=x2, npoints=2, Q=Q0, **checked)
        out[f"next/{i}/{name}_points"] = grid.grid_values.data
    out[f"next/{i}/labels"] = np.array([f"{a}|{b}" for a, b in table.index])
    out[f"next/{i}/raw"] = table.to_numpy()
    iterated = []
    for fl, runcard_fl in zip(
        checked["flavours"], ("sng", "v", "t3", "v3", "t8", "v8", "t15", "g"), strict=True
    ):
        label = f"${checked['basis'].elementlabel(fl)}$"
        alphas = table.loc[(label, r"$\alpha$")].values
        betas = table.loc[(label, r"$\beta$")].values
        lims = PREPROCESSING_LIMS.get(runcard_fl, {})
        if lims.get("smallx") is not None:
            alphas = np.clip(alphas, **lims["smallx"])
        if lims.get("largex") is not None:
            betas = np.clip(betas, **lims["largex"])
        iterated.append([*(fmt(a) for a in alphas), *(fmt(b) for b in betas)])
    out[f"next/{i}/iterated"] = np.array(iterated)
    out[f"next/{i}/fl"] = np.array(["sng", "v", "t3", "v3", "t8", "v8", "t15", "g"])

np.savez_compressed(HERE.parent / "data" / "validphys_compare.npz", **out)
print("sets", [f.name for f in sets], "members", [len(p) for p in pdfs])
