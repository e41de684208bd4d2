"""The `disfit` command line: one subcommand per pipeline stage, each a thin call into the package.

Every Snakemake rule is one call of this tool. Errors from bad input come out as a single line
`disfit: error: ...` and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from disfit import __version__
from disfit.errors import DisfitError

log = logging.getLogger("disfit")


def _cmd_check_config(args: argparse.Namespace) -> None:
    from disfit.config import load_config

    config = load_config(args.config)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="disfit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"disfit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    stages = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    p = stages.add_parser("check-config", help="validate a config file against the schema")
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

    imp = stages.add_parser("import", help="FK tables from PineAPPL files or n3fit pickles")
    imp_cmds = imp.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = imp_cmds.add_parser("pineappl", help="a dataset's FK tables from an NNPDF theory folder")
    p.add_argument("--theory-folder", required=True, type=Path)
    p.add_argument("--data-table", required=True, type=Path)
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_cmd_import_pineappl)
    p = imp_cmds.add_parser("pickles", help="n3fit pickles → data tables, covmat, FK tables")
    p.add_argument("--experiments", required=True, type=Path, help="toyexpinfo.pkl")
    p.add_argument("--positivity", type=Path, default=None, help="posdatasets.pkl")
    p.add_argument("--integrability", type=Path, default=None, help="integdatasets.pkl")
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_cmd_import_pickles)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
