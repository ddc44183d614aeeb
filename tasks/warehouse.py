"""Warehouse: Parquet datasets -> one DuckDB file, built and tested by the dbt project in warehouse/.

Takes the Parquet folder written by the pipeline and gives ``warehouse.duckdb`` by running
``dbt build`` on the project in ``warehouse/`` (dbt-duckdb): the run's datasets are dbt sources
read in place (``read_parquet`` over ``<parquet_root>/<dataset>/*.parquet``, so dbt reads exactly
what downstream teams get), every ``models/staging/stg_<dataset>.sql`` becomes a table named after
its dataset, every ``models/marts/<mart>.sql`` a table, and every data test (generic tests in the
models' YAML, singular ones in ``warehouse/tests/``) must return zero rows. The method is dbt's
own: https://docs.getdbt.com/reference/commands/build and, for Parquet sources,
https://github.com/duckdb/dbt-duckdb#reading-from-external-files.

The data tests are invariants of the pipeline's own code (unique keys, lineage that resolves,
offsets that match the text, accepted enum values): a breach fails the build, naming the test
and showing its failing rows. Plausibility of extracted values is not tested here: such rows
are listed in the ``quality_flags`` dataset (tasks/quality.py) and marts' rows carry a
``quality_flag`` column; the marts leave flagged indicators out of their series unless the
build is asked to keep them (the dbt var ``include_flagged``).

DuckDB lets one process write a file, and an analyst's read-only connection fails while a
writer holds it; so dbt builds a temporary file in a folder beside the final one, which is
renamed over it (os.replace) when complete and tested. Analysts holding the old file keep
reading the old inode, and a failed build leaves the previous warehouse in place.

dbt parses the whole project before every command (~4 s here) unless it finds a saved parse of
the same project with the same vars and the same connection settings, the warehouse path among
them; left to itself it keeps that parse in the target folder, so every new output folder paid a
full parse. So dbt runs inside the build folder, where the warehouse file and the Parquet folder
(a symlink) have the same relative names for every build, and reads the parse saved by the last
build of this checkout in the user's cache (:func:`parse_cache_path`). dbt still checks every
file's checksum, the vars and its version against it and re-parses what differs: the cache only
saves time (https://docs.getdbt.com/reference/parsing#partial-parsing).

The module runs dbt through a plain ``dbtRunner`` in this process unless given another
``invoke``. Every node's outcome (model or test, status, seconds, offending rows) comes back in
``WarehouseResult.nodes``; the flow logs them and keeps them as one Prefect artifact rather than
a task run per node, which cost more than dbt itself (~10 s of a 20 s stage on the seeds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

WAREHOUSE_PROJECT = Path(__file__).resolve().parent.parent / "warehouse"
RESOURCES = Path(__file__).resolve().parent / "resources"
# the profile (warehouse/profiles.yml) reads these; they are set only for the length of a build
WAREHOUSE_ENV = "GOVREPORTS_WAREHOUSE"
MEMORY_ENV = "GOVREPORTS_DUCKDB_MEMORY"
# the sources (warehouse/models/staging/_sources.yml) read the Parquet under this folder
PARQUET_ENV = "GOVREPORTS_PARQUET"

# names inside the build folder, the same for every build so that dbt's saved parse stays valid
BUILD_FILE = "warehouse.duckdb"
BUILD_PARQUET = "parquet"
PARSE_FILE = "partial_parse.msgpack"

Invoke = Callable[[list[str]], Any]


class DataTestFailed(Exception):
    """One or more warehouse data tests returned offending rows."""


class WarehouseBuildFailed(Exception):
    """dbt could not build a model of the warehouse (an SQL or project error, not a data test)."""


@dataclass(frozen=True)
class DataTestResult:
    """Outcome of one data test: its name, offending row count and a sample."""

    name: str
    failures: int
    sample: str = ""


@dataclass(frozen=True)
class NodeResult:
    """Outcome of one dbt node of a build: a model or a data test, as dbt reported it."""

    resource_type: str
    name: str
    status: str
    seconds: float
    failures: int = 0


@dataclass(frozen=True)
class WarehouseResult:
    """What the warehouse build gives: its path, table row counts, test and dbt node outcomes, dbt's artifacts folder."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    tests: list[DataTestResult] = field(default_factory=list)
    flagged: dict[str, int] = field(default_factory=dict)
    target: Path | None = None
    nodes: list[NodeResult] = field(default_factory=list)


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


