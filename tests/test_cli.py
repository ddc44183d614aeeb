"""Each `govreports` command as a user types it: a subprocess in a fresh folder.

The folder has no `.cache/`, PREFECT_HOME and PREFECT_API_URL are unset (so
`run` starts Prefect's temporary server itself, as on a newcomer's machine),
and `--workers` is left at its default.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from tasks.runstate import OutputLock
from tasks.schemas import SCHEMAS

ROOT = Path(__file__).resolve().parent.parent
# the console script pip installed beside this interpreter, as a user calls it
GOVREPORTS = str(Path(sys.executable).with_name("govreports"))

pytestmark = pytest.mark.flow


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.pop("DO_NOT_TRACK", None)
    # the checkout under test, whichever checkout the venv's editable install points at
    env["PYTHONPATH"] = str(ROOT)
    return env


def govreports(*args: str, cwd: Path, timeout: float = 400, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([GOVREPORTS, *args], cwd=cwd, env=user_env() | (env or {}), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory) -> Path:
    """A fresh folder holding a copy of the seeds: `govreports run` there reads seeds/ and writes data/."""
    folder = tmp_path_factory.mktemp("newcomer")
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    return folder


@pytest.fixture(scope="module")
def first_run(user_folder):
    assert not (user_folder / ".cache").exists()
    result = govreports("run", "--summary-json", "summary.json", cwd=user_folder)
    return result


def test_run_with_defaults_in_a_fresh_folder_writes_every_output_and_a_summary(first_run, user_folder):
    assert first_run.returncode == 0, first_run.stderr[-3000:]
    assert "govreports run finished in" in first_run.stdout
    assert "documents:    14" in first_run.stdout
    data = user_folder / "data"
    assert (data / "warehouse.duckdb").is_file() and (data / "report.html").is_file()
    for name in SCHEMAS:
        assert list((data / "parquet" / name).glob("*.parquet")), name
    # no PREFECT_API_URL: the run started Prefect's temporary server itself, as on a newcomer's machine
    assert "Starting temporary server" in first_run.stdout + first_run.stderr
    # Prefect's home was made with its missing parents
    assert (user_folder / ".cache" / "prefect").is_dir()
    summary = json.loads((user_folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"] == 14 and summary["counts"]["documents"] == 14
    assert summary["changed_files"] == 5 and set(summary["stage_seconds"]) >= {"ingest", "segment", "warehouse"}


def test_run_after_a_code_version_change_recomputes_everything(first_run, user_folder, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    manifest_path = user_folder / "data" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["code_version"] = "an-older-version"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    # the first run showed a newcomer's temporary server; this one is about recomputing, so it
    # reports to the session's running server (as a user's PREFECT_API_URL would) instead of
    # starting one more (~10 s)
    result = govreports("run", "--summary-json", "again.json", cwd=user_folder,
                        env={"PREFECT_API_URL": PREFECT_API_URL.value()})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((user_folder / "again.json").read_text(encoding="utf-8"))
    # nothing reused: every file is read again, the manifest records the running version
    assert summary["changed_files"] == 5
    assert "no input changed" not in result.stdout
    assert "5 new or changed, 0 unchanged" in result.stdout + result.stderr
    assert "Starting temporary server" not in result.stdout + result.stderr
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["code_version"] != "an-older-version"


def test_run_with_a_missing_input_folder_exits_2_with_a_clear_message(tmp_path):
    result = govreports("run", "--input", "no_such_folder", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "input folder no_such_folder does not exist" in result.stderr


def test_run_on_a_locked_output_exits_3_naming_the_holder(tmp_path):
    (tmp_path / "seeds").mkdir()
    with OutputLock(tmp_path / "busy"):
        result = govreports("run", "--out", "busy", cwd=tmp_path, timeout=60)
    assert result.returncode == 3
    assert f"pid {os.getpid()}" in result.stderr


def test_run_with_an_unwritable_prefect_home_fails_at_once_naming_it(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "file").write_text("not a folder")
    env = user_env() | {"PREFECT_HOME": str(tmp_path / "file" / "prefect")}
    result = subprocess.run([GOVREPORTS, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"PREFECT_HOME {tmp_path / 'file' / 'prefect'} cannot be created or written" in result.stderr


def test_sql_prints_the_rows_of_a_query(first_run, user_folder):
    result = govreports("sql", "select doc_type, count(*) as n from documents group by doc_type order by doc_type",
                        cwd=user_folder, timeout=60)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(user_folder / "data" / "warehouse.duckdb"), read_only=True)
    try:
        want = con.execute("select doc_type, count(*) from documents group by doc_type order by doc_type").fetchall()
    finally:
        con.close()
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["doc_type", "n"]
    assert [line.split() for line in lines[1:1 + len(want)]] == [[t, str(n)] for t, n in want]
    assert lines[-1] == f"({len(want)} rows)"


def test_sql_without_a_warehouse_exits_non_zero_saying_so(tmp_path):
    result = govreports("sql", "select 1", cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    assert "no warehouse at data/warehouse.duckdb" in result.stderr


def test_sql_with_bad_sql_gives_the_database_message(first_run, user_folder):
    result = govreports("sql", "select nope from documents", cwd=user_folder, timeout=60)
    assert result.returncode != 0
    assert 'column "nope"' in result.stderr.lower() or "nope" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("statement", ["drop table documents", "insert into documents (doc_id) values ('x')",
                                       "delete from indicators"])
def test_sql_refuses_statements_that_change_the_warehouse(first_run, user_folder, statement):
    db = user_folder / "data" / "warehouse.duckdb"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = govreports("sql", statement, cwd=user_folder, timeout=60)
    assert result.returncode != 0
    assert "read-only" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from documents").fetchone()[0] == 14
    finally:
        con.close()


def test_export_of_a_real_run_copies_every_dataset_with_equal_rows_and_schema(first_run, user_folder):
    assert (user_folder / "data" / "parquet").is_symlink()  # the published snapshot link
    result = govreports("export", "--to", "handoff", cwd=user_folder, timeout=120)
    assert result.returncode == 0, result.stderr
    nested = []
    for name, schema in SCHEMAS.items():
        source = ds.dataset(user_folder / "data" / "parquet" / name, format="parquet").to_table()
        copy = ds.dataset(user_folder / "handoff" / f"{name}.parquet", format="parquet").to_table()
        assert copy.schema.remove_metadata() == schema.remove_metadata(), name
        assert copy.num_rows == source.num_rows, name
        key = [f.name for f in schema if not (f.type.__class__.__name__.endswith(("ListType", "StructType")))]
        assert copy.sort_by([(k, "ascending") for k in key]).equals(source.sort_by([(k, "ascending") for k in key])), name
        nested += [f"{name}.{f.name}" for f in schema if f.type.__class__.__name__.endswith(("ListType", "StructType"))]
    # the comparison covered list columns too
    assert "paragraph_repairs.source_para_ids" in nested and "plan_indicators.raw_cells" in nested
    assert json.loads((user_folder / "handoff" / "schema.json").read_text(encoding="utf-8")).keys() == SCHEMAS.keys()


def test_schema_doc_prints_the_committed_docs_and_writes_staging_models(tmp_path):
    result = govreports("schema-doc", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8")
    result = govreports("schema-doc", "--staging", "staging", "--to", "schemas.md", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "schemas.md").read_text(encoding="utf-8") == (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8")
    staging = ROOT / "warehouse" / "models" / "staging"
    written = sorted(p.name for p in (tmp_path / "staging").iterdir())
    assert written == sorted(p.name for p in staging.iterdir() if p.name != "_sources.yml")
    for name in written:
        assert (tmp_path / "staging" / name).read_text(encoding="utf-8") == (staging / name).read_text(encoding="utf-8")
