"""Atomic, self-describing Parquet files: every disfit table goes through here."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from disfit.errors import DisfitError

METADATA_KEY = b"disfit"
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of `path`, renamed onto `path` only if the block succeeds.

    An interrupted or failing writer never leaves a file that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # keep the final suffix: some writers (eko) insist on it
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary sibling folder of `path`; it replaces `path` only if the block
    succeeds, so a folder of outputs is either complete or absent."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_parquet(
    path: str | os.PathLike, table: pa.Table, schema: str, version: int, meta: dict[str, Any]
) -> None:
    """Write `table` with a JSON header naming its schema and version, atomically."""
    header = {"schema": schema, "schema_version": version, **meta}
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata({**existing, METADATA_KEY: json.dumps(header).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_parquet(
    path: str | os.PathLike, schema: str, version: int, columns: dict[str, pa.DataType]
) -> tuple[pa.Table, dict[str, Any]]:
    """Read a disfit Parquet file and check its header and required columns.

    Raises DisfitError naming the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise DisfitError(f"{path}: file not found; run the stage that produces it first")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DisfitError(
            f"{path}: not a readable Parquet file ({exc}); delete it and rerun the stage that "
            "writes it"
        ) from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise DisfitError(f"{path}: no disfit header in the Parquet metadata; not a {schema} file")
    try:
        header = json.loads(raw)
    except json.JSONDecodeError:
        raise DisfitError(
            f"{path}: corrupt disfit header; rerun the stage that writes it"
        ) from None
    if header.get("schema") != schema:
        raise DisfitError(f"{path}: is a {header.get('schema')!r} file, expected {schema!r}")
    if header.get("schema_version") != version:
        raise DisfitError(
            f"{path}: {schema} schema version {header.get('schema_version')}, this disfit reads "
            f"version {version}; regenerate the file with this disfit"
        )
    for name, dtype in columns.items():
        if name not in table.column_names:
            raise DisfitError(f"{path}: column {name!r} missing from the {schema} table")
        found = table.schema.field(name).type
        if not found.equals(dtype):
            raise DisfitError(f"{path}: column {name!r} has type {found}, expected {dtype}")
    return table, header
