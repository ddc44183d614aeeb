"""Checks that a run's output folder holds what the README promises.

    python scripts/check_outputs.py OUT_DIR

The warehouse, the HTML report and one Parquet folder per dataset of
tasks/schemas.py, each readable with its documented schema. Exit 1 names what
is missing; used by .ci/run after the README's run command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds

from tasks.schemas import SCHEMAS


def missing_outputs(out: Path) -> list[str]:
    """Returns one line per missing or unreadable output of a run into ``out``."""
    problems = []
    warehouse = out / "warehouse.duckdb"
    if not warehouse.is_file():
        problems.append(f"no warehouse at {warehouse}")
    else:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            n = con.execute("select count(*) from documents").fetchone()[0]
            if n == 0:
                problems.append("the warehouse's documents table is empty")
        finally:
            con.close()
    if not (out / "report.html").is_file():
        problems.append(f"no report at {out / 'report.html'}")
    for name, schema in SCHEMAS.items():
        folder = out / "parquet" / name
        if not folder.is_dir():
            problems.append(f"no dataset folder {folder}")
            continue
        got = ds.dataset(folder, format="parquet").schema
        if got.names != schema.names:
            problems.append(f"dataset {name}: columns {got.names} differ from the schema's {schema.names}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = missing_outputs(Path(argv[0]))
    for line in problems:
        print(f"check_outputs: {line}", file=sys.stderr)
    if not problems:
        print(f"check_outputs: warehouse, report and {len(SCHEMAS)} datasets present in {argv[0]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
