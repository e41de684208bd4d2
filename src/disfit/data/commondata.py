"""Read NNPDF commondata (the nnpdf_data package) into disfit's data tables.

nnpdf_data's own parser does the reading; this module finds the dataset by name, applies the
DIS cuts; disfit.io.datatable writes the result.
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from disfit.data.cuts import kinematic_mask
from disfit.errors import DisfitError
from disfit.io.datatable import DataSet

log = logging.getLogger("disfit")

KINEMATIC_COLUMNS = ("x", "Q2")


def commondata_path() -> Path:
    """Folder with one subfolder per set in the installed nnpdf_data."""
    import nnpdf_data

    return Path(nnpdf_data.__file__).parent / "commondata"


@functools.cache
def _all_dataset_names() -> tuple[str, ...]:
    """Every `<set>_<observable>` name nnpdf_data ships (used for suggestions)."""
    import yaml

    names = []
    for meta in sorted(commondata_path().glob("*/metadata.yaml")):
        try:
            content = yaml.safe_load(meta.read_text())
        except yaml.YAMLError:
            continue
        for obs in content.get("implemented_observables", []) or []:
            names.append(f"{content.get('setname', meta.parent.name)}_{obs['observable_name']}")
    return tuple(names)


def _yaml_error_location(exc: BaseException) -> str | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return getattr(mark, "name", None) if mark is not None else None


def resolve_metadata(name: str, variant: str | None = None):
    """The nnpdf_data ObservableMetaData of `name` with `variant` applied.

    Old NNPDF names (e.g. BCDMSP_dwsh) are translated to the new name and variant.
    """
    from nnpdf_data.commondataparser import parse_new_metadata
    from nnpdf_data.validphys_compatibility import legacy_to_new_map

    if variant is None and "_" in name:
        new_name, new_variant = legacy_to_new_map(name)
        if new_name != name:
            name, variant = new_name, new_variant
    setname, _, observable = name.rpartition("_")
    metadata_file = commondata_path() / setname / "metadata.yaml"
    if not setname or not metadata_file.exists():
        close = difflib.get_close_matches(name, _all_dataset_names(), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "see nnpdf_data/commondata"
        raise DisfitError(f"dataset {name!r}: unknown to nnpdf_data; {hint}")
    try:
        metadata = parse_new_metadata(metadata_file, observable, variant=None)
    except ValueError as exc:
        if "does not exist" in str(exc):
            close = difflib.get_close_matches(name, _all_dataset_names(), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else ""
            raise DisfitError(
                f"dataset {name!r}: no such observable in {setname}; {hint}"
            ) from None
        raise DisfitError(f"{metadata_file}: cannot parse ({_first_line(exc)})") from None
    except Exception as exc:  # ruamel/validobj raise many types for broken YAML
        where = _yaml_error_location(exc) or metadata_file
        raise DisfitError(f"{where}: malformed metadata ({_first_line(exc)})") from None
    if variant is not None:
        known = sorted(metadata.variants or {})
        if variant not in known:
            raise DisfitError(
                f"dataset {name!r}: unknown variant {variant!r}; known variants: "
                f"{', '.join(known) or 'none'}"
            )
        metadata = metadata.apply_variant(variant)
    return metadata


def validphys_names(name: str, variant: str | None) -> tuple[str, str]:
    """(experiment, seed name) of a dataset as validphys groups and seeds it: the commondata
    `experiment` (a legacy variant's own, e.g. DEUTERON), and the first legacy name (NNPDF4.0's,
    e.g. NMCPD_dw_ite) that salts the pseudo-data seed, else the name itself."""
    from nnpdf_data.validphys_compatibility import new_to_legacy_map

    metadata = resolve_metadata(name, variant)
    legacy = new_to_legacy_map(name, variant)
    return str(metadata.nnpdf_metadata["experiment"]), (legacy[0] if legacy else name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_dataset(
    name: str,
    variant: str | None = None,
    cuts: Mapping[str, Any] | None = None,
    cfac: Sequence[str] = (),
) -> DataSet:
    """Load one DIS dataset from nnpdf_data with the DIS cuts applied."""
    from nnpdf_data.commondataparser import load_commondata

    metadata = resolve_metadata(name, variant)
    try:
        commondata = load_commondata(metadata)
    except Exception as exc:  # broken data/uncertainty/kinematics YAML files
        where = _yaml_error_location(exc) or metadata.path_data_central
        raise DisfitError(f"{where}: cannot read dataset {name!r} ({_first_line(exc)})") from None
    coverage = list(metadata.kinematic_coverage)
    if not all(k in coverage for k in KINEMATIC_COLUMNS):
        raise DisfitError(
            f"dataset {name!r}: kinematics {coverage} are not DIS (x, Q2); disfit fits DIS only"
        )
    table = commondata.commondata_table
    kinematics = pd.DataFrame(
        {var: table[f"kin{i + 1}"].to_numpy(dtype=float) for i, var in enumerate(coverage)},
        index=table.index.to_numpy(),
    )
    process_type = str(metadata.process_type)
    mask = kinematic_mask(kinematics, process_type, cuts)

    central_all = table["data"].to_numpy(dtype=float)
    systypes = commondata.systype_table
    sysvals = commondata.systematics_table.to_numpy(dtype=float, copy=True)
    treatment = tuple(str(t) for t in systypes["treatment"])
    mult = np.array([t == "MULT" for t in treatment], dtype=bool)
    # nnpdf_data stores MULT systematics in percent of the data: back to absolute values
    sysvals[:, mult] *= central_all[:, None] / 100.0
    values = np.concatenate([central_all, table["stat"].to_numpy(dtype=float), sysvals.ravel()])
    if not np.all(np.isfinite(values)):
        raise DisfitError(
            f"dataset {name!r}: NaN or infinite values in its data or uncertainties "
            f"({metadata.path_data_central.parent}); fix the files or drop the dataset"
        )
    theory = metadata.theory
    if theory is None:
        raise DisfitError(f"dataset {name!r}: its metadata names no FK tables (theory: missing)")
    return DataSet(
        name=metadata.name,
        variant=metadata.applied_variant,
        process_type=process_type,
        entries=kinematics.index.to_numpy()[mask].astype(np.int64),
        kinematics=kinematics[mask].reset_index(drop=True),
        central=central_all[mask],
        stat=table["stat"].to_numpy(dtype=float)[mask],
        sys=sysvals[mask],
        sys_treatment=treatment,
        sys_type=tuple(str(t) for t in systypes["name"]),
        fktables=tuple(tuple(op) for op in theory.FK_tables),
        operation=str(theory.operation),
        conversion_factor=float(theory.conversion_factor),
        cfac=tuple(cfac),
        ndata_total=int(metadata.ndata),
    )


def write_configured_dataset(config: Mapping[str, Any], name: str, out: Path) -> DataSet:
    """`disfit data commondata`: the configured dataset `name` with the config's cuts and its
    C-factors, written as a data table."""
    from disfit.io.datatable import write_dataset

    entries = {d["dataset"]: d for d in config["datasets"]}
    if name not in entries:
        raise DisfitError(f"dataset {name}: not in the config's datasets")
    entry = entries[name]
    dataset = load_dataset(name, entry["variant"], cuts=config["cuts"], cfac=entry["cfac"])
    write_dataset(dataset, out)
    log.info(
        "%s (%s): %d of %d points pass the cuts → %s",
        dataset.name,
        dataset.variant,
        dataset.ndata,
        dataset.ndata_total,
        out,
    )
    return dataset
