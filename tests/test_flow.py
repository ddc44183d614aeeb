"""The real Prefect flow on the seeds, under one test harness for the session."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from tasks.schemas import SCHEMAS

pytestmark = pytest.mark.flow


@pytest.fixture(scope="session")
def flow_run(prefect_harness, tmp_path_factory, seeds_dir):
    from flows.pipeline import govreports_pipeline

    out = tmp_path_factory.mktemp("run")
    first = govreports_pipeline(input_dir=str(seeds_dir), out_dir=str(out))
    snapshot = {p.relative_to(out): p.read_bytes() for p in (out / "parquet").rglob("*.parquet")}
    second = govreports_pipeline(input_dir=str(seeds_dir), out_dir=str(out))
    return out, first, second, snapshot


def test_flow_writes_every_dataset_with_its_declared_schema(flow_run):
    out, first, _, _ = flow_run
    for name in first["counts"]:
        table = pq.read_table(out / "parquet" / name / "data.parquet")
        assert table.schema.remove_metadata() == SCHEMAS[name].remove_metadata(), name


def test_flow_builds_a_warehouse_an_analyst_can_query(flow_run):
    out, first, _, _ = flow_run
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        n_docs = con.execute("select count(*) from documents").fetchone()[0]
        speaker = con.execute(
            "select speaker from documents where title = '2022年台州市路桥区政府工作报告'"
        ).fetchone()[0]
    finally:
        con.close()
    assert n_docs == first["documents"] == 14
    assert speaker == "牟傲野"


def test_rerun_replaces_outputs_without_duplicating_rows(flow_run):
    out, first, second, snapshot = flow_run
    assert first["counts"] == second["counts"]
    now = {p.relative_to(out): p.read_bytes() for p in (out / "parquet").rglob("*.parquet")}
    assert set(now) == set(snapshot)
    for path, data in snapshot.items():
        assert pq.read_table(out / path).to_pandas().equals(pq.read_table(pq_buffer(data)).to_pandas()), path
    assert not list(out.rglob("*.tmp-*")), "temporary files left behind"


def pq_buffer(data: bytes):
    import pyarrow as pa

    return pa.BufferReader(data)
