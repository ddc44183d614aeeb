"""Warehouse build: atomic swap, data tests that fail loudly on broken data."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tasks.parquet import write_dataset
from tasks.warehouse import WAREHOUSE_SQL, DataTestFailed, build_warehouse


def write_minimal(parquet_root, seed_ingest, documents=None):
    docs = seed_ingest.documents if documents is None else documents
    paras = seed_ingest.paragraphs.copy()
    paras["n_chars"] = paras.text.str.len()
    paras["is_duplicate"] = False
    write_dataset(docs, "documents", parquet_root)
    write_dataset(paras, "paragraphs", parquet_root)
    write_dataset(seed_ingest.quarantine, "quarantine", parquet_root)


@pytest.fixture()
def sql_root(tmp_path):
    # only the ingest-level models: later stages' datasets are not written here
    root = tmp_path / "sql"
    for kind in ("staging", "tests"):
        (root / kind).mkdir(parents=True)
    for name in ("documents", "paragraphs", "quarantine"):
        shutil.copy(WAREHOUSE_SQL / "staging" / f"stg_{name}.sql", root / "staging")
    for path in (WAREHOUSE_SQL / "tests").glob("assert_documents__*.sql"):
        shutil.copy(path, root / "tests")
    return root


def test_build_creates_tables_and_passes_data_tests(tmp_path, seed_ingest, sql_root):
    write_minimal(tmp_path / "parquet", seed_ingest)
    result = build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", sql_root=sql_root)
    assert result.tables["documents"] == 14
    assert all(t.failures == 0 for t in result.tests) and result.tests
    assert not list(tmp_path.glob(".w.duckdb.tmp*"))


def test_broken_data_fails_the_build_naming_the_check_and_keeps_old_warehouse(tmp_path, seed_ingest, sql_root):
    write_minimal(tmp_path / "parquet", seed_ingest)
    build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", sql_root=sql_root)
    broken = seed_ingest.documents.copy()
    broken.loc[1, "doc_id"] = broken.loc[0, "doc_id"]
    broken.loc[2, "doc_type"] = "speech"
    write_minimal(tmp_path / "parquet", seed_ingest, documents=broken)
    with pytest.raises(DataTestFailed) as err:
        build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", sql_root=sql_root)
    msg = str(err.value)
    assert "assert_documents__doc_id_unique" in msg and broken.loc[0, "doc_id"] in msg
    assert "assert_documents__accepted_doc_types" in msg and "speech" in msg
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(distinct doc_id) from documents").fetchone()[0] == 14
    finally:
        con.close()


def test_analyst_can_read_while_warehouse_is_rebuilt(tmp_path, seed_ingest, sql_root):
    write_minimal(tmp_path / "parquet", seed_ingest)
    build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", sql_root=sql_root)
    analyst = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", sql_root=sql_root)
        assert analyst.execute("select count(*) from documents").fetchone()[0] == 14
    finally:
        analyst.close()
