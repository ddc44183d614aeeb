"""The real Prefect flow on the seeds, under one test harness for the session."""

from __future__ import annotations

import duckdb
import pandas as pd
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


def read_all(out):
    return {p.parent.name: pq.read_table(p).to_pandas() for p in sorted((out / "parquet").glob("*/data.parquet"))}


def test_incremental_run_equals_full_rebuild_and_no_change_run_does_nothing(prefect_harness, tmp_path, seeds_dir):
    import shutil

    from flows.pipeline import govreports_pipeline

    src = tmp_path / "in"
    shutil.copytree(seeds_dir, src)
    inc = tmp_path / "inc"
    govreports_pipeline(input_dir=str(src), out_dir=str(inc))
    # one file removed, one changed, one added
    (src / "000_9b968599ca7dc8f3.txt").unlink()
    with open(src / "001_1e31c7665ded58fb.txt", "a", encoding="utf-8") as fh:
        fh.write("\n\n### 新增段落\n\n2024年,全区实现地区生产总值812.5亿元,增长6.1%。\n")
    (src / "new").mkdir()
    (src / "new" / "brief.txt").write_text(
        "路桥区举行招商推介会\n\n本报记者某某 报道\n\n11月5日,路桥区在上海举行招商推介会,现场签约项目12个,总投资86亿元。\n",
        encoding="gb18030",
    )
    changed = govreports_pipeline(input_dir=str(src), out_dir=str(inc))
    assert changed["changed_files"] == 2
    full = tmp_path / "full"
    govreports_pipeline(input_dir=str(src), out_dir=str(full), full_rebuild=True)
    got, want = read_all(inc), read_all(full)
    assert set(got) == set(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_dtype=True, obj=name)
    assert not (got["documents"]["source_file"] == "000_9b968599ca7dc8f3.txt").any()
    assert (got["indicators"]["evidence"].str.contains("812.5亿元")).any()
    again = govreports_pipeline(input_dir=str(src), out_dir=str(inc))
    assert again["changed_files"] == 0 and again["seconds"] < 5
