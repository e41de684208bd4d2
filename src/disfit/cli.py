"""The `disfit` command line: one subcommand per pipeline stage, each a thin call into the package.

Every Snakemake rule is one call of this tool. Errors from bad input come out as a single line
`disfit: error: ...` and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from disfit import __version__
from disfit.errors import DisfitError

log = logging.getLogger("disfit")


def _cmd_check_config(args: argparse.Namespace) -> None:
    from disfit.checks import check_config
    from disfit.config import load_config

    config = load_config(args.config)
    check_config(config, str(args.config))
    print(f"{args.config}: valid ({len(config['datasets'])} datasets)")


def _cmd_data_commondata(args: argparse.Namespace) -> None:
    from disfit.data.commondata import load_dataset, write_dataset

    try:
        cuts = json.loads(args.cuts) if args.cuts else None
    except json.JSONDecodeError as exc:
        raise DisfitError(f"--cuts: not valid JSON ({exc})") from None
    dataset = load_dataset(args.dataset, args.variant, cuts=cuts, cfac=args.cfac)
    write_dataset(dataset, args.out)
    log.info(
        "%s (%s): %d of %d points pass the cuts → %s",
        dataset.name, dataset.variant, dataset.ndata, dataset.ndata_total, args.out,
    )  # fmt: skip


def _cmd_data_covmat(args: argparse.Namespace) -> None:
    from disfit.data.commondata import read_dataset
    from disfit.data.covmat import covmat_from_systematics, sqrt_covmat, write_covmat

    datasets = [read_dataset(p) for p in args.tables]
    covmat = covmat_from_systematics(datasets)
    sqrt_covmat(covmat)  # fail here, naming the problem, if the matrix is singular
    write_covmat(args.out, covmat, datasets)
    log.info("covariance of %d points from %d datasets → %s", len(covmat), len(datasets), args.out)


def _cmd_data_summary(args: argparse.Namespace) -> None:
    import pandas as pd

    from disfit.data.commondata import read_dataset
    from disfit.io import atomic_path

    rows = []
    for path in args.tables:
        d = read_dataset(path)
        rows.append(
            {"dataset": d.name, "variant": d.variant, "process": d.process_type,
             "ndata_total": d.ndata_total, "ndata_cut": d.ndata, "nsys": d.sys.shape[1]}
        )  # fmt: skip
    table = pd.DataFrame(rows)
    total = {"dataset": "TOTAL", "ndata_total": table["ndata_total"].sum(),
             "ndata_cut": table["ndata_cut"].sum()}  # fmt: skip
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["nsys"] = table["nsys"].astype("Int64")
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    log.info("%d datasets, %d points after cuts", len(rows), total["ndata_cut"])


def _cmd_import_pineappl(args: argparse.Namespace) -> None:
    from disfit.data.commondata import read_dataset
    from disfit.theory.importers import import_theory_folder

    dataset = read_dataset(args.data_table)
    written = import_theory_folder(args.theory_folder, dataset, args.outdir)
    log.info("%s: imported %d FK tables → %s", dataset.name, len(written), args.outdir)


def _cmd_import_pickles(args: argparse.Namespace) -> None:
    from disfit.theory.importers import import_pickles

    written = import_pickles(args.experiments, args.outdir, args.positivity, args.integrability)
    log.info("imported %s", {k: len(v) for k, v in written.items()})


def _theory_json(text: str) -> dict:
    try:
        theory = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise DisfitError(f"--theory: not valid JSON ({exc})") from None
    return theory


def _dataset_specs(specs: Sequence[str]) -> list[tuple[str, str | None]]:
    """NAME[:VARIANT] arguments."""
    return [(s.partition(":")[0], s.partition(":")[2] or None) for s in specs]


def _cmd_theory_coefficients(args: argparse.Namespace) -> None:
    from disfit.theory.card import theory_card, theory_id, xgrid
    from disfit.theory.coefficients import (
        POSITIVITY_OBSERVABLES,
        POSITIVITY_Q2,
        dataset_fktable_points,
        observables_card,
        positivity_x,
        run_yadism,
        save_coefficients,
    )

    config = _theory_json(args.theory)
    card = theory_card(config)
    if args.fktable in POSITIVITY_OBSERVABLES:
        points = [{"x": float(x), "Q2": POSITIVITY_Q2, "y": 1.0} for x in positivity_x()]
    else:
        ((name, variant),) = _dataset_specs([args.dataset])
        points = dataset_fktable_points(name, variant).get(args.fktable)
        if points is None:
            raise DisfitError(f"dataset {name} does not use FK table {args.fktable}")
    log.info("%s: yadism on %d points (%s)", args.fktable, len(points), card["FNS"])
    arrays = run_yadism(card, observables_card(args.fktable, points, xgrid(config)))
    save_coefficients(args.out, arrays, fktable=args.fktable, theory_id=theory_id(config))


def _cmd_theory_eko(args: argparse.Namespace) -> None:
    from disfit.theory.card import theory_card, xgrid
    from disfit.theory.coefficients import POSITIVITY_Q2, dataset_fktable_points
    from disfit.theory.evolution import compute_eko, theory_patches
    from disfit.theory.qgrid import q2_nodes

    config = _theory_json(args.theory)
    card = theory_card(config)
    q2 = [POSITIVITY_Q2]
    for name, variant in _dataset_specs(args.datasets):
        for points in dataset_fktable_points(name, variant).values():
            q2 += [p["Q2"] for p in points if p["Q2"] >= card["Q0"] ** 2]
    all_patches = theory_patches(card)
    nodes = q2_nodes(q2, all_patches, ratio=float(config.get("node_ratio", 1.3)))
    mine = nodes[args.part :: args.parts]  # the operator is computed in parts, in parallel
    log.info("eko part %d/%d: %d of %d Q2 nodes for %d distinct Q2 (patches nf=%s)",
             args.part + 1, args.parts, len(mine), len(nodes), len(set(q2)),
             [p.nf for p in all_patches])  # fmt: skip
    compute_eko(card, mine, xgrid(config), args.out)


def _cmd_theory_eko_lhapdf(args: argparse.Namespace) -> None:
    from disfit.evolve.operator import eko_targets, eko_xgrid, lhapdf_qgrid
    from disfit.theory.card import theory_card
    from disfit.theory.evolution import compute_eko

    card = theory_card(_theory_json(args.theory))
    targets = eko_targets(lhapdf_qgrid(card))
    mine = targets[args.part :: args.parts]
    log.info("LHAPDF eko part %d/%d: %d of %d Q values on %d x points", args.part + 1,
             args.parts, len(mine), len(targets), len(eko_xgrid()))  # fmt: skip
    compute_eko(card, mine, eko_xgrid(), args.out)


def _cmd_theory_evolution(args: argparse.Namespace) -> None:
    import dataclasses

    from disfit.evolve.operator import EvolutionOperator, eko_targets, lhapdf_qgrid, write_operator
    from disfit.floats import same_targets
    from disfit.theory.card import theory_card, theory_id

    config = _theory_json(args.theory)
    card = theory_card(config)
    op = EvolutionOperator.from_eko(args.eko, float(card["Q0"]), theory_id(config))
    expected = eko_targets(lhapdf_qgrid(card))
    if not same_targets(op.targets, expected):
        raise DisfitError(f"eko parts {args.eko} do not hold the LHAPDF Q grid; rerun them")
    # the grid's own values, which `disfit evolve` checks
    write_operator(dataclasses.replace(op, targets=expected), args.out)
    log.info("evolution operator: %d Q values, %d flavour blocks → %s", len(op.targets),
             len(op.blocks), args.out)  # fmt: skip


def _cmd_theory_fktable(args: argparse.Namespace) -> None:
    from disfit.theory.assemble import OperatorAt, fktable_from_coefficients
    from disfit.theory.card import theory_card, theory_id
    from disfit.theory.coefficients import POSITIVITY_OBSERVABLES, load_coefficients
    from disfit.theory.evolution import strong_coupling
    from disfit.theory.fktable import write_fktable

    config = _theory_json(args.theory)
    card = theory_card(config)
    arrays, meta = load_coefficients(args.coefficients)
    at, _ = OperatorAt.from_eko(card, args.eko)
    kind = "positivity" if meta["fktable"] in POSITIVITY_OBSERVABLES else "data"
    fk = fktable_from_coefficients(
        meta["fktable"], arrays, card, at, strong_coupling(card), theory_id(config), kind
    )
    write_fktable(fk, args.out)
    log.info("%s: FK table of %d points, %d flavours → %s", fk.name, fk.ndata, fk.active.sum(),
             args.out)  # fmt: skip


def _cmd_theory_lagrange(args: argparse.Namespace) -> None:
    from disfit.theory.assemble import (
        INTEGRABILITY,
        POSITIVITY_PDFS,
        OperatorAt,
        integrability_fktable,
        positivity_pdf_fktable,
    )
    from disfit.theory.card import theory_card, theory_id
    from disfit.theory.coefficients import POSITIVITY_Q2, positivity_x
    from disfit.theory.fktable import write_fktable

    config = _theory_json(args.theory)
    card = theory_card(config)
    at, xgrid = OperatorAt.from_eko(card, args.eko)
    tid = theory_id(config)
    for name, pid in POSITIVITY_PDFS.items():
        fk = positivity_pdf_fktable(name, pid, positivity_x(), POSITIVITY_Q2, xgrid, card, at, tid)
        write_fktable(fk, args.outdir / f"{name}.parquet")
    for name in INTEGRABILITY:
        write_fktable(integrability_fktable(name, card, tid), args.outdir / f"{name}.parquet")
    log.info("%d positivity and %d integrability FK tables → %s", len(POSITIVITY_PDFS),
             len(INTEGRABILITY), args.outdir)  # fmt: skip


def _cmd_theory_copy(args: argparse.Namespace) -> None:
    from disfit.evolve.operator import read_operator, write_operator
    from disfit.theory.card import theory_card, theory_id
    from disfit.theory.fktable import read_fktable, write_fktable
    from disfit.theory.shipped import check_fktable, check_operator

    theory = _theory_json(args.theory)
    single = len(args.sources) == 1 and args.out.suffix == ".parquet"
    for source in args.sources:
        target = args.out if single else args.out / source.parent.name / source.name
        # validate what is shipped or computed, against the run's theory, before it is used
        if source.parent.name == "evolution":
            op = read_operator(source)
            check_operator(source, op, theory_card(theory), theory_id(theory))
            write_operator(op, target)
        else:
            fk = read_fktable(source)
            check_fktable(source, fk, theory)
            write_fktable(fk, target)
    log.info("%d theory tables → %s", len(args.sources), args.out)


def _cmd_theory_dataset(args: argparse.Namespace) -> None:
    import dataclasses

    from disfit.data.commondata import read_dataset
    from disfit.theory.fktable import read_fktable, write_fktable
    from disfit.theory.importers import dataset_factors

    dataset = read_dataset(args.data_table)
    for operand in dataset.fktables:
        for name in operand:
            fk = read_fktable(args.theory_fktables / f"{name}.parquet")
            factor = dataset_factors(name, fk.ndata, dataset.cfac, dataset.conversion_factor)
            provenance = {**fk.provenance, "cfactors": list(dataset.cfac),
                          "conversion_factor": dataset.conversion_factor}  # fmt: skip
            fk = dataclasses.replace(
                fk, values=fk.values * factor[:, None, None], provenance=provenance
            )
            write_fktable(fk, args.outdir / f"{name}.parquet")
    log.info("%s: FK tables with C-factors %s → %s", dataset.name, list(dataset.cfac),
             args.outdir)  # fmt: skip


def _cmd_export_theory(args: argparse.Namespace) -> None:
    from disfit.theory.export import write_pineappl_fktable
    from disfit.theory.fktable import read_fktable

    paths = sorted(p for folder in args.fktables for p in folder.glob("*.parquet"))
    if not paths:
        raise DisfitError(f"no FK tables (*.parquet) in {', '.join(map(str, args.fktables))}")
    for path in paths:
        fk = read_fktable(path)
        write_pineappl_fktable(fk, args.out / "fastkernel" / f"{fk.name}.pineappl.lz4")
    log.info("exported %d FK tables → %s", len(paths), args.out / "fastkernel")


def _replica_numbers(text: str) -> list[int]:
    """'3' or '1-10' → replica numbers."""
    try:
        first, _, last = text.partition("-")
        numbers = list(range(int(first), int(last or first) + 1))
    except ValueError:
        numbers = []
    if not numbers or numbers[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give replicas as N or FIRST-LAST, from 1")
    return numbers


def _cmd_fit(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from disfit.config import load_config
    from disfit.fit.runner import describe, fit_inputs_from_config, fit_replicas

    config = load_config(args.config) if args.config else _config_from_json(args.config_json)
    fit = config["fit"]
    inputs = fit_inputs_from_config(
        config, args.data_dir, args.covmat, args.fktables, args.lagrange
    )
    log.info("fit of %d points, replicas %s", inputs.ndata, args.replicas)
    label = f"replicas {args.replicas[0]}-{args.replicas[-1]}"
    if sys.stderr.isatty():
        columns = (
            TextColumn(label),
            BarColumn(),
            TextColumn("epoch {task.completed}/{task.total}"),
        )
        with Progress(*columns, TimeRemainingColumn()) as bar:
            task = bar.add_task("fit", total=fit["epochs"])

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done)

            results = fit_replicas(inputs, fit, args.replicas, args.outdir, progress)
    else:  # a log file (Snakemake; its logger draws a bar from these): a line per 500 epochs

        def progress(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                log.info("%s: epoch %d/%d", label, done, total)

        results = fit_replicas(inputs, fit, args.replicas, args.outdir, progress)
    for content in results:
        log.info(describe(content))


def _cmd_postfit(args: argparse.Namespace) -> None:
    from disfit.config import load_config
    from disfit.postfit.select import postfit
    from disfit.theory.card import theory_card

    config = load_config(args.config) if args.config else _config_from_json(args.config_json)
    q0 = float(theory_card(config["theory"])["Q0"])
    postfit(args.fit_dir, args.outdir, config["postfit"], q0)


def _cmd_evolve(args: argparse.Namespace) -> None:
    from disfit.config import load_config
    from disfit.evolve.build import evolve_set
    from disfit.theory.card import theory_card, theory_id

    config = load_config(args.config) if args.config else _config_from_json(args.config_json)
    name = config["lhapdf"]["name"] or f"disfit_{config['run_name']}"
    card = theory_card(config["theory"])
    evolve_set(
        args.postfit_dir, args.operator, args.outdir, card, theory_id(config["theory"]), name
    )


def _cmd_report(args: argparse.Namespace) -> None:
    from disfit.config import load_config
    from disfit.report.build import make_report

    config = load_config(args.config) if args.config else _config_from_json(args.config_json)
    make_report(config, args.postfit_dir, args.outdir, args.data_dir, args.covmat, args.fktables,
                args.lagrange, args.lhapdf_dir, args.benchmarks)  # fmt: skip


def _config_from_json(text: str) -> dict:
    from disfit.config import validate_config

    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DisfitError(f"--config-json: not valid JSON ({exc})") from None
    return validate_config(config, "--config-json")


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    """--config FILE or --config-json TEXT (what the workflow passes), one of them."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, help="the run's config YAML")
    source.add_argument("--config-json", help="the config as JSON (what the workflow passes)")


