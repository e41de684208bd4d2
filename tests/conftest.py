"""Shared fixtures: the NNPDF4.0 DIS selection, its data sets and validphys' numbers for them,
and the tiny config run once through the workflow (helpers.py holds the shared functions and
toy inputs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import ROOT, snakemake


@pytest.fixture(scope="session")
def nnpdf40_selection() -> list[dict]:
    return yaml.safe_load((ROOT / "config" / "nnpdf40_dis.yaml").read_text())["datasets"]


@pytest.fixture(scope="session")
def nnpdf40_datasets(nnpdf40_selection):
    """The 19 NNPDF4.0 DIS datasets after cuts (about a minute: CHORUS' YAML is 20 MB)."""
    from disfit.data.commondata import load_dataset

    return [
        load_dataset(d["dataset"], d.get("variant"), cfac=d.get("cfac", ()))
        for d in nnpdf40_selection
    ]


@pytest.fixture(scope="session")
def validphys_reference() -> dict[str, np.ndarray]:
    """validphys 4.1.5 numbers for the selection (tests/reference/make_validphys_covmat.py)."""
    with np.load(ROOT / "tests" / "data" / "validphys_covmat.npz") as ref:
        return {k: ref[k] for k in ref.files}


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """A copy of the workflow (Snakefile, rules, configs, shipped resources, profiles)."""
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(ROOT / "Snakefile", work)
    for folder in ("workflow", "config", "envs", "resources", "profiles"):
        shutil.copytree(ROOT / folder, work / folder)
    return work


@pytest.fixture(scope="session")
def tiny_run(workdir) -> subprocess.CompletedProcess:
    """config/test.yaml through the whole workflow in `workdir`, once for the session: the
    workflow, LHAPDF and report tests read its results."""
    return snakemake(workdir, "--configfile", "config/test.yaml")
