"""Export: a clean, self-describing copy of the Parquet datasets for a downstream team.

Takes the pipeline's Parquet folder and gives ``<to_dir>/`` holding one
``<dataset>.parquet`` per registered dataset (re-written with the explicit
schema of tasks/schemas.py, column descriptions in the field metadata),
``schema.json`` (every dataset's grain, columns, types and descriptions) and a
short ``README.md``. The copy is assembled in a temporary folder beside
``to_dir`` and renamed into place, so a reader never sees half an export.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from tasks.parquet import dataset_files
from tasks.schemas import SCHEMAS, TABLE_DOCS

SCHEMA_FILE = "schema.json"
README_FILE = "README.md"


class MissingDataset(FileNotFoundError):
    """A dataset asked for has no Parquet file under the pipeline's output folder."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its folder and the rows per dataset."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)


def schema_json(names: list[str] | None = None) -> dict:
    """Describes datasets as plain JSON: grain, then each column's name, type and description.

    Args:
        names: Datasets to describe, in order; every registered dataset when None.
    """
    out = {}
    for name in names or list(SCHEMAS):
        schema = SCHEMAS[name]
        out[name] = {
            "file": f"{name}.parquet",
            "grain": TABLE_DOCS[name],
            "columns": [
                {
                    "name": f.name,
                    "type": str(f.type),
                    "nullable": f.nullable,
                    "description": (f.metadata or {}).get(b"description", b"").decode("utf-8"),
                }
                for f in schema
            ],
        }
    return out


def _readme(rows: dict[str, int]) -> str:
    lines = [
        "# govreports datasets",
        "",
        "Clean, deduplicated, segmented and structured data from Chinese local-government documents",
        "(government work reports, party-congress reports, five-year plans, news), written by the",
        "govreports pipeline. One Parquet file per dataset (zstd); the columns, their types and",
        f"descriptions are in `{SCHEMA_FILE}` and in each file's field metadata.",
        "",
        "| file | rows | one row per |",
        "|---|---:|---|",
    ]
    for name, n in rows.items():
        lines.append(f"| `{name}.parquet` | {n} | {TABLE_DOCS[name]} |")
    lines += [
        "",
        "Joins: every dataset carries `doc_id` (`documents.doc_id`); paragraph-level rows add `para_id`",
        "(`paragraphs`), sentence-level rows `sent_id` (`sentences`). Text-derived datasets read only",
        "paragraphs with `is_duplicate = false`.",
        "",
        "Read with pandas: `pandas.read_parquet('documents.parquet')`; with DuckDB:",
        "`select * from 'documents.parquet'`.",
        "",
    ]
    return "\n".join(lines)


def export_datasets(parquet_root: Path | str, to_dir: Path | str, names: list[str] | None = None) -> ExportResult:
    """Copies the Parquet datasets into to_dir with schema.json and README.md.

    Args:
        parquet_root: The pipeline's Parquet folder (``<out>/parquet``).
        to_dir: Folder to create or replace with the export.
        names: Datasets to export; every registered dataset present under parquet_root when None.

    Raises:
        MissingDataset: When a dataset named in names has no Parquet file.
    """
    parquet_root, to_dir = Path(parquet_root), Path(to_dir)
    if names is None:
        names = [n for n in SCHEMAS if dataset_files(n, parquet_root)]
        if not names:
            raise MissingDataset(f"no datasets under {parquet_root}; run `govreports run` first")
    for name in names:
        if name not in SCHEMAS:
            raise ValueError(f"unknown dataset {name!r}; known: {sorted(SCHEMAS)}")
        if not dataset_files(name, parquet_root):
            raise MissingDataset(f"dataset {name!r} has no Parquet files under {parquet_root / name}")
    to_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = to_dir.with_name(f".{to_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        rows = {}
        for name in names:
            # part by part, with the registered schema so the copy carries its column descriptions
            with pq.ParquetWriter(tmp / f"{name}.parquet", SCHEMAS[name], compression="zstd") as writer:
                rows[name] = 0
                for part in dataset_files(name, parquet_root):
                    table = pq.read_table(part, schema=SCHEMAS[name])
                    writer.write_table(table)
                    rows[name] += table.num_rows
        (tmp / SCHEMA_FILE).write_text(json.dumps(schema_json(names), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / README_FILE).write_text(_readme(rows), encoding="utf-8")
        if to_dir.exists():
            old = to_dir.with_name(f".{to_dir.name}.old-{os.getpid()}")
            os.replace(to_dir, old)
            os.replace(tmp, to_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, to_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(path=to_dir, rows=rows)
