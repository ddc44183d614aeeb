"""Parquet I/O: DataFrames in, one Parquet file per dataset out, written atomically.

Takes a DataFrame and a dataset name registered in tasks/schemas.py and gives
``<parquet_root>/<name>/data.parquet``. The file is written beside its final
place and renamed over it (os.replace), so a reader, or a run killed half-way,
sees either the old complete file or the new one, never a torn one; a re-run
replaces the file, so rows are never appended twice.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.schemas import SCHEMAS

DATA_FILE = "data.parquet"


class SchemaMismatch(Exception):
    """A DataFrame's columns differ from its dataset's registered schema."""


def to_arrow(df: pd.DataFrame, name: str) -> pa.Table:
    """Converts a DataFrame to Arrow with the dataset's explicit schema.

    Args:
        df: Rows of the dataset; must have exactly the schema's columns.
        name: Dataset name registered in tasks/schemas.py.

    Raises:
        SchemaMismatch: When columns are missing or extra.
    """
    schema = SCHEMAS[name]
    missing = [c for c in schema.names if c not in df.columns]
    extra = [c for c in df.columns if c not in schema.names]
    if missing or extra:
        raise SchemaMismatch(f"{name}: missing columns {missing}, unexpected columns {extra}")
    df = df[schema.names]
    # pandas keeps missing values of string columns as NaN or None: Arrow wants None
    df = df.astype(object).where(df.notna(), None)
    return pa.Table.from_pandas(df, schema=schema, preserve_index=False)


def write_dataset(df: pd.DataFrame, name: str, parquet_root: Path | str) -> Path:
    """Writes one dataset atomically and returns the path of its file.

    Args:
        df: Rows of the dataset.
        name: Dataset name registered in tasks/schemas.py.
        parquet_root: Folder holding one sub-folder per dataset.
    """
    table = to_arrow(df, name)
    folder = Path(parquet_root) / name
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / DATA_FILE
    tmp = folder / f".{DATA_FILE}.tmp-{os.getpid()}"
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def read_dataset(name: str, parquet_root: Path | str) -> pd.DataFrame:
    """Reads one dataset back with its registered schema (empty if never written)."""
    path = Path(parquet_root) / name / DATA_FILE
    if not path.exists():
        return SCHEMAS[name].empty_table().to_pandas()
    return pq.read_table(path, schema=SCHEMAS[name]).to_pandas()
