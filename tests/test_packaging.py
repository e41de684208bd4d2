"""The package as a user installs it: a wheel (not an editable checkout) holds every data file
the package reads, and the lock pins every dependency."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources (a build/ folder in the checkout may hold
    files that are gone from src/)."""
    out = tmp_path_factory.mktemp("wheel")
    tree = out / "tree"
    for name in ("pyproject.toml", "README.md"):
        tree.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "src",
        tree / "src",
        symlinks=True,
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
    )
    shutil.copytree(ROOT / "workflow" / "schemas", tree / "workflow" / "schemas")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(tree)],
        check=True,
        capture_output=True,
        text=True,
    )
    (path,) = out.glob("disfit-*.whl")
    return path


def test_wheel_holds_every_data_file(wheel):
    """Every non-Python file of src/disfit (the schema link followed) is in the wheel."""
    package = ROOT / "src" / "disfit"
    data_files = {
        f"disfit/{p.relative_to(package).as_posix()}"
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert {
        "disfit/schemas/config.schema.yaml",
        "disfit/theory/catalog.yaml",
        "disfit/io/export_xgrid.txt",
    } <= data_files
    names = set(zipfile.ZipFile(wheel).namelist())
    assert data_files <= names, data_files - names
    schema = zipfile.ZipFile(wheel).read("disfit/schemas/config.schema.yaml")
    assert schema == (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_bytes()


def test_installed_wheel_reads_its_data(wheel, tmp_path):
    """The wheel unpacked alone on sys.path: the modules that read data files import and
    read them (schema, FK-table catalog, export x grid)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import disfit; assert disfit.__file__.startswith(sys.argv[1]), disfit.__file__\n"
        "from disfit.config import schema; assert 'datasets' in schema()['properties']\n"
        "from disfit.theory.coefficients import catalog; assert len(catalog()) > 20\n"
        "from disfit.io.replica import EXPORT_XGRID; assert len(EXPORT_XGRID) == 196\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_lock_pins_every_dependency():
    """requirements.lock pins each dependency of pyproject.toml (and of the test extra) to one
    version with hashes, and the conda environment pins the same versions."""
    import tomllib

    import yaml

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    lock = (ROOT / "requirements.lock").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", lock, flags=re.M))
    pins = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    assert lock.count("--hash=sha256:") >= len(pins)
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ]", requirement)[0]).lower()
        assert name in pins, f"{name} is not pinned in requirements.lock"
    conda = yaml.safe_load((ROOT / "envs" / "disfit.yaml").read_text())["dependencies"]
    assert "python=3.11" in conda
    pip_entries = next(e["pip"] for e in conda if isinstance(e, dict))
    conda_pins = dict(e.split("==") for e in pip_entries if "==" in e)
    conda_pins = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in conda_pins.items()}
    assert conda_pins == pins, "envs/disfit.yaml differs from the lock: run scripts/lock.sh"