def target_dir(db_path: Path | str) -> Path:
    """dbt's artifacts folder of a warehouse (manifest, run results, docs site): ``dbt/`` beside it."""
    return Path(db_path).resolve().parent / "dbt"


def parse_cache_path() -> Path | None:
    """Where builds of this checkout keep dbt's saved parse: the user's cache, one file per checkout and dbt version.

    ``$XDG_CACHE_HOME`` (default ``~/.cache``) ``/govreports/dbt/``; a checkout elsewhere (another
    clone, another resources path in the vars) has a file of its own rather than one that
    every build would find stale. None when there is no home folder to put it in: builds then parse.
    """
    from dbt.version import __version__ as dbt_version

    key = hashlib.sha1(f"{WAREHOUSE_PROJECT}\0{dbt_version}".encode()).hexdigest()[:16]
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no HOME and no password-database entry
        return None
    return base / "govreports" / "dbt" / f"{key}-{PARSE_FILE}"


def _save_parse(target: Path, cache: Path) -> None:
    """Copies the parse dbt saved in ``target`` to the cache; a cache that cannot be written is skipped."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        shutil.copyfile(target / PARSE_FILE, tmp)
        os.replace(tmp, cache)  # concurrent builds each replace it whole
    except OSError:
        pass


def dbt_args(command: list[str], target: Path | str, include_flagged: bool = False,
             saved_parse: Path | None = None) -> list[str]:
    """The dbt command line for the project in warehouse/.

    Args:
        command: The dbt command and its own options, e.g. ``["build"]``.
        target: dbt's target folder (artifacts: manifest.json, run_results.json, the docs site).
        include_flagged: Keep rows with a plausibility flag in the marts' series.
        saved_parse: A parse saved by an earlier build, for dbt to start from (it re-parses what changed).
    """
    variables = {
        "resources": str(RESOURCES),
        "include_flagged": include_flagged,
    }
    return [
        *command,
        "--project-dir", str(WAREHOUSE_PROJECT),
        "--profiles-dir", str(WAREHOUSE_PROJECT),
        "--target-path", str(Path(target).resolve()),
        "--log-path", str(Path(target).resolve()),
        "--vars", json.dumps(variables),
        *(["--partial-parse-file-path", str(saved_parse)] if saved_parse else []),
    ]


def dbt_invoke(args: list[str]) -> Any:
    """Runs dbt in this process (dbt's programmatic API), logging warnings and errors only."""
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(args, log_level="warn")


@contextmanager
def _env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _release_dbt_duckdb() -> None:
    """Closes the DuckDB database dbt-duckdb keeps open in this process after a command.

    Its one shared environment outlives the command; left open, it would hold the temporary
    file's lock, and a next build with the same profile would write through it into the file
    just renamed into place.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _sample(db: Path, sql: str, rows: int) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        df = con.execute(f"select * from ({sql}) limit {rows}").df()
    finally:
        con.close()
    return df.to_string(index=False, max_colwidth=60)


def _test_results(res: Any, db: Path, sample_rows: int) -> tuple[list[DataTestResult], list[str]]:
    """Data test outcomes (with failing rows) and error messages of nodes dbt could not run."""
    tests, errors = [], []
    for r in getattr(res.result, "results", None) or []:
        node, status = r.node, str(r.status)
        if node.resource_type == "test":
            failures = int(r.failures or 0) if status in ("fail", "warn", "pass") else 0
            if status == "error":
                errors.append(f"data test {node.name} errored: {r.message}")
            sample = _sample(db, node.compiled_code, sample_rows) if failures and node.compiled_code else ""
            tests.append(DataTestResult(node.name, failures, sample))
        elif status == "error":
            errors.append(f"{node.resource_type} {node.name} failed: {r.message}")
    return tests, errors


def node_results(res: Any) -> list[NodeResult]:
    """Every node dbt ran (models and data tests), in the order they finished."""
    return [
        NodeResult(r.node.resource_type, r.node.name, str(r.status), round(float(r.execution_time or 0.0), 3),
                   int(r.failures or 0))
        for r in getattr(res.result, "results", None) or []
    ]


def _table_counts(db: Path) -> tuple[dict[str, int], dict[str, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by table_name"
        ).fetchall()]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in names}
        return counts, flagged_rows(con)
    finally:
        con.close()


def build_warehouse(
    parquet_root: Path | str,
    db_path: Path | str,
    fail_on_test: bool = True,
    memory_limit: str = "1GB",
    include_flagged: bool = False,
    invoke: Invoke | None = None,
    sample_rows: int = 5,
) -> WarehouseResult:
    """Builds the DuckDB warehouse from Parquet with ``dbt build``, tests it, and swaps it into place.

    Args:
        parquet_root: Folder with one sub-folder per dataset.
        db_path: Final path of the DuckDB file; dbt's artifacts go to ``dbt/`` beside it.
        fail_on_test: Raise DataTestFailed (leaving the old warehouse in place) when a data test returns rows.
        memory_limit: DuckDB's memory cap for the build (it spills to disk beyond it).
        include_flagged: Keep rows with a plausibility flag in the marts' series.
        invoke: Runs a dbt command line (default: dbt's dbtRunner in this process).
        sample_rows: Failing rows shown per failed test.

    Raises:
        DataTestFailed: A data test returned rows (names each test, with a sample of its rows).
        WarehouseBuildFailed: dbt could not build a model (e.g. a dataset has no Parquet files).
    """
    parquet_root, db_path = Path(parquet_root), Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # left-overs of killed builds (the caller holds the output lock, so none is live)
    shutil.rmtree(db_path.parent / f".{db_path.name}.build", ignore_errors=True)
    # a folder of its own beside the final file (DuckDB spills next to the file, and the rename
    # stays on one file system), where the file and the Parquet folder have constant names
    build_dir = db_path.parent / f".{db_path.name}.build"
    build_dir.mkdir()
    tmp = build_dir / BUILD_FILE
    (build_dir / BUILD_PARQUET).symlink_to(parquet_root.resolve(), target_is_directory=True)
    target = target_dir(db_path)
    cache = parse_cache_path()
    saved = cache if cache and cache.is_file() else None
    if saved:
        # dbt reads the cache and writes a parse to the target only when it parsed something, so a
        # parse found there after the build is this build's (an older one would overwrite the cache)
        (target / PARSE_FILE).unlink(missing_ok=True)
    try:
        args = dbt_args(["build"], target, include_flagged, saved_parse=saved)
        env = {WAREHOUSE_ENV: BUILD_FILE, PARQUET_ENV: BUILD_PARQUET, MEMORY_ENV: memory_limit}
        # the compiled SQL names the Parquet by its relative path: failing rows are sampled from here too
        with _env(**env), contextlib.chdir(build_dir):
            try:
                res = (invoke or dbt_invoke)(args)
            finally:
                _release_dbt_duckdb()
            if cache and (target / PARSE_FILE).is_file():
                _save_parse(target, cache)
            if res.exception is not None:
                raise WarehouseBuildFailed(f"dbt build failed: {res.exception}")
            tests, errors = _test_results(res, tmp, sample_rows)
        failed = [t for t in tests if t.failures]
        if failed and fail_on_test:
            msg = "\n".join(f"data test {t.name} failed: {t.failures} offending rows, e.g.\n{t.sample}" for t in failed)
            raise DataTestFailed(msg)
        if errors:
            raise WarehouseBuildFailed("\n".join(errors))
        counts, flagged = _table_counts(tmp)
        os.replace(tmp, db_path)
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    return WarehouseResult(path=db_path, tables=counts, tests=tests, flagged=flagged, target=target,
                           nodes=node_results(res))


def build_docs(db_path: Path | str, parquet_root: Path | str, invoke: Invoke | None = None) -> Path:
    """Builds dbt's static docs site (lineage from the Parquet sources to the marts) of a built warehouse.

    Args:
        db_path: The warehouse file the catalog is read from (opened by dbt, so no other writer may hold it).
        parquet_root: The Parquet folder the warehouse was built from.
        invoke: Runs a dbt command line (default: dbt's dbtRunner in this process).

    Returns:
        The path of ``static_index.html``: one file with the manifest and catalog inside, openable offline.
    """
    db_path = Path(db_path).resolve()
    target = target_dir(db_path)
    with _env(**{WAREHOUSE_ENV: str(db_path), PARQUET_ENV: str(Path(parquet_root).resolve())}):
        try:
            res = (invoke or dbt_invoke)(dbt_args(["docs", "generate", "--static"], target))
        finally:
            _release_dbt_duckdb()
    if not res.success:
        raise WarehouseBuildFailed(f"dbt docs generate failed: {res.exception or res.result}")
    return target / "static_index.html"
