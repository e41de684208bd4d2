"""validphys 4.1.5 loads a disfit fit exported in n3fit's layout (`disfit export n3fit`) and
computes with it; prints the numbers as JSON. Run in NNPDF's environment (never a disfit
dependency) by tests/test_validphys_export.py, or by hand:

    ~/.cache/disfit/nnpdf-4.1.5/bin/python tests/reference/validphys_load_fit.py \
        results/test/n3fit disfit_test 999003 NMC_NC_NOTFIXED_P_EM-SIGMARED legacy

The export's parent folder becomes validphys' results path (a temporary nnprofile; theories
stay where NNPDF's environment keeps them: theory <id> must be installed there, as
benchmarks/n3fit_side_by_side.py installs disfit's default theory), and the fit's
postfit/<name>/ LHAPDF set is put first on the LHAPDF path. Then: API.fit and its runcard,
replica_data (the replicas' JSON as vp-comparefits reads them), the experimental χ² of one
dataset with the fit's cuts (use_cuts: fromfit) and theory, and vp-nextfitruncard's ranges
(iterate_preprocessing_yaml with PREPROCESSING_LIMS).
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

export, name, theoryid, dataset, variant = sys.argv[1:6]
export = Path(export).resolve()
share = Path(sys.prefix) / "share" / "NNPDF"
profile = Path(tempfile.mkdtemp()) / "nnprofile.yaml"
profile.write_text(
    yaml.safe_dump(
        {
            "results_path": str(export),
            "theories_path": str(share / "theories"),
            "ekos_path": str(share / "ekos"),
            "validphys_cache_path": str(profile.parent / "vp-cache"),
            "hyperscan_path": str(profile.parent / "hyperscan"),
            "photons_qed_path": str(share / "photons_qed"),
        }
    )
)
os.environ["NNPDF_PROFILE_PATH"] = str(profile)

from validphys.api import API  # noqa: E402
from validphys.lhapdf_compatibility import lhapdf  # noqa: E402
from validphys.scripts.vp_nextfitruncard import PREPROCESSING_LIMS  # noqa: E402

lhapdf.pathsPrepend(str(export / name / "postfit"))
fit = API.fit(fit=name)
runcard = fit.as_input()
replicas = API.replica_data(fit=name)
common = dict(
    fit=name,
    pdf=name,
    theoryid=int(theoryid),
    use_cuts="fromfit",
    dataset_input={"dataset": dataset, "variant": variant},
)
chi2 = API.abs_chi2_data(**common)
ndata = chi2.ndata
iterated = yaml.safe_load(
    API.iterate_preprocessing_yaml(fit=name, _flmap_np_clip_arg=PREPROCESSING_LIMS)
)
print(
    json.dumps(
        {
            "fit": fit.name,
            "theoryid": runcard["theory"]["theoryid"],
            "replicas": len(replicas),
            "erf_tr": [r.training for r in replicas],
            "ndata": int(ndata),
            "chi2_central_per_point": float(chi2.central_result / ndata),
            "chi2_replicas_per_point": (
                chi2.replica_result.error_members().ravel() / ndata
            ).tolist(),
            "next_basis": iterated["fitting"]["basis"],
        }
    )
)