def _fit_input_arguments(parser: argparse.ArgumentParser) -> None:
    """The fit's inputs: data tables, covariance, FK tables, positivity/integrability tables."""
    parser.add_argument("--data-dir", required=True, type=Path, help="folder of the data tables")
    parser.add_argument("--covmat", required=True, type=Path)
    parser.add_argument("--fktables", required=True, nargs="+", type=Path,
                        help="one folder of FK tables per dataset, named after it")  # fmt: skip
    parser.add_argument("--lagrange", nargs="*", type=Path, default=[],
                        help="folders holding the positivity and integrability tables")  # fmt: skip


def _dataset_fktables_parser(commands, name: str, help_text: str, source: str, func) -> None:
    """A command that writes one data table's FK tables to --outdir from the folder `source`."""
    p = commands.add_parser(name, help=help_text)
    p.add_argument(source, required=True, type=Path)
    p.add_argument("--data-table", required=True, type=Path)
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="disfit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"disfit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    p = stages.add_parser("check-config", help="check a config file: schema, datasets, files")
    p.add_argument("config", type=Path)
    p.set_defaults(func=_cmd_check_config)

    data = stages.add_parser("data", help="commondata → Parquet data tables and covariance")
    data_cmds = data.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = data_cmds.add_parser("commondata", help="one nnpdf_data dataset, cut, as a data table")
    p.add_argument("--dataset", required=True, help="e.g. BCDMS_NC_NOTFIXED_P_EM-F2")
    p.add_argument("--variant", default=None, help="e.g. legacy_dw")
    p.add_argument("--cfac", nargs="*", default=[], help="C-factor names, e.g. MAS")
    p.add_argument("--cuts", default=None, help="JSON: {q2min, w2min, rules}")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_data_commondata)
    p = data_cmds.add_parser("covmat", help="experimental covariance of the given data tables")
    p.add_argument("tables", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_data_covmat)
    p = data_cmds.add_parser("summary", help="points per dataset before and after cuts (TSV)")
    p.add_argument("tables", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_data_summary)

    theory = stages.add_parser("theory", help="DIS FK tables from yadism + eko")
    theory_cmds = theory.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = theory_cmds.add_parser("coefficients", help="yadism coefficient functions of an FK table")
    p.add_argument("--theory", default="", help="JSON: the config's theory section")
    p.add_argument("--fktable", required=True)
    p.add_argument("--dataset", default=None, help="NAME[:VARIANT] whose kinematics it holds")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_theory_coefficients)
    p = theory_cmds.add_parser("eko", help="the evolution operator on Q2 nodes")
    p.add_argument("--theory", default="")
    p.add_argument("--datasets", nargs="+", required=True, help="NAME[:VARIANT] ...")
    p.add_argument("--part", type=int, default=0, help="which part of the Q2 nodes (from 0)")
    p.add_argument("--parts", type=int, default=1, help="parts the nodes are split into")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_theory_eko)
    p = theory_cmds.add_parser("eko-lhapdf", help="the evolution operator on the LHAPDF Q grid")
    p.add_argument("--theory", default="")
    p.add_argument("--part", type=int, default=0, help="which part of the Q values (from 0)")
    p.add_argument("--parts", type=int, default=1, help="parts the Q values are split into")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=_cmd_theory_eko_lhapdf)

    for name, func, help_text, out in (
        ("evolution", _cmd_theory_evolution, "eko-lhapdf parts → the LHAPDF operator", "--out"),
        ("fktable", _cmd_theory_fktable, "coefficients ⊗ operator → FK table", "--out"),
        ("lagrange", _cmd_theory_lagrange, "positivity x·f, integrability tables", "--outdir"),
    ):
        p = theory_cmds.add_parser(name, help=help_text)
        p.add_argument("--theory", default="")
        p.add_argument("--eko", required=True, type=Path, nargs="+", help="the eko parts")
        p.add_argument(out, required=True, type=Path)
        if name == "fktable":
            p.add_argument("--coefficients", required=True, type=Path)
        p.set_defaults(func=func)
    p = theory_cmds.add_parser("copy", help="validate FK tables and copy them (shipped tables)")
    p.add_argument("sources", nargs="+", type=Path)
    p.add_argument("--theory", default="", help="JSON: the theory the tables must belong to")
    p.add_argument("--out", required=True, type=Path, help="a .parquet file or a folder")
    p.set_defaults(func=_cmd_theory_copy)
    _dataset_fktables_parser(
        theory_cmds, "dataset", "a dataset's FK tables with its C-factors", "--theory-fktables",
        _cmd_theory_dataset,
    )  # fmt: skip
    p = stages.add_parser("export-theory", help="FK tables → an NNPDF theory folder (PineAPPL)")
    p.add_argument("fktables", nargs="+", type=Path, help="folders of FK-table Parquet files")
    p.add_argument("--out", required=True, type=Path, help="theory_<ID> folder to write")
    p.set_defaults(func=_cmd_export_theory)

    p = stages.add_parser("fit", help="fit a batch of replicas (TensorFlow)")
    _config_arguments(p)
    _fit_input_arguments(p)
    p.add_argument("--replicas", required=True, type=_replica_numbers, help="N or FIRST-LAST")
    p.add_argument("--outdir", required=True, type=Path, help="replica_<k>/ folders go here")
    p.set_defaults(func=_cmd_fit)

    p = stages.add_parser("postfit", help="select the replicas passing the vetoes; replica 0")
    _config_arguments(p)
    p.add_argument("--fit-dir", required=True, type=Path, help="folder of the replica_<k>/")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_cmd_postfit)

    p = stages.add_parser("evolve", help="postfit replicas → LHAPDF set (one eko operator)")
    _config_arguments(p)
    p.add_argument("--postfit-dir", required=True, type=Path, help="the postfit folder")
    p.add_argument("--operator", required=True, type=Path, help="the theory's evolution operator")
    p.add_argument("--outdir", required=True, type=Path, help="the set and exportgrids go here")
    p.set_defaults(func=_cmd_evolve)

    p = stages.add_parser("report", help="HTML report with figures of the fit")
    _config_arguments(p)
    p.add_argument("--postfit-dir", required=True, type=Path)
    _fit_input_arguments(p)
    p.add_argument("--lhapdf-dir", type=Path, default=None, help="the `disfit evolve` folder")
    p.add_argument("--benchmarks", type=Path, default=None, help="Snakemake benchmark folder")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_cmd_report)

    imp = stages.add_parser("import", help="FK tables from PineAPPL files or n3fit pickles")
    imp_cmds = imp.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _dataset_fktables_parser(
        imp_cmds, "pineappl", "a dataset's FK tables from an NNPDF theory folder",
        "--theory-folder", _cmd_import_pineappl,
    )  # fmt: skip
    p = imp_cmds.add_parser("pickles", help="n3fit pickles → data tables, covmat, FK tables")
    p.add_argument("--experiments", required=True, type=Path, help="toyexpinfo.pkl")
    p.add_argument("--positivity", type=Path, default=None, help="posdatasets.pkl")
    p.add_argument("--integrability", type=Path, default=None, help="integdatasets.pkl")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_cmd_import_pickles)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    # oneDNN's kernels change the fit's last bits with its thread count: off, whatever the
    # environment says, so that the same config gives the same replicas everywhere
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        args.func(args)
    except DisfitError as exc:
        print(f"disfit: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unwritable output folder, full disk, ...
        where = exc.filename or "output"
        print(f"disfit: error: {where}: {exc.strerror or exc}; check the path, its permissions "
              "and free space", file=sys.stderr)  # fmt: skip
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
