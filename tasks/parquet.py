"""Parquet I/O: DataFrames in, Parquet dataset folders out, written atomically.

Takes a DataFrame and a dataset name registered in tasks/schemas.py and gives
``<parquet_root>/<name>/part-NNNNN.parquet``: small datasets are one part; the
large per-token ones are written part by part as segmentation batches finish,
so they never sit whole in memory. Each part is written beside its final name
and renamed over it (os.replace), so no reader sees a torn file. Readers take
the folder (``read_parquet('<name>/*.parquet')`` in DuckDB, ``pd.read_parquet``
on the folder); row order across parts is not part of the contract.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.schemas import SCHEMAS

PART = "part-{:05d}.parquet"


class SchemaMismatch(Exception):
    """A DataFrame's columns differ from its dataset's registered schema."""


def large_string_array(values: list[str]) -> pa.Array:
    """pa.array(values, type=pa.large_string()) (no missing values), built from one joined UTF-8 buffer.

    Twice as fast as pa.array for long CJK texts (pyarrow converts string by
    string); for short labels pa.array is faster.
    """
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.array([len(b) for b in encoded], dtype=np.int64), out=offsets[1:])
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


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
    try:
        # from_pandas reads NaN/None/pd.NA as null, whatever the column's dtype
        return pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # mixed object columns (e.g. floats that are whole numbers for an int column): go through Python objects
        df = df.astype(object).where(df.notna(), None)
        return pa.Table.from_pandas(df, schema=schema, preserve_index=False)


def concat_frames(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenates frames in order; an empty list gives an empty frame with the columns."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def write_dataset(df: pd.DataFrame, name: str, parquet_root: Path | str) -> Path:
    """Writes a whole dataset as one part, replacing any parts it had; returns the file.

    Args:
        df: Rows of the dataset.
        name: Dataset name registered in tasks/schemas.py.
        parquet_root: Folder holding one sub-folder per dataset.
    """
    path = write_part(df, name, parquet_root, 0)
    for stale in dataset_files(name, parquet_root):
        if stale != path:
            stale.unlink()
    return path


def write_part(df: pd.DataFrame, name: str, parquet_root: Path | str, index: int) -> Path:
    """Writes one part of a dataset atomically and returns its path.

    Args:
        df: Rows of this part.
        name: Dataset name registered in tasks/schemas.py.
        parquet_root: Folder holding one sub-folder per dataset.
        index: Part number; parts are read back in this order.
    """
    return write_table_file(to_arrow(df, name), Path(parquet_root) / name / PART.format(index))


def write_table_file(table: pa.Table, final: Path) -> Path:
    """Writes an Arrow table to one Parquet file atomically (temp file beside it, fsync, rename)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    # dictionary pages for text columns only: numbers (ids, offsets, scores) are mostly distinct,
    # and encoding them twice before falling back to plain costs ~10% of the write for nothing
    text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    pq.write_table(table, tmp, compression="zstd", use_dictionary=text or False)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def dataset_files(name: str, parquet_root: Path | str) -> list[Path]:
    """The part files of a dataset, in part order (empty if it was never written)."""
    folder = Path(parquet_root) / name
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def count_rows(name: str, parquet_root: Path | str) -> int:
    """Rows of a dataset, from the Parquet footers (no data read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in dataset_files(name, parquet_root))


def read_dataset(name: str, parquet_root: Path | str, doc_ids: set[str] | None = None) -> pd.DataFrame:
    """Reads a dataset back with its registered schema (empty if never written).

    Args:
        name: Dataset name.
        parquet_root: Folder holding one sub-folder per dataset.
        doc_ids: Only rows of these documents (read with a filter, part by part).
    """
    files = dataset_files(name, parquet_root)
    schema = SCHEMAS[name]
    if not files:
        return schema.empty_table().to_pandas()
    filters = None if doc_ids is None else [("doc_id", "in", sorted(doc_ids))]
    if doc_ids is not None and not doc_ids:
        return schema.empty_table().to_pandas()
    tables = [pq.read_table(p, schema=schema, filters=filters) for p in files]
    return pa.concat_tables(tables).to_pandas()
