"""The real Prefect flow on the seeds, under one test harness for the session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tasks.parquet import dataset_files, read_dataset
from tasks.schemas import SCHEMAS

pytestmark = pytest.mark.flow


@pytest.fixture(scope="session")
def flow_run(prefect_harness, tmp_path_factory, seeds_dir):
    """The flow on the seeds, run twice into one folder; the second run also cuts every document into pieces.

    Returns:
        The output folder, both runs' summaries, the first run's rows, its number of token parts, and a
        copy of the folder as the first run left it (a previous run for the incremental test).
    """
    import shutil

    import tasks.segment_chunks as segment_chunks
    from flows.pipeline import govreports_pipeline

    out = tmp_path_factory.mktemp("run")
    first = govreports_pipeline(input_dir=str(seeds_dir), out_dir=str(out))
    first_rows = read_all(out)
    first_token_parts = len(dataset_files("tokens", out / "parquet"))
    # the snapshot link is relative, so the copy is an output folder of its own
    after_first = tmp_path_factory.mktemp("after_first") / "out"
    shutil.copytree(out, after_first, symlinks=True)
    # a real re-run over the outputs of the first: everything recomputed and written again. It
    # segments in chunks of 3,000 characters: every seed report is longer, so each is cut into
    # pieces segmented apart, as a yearbook-sized document is with the default chunk size (one
    # flow run fewer than a run of its own: the rows must equal the first run's either way)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segment_chunks, "SEGMENT_CHUNK_CHARS", 3000)
        second = govreports_pipeline(input_dir=str(seeds_dir), out_dir=str(out), full_rebuild=True)
    return FlowRun(out, first, second, first_rows, first_token_parts, after_first)


@dataclass(frozen=True)
class FlowRun:
    out: Path
    first: dict
    second: dict
    first_rows: dict[str, pd.DataFrame]
    first_token_parts: int
    after_first: Path


def test_flow_writes_every_dataset_with_its_declared_schema(flow_run):
    for name in flow_run.first["counts"]:
        for part in dataset_files(name, flow_run.out / "parquet"):
            assert pq.read_schema(part).remove_metadata() == SCHEMAS[name].remove_metadata(), name


def test_flow_builds_a_warehouse_an_analyst_can_query(flow_run):
    con = duckdb.connect(str(flow_run.out / "warehouse.duckdb"), read_only=True)
    try:
        n_docs = con.execute("select count(*) from documents").fetchone()[0]
        speaker = con.execute(
            "select speaker from documents where title = '2022年台州市路桥区政府工作报告'"
        ).fetchone()[0]
    finally:
        con.close()
    assert n_docs == flow_run.first["documents"] == 14
    assert speaker == "牟傲野"


def test_rerun_replaces_outputs_without_duplicating_rows(flow_run):
    out, first, second, first_rows = flow_run.out, flow_run.first, flow_run.second, flow_run.first_rows
    assert second["changed_files"] == first["changed_files"] == 5  # the re-run did the work again
    assert first["counts"] == second["counts"]
    again = read_all(out)
    assert set(again) == set(first_rows)
    for name in first_rows:
        pd.testing.assert_frame_equal(again[name], first_rows[name], check_dtype=True, obj=name)
    # one snapshot published, no temporary files
    assert len([p for p in (out / ".snapshots").iterdir() if p.is_dir()]) == 1
    assert not list(out.rglob("*.tmp-*")), "temporary files left behind"
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from documents").fetchone()[0] == 14
        assert con.execute("select count(*) from indicators").fetchone()[0] == first["counts"]["indicators"]
    finally:
        con.close()


# row order across the parts of a dataset is not part of the contract: compare sorted by key
SORT_KEYS = {"term_stats": ["doc_id", "term"], "tokens": ["doc_id", "para_id", "sent_id", "token_idx"], "sentences": ["doc_id", "para_id", "sent_id"]}


def read_all(out):
    names = sorted(p.name for p in (out / "parquet").iterdir() if p.is_dir() and not p.name.startswith("_"))
    frames = {name: read_dataset(name, out / "parquet") for name in names}
    for name, keys in SORT_KEYS.items():
        if name in frames:
            frames[name] = frames[name].sort_values(keys, kind="stable").reset_index(drop=True)
    return frames


def test_documents_cut_across_segmentation_chunks_give_the_same_outputs(flow_run):
    # the fixture's second run cut every seed report into chunks of 3,000 characters
    assert len(dataset_files("tokens", flow_run.out / "parquet")) > 2 * flow_run.first_token_parts
    got, want = read_all(flow_run.out), flow_run.first_rows
    assert set(got) == set(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_dtype=True, obj=name)


def test_incremental_run_equals_full_rebuild_and_no_change_run_does_nothing(flow_run, tmp_path, seeds_dir):
    import shutil

    from flows.pipeline import govreports_pipeline

    src = tmp_path / "in"
    shutil.copytree(seeds_dir, src)
    # the outputs of a first run over these files, as that run left them
    inc = tmp_path / "inc"
    shutil.copytree(flow_run.after_first, inc, symlinks=True)
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


def test_flow_on_a_two_worker_dask_cluster_gives_the_same_datasets(flow_run, tmp_path, seeds_dir):
    from flows.cli import with_dask
    from flows.pipeline import govreports_pipeline

    dask_flow, batches = with_dask(govreports_pipeline, None, 2, 0)
    assert batches == 4
    dask_flow(input_dir=str(seeds_dir), out_dir=str(tmp_path), workers=1, batches=batches)
    # the rows of the fixture's first run: one process, default chunks
    got, want = read_all(tmp_path), flow_run.first_rows
    assert set(got) == set(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)


def test_bad_inputs_are_quarantined_and_good_files_processed_in_full(prefect_harness, tmp_path, seeds_dir):
    import shutil

    from flows.pipeline import govreports_pipeline
    from tasks import reasons

    src = tmp_path / "in"
    src.mkdir()
    for name in ("001_1e31c7665ded58fb.txt", "002_c5a084ca59368fdc.txt"):
        shutil.copy(seeds_dir / name, src / name)
    shutil.copy(seeds_dir / "001_1e31c7665ded58fb.txt", src / "001_copy_under_other_name.txt")
    (src / "empty.txt").write_bytes(b"")
    (src / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 64)
    article = "路桥区召开民营经济座谈会\n\n本报记者某某 报道\n\n3月2日,路桥区召开民营经济座谈会。会议指出,2023年全区规上工业增加值增长7.2%。\n"
    (src / "gbk.txt").write_bytes(article.replace("座谈会", "座谈会(GBK)").encode("gbk"))
    (src / "utf16.txt").write_bytes(article.replace("民营经济", "数字经济").encode("utf-16"))
    (src / "truncated.txt").write_bytes(article.replace("民营", "外贸").encode("utf-8") + "未完".encode("utf-8")[:-1])
    with open(src / "huge.txt", "wb") as fh:
        block = ("路桥区政府工作报告。" * 1000).encode("utf-8")
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(block)
    (src / "chrome_only.txt").write_text(
        "索引号: 1133/2023 公开方式: 主动公开\n发布机构: 区发改局\n访问次数:\n信息来源: 路桥区政府\n打印本页 关闭窗口\n", encoding="utf-8"
    )
    (src / "listing.txt").write_text(
        "-\n【投资A区】A区招商引资新闻\n" + "A区签约项目五个,总投资三十亿元。" * 20 + "\n2025-07-16\n-\n只有标题的坏记录\n2025-07-16\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    summary = govreports_pipeline(input_dir=str(src), out_dir=str(out))
    data = read_all(out)
    q = dict(zip(data["quarantine"].source_file, data["quarantine"].reason))
    assert q == {
        "001_copy_under_other_name.txt": reasons.DUPLICATE_FILE,
        "chrome_only.txt": reasons.NO_DOCUMENT_TEXT,
        "empty.txt": reasons.EMPTY_FILE,
        "huge.txt": reasons.FILE_TOO_LARGE,
        "listing.txt": reasons.MALFORMED_LISTING_RECORD,
        "photo.jpg": reasons.BINARY_FILE,
        "truncated.txt": reasons.TRUNCATED_ENCODING,
    }
    assert data["quarantine"].detail.str.len().min() > 10
    docs = data["documents"].set_index("source_file")
    assert set(docs.index) == {
        "001_1e31c7665ded58fb.txt", "002_c5a084ca59368fdc.txt", "gbk.txt", "utf16.txt", "truncated.txt", "listing.txt"
    }
    assert docs.loc["gbk.txt", "title"] == "路桥区召开民营经济座谈会(GBK)"
    assert docs.loc["utf16.txt", "encoding"].startswith("utf-16")
    # the good seed files come through in full: the same paragraphs as when they are the whole input
    from tasks.clean import clean_paragraphs
    from tasks.dedup import dedup_corpus
    from tasks.ingest import ingest_folder

    alone_dir = tmp_path / "alone"
    alone_dir.mkdir()
    for name in ("001_1e31c7665ded58fb.txt", "002_c5a084ca59368fdc.txt"):
        shutil.copy(seeds_dir / name, alone_dir / name)
    alone = ingest_folder(alone_dir)
    alone_paras = dedup_corpus(alone.documents, clean_paragraphs(alone.paragraphs).paragraphs).paragraphs
    seeds_here = data["paragraphs"][data["paragraphs"].doc_id.isin(set(alone.documents.doc_id))]
    assert seeds_here.text.tolist() == alone_paras.text.tolist()
    assert seeds_here.is_duplicate.tolist() == alone_paras.is_duplicate.tolist()
    assert summary["quarantined"] == 7


def _task_runs(flow_run_id=None, names=(), until=None, timeout=60.0):
    """Task runs of a flow run or with these names, once the server has recorded every wanted one in a final state.

    Args:
        flow_run_id: Only this flow run's task runs.
        names: Only task runs with these names, and wait until each is there.
        until: Also wait until this predicate over the task runs holds.
        timeout: Seconds to wait at most.
    """
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterName

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            # the server records task runs from their events, a moment after they happen
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])) if flow_run_id else None,
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=list(names))) if names else None,
            )
            done = all(r.state and r.state.is_final() for r in runs) and set(names) <= {r.name for r in runs}
            done = done and (until is None or until(runs))
            if done or time.monotonic() > deadline:
                return runs
            time.sleep(0.5)


def test_the_prefect_run_keeps_every_dbt_model_and_data_test_outcome_as_an_artifact(flow_run):
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    # one Prefect record for the dbt build (a task run per node cost ~10 s a run): every node
    # dbt's manifest holds is in the warehouse task's artifact with its outcome
    manifest = json.loads((flow_run.out / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    # ephemeral models are inlined into the models using them: dbt runs no node of their own
    built = {f"{n['resource_type']} {n['name']}" for n in manifest["nodes"].values()
             if n.get("config", {}).get("materialized") != "ephemeral"}
    assert any(n["name"] == "int_document_units" for n in manifest["nodes"].values())
    assert {"model stg_documents", "model mart_indicator_timeline", "test documents__doc_id_unique",
            "test assert_indicators__evidence_at_offsets"} <= built
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["dbt-build"])))
    assert artifacts
    for artifact in artifacts:
        rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
        assert {f"{r['node']} {r['name']}" for r in rows} == built
        assert {r["status"] for r in rows} == {"success", "pass"} and not any(r["offending_rows"] for r in rows)


def test_a_failing_data_test_fails_the_flow_naming_the_test_and_its_rows(prefect_harness, tmp_path):
    from prefect import flow

    from flows.pipeline import warehouse_task
    from tasks.warehouse import DataTestFailed
    from test_warehouse import base, write_all

    data = base()
    data["documents"] = pd.concat([data["documents"], data["documents"].iloc[[0]]], ignore_index=True)
    write_all(tmp_path / "parquet", data)

    @flow
    def build_only():
        return warehouse_task(str(tmp_path / "parquet"), str(tmp_path / "w.duckdb"))

    state = build_only(return_state=True)
    assert state.is_failed()
    with pytest.raises(DataTestFailed, match=r"(?s)data test documents__doc_id_unique failed: 1 offending rows, e\.g\.\n.*a1"):
        state.result()
    assert not (tmp_path / "w.duckdb").exists()
    def failed_names(runs):
        return {r.name.split("-")[0] for r in runs if r.state and r.state.is_failed()}

    runs = _task_runs(state.state_details.flow_run_id, until=lambda runs: "warehouse" in failed_names(runs))
    failed = failed_names(runs)
    # the warehouse task (named warehouse-<suffix>) that ran the dbt build and raised
    assert failed == {"warehouse"}
