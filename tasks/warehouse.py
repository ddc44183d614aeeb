"""Warehouse: Parquet datasets -> one DuckDB file with tables, marts and data tests.

Takes the Parquet folder written by the pipeline and gives ``warehouse.duckdb``:
every ``warehouse/staging/stg_<dataset>.sql`` becomes a table named after its
dataset, every ``warehouse/marts/<n>_<mart>.sql`` a table in file order, and
every ``warehouse/tests/assert_*.sql`` must return zero rows.

The data tests are invariants of the pipeline's own code (unique keys, lineage
that resolves, offsets that match the text, accepted enum values): a breach
fails the build. Plausibility of extracted values is not tested here: such rows
are listed in the ``quality_flags`` dataset (tasks/quality.py) and marts' rows
carry a ``quality_flag`` column; the marts leave flagged indicators out of
their series unless the build is asked to keep them (the SQL variable
``include_flagged``).

DuckDB lets one process write a file, and an analyst's read-only connection
fails while a writer holds it; so the warehouse is built in a temporary file
beside the final one and renamed over it (os.replace) when complete and tested.
Analysts holding the old file keep reading the old inode.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

WAREHOUSE_SQL = Path(__file__).resolve().parent.parent / "warehouse"


class DataTestFailed(Exception):
    """One or more warehouse data tests returned offending rows."""


@dataclass(frozen=True)
class DataTestResult:
    """Outcome of one data test: its name, offending row count and a sample."""

    name: str
    failures: int
    sample: str = ""


@dataclass(frozen=True)
class WarehouseResult:
    """What the warehouse build gives: its path, table row counts and test outcomes."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    tests: list[DataTestResult] = field(default_factory=list)
    flagged: dict[str, int] = field(default_factory=dict)


def flagged_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts plausibility flags as ``{"<table>.<flag>": rows}``: the quality_flags table and marts' quality_flag columns."""
    tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    counts: dict[str, int] = {}
    if "quality_flags" in tables:
        for dataset, flag, n in con.execute(
            "select dataset, flag, count(*) from quality_flags group by all order by all"
        ).fetchall():
            counts[f"{dataset}.{flag}"] = n
    marts = con.execute(
        "select table_name from information_schema.columns where column_name = 'quality_flag' order by table_name"
    ).fetchall()
    for (table,) in marts:
        for flag, n in con.execute(
            f"select quality_flag, count(*) from {table} where quality_flag is not null group by all order by all"
        ).fetchall():
            counts[f"{table}.{flag}"] = n
    return counts


def _sql_files(kind: str, sql_root: Path) -> list[Path]:
    folder = sql_root / kind
    return sorted(folder.glob("*.sql")) if folder.is_dir() else []


RESOURCES = Path(__file__).resolve().parent / "resources"


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def render(sql: str, parquet_root: Path) -> str:
    """Fills {parquet} (the Parquet root) and {resources} (tasks/resources) as SQL string bodies.

    Absolute paths, so a run works from any working directory.
    """
    return sql.replace("{parquet}", _sql_path(parquet_root)).replace("{resources}", _sql_path(RESOURCES))


def load_models(
    con: duckdb.DuckDBPyConnection, parquet_root: Path, sql_root: Path = WAREHOUSE_SQL, datasets: set[str] | None = None,
    include_flagged: bool = False,
) -> dict[str, int]:
    """Creates the staging tables and marts in con; returns their row counts.

    Args:
        con: Connection to the warehouse being built.
        parquet_root: Folder with one sub-folder per dataset.
        sql_root: Folder holding staging/ and marts/ SQL.
        datasets: Stage only these datasets (all staging models when None).
        include_flagged: Keep rows listed in quality_flags in the marts' series.

    Raises:
        FileNotFoundError: When a staged dataset has no Parquet file.
    """
    con.execute(f"set variable include_flagged = {'true' if include_flagged else 'false'}")
    counts: dict[str, int] = {}
    for path in _sql_files("staging", sql_root):
        name = path.stem.removeprefix("stg_")
        if datasets is not None and name not in datasets:
            continue
        if not (parquet_root / name).is_dir():
            raise FileNotFoundError(f"dataset {name!r} has no Parquet folder under {parquet_root}; was the pipeline run completely?")
        con.execute(f"create or replace table {name} as {render(path.read_text(encoding='utf-8'), parquet_root)}")
        counts[name] = con.execute(f"select count(*) from {name}").fetchone()[0]
    for path in _sql_files("marts", sql_root):
        name = path.stem.split("_", 1)[1] if path.stem[:2].isdigit() else path.stem
        con.execute(f"create or replace table {name} as {render(path.read_text(encoding='utf-8'), parquet_root)}")
        counts[name] = con.execute(f"select count(*) from {name}").fetchone()[0]
    return counts


def run_data_tests(con: duckdb.DuckDBPyConnection, sql_root: Path = WAREHOUSE_SQL, sample_rows: int = 5) -> list[DataTestResult]:
    """Runs every warehouse/tests/*.sql; each returns the rows breaking its rule."""
    results = []
    for path in _sql_files("tests", sql_root):
        rel = con.execute(path.read_text(encoding="utf-8"))
        df = rel.df()
        sample = df.head(sample_rows).to_string(index=False, max_colwidth=60) if len(df) else ""
        results.append(DataTestResult(path.stem, len(df), sample))
    return results


def build_warehouse(
    parquet_root: Path | str,
    db_path: Path | str,
    sql_root: Path = WAREHOUSE_SQL,
    fail_on_test: bool = True,
    datasets: set[str] | None = None,
    memory_limit: str = "1GB",
    include_flagged: bool = False,
) -> WarehouseResult:
    """Builds the DuckDB warehouse from Parquet, tests it, and swaps it into place.

    Args:
        parquet_root: Folder with one sub-folder per dataset.
        db_path: Final path of the DuckDB file.
        sql_root: Folder holding staging/, marts/ and tests/ SQL.
        fail_on_test: Raise DataTestFailed (leaving the old warehouse in place)
            when a data test returns rows.
        datasets: Stage only these datasets (all when None).
        memory_limit: DuckDB's memory cap for the build (it spills to disk beyond it).
        include_flagged: Keep rows with a plausibility flag in the marts' series.
    """
    parquet_root, db_path = Path(parquet_root), Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
    # left-overs of killed builds (the caller holds the output lock, so none is live)
    for stale in db_path.parent.glob(f".{db_path.name}.tmp-*"):
        stale.unlink(missing_ok=True)
    try:
        # DuckDB would take up to 80% of the machine's memory for the token tables'
        # aggregates; a cap makes it spill to disk instead, next to the warehouse
        con = duckdb.connect(str(tmp), config={"memory_limit": memory_limit, "temp_directory": str(tmp) + ".spill"})
        try:
            counts = load_models(con, parquet_root, sql_root, datasets, include_flagged)
            tests = run_data_tests(con, sql_root)
            flagged = flagged_rows(con)
            con.execute("checkpoint")
        finally:
            con.close()
        failed = [t for t in tests if t.failures]
        if failed and fail_on_test:
            msg = "\n".join(f"data test {t.name} failed: {t.failures} offending rows, e.g.\n{t.sample}" for t in failed)
            raise DataTestFailed(msg)
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(str(tmp) + ".spill", ignore_errors=True)
    return WarehouseResult(path=db_path, tables=counts, tests=tests, flagged=flagged)
