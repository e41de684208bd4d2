"""Self-describing Parquet files: every disfit table goes through here, with a JSON header naming
its schema and version (docs/formats.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from disfit.errors import DisfitError
from disfit.io.atomic import atomic_path

METADATA_KEY = b"disfit"


def write_parquet(
    path: str | os.PathLike, table: pa.Table, schema: str, version: int, meta: dict[str, Any]
) -> None:
    """Write `table` with a JSON header naming its schema and version, atomically."""
    header = {"schema": schema, "schema_version": version, **meta}
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata({**existing, METADATA_KEY: json.dumps(header).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def release_read_buffers() -> None:
    """Hand the memory of the tables read and dropped back to the system: Arrow's allocator
    (mimalloc) otherwise keeps up to ~150 MB of a fit's inputs, under the fit job's peak."""
    pa.default_memory_pool().release_unused()


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
