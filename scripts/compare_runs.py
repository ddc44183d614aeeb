"""Compares the published datasets of two runs, row by row.

    .venv/bin/python scripts/compare_runs.py BEFORE_OUT AFTER_OUT [--ignore keywords,term_stats]

Each argument is a run's output folder (the one holding parquet/). Every dataset
folder of either run is read whole (all part files, in file-name order) and the
two tables must have the same schema and the same rows in the same order.
Prints one line per dataset and exits 1 if any differs: a refactoring that
should change nothing proves it with this.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def read_dataset(folder: Path) -> pa.Table:
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        return pa.table({})
    return pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")


def first_difference(a: pa.Table, b: pa.Table) -> str | None:
    if a.schema != b.schema:
        return f"schema differs:\n  before {a.schema}\n  after  {b.schema}"
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} rows before, {b.num_rows} after"
    for name in a.column_names:
        x, y = a.column(name).combine_chunks(), b.column(name).combine_chunks()
        if not x.equals(y):
            for i in range(len(x)):
                if x[i] != y[i]:
                    return f"column {name} row {i}: {x[i].as_py()!r} before, {y[i].as_py()!r} after"
            return f"column {name} differs (nulls)"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--ignore", default="", help="comma-separated datasets not compared")
    args = ap.parse_args(argv)
    ignore = {s for s in args.ignore.split(",") if s}
    roots = [args.before / "parquet", args.after / "parquet"]
    names = sorted({p.name for r in roots for p in r.iterdir() if p.is_dir() and not p.name.startswith("_")} - ignore)
    bad = 0
    for name in names:
        diff = first_difference(read_dataset(roots[0] / name), read_dataset(roots[1] / name))
        print(f"{name:24s} {'same' if diff is None else 'DIFFERS: ' + diff}")
        bad += diff is not None
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
