"""disfit against n3fit 4.1.5 itself, side by side on the same inputs.

    python benchmarks/n3fit_side_by_side.py [--workdir /tmp/sbs] [--replicas 10] [--epochs N]
        [--mode per-dataset|diagonal] [--steps env theory t0 runcard n3fit disfit matched compare]

Run with disfit's environment (`source scripts/env.sh`). Every step is skipped when its outputs
exist (delete them to redo one); all scratch goes under --workdir. Steps:

1. env: NNPDF's code in its own environment, never a disfit dependency:
   `python3.11 -m venv ~/.cache/disfit/nnpdf-4.1.5 && pip install "nnpdf[nolha]==4.1.5"`.
2. theory: disfit's default theory (the shipped tables of resources/theory/<id>/) exported as
   the NNPDF theory folder `theory_<--theory-id>` (PineAPPL) where validphys looks for theories
   (`<env>/share/NNPDF/theories`), with NNPDF's FK-table names (the integrability tables of
   T3/T8 as INTEGXT3/INTEGXT8, as nnpdf_data's NNPDF_INTEG_3GEV names them), and its theory
   card (disfit's resolved card: FONLL-C, NNLO, Q0 1.65 GeV, ...) in nnpdf_data's theory_cards.
   Every FK table nnpdf_data's metadata names for the fitted datasets and constraint sets is
   checked to be there.
3. t0: disfit's t0 PDF (resources/t0/dis_exp: replica 0 of a disfit postfit, x·f at Q0 on the
   196-point grid) as the LHAPDF set `disfit_t0_dis_exp` in `<env>/share/LHAPDF`, evolved by
   disfit's LHAPDF stage (the shipped operator).
4. runcard: the n3fit runcard of disfit's default config (config/config.yaml with the schema's
   defaults): datasets, variants, C-factors, fractions, cuts (q2min, w2min, the charm cut as
   `added_filter_rules`), t0 set, seeds, epochs, architecture, optimizer, λ's, positivity and
   integrability sets (disfit's names translated to nnpdf_data's) and `diagonal_basis`
   (--mode). `vp-setupfit` then prepares the fit.
5. n3fit: `n3fit <runcard> 1 -r <replicas>`: all replicas as one parallel model (n3fit 4.1.5's
   default `parallel_models`), one core (`maxcores: 1`, taskset). No postfit, no evolution:
   the comparison reads the Q0 exportgrids.
6. disfit: the default config but for `run_name` and `fit.replicas` (= `replicas_per_job` =
   `replicas_per_chunk`, one job and one chunk as n3fit's one parallel model; and --epochs),
   in a scratch copy of the workflow; `snakemake --cores 1 results/<run>/fit/replica_<k>...`
   there (one core, taskset).
   matched: disfit's fit once more with n3fit's own training masks and pseudo-data (its
   savepseudodata files; the network seeds are n3fit's already), in-process, so that what is
   left between the codes is the training alone. Per-dataset split only (--mode per-dataset):
   in the diagonal basis n3fit saves its pseudo-data by eigenmode.
7. compare: per dataset χ²/N of every replica (the Q0 grids of both codes contracted with the
   data, cuts, covariances and FK tables that validphys loads for the runcard; experimental and
   t0 covariance), E_tr, E_vl, best and stop epochs, seconds per replica-epoch, validphys'
   distances of the PDFs at Q0 (Σ, g, V, V3, T3, T8) in the data's x range, and the agreement
   of the split, pseudo-data, preprocessing and t0 covariance with n3fit's: written to
   <workdir>/compare-<fit>/summary.{json,md} and printed (docs/n3fit-side-by-side.md).

Typical use (about an hour on one core for 10 replicas of 17000 epochs):
    python benchmarks/n3fit_side_by_side.py --replicas 10
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
NNPDF_ENV = Path.home() / ".cache" / "disfit" / "nnpdf-4.1.5"
NNPDF_REQUIREMENT = "nnpdf[nolha]==4.1.5"
T0_SET = "disfit_t0_dis_exp"
MODES = {"per-dataset": False, "diagonal": True}
#: disfit's integrability sets whose FK tables nnpdf_data calls otherwise (NNPDF_INTEG_3GEV)
INTEG_FK_NAMES = {"NNPDF_INTEG_XT3_40": "INTEGXT3", "NNPDF_INTEG_XT8_40": "INTEGXT8"}
#: the commondata sets holding disfit's positivity (Q² = 5 GeV²) and integrability (Q0) sets
POS_SET, INTEG_SET = "NNPDF_POS_2P24GEV", "NNPDF_INTEG_3GEV"
#: the core both codes run on (taskset), leaving the other to whoever else works here
CORE = os.environ.get("SBS_CORE", "1")
log = logging.getLogger("n3fit_side_by_side")


def nnpdf_python() -> Path:
    return NNPDF_ENV / "bin" / "python"


def site_packages() -> Path:
    (path,) = (NNPDF_ENV / "lib").glob("python3*/site-packages")
    return path


#: n3fit's progress line, every 100 epochs
EPOCH_LINE = re.compile(r"Epoch (\d+)/\d+:")


def run(cmd: list, log_file: Path | None = None, **kwargs) -> float:
    """Run `cmd` (on CORE), its output into `log_file`; the wall seconds it took. The seconds
    since the start at which each n3fit progress line arrived go to `log_file`.epochs.json (the
    steady rate, compilation excluded: see steady_rate)."""
    cmd = ["taskset", "-c", CORE, *map(str, cmd)]
    log.info("$ %s", " ".join(cmd))
    start = time.perf_counter()
    if log_file is None:
        subprocess.run(cmd, check=True, **kwargs)
        return time.perf_counter() - start
    stamps = []
    kwargs["env"] = dict(kwargs.get("env", os.environ), PYTHONUNBUFFERED="1")
    with open(log_file, "w") as out:
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
        ) as proc:
            for line in proc.stdout:
                out.write(line)
                if match := EPOCH_LINE.search(line):
                    stamps.append((int(match[1]), time.perf_counter() - start))
    if proc.returncode:
        tail = log_file.read_text().splitlines()[-30:]
        raise SystemExit(f"{cmd[3]} failed ({log_file}):\n" + "\n".join(tail))
    Path(f"{log_file}.epochs.json").write_text(json.dumps(stamps))
    return time.perf_counter() - start


def in_nnpdf(code: str, workdir: Path, *args) -> str:
    """Run python `code` in NNPDF's environment; its stdout."""
    env = dict(os.environ, PYTHONPATH="", OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        ["taskset", "-c", CORE, nnpdf_python(), "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
    )
    if done.returncode:
        raise SystemExit(f"NNPDF python failed:\n{done.stderr[-4000:]}")
    return done.stdout


def nnpdf_env_vars() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{NNPDF_ENV / 'bin'}{os.pathsep}{env['PATH']}"
    env.update(OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
    return env


# --------------------------------------------------------------------------- 1. environment
def step_env(args) -> None:
    if (NNPDF_ENV / "bin" / "n3fit").is_file():
        return
    subprocess.run(["python3.11", "-m", "venv", NNPDF_ENV], check=True)
    run([NNPDF_ENV / "bin" / "pip", "install", "-q", NNPDF_REQUIREMENT])


# --------------------------------------------------------------------------- 2. theory
def default_config() -> dict:
    from disfit.config import load_config

    return load_config(ROOT / "config" / "config.yaml")


def theory_folder(args) -> Path:
    return NNPDF_ENV / "share" / "NNPDF" / "theories" / f"theory_{args.theory_id}"


def fk_names(config: dict) -> dict[str, list[str]]:
    """nnpdf_data's FK-table names (metadata `theory: FK_tables`) of every fitted dataset and
    every positivity/integrability set of `config`, by their nnpdf_data names; read in NNPDF's
    environment so that its own nnpdf_data answers."""
    sets = [[d["dataset"], d.get("variant")] for d in config["datasets"]]
    for kind in ("positivity", "integrability"):
        sets += [
            [constraint_name(kind, e["dataset"]), None] for e in config["fit"][kind]["datasets"]
        ]
    code = """
import json, sys
from nnpdf_data import legacy_to_new_map
from validphys.loader import Loader
loader = Loader()
out = {}
for name, variant in json.loads(sys.argv[1]):
    cd = loader.check_commondata(name, variant=variant)
    out[name] = [fk for op in cd.metadata.theory.FK_tables for fk in op]
print(json.dumps(out))
"""
    return json.loads(in_nnpdf(code, Path.cwd(), json.dumps(sets)).splitlines()[-1])


def constraint_name(kind: str, disfit_name: str) -> str:
    """nnpdf_data's name of disfit's positivity/integrability set: the observable of
    NNPDF_POS_2P24GEV / NNPDF_INTEG_3GEV whose FK table is disfit's table."""
    setname = POS_SET if kind == "positivity" else INTEG_SET
    metadata = site_packages() / "nnpdf_data" / "commondata" / setname / "metadata.yaml"
    table = INTEG_FK_NAMES.get(disfit_name, disfit_name)
    for obs in yaml.safe_load(metadata.read_text())["implemented_observables"]:
        if obs["theory"]["FK_tables"] == [[table]]:
            return f"{setname}_{obs['observable_name']}"
    raise SystemExit(f"{disfit_name}: no observable of {setname} uses FK table {table}")


def nnpdf_theory_card(config: dict, theory_id: int) -> dict:
    """disfit's resolved theory card as an nnpdf_data theory card."""
    from disfit.theory.card import theory_card
    from disfit.theory.card import theory_id as disfit_theory_id

    card = theory_card(config["theory"])
    card["ID"] = theory_id
    card["Comments"] = (
        f"disfit theory {disfit_theory_id(config['theory'])} (resources/theory), "
        f"{card['FNS']} of card {config['theory']['card']}, exported for "
        "benchmarks/n3fit_side_by_side.py"
    )
    return card


def step_theory(args) -> None:
    from disfit.theory.card import theory_id as disfit_theory_id

    config = default_config()
    folder = theory_folder(args)
    card_path = site_packages() / "nnpdf_data" / "theory_cards" / f"{args.theory_id}.yaml"
    card = nnpdf_theory_card(config, args.theory_id)
    if card_path.is_file() and yaml.safe_load(card_path.read_text()) != card:
        raise SystemExit(f"{card_path} exists with another card; pick another --theory-id")
    card_path.write_text(yaml.safe_dump(card, sort_keys=False))
    shipped = ROOT / "resources" / "theory" / disfit_theory_id(config["theory"])
    if not (folder / "fastkernel").is_dir():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        parts = [shipped / p for p in ("fktables", "positivity", "integrability")]
        run(["disfit", "theory", "export", *parts, "--out", tmp])
        for disfit_name, nnpdf_name in INTEG_FK_NAMES.items():
            src = tmp / "fastkernel" / f"{disfit_name}.pineappl.lz4"
            src.rename(src.with_name(f"{nnpdf_name}.pineappl.lz4"))
        tmp.rename(folder)
    missing = {
        name: [fk for fk in fks if not (folder / "fastkernel" / f"{fk}.pineappl.lz4").is_file()]
        for name, fks in fk_names(config).items()
    }
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        raise SystemExit(f"FK tables nnpdf_data names but the export lacks: {missing}")
    log.info("theory %s: %s (card %s)", args.theory_id, folder, card_path)


# --------------------------------------------------------------------------- 3. t0 PDF
def lhapdf_dir() -> Path:
    return NNPDF_ENV / "share" / "LHAPDF"


def step_t0(args) -> None:
    from disfit.io.replica import EVOLUTION_FILE, read_replica_grid, write_replica_grids
    from disfit.lhapdf.build import evolve_set
    from disfit.theory.card import evolution_id, theory_card, theory_id

    target = lhapdf_dir() / T0_SET
    if (target / f"{T0_SET}_0000.dat").is_file():
        return
    config = default_config()
    source = ROOT / config["fit"]["t0pdfset"]
    _, xf, meta = read_replica_grid(source / "replica_0" / EVOLUTION_FILE)
    # a postfit folder of one replica equal to the t0 PDF: member 0 (their mean) is the t0 PDF
    fake = args.workdir / "t0-postfit"
    shutil.rmtree(fake, ignore_errors=True)
    for k in (0, 1):
        folder = fake / f"replica_{k}"
        folder.mkdir(parents=True)
        write_replica_grids(folder, xf, float(meta["q0"]), {})
    (fake / "veto_count.json").write_text(json.dumps({"selected": [1]}))
    theory = config["theory"]
    (operator,) = (ROOT / "resources" / "evolution").glob(f"{evolution_id(theory)}/*.parquet")
    out = args.workdir / "t0-lhapdf"
    shutil.rmtree(out, ignore_errors=True)
    evolve_set(
        fake, operator, out, theory_card(theory), theory_id(theory), T0_SET, evolution_id(theory)
    )
    lhapdf_dir().mkdir(parents=True, exist_ok=True)
    shutil.copytree(out / T0_SET, target)
    log.info("t0 set %s", target)


# --------------------------------------------------------------------------- 4. runcard
def fit_name(args) -> str:
    return f"sbs_{args.mode.replace('-', '_')}"


def effective_config(args) -> dict:
    """disfit's default config with this run's replicas, epochs and mode."""
    config = default_config()
    if args.epochs:
        config["fit"]["epochs"] = args.epochs
    config["fit"]["replicas"] = config["fit"]["replicas_per_job"] = args.replicas
    config["fit"]["replicas_per_chunk"] = max(args.replicas, 2)
    return config


def n3fit_runcard(config: dict, args) -> dict:
    """The n3fit runcard of a disfit config (disfit's own export, `disfit.export.n3fit`), with
    this run's split mode, one core, parallel replicas and the pseudo-data saved."""
    from disfit.export.n3fit import n3fit_runcard as export_runcard

    description = (
        f"disfit's default config as an n3fit runcard ({args.replicas} replicas, "
        f"{config['fit']['epochs']} epochs, mode {args.mode}): benchmarks/n3fit_side_by_side.py"
    )
    runcard = export_runcard(config, args.theory_id, T0_SET, description)
    runcard["diagonal_basis"] = MODES[args.mode]
    runcard["fitting"]["savepseudodata"] = True
    runcard["maxcores"] = 1
    return runcard


def check_mode(config: dict, args) -> None:
    from disfit.config import schema

    keys = schema()["properties"]["fit"]["properties"]
    if "diagonal_basis" in keys:
        config["fit"]["diagonal_basis"] = MODES[args.mode]
    elif MODES[args.mode]:
        raise SystemExit(
            "--mode diagonal: disfit's schema has no fit.diagonal_basis yet; run per-dataset"
        )


def step_runcard(args) -> None:
    config = effective_config(args)
    check_mode(config, args)
    name = fit_name(args)
    path = args.workdir / f"{name}.yml"
    runcard = n3fit_runcard(config, args)
    if path.is_file() and yaml.safe_load(path.read_text()) != runcard:
        raise SystemExit(f"{path} differs from this run's runcard: remove {args.workdir / name}*")
    path.write_text(yaml.safe_dump(runcard, sort_keys=False))
    if not (args.workdir / name / "filter.yml").is_file():
        run(
            [NNPDF_ENV / "bin" / "vp-setupfit", path.name],
            args.workdir / f"{name}.setupfit.log",
            cwd=args.workdir,
            env=nnpdf_env_vars(),
        )


# --------------------------------------------------------------------------- 5. n3fit
def step_n3fit(args) -> None:
    name = fit_name(args)
    fitdir = args.workdir / name
    last = fitdir / "nnfit" / f"replica_{args.replicas}" / f"{name}.json"
    if last.is_file():
        return
    wall = run(
        [NNPDF_ENV / "bin" / "n3fit", f"{name}.yml", 1, "-r", args.replicas],
        args.workdir / f"{name}.n3fit.log",
        cwd=args.workdir,
        env=nnpdf_env_vars(),
    )
    (fitdir / "sbs_wall.json").write_text(json.dumps({"n3fit_wall_s": wall}))


# --------------------------------------------------------------------------- 6. disfit
def disfit_copy(args) -> Path:
    return args.workdir / f"disfit_{fit_name(args)}"


def step_disfit(args) -> None:
    config = effective_config(args)
    check_mode(config, args)
    name = fit_name(args)
    config["run_name"] = name
    work = disfit_copy(args)
    out = work / "results" / name / "fit"
    if (out / f"replica_{args.replicas}" / "replica.json").is_file():
        return
    if not (work / "Snakefile").is_file():
        work.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "Snakefile", work)
        for folder in ("workflow", "config", "envs", "resources"):
            shutil.copytree(ROOT / folder, work / folder, dirs_exist_ok=True)
    # only what differs from the default config: run name, replicas (all in one job and one
    # chunk, as n3fit fits them in one parallel model; the schema requires replicas_per_job <=
    # replicas), and --epochs, --mode
    overrides = {
        "run_name": name,
        "fit": {
            "replicas": args.replicas,
            "replicas_per_job": args.replicas,
            "replicas_per_chunk": max(args.replicas, 2),
        },
    }
    if args.epochs:
        overrides["fit"]["epochs"] = args.epochs
    if "diagonal_basis" in config["fit"]:
        overrides["fit"]["diagonal_basis"] = config["fit"]["diagonal_basis"]
    (work / "config" / "sbs.yaml").write_text(yaml.safe_dump(overrides, sort_keys=False))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    targets = [f"results/{name}/fit/replica_{k}" for k in range(1, args.replicas + 1)]
    wall = run(
        [sys.executable, "-m", "snakemake", *targets, "--workflow-profile", "none"]
        + ["--cores", "1", "--configfile", "config/config.yaml", "config/sbs.yaml"],
        args.workdir / f"{name}.disfit.log",
        cwd=work,
        env=env,
    )
    (out / "sbs_wall.json").write_text(json.dumps({"snakemake_wall_s": wall}))


# --------------------------------------------------------------------------- 6b. matched
MATCHED = "fit_n3fit_seeds"


def disfit_fit_inputs(args):
    """disfit's inputs of this run (cwd: the scratch copy), and (dataset, commondata index) of
    each of its points."""
    from disfit.fit.inputs import fit_inputs_from_config
    from disfit.io.datatable import read_dataset

    config = effective_config(args)
    run_dir = Path("results") / fit_name(args)
    folders = disfit_fit_folders(config, run_dir)
    inputs = fit_inputs_from_config(config, *folders)
    index = [
        (d.name, int(e) - 1)
        for d in inputs.datasets
        for e in read_dataset(run_dir / "data" / f"{d.name}.parquet").entries
    ]
    return config, folders, inputs, index


def disfit_fit_folders(config: dict, run_dir: Path) -> tuple:
    """`disfit fit`'s inputs as the workflow passes them: data, covariance, FK tables, the
    theory's positivity and integrability tables."""
    theory = run_dir / "theory"
    return (
        run_dir / "data",
        run_dir / "data" / "covmat.parquet",
        [run_dir / "fktables" / d["dataset"] for d in config["datasets"]],
        theory / "positivity",
        theory / "integrability",
    )


def n3fit_saved(n3fit_dir: Path, replica: int, index: list) -> tuple[np.ndarray, np.ndarray]:
    """(training mask, pseudo-data) n3fit saved for `replica`, in disfit's point order."""
    import pandas as pd

    folder = n3fit_dir / "nnfit" / f"replica_{replica}"
    saved = {}
    for part, training in (("training", True), ("validation", False)):
        table = pd.read_csv(folder / f"datacuts_theory_fitting_{part}_pseudodata.csv", sep="\t")
        for ds, i, v in zip(table["dataset"], table["id"], table.iloc[:, -1], strict=True):
            saved[(ds, int(i))] = (training, float(v))
    if set(saved) != set(index):
        raise SystemExit(f"replica {replica}: n3fit's points differ from disfit's")
    return np.array([saved[p][0] for p in index]), np.array([saved[p][1] for p in index])


def step_matched(args) -> None:
    """disfit's fit of the same replicas with n3fit's own training masks and pseudo-data (read
    from n3fit's savepseudodata files; the network seeds are already n3fit's): what is left
    between the codes is the training itself. In-process `disfit fit` with setup_replicas
    swapped, into results/<run>/fit_n3fit_seeds/ of the scratch copy."""
    import disfit.fit.runner as runner
    from disfit.fit.train import ReplicaSetup

    if args.mode == "diagonal":
        # n3fit saves a diagonal-basis fit's pseudo-data by eigenmode (validphys'
        # diagonal_indexed_recreate_pseudodata), not by data point as n3fit_saved reads them
        log.info("matched: only for --mode per-dataset (n3fit saves eigenmodes in diagonal mode)")
        return
    name = fit_name(args)
    n3fit_dir = args.workdir / name
    here = Path.cwd()
    os.chdir(disfit_copy(args))
    out = Path("results") / name / MATCHED
    if (out / f"replica_{args.replicas}" / "replica.json").is_file():
        os.chdir(here)
        return
    config, folders, inputs, index = disfit_fit_inputs(args)
    config["run_name"] = name
    original = runner.setup_replicas

    def with_n3fit_data(inputs, batch, *args, **kwargs):
        setup = original(inputs, batch, *args, **kwargs)
        saved = [n3fit_saved(n3fit_dir, k, index) for k in batch]
        masks = np.array([m for m, _ in saved])
        data = np.array([d for _, d in saved])
        return ReplicaSetup(list(batch), setup.nnseeds, masks, data, setup.whitening)

    runner.setup_replicas = with_n3fit_data
    start = time.perf_counter()
    runner.fit_batch(config, *folders, list(range(1, args.replicas + 1)), out)
    (out / "sbs_wall.json").write_text(json.dumps({"fit_wall_s": time.perf_counter() - start}))
    runner.setup_replicas = original
    os.chdir(here)


# --------------------------------------------------------------------------- 7. compare
#: flavours compared at Q0 (FK evolution basis names) and the x range of the data
PDF_FLAVOURS = ("Sigma", "g", "V", "V3", "T3", "T8")
X_DATA = (5e-5, 0.75)

#: run in NNPDF's environment: χ²/N per dataset of every replica of both codes, with the data,
#: cuts, experimental covariance and FK tables (C-factors applied) as validphys loads them for
#: the runcard, the Q0 grids (196 points) interpolated to each FK table's x grid by a cubic
#: spline in ln x
VALIDPHYS_CHI2 = """
import json, sys
import numpy as np, yaml
from scipy.interpolate import CubicSpline
from validphys.api import API
from validphys.convolution import OP, central_predictions
from validphys.covmats import covmat_from_systematics
runcard = yaml.safe_load(open(sys.argv[1]))
grids = np.load(sys.argv[2])
codes = [c for c in grids.files if c != "x"]
logx = np.log(grids["x"])
common = dict(
    theoryid=runcard["theory"]["theoryid"], use_cuts="internal",
    q2min=runcard["datacuts"]["q2min"], w2min=runcard["datacuts"]["w2min"],
    added_filter_rules=runcard["added_filter_rules"],
)
t0pdf = API.pdf(pdf=runcard["datacuts"]["t0pdfset"])
out = {"ndata": {}, "chi2": {c: {} for c in codes}, "chi2_t0": {c: {} for c in codes}}
for dsin in runcard["dataset_inputs"]:
    ds = API.dataset(dataset_input=dsin, **common)
    cd = ds.load_commondata()
    if len(cd.central_values) != len(ds.cuts.load()):
        cd = cd.with_cuts(ds.cuts)
    data = cd.central_values.to_numpy()
    inv = np.linalg.inv(covmat_from_systematics(cd, ds))
    t0pred = central_predictions(ds, t0pdf).to_numpy()[:, 0]
    inv_t0 = np.linalg.inv(covmat_from_systematics(cd, ds, _central_values=t0pred))
    out["ndata"][ds.name] = len(data)
    for code in codes:
        operands = []
        for spec in ds.fkspecs:
            fk = spec.load_with_cuts(ds.cuts)
            table = fk.get_np_fktable()  # (ndata, nbasis, nx)
            xf = CubicSpline(logx, grids[code], axis=-1)(np.log(fk.xgrid))  # (R, 14, nx)
            operands.append(np.einsum("dbx,rbx->rd", table, xf[:, fk.luminosity_mapping]))
        pred = OP[ds.op](*operands)
        diff = pred - data
        for key, m in (("chi2", inv), ("chi2_t0", inv_t0)):
            out[key][code][ds.name] = (np.einsum("rd,de,re->r", diff, m, diff) / len(data)).tolist()
print(json.dumps(out))
"""


def read_n3fit_grid(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(x, x·f (14, nx) in the FK evolution basis) of an n3fit .exportgrid."""
    from disfit.basis import EXPORTGRID_LABELS, EXPORTGRID_PIDS, FLAVOUR_PIDS, evolution_basis

    content = yaml.safe_load(path.read_text())
    if list(content["labels"]) != list(EXPORTGRID_LABELS):
        raise SystemExit(f"{path}: labels {content['labels']}")
    # PyYAML reads 1e-09 (no dot) as a string
    grid = np.array(content["pdfgrid"], dtype=float).T  # (14 labels, nx)
    flavour = np.zeros_like(grid)
    for row, pid in zip(grid, EXPORTGRID_PIDS, strict=True):
        flavour[FLAVOUR_PIDS.index(pid)] = row
    return np.array(content["xgrid"], dtype=float), evolution_basis(flavour)


def replica_timing(code: str, jsons: list[dict]) -> dict:
    """Seconds per replica-epoch of one parallel run: the run's training wall time over replicas
    × epochs trained (the last replica's stop epoch: both codes train every replica until then).
    The two codes' `timing.walltime` keys differ: n3fit's are times since its start
    (replica_set, replica_fitted) and replica_set_to_replica_fitted the training; disfit's
    replica_set and replica_fitted are durations (setup, a replica's own training: the run's is
    the longest, all replicas starting together in one chunk) and replica_set_to_replica_fitted
    the total."""
    wall = jsons[0]["timing"]["walltime"]
    if code == "n3fit":
        setup, training = wall["replica_set"], wall["replica_set_to_replica_fitted"]
    else:
        setup, training = wall["replica_set"], disfit_training(jsons)
    epochs = max(j["stop_epoch"] for j in jsons)
    return {
        "setup_s": setup,
        "training_s": training,
        "epochs": epochs,
        "ms_per_replica_epoch": 1e3 * training / (len(jsons) * epochs),
    }


def steady_rate(code: str, jsons: list[dict], n3fit_log: Path) -> float:
    """ms per replica-epoch after the first 100 epochs, which hold each code's compilation
    (n3fit's tf.function tracing, disfit's XLA): n3fit's from the arrival times of its progress
    lines (epoch 100 to its last), disfit's from its training time less the first 100
    iterations' (`timing.first_iterations`)."""
    if code == "n3fit":
        stamps = json.loads(Path(f"{n3fit_log}.epochs.json").read_text())
        (e0, t0), (e1, t1) = stamps[0], stamps[-1]
        return 1e3 * (t1 - t0) / (len(jsons) * (e1 - e0))
    epochs = max(j["stop_epoch"] for j in jsons) - 100
    training = disfit_training(jsons) - jsons[0]["timing"]["first_iterations"]
    return 1e3 * training / (len(jsons) * epochs)


def disfit_training(jsons: list[dict]) -> float:
    """disfit's training wall time of a run whose replicas all start together (one chunk): its
    longest replica's."""
    return max(j["timing"]["walltime"]["replica_fitted"] for j in jsons)


def distances(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """validphys' distance_grids and variance_distance_grids of two replica samples (R, ...)."""
    na, nb = len(a), len(b)
    sa, sb = a.std(axis=0, ddof=1), b.std(axis=0, ddof=1)
    central = np.sqrt((a.mean(0) - b.mean(0)) ** 2 / (sa**2 / na + sb**2 / nb))
    ma = ((a - a.mean(0)) ** 4).mean(0)
    mb = ((b - b.mean(0)) ** 4).mean(0)
    va = (ma - (na - 3) / (na - 1) * sa**4) / na
    vb = (mb - (nb - 3) / (nb - 1) * sb**4) / nb
    return central, np.sqrt((sa**2 - sb**2) ** 2 / (va + vb))


def n3fit_recipe(inputs, config: dict, replica: int) -> tuple[np.ndarray, np.ndarray]:
    """(training mask, pseudo-data) of `replica` by validphys 4.1.5's own recipe
    (n3fit_data.standard_masks, group_replica_mcseed, pseudodata.make_replica) on disfit's data
    and fitting covariance: datasets grouped by their commondata `experiment`
    (`diagonal_basis: false` groups by experiment); each group's mask generator is seeded by
    sha256(group name) + the replica's trvlseed; each group's pseudo-data by sha256 of its
    datasets' *legacy* names (NNPDF 4.0 names where nnpdf_data has them) + the replica's
    mcseed, shifted with the Cholesky factor of the group's own block of the t0 covariance."""
    import hashlib

    from nnpdf_data.validphys_compatibility import new_to_legacy_map

    from disfit.data.covmat import sqrt_covmat
    from disfit.fit.replicas import replica_seed

    site = Path(__import__("nnpdf_data").__file__).parent / "commondata"
    variants = {d["dataset"]: d.get("variant") for d in config["datasets"]}
    groups: dict[str, list] = {}
    for d in inputs.datasets:
        setname = d.name.rsplit("_", 1)[0]  # observable names hold no underscore
        meta = yaml.safe_load((site / setname / "metadata.yaml").read_text())
        (obs,) = [
            o
            for o in meta["implemented_observables"]
            if f"{setname}_{o['observable_name']}" == d.name
        ]
        variant = (obs.get("variants") or {}).get(variants[d.name]) or {}
        experiment = variant.get("experiment") or meta["nnpdf_metadata"]["experiment"]
        groups.setdefault(experiment, []).append(d)
    fit = config["fit"]
    trvl = replica_seed(replica, fit["trvlseed"])
    mc = replica_seed(replica, fit["mcseed"])
    mask = np.zeros(inputs.ndata, dtype=bool)
    data = np.zeros(inputs.ndata)
    for group, members in groups.items():
        seed = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 10**8 + trvl
        rng = np.random.Generator(np.random.PCG64(seed))
        for d in members:
            ntr = int(d.frac * d.ndata) or int(rng.random() < d.frac)
            part = np.concatenate([np.ones(ntr, dtype=bool), np.zeros(d.ndata - ntr, dtype=bool)])
            rng.shuffle(part)
            mask[d.rows] = part
        salt = []
        for d in members:
            legacy = new_to_legacy_map(d.name, variants[d.name])
            salt.append(legacy[0] if legacy else d.name)
        seed = int(hashlib.sha256("-".join(salt).encode()).hexdigest(), 16) % 10**8 + mc
        rng = np.random.default_rng(seed=seed)
        rows = np.concatenate([np.arange(d.rows.start, d.rows.stop) for d in members])
        lower = sqrt_covmat(inputs.fit_covmat[np.ix_(rows, rows)])
        data[rows] = inputs.central[rows] + lower @ rng.normal(size=len(rows))
    return mask, data


def pseudodata_agreement(args, n3fit_dir: Path, replicas: list[int]) -> dict:
    """disfit's training masks and pseudo-data of the same replicas (its setup_replicas on its
    own inputs), and validphys' recipe redone on disfit's inputs (n3fit_recipe), against n3fit's
    saved ones, point by point (dataset, commondata index)."""
    from disfit.fit.train import setup_replicas

    here = Path.cwd()
    os.chdir(disfit_copy(args))  # the config's relative paths (t0 PDF)
    config, _, inputs, index = disfit_fit_inputs(args)
    os.chdir(here)
    fit = config["fit"]
    setup = setup_replicas(inputs, replicas, {k: fit[k] for k in ("trvlseed", "nnseed", "mcseed")})
    sigma = np.sqrt(np.diag(inputs.fit_covmat))
    rows = []
    for r, k in enumerate(replicas):
        tr, data = n3fit_saved(n3fit_dir, k, index)
        recipe_mask, recipe_data = n3fit_recipe(inputs, config, k)
        rows.append(
            {
                "replica": k,
                "disfit_same_split_fraction": float(np.mean(tr == setup.trmasks[r])),
                "disfit_pseudodata_max_diff_sigma": float(
                    np.max(np.abs(data - setup.pseudodata[r]) / sigma)
                ),
                "recipe_same_split_fraction": float(np.mean(tr == recipe_mask)),
                "recipe_pseudodata_max_diff_sigma": float(
                    np.max(np.abs(data - recipe_data) / sigma)
                ),
                "training_points": [int(tr.sum()), int(setup.trmasks[r].sum())],
            }
        )
    return {"replicas": rows, "t0_covmat": t0_covmat_agreement(n3fit_dir, inputs, index)}


def t0_covmat_agreement(n3fit_dir: Path, inputs, index) -> dict:
    """disfit's t0 (fitting) covariance against the one vp-setupfit wrote for n3fit."""
    import pandas as pd

    table = pd.read_csv(
        n3fit_dir / "tables" / "datacuts_theory_fitting_covmat_table.csv",
        sep="\t",
        index_col=[0, 1, 2],
        header=[0, 1, 2],
    )
    key = {(ds, int(i)): n for n, (_, ds, i) in enumerate(table.index)}
    order = [key[p] for p in index]
    theirs = table.to_numpy()[np.ix_(order, order)]
    ours = inputs.fit_covmat
    diag = np.diag(ours) / np.diag(theirs) - 1
    return {
        "diag_rel_diff_max": float(np.max(np.abs(diag))),
        "diag_rel_diff_mean": float(np.mean(diag)),
        "max_abs_diff_over_max_entry": float(
            np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
        ),
    }


def step_compare(args) -> None:
    from disfit.basis import FK_BASIS
    from disfit.io.replica import EVOLUTION_FILE, read_json, read_replica_grid

    name = fit_name(args)
    out = args.workdir / f"compare-{name}"
    out.mkdir(exist_ok=True)
    replicas = list(range(1, args.replicas + 1))
    n3fit_dir = args.workdir / name
    results = disfit_copy(args) / "results" / name
    folders = {"disfit": results / "fit", "matched": results / MATCHED}
    codes = ["n3fit"] + [c for c, f in folders.items() if (f / "replica_1").is_dir()]
    grids = {c: [] for c in codes}
    jsons = {c: [] for c in codes}
    for k in replicas:
        folder = n3fit_dir / "nnfit" / f"replica_{k}"
        x, xf = read_n3fit_grid(folder / f"{name}.exportgrid")
        grids["n3fit"].append(xf)
        jsons["n3fit"].append(json.loads((folder / f"{name}.json").read_text()))
        for code in codes[1:]:
            x_d, xf_d, _ = read_replica_grid(folders[code] / f"replica_{k}" / EVOLUTION_FILE)
            if not np.allclose(x, x_d, rtol=1e-12):
                raise SystemExit("the two codes' export grids differ")
            grids[code].append(xf_d)
            jsons[code].append(read_json(folders[code] / f"replica_{k}"))
    grids = {code: np.array(g) for code, g in grids.items()}
    np.savez(out / "grids.npz", x=x, **grids)

    chi2_file = out / "chi2.json"
    if not chi2_file.is_file() or set(json.loads(chi2_file.read_text())["chi2"]) != set(codes):
        stdout = in_nnpdf(
            VALIDPHYS_CHI2, args.workdir, args.workdir / f"{name}.yml", out / "grids.npz"
        )
        chi2_file.write_text(stdout.splitlines()[-1])
    chi2 = json.loads(chi2_file.read_text())

    summary = {"replicas": len(replicas), "mode": args.mode, "codes": codes, "datasets": {}}
    ntot = sum(chi2["ndata"].values())
    for key in ("chi2", "chi2_t0"):
        total = {code: np.zeros(len(replicas)) for code in codes}
        for ds, ndata in chi2["ndata"].items():
            row = summary["datasets"].setdefault(ds, {"ndata": ndata})
            row[key] = {code: chi2[key][code][ds] for code in codes}
            for code in codes:
                total[code] += np.array(chi2[key][code][ds]) * ndata / ntot
        summary[f"total_{key}"] = {c: v.tolist() for c, v in total.items()}
    # disfit's own per-dataset χ² (t0 covariance) against the one recomputed here: the check
    # that validphys' data, cuts, covariance and FK tables are disfit's
    summary["disfit_own_chi2_max_rel_diff"] = max(
        abs(j["chi2_datasets"][ds]["chi2"] / j["chi2_datasets"][ds]["ndata"] / v - 1)
        for ds, row in summary["datasets"].items()
        for j, v in zip(jsons["disfit"], row["chi2_t0"]["disfit"], strict=True)
    )
    for key in ("erf_tr", "erf_vl", "chi2", "best_epoch", "stop_epoch"):
        summary[key] = {code: [j[key] for j in js] for code, js in jsons.items()}
    summary["pos_state"] = {code: [j["pos_state"] for j in js] for code, js in jsons.items()}
    summary["preprocessing_max_diff"] = {
        code: max(
            abs(a[s] - b[s])
            for jn, jd in zip(jsons["n3fit"], jsons[code], strict=True)
            for a, b in zip(jn["preprocessing"], jd["preprocessing"], strict=True)
            for s in ("smallx", "largex")
        )
        for code in codes[1:]
    }
    summary["timing"] = {code: replica_timing(code, js) for code, js in jsons.items()}
    n3fit_log = args.workdir / f"{name}.n3fit.log"
    if (
        Path(f"{n3fit_log}.epochs.json").is_file()
        and "first_iterations" in jsons["disfit"][0]["timing"]
    ):
        for code in ("n3fit", "disfit"):
            summary["timing"][code]["steady_ms_per_replica_epoch"] = steady_rate(
                code, jsons[code], n3fit_log
            )
    walls = {"n3fit": n3fit_dir, **folders}
    for code in codes:
        wall = walls[code] / "sbs_wall.json"
        if wall.is_file():
            summary["timing"][code]["command_wall_s"] = next(
                iter(json.loads(wall.read_text()).values())
            )
    in_data = (x >= X_DATA[0]) & (x <= X_DATA[1])
    summary["pdf_distances"] = {code: {} for code in codes[1:]}
    for code in codes[1:]:
        for fl in PDF_FLAVOURS:
            row = FK_BASIS.index(fl)
            cv, var = distances(grids["n3fit"][:, row, in_data], grids[code][:, row, in_data])
            summary["pdf_distances"][code][fl] = {
                "central_mean": float(cv.mean()),
                "central_max": float(cv.max()),
                "x_at_central_max": float(x[in_data][cv.argmax()]),
                "std_mean": float(var.mean()),
                "std_max": float(var.max()),
            }
    if not MODES[args.mode]:  # n3fit saves diagonal-basis pseudo-data per eigenmode
        summary["pseudodata"] = pseudodata_agreement(args, n3fit_dir, replicas)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    text = markdown(summary)
    if args.exclude:
        keep = [i for i, k in enumerate(replicas) if k not in args.exclude]
        part = without(summary, keep, grids, x)
        text += f"\n\nWithout replicas {args.exclude}:\n\n" + markdown(part, pseudodata=False)
    (out / "summary.md").write_text(text + "\n")
    print(text)


def without(summary: dict, keep: list[int], grids: dict, x: np.ndarray) -> dict:
    """The summary restricted to the replicas at positions `keep` (all codes alike)."""
    from disfit.basis import FK_BASIS

    part = json.loads(json.dumps(summary))
    part["replicas"] = len(keep)

    def pick(values):
        return [values[i] for i in keep]

    for row in part["datasets"].values():
        for key in ("chi2", "chi2_t0"):
            row[key] = {c: pick(v) for c, v in row[key].items()}
    for key in ("total_chi2", "total_chi2_t0", "erf_tr", "erf_vl", "chi2", "best_epoch"):
        part[key] = {c: pick(v) for c, v in part[key].items()}
    part["stop_epoch"] = {c: pick(v) for c, v in part["stop_epoch"].items()}
    part["pos_state"] = {c: pick(v) for c, v in part["pos_state"].items()}
    in_data = (x >= X_DATA[0]) & (x <= X_DATA[1])
    for code in part["codes"][1:]:
        for fl in PDF_FLAVOURS:
            row = FK_BASIS.index(fl)
            cv, var = distances(
                grids["n3fit"][keep][:, row, in_data], grids[code][keep][:, row, in_data]
            )
            part["pdf_distances"][code][fl] = {
                "central_mean": float(cv.mean()),
                "central_max": float(cv.max()),
                "x_at_central_max": float(x[in_data][cv.argmax()]),
                "std_mean": float(var.mean()),
                "std_max": float(var.max()),
            }
    return part


LABELS = {"n3fit": "n3fit", "disfit": "disfit", "matched": "disfit, n3fit's data"}


def mean_sd(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def pull(a, b, paired: bool = False) -> float:
    """Difference of the means of b and a over its standard error; paired: replica by replica."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if paired:
        d = b - a
        return d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return (b.mean() - a.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / len(a))


def markdown(summary: dict, pseudodata: bool = True) -> str:
    codes = summary["codes"]
    lines = [f"Mode {summary['mode']}, {summary['replicas']} replicas each (no postfit)."]
    head = (
        "| dataset | N | "
        + " | ".join(f"{LABELS[c]}" + ("" if c == "n3fit" else " | Δ/σ_Δ") for c in codes)
        + " |"
    )
    rule = "|---|---|" + "---|" * (2 * len(codes) - 1)
    for key, title in (("chi2", "experimental"), ("chi2_t0", "t0")):
        lines += ["", f"χ²/N, {title} covariance:", "", head, rule]
        rows = [(ds, r["ndata"], r[key]) for ds, r in summary["datasets"].items()]
        rows.append(("total", sum(r[1] for r in rows), summary[f"total_{key}"]))
        for ds, ndata, values in rows:
            cells = [mean_sd(values["n3fit"])]
            for code in codes[1:]:
                cells += [
                    mean_sd(values[code]),
                    f"{pull(values['n3fit'], values[code], code == 'matched'):+.1f}",
                ]
            lines.append(f"| {ds} | {ndata} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| quantity | " + " | ".join(LABELS[c] for c in codes) + " |",
        "|---|" + "---|" * len(codes),
    ]
    for key in ("chi2", "erf_tr", "erf_vl", "best_epoch", "stop_epoch"):
        cells = []
        for c in codes:
            v = np.asarray(summary[key][c], dtype=float)
            cells.append(f"{v.mean():.4g} ± {v.std(ddof=1):.3g}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    t = summary["timing"]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(c) for c in codes) + " |")

    row("POS_PASS", lambda c: f"{summary['pos_state'][c].count('POS_PASS')}")
    row("ms per replica-epoch", lambda c: f"{t[c]['ms_per_replica_epoch']:.2f}")
    if "steady_ms_per_replica_epoch" in t.get("disfit", {}):
        row(
            "ms per replica-epoch after epoch 100 (no compilation)",
            lambda c: (
                f"{t[c]['steady_ms_per_replica_epoch']:.3f}"
                if "steady_ms_per_replica_epoch" in t[c]
                else ""
            ),
        )
    row("epochs trained (last stop)", lambda c: f"{t[c]['epochs']}")
    row("setup s / training s", lambda c: f"{t[c]['setup_s']:.0f} / {t[c]['training_s']:.0f}")
    row("command wall s", lambda c: f"{t[c].get('command_wall_s', float('nan')):.0f}")
    for code in codes[1:]:
        lines += [
            "",
            f"PDFs at Q0, {LABELS[code]} against n3fit, {X_DATA[0]:g} ≤ x ≤ {X_DATA[1]:g} "
            "(validphys' distances):",
            "",
            "| flavour | central values: mean / max (at x) | standard deviations: mean / max |",
            "|---|---|---|",
        ]
        for fl, d in summary["pdf_distances"][code].items():
            central = f"{d['central_mean']:.2f} / {d['central_max']:.2f}"
            lines.append(
                f"| {fl} | {central} ({d['x_at_central_max']:.2g}) "
                f"| {d['std_mean']:.2f} / {d['std_max']:.2f} |"
            )
    if not pseudodata or "pseudodata" not in summary:
        return "\n".join(lines)
    pseudo = summary["pseudodata"]
    split = [r["disfit_same_split_fraction"] for r in pseudo["replicas"]]
    diff = [r["disfit_pseudodata_max_diff_sigma"] for r in pseudo["replicas"]]
    rsplit = [r["recipe_same_split_fraction"] for r in pseudo["replicas"]]
    rdiff = [r["recipe_pseudodata_max_diff_sigma"] for r in pseudo["replicas"]]
    t0 = pseudo["t0_covmat"]
    lines += [
        "",
        f"Same replica, training/validation split: disfit and n3fit agree on "
        f"{min(split):.1%}–{max(split):.1%} of the points; pseudo-data differ by up to "
        f"{max(diff):.1e} σ. validphys' recipe redone on disfit's inputs: "
        f"{min(rsplit):.1%} of the split, pseudo-data within {max(rdiff):.1e} σ. "
        f"Preprocessing exponents, largest difference: "
        + ", ".join(f"{LABELS[c]} {v:.1e}" for c, v in summary["preprocessing_max_diff"].items())
        + f". t0 covariance: diagonal within {t0['diag_rel_diff_max']:.1e} (relative), every "
        f"entry within {t0['max_abs_diff_over_max_entry']:.1e} of the largest. disfit's own "
        f"per-dataset χ² (t0) against validphys' recomputation: within "
        f"{summary['disfit_own_chi2_max_rel_diff']:.1e}.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main
STEPS = {
    "env": step_env,
    "theory": step_theory,
    "t0": step_t0,
    "runcard": step_runcard,
    "n3fit": step_n3fit,
    "disfit": step_disfit,
    "matched": step_matched,
    "compare": step_compare,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sbs"))
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=None, help="default: the config's")
    parser.add_argument("--mode", choices=MODES, default="per-dataset")
    parser.add_argument("--theory-id", type=int, default=999003)
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument(
        "--exclude",
        type=int,
        nargs="*",
        default=[],
        help="compare: also the tables without these replicas (e.g. one that stopped early)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, {int(CORE)})  # the in-process steps (matched, compare) too
    for step in args.steps:
        STEPS[step](args)


if __name__ == "__main__":
    main()
