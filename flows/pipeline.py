"""The govreports flow: raw files -> Parquet datasets -> DuckDB warehouse.

The flow is the list of stages, in order; each is a thin Prefect task over a
stage's plain entry point in tasks/ and logs one line with counts, seconds and
memory:

    scan -> ingest -> clean -> dedup -> extract (batches) -> quality -> lexicon
    -> segment (batches) -> terms -> write -> warehouse + data tests -> report

Tasks take whole DataFrames, so none caches on its inputs (Prefect's default
would hash every argument: a pickled copy of the corpus per call). What is
reused from the last run is decided once, up front, by the incremental planner
(tasks/incremental.py IncrementalRun), which wraps ingest and tells extract and
segment which documents to compute again.

Corpus-wide steps (dedup, the segmentation lexicon, IDF) run once; per-document
work is cut into batches of documents so that, on a Dask cluster
(prefect-dask's DaskTaskRunner), batches run on different workers. A task run
costs ~10 ms of Prefect overhead, so never one per paragraph. The output folder
is locked for the run, and every dataset is published at once (see
tasks/runstate.py), so a killed run leaves the previous outputs intact.
"""

from __future__ import annotations

import functools
import os
import resource
import time
from functools import partial
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner

from tasks.clean import clean_paragraphs
from tasks.corpus import Corpus
from tasks.dedup import dedup_corpus
from tasks.extract import TABLES as EXTRACT_TABLES
from tasks.extract import ExtractResult, concat_tables, extract_corpus
from tasks.incremental import IncrementalRun, document_keys, frame_hash, scan_inputs
from tasks.ingest import IngestConfig, IngestResult, ingest_folder
from tasks.lexicon import corpus_lexicon
from tasks.parallel import call_in_fresh_process
from tasks.quality import flag_counts, flag_implausible_values
from tasks.report import ReportResult, write_report
from tasks.runstate import OutputLock, Snapshot
from tasks.segment import SegmentJob, split_parts
from tasks.segment_chunks import (
    ChunkOutput,
    Segmented,
    SegmentProgress,
    Terms,
    ensure_token_datasets,
    finish_terms,
    job_groups,
    plan_chunks,
    release_segment_memory,
    reuse_segments,
    segment_chunks,
)
from tasks.summary import StageClock, lap, run_summary, summary_markdown, unchanged_summary
from tasks.warehouse import WarehouseResult, build_warehouse
from tasks.write import Written, write_run_datasets


def _rss_mb() -> float:
    """Resident memory of this process now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _log_stage(stage: str, started: float, **counts) -> None:
    detail = ", ".join(f"{k}={v}" for k, v in counts.items())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    get_run_logger().info("stage %-10s %7.2fs  rss %5.0f MB (peak %5.0f)  %s", stage, time.perf_counter() - started,
                          _rss_mb(), peak_mb, detail)


def timed(stage: str):
    """Laps the running flow's clock (summary's stage_seconds) when the decorated stage starts.

    Only for stages that run in the flow process: a batch task on a Dask worker has no clock.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            # through a module function, not the ContextVar itself: a task pickled for Dask
            # carries the globals its function names, and a ContextVar does not pickle
            lap(stage)
            return fn(*args, **kwargs)

        return run

    return wrap


@task(name="scan", cache_policy=NO_CACHE)
@timed("scan")
def plan_task(input_dir: str, out_dir: str, full_rebuild: bool, include_flagged: bool) -> IncrementalRun:
    """Hashes the input files and plans what the run reuses from the last one."""
    t0 = time.perf_counter()
    plan = IncrementalRun.plan(out_dir, scan_inputs(input_dir), full_rebuild, include_flagged)
    _log_stage("scan", t0, files=len(plan.scan))
    if plan.nothing_to_do:
        get_run_logger().info("no input file changed since the last run and the code is the same: nothing to do")
    else:
        get_run_logger().info(plan.describe())
    return plan


@task(name="ingest", cache_policy=NO_CACHE)
@timed("ingest")
def ingest_task(input_dir: str, only: list[str] | None = None, workers: int = 1) -> IngestResult:
    t0 = time.perf_counter()
    result = ingest_folder(Path(input_dir), IngestConfig(), only=None if only is None else set(only), workers=workers)
    _log_stage("ingest", t0, **result.stats)
    for row in result.quarantine.itertuples():
        get_run_logger().warning("quarantined %s: %s (%s)", row.source_file, row.reason, row.detail)
    return result


@task(name="clean", cache_policy=NO_CACHE)
@timed("clean")
def clean_task(corpus: Corpus, workers: int = 1) -> Corpus:
    t0 = time.perf_counter()
    result = clean_paragraphs(corpus.paragraphs, workers=workers)
    _log_stage("clean", t0, **result.stats)
    return Corpus(corpus.documents, result.paragraphs, corpus.quarantine, repairs=result.repairs)


@task(name="dedup", cache_policy=NO_CACHE)
@timed("dedup")
def dedup_task(corpus: Corpus, workers: int = 1) -> Corpus:
    t0 = time.perf_counter()
    result = dedup_corpus(corpus.documents, corpus.paragraphs, workers=workers)
    _log_stage("dedup", t0, **result.stats)
    return Corpus(result.documents, result.paragraphs, corpus.quarantine, corpus.repairs, result.paragraph_duplicates)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(documents: pd.DataFrame, paragraphs: pd.DataFrame, workers: int) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    result = extract_corpus(documents, paragraphs, workers)
    _log_stage("extract", t0, documents=len(documents), **result.stats)
    return result.tables


@timed("extract")
def extract_stage(plan: IncrementalRun, corpus: Corpus, workers: int, batches: int) -> ExtractResult:
    """Extracts the documents whose key changed, in batches; the others keep the last run's rows."""
    reuse = plan.per_document("extract", document_keys(corpus.documents, corpus.paragraphs), corpus.doc_order)
    fresh = concat_tables(_run_batches(extract_task, corpus.batches(reuse.stale, _batch_count(batches)), workers),
                          EXTRACT_TABLES)
    return ExtractResult({name: reuse.merge(name, df) for name, df in fresh.items()})


@task(name="quality", cache_policy=NO_CACHE)
@timed("quality")
def quality_task(corpus: Corpus, extracted: ExtractResult) -> pd.DataFrame:
    t0 = time.perf_counter()
    flags = flag_implausible_values({"documents": corpus.documents, **extracted.tables})
    _log_stage("quality", t0, flagged=len(flags), **flag_counts(flags))
    return flags


@task(name="lexicon", cache_policy=NO_CACHE)
@timed("segment")  # counted with segmentation, as the benchmark's figures always have
def lexicon_task(corpus: Corpus, extracted: ExtractResult) -> pd.DataFrame:
    # one lexicon for the whole corpus, so every batch cuts with the same words
    return corpus_lexicon(corpus.paragraphs, extracted.tables["officials"])


@task(name="segment", cache_policy=NO_CACHE)
def segment_task(jobs: list[SegmentJob], workers: int, lexicon: pd.DataFrame, snapshot_dir: str) -> list[ChunkOutput]:
    """Segments chunks in worker processes, which write their sentences/tokens parts and term counts."""
    t0 = time.perf_counter()
    progress = SegmentProgress(jobs, get_run_logger().info)
    outputs = segment_chunks(jobs, lexicon, workers, snapshot_dir, progress)
    _log_stage("segment", t0, chunks=len(jobs), paragraphs=sum(len(j.texts) for j in jobs),
               sentences=sum(o.sentences for o in outputs), tokens=sum(o.tokens for o in outputs),
               mb_per_s=round(progress.total * 3 / 1e6 / progress.seconds(), 2))
    return outputs


@task(name="reuse-segments", cache_policy=NO_CACHE)
def reuse_segments_task(previous: str, snapshot_dir: str, doc_ids: list[str], first_part: int) -> ChunkOutput:
    """Copies the last run's sentences/tokens of unchanged documents into this run's snapshot."""
    t0 = time.perf_counter()
    output, copied = reuse_segments(previous, snapshot_dir, doc_ids, first_part)
    _log_stage("reuse", t0, documents=len(doc_ids), **copied)
    return output


@timed("segment")
def segment_stage(plan: IncrementalRun, corpus: Corpus, lexicon: pd.DataFrame, snapshot: Snapshot, workers: int,
                  batches: int) -> Segmented:
    """Segments the documents whose key (text and lexicon) changed, in chunks; copies the others' rows."""
    keys = document_keys(corpus.documents, corpus.paragraphs, salt=frame_hash(lexicon))
    reuse = plan.per_document("segment", keys, corpus.doc_order)
    jobs = plan_chunks(corpus.paragraphs, reuse.stale)
    groups = _run_batches(segment_task, job_groups(jobs, _batch_count(batches)), workers, lexicon, str(snapshot.path))
    chunks = [c for group in groups for c in group]
    release_segment_memory()
    if reuse.kept:
        chunks.append(reuse_segments_task(str(reuse.previous), str(snapshot.path), reuse.kept, len(jobs)))
    ensure_token_datasets(snapshot.path)
    get_run_logger().info(plan.reuse_summary(len(corpus.doc_order)))
    return Segmented(chunks, split_parts(jobs))


@task(name="terms", cache_policy=NO_CACHE)
@timed("terms")
def terms_task(snapshot: Snapshot, segmented: Segmented, doc_order: list[str], workers: int) -> Terms:
    """Writes term_stats from the chunks' term counts; returns its row count and the keywords."""
    t0 = time.perf_counter()
    terms = finish_terms(snapshot.path, segmented, doc_order, workers)
    _log_stage("terms", t0, term_stats=terms.term_stats_rows, keywords=len(terms.keywords))
    return terms


@task(name="write-parquet", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
@timed("write")
def write_parquet_task(snapshot: Snapshot, corpus: Corpus, extracted: ExtractResult, lexicon: pd.DataFrame,
                       flags: pd.DataFrame, segmented: Segmented, terms: Terms) -> Written:
    # retried: a write can fail on a busy network filesystem and succeed next time
    t0 = time.perf_counter()
    written = write_run_datasets(snapshot.path, corpus, extracted, lexicon, flags, segmented, terms)
    _log_stage("write", t0, datasets=len(written.wrote), rows=sum(written.counts[n] for n in written.wrote))
    return written


@task(name="warehouse", cache_policy=NO_CACHE)
@timed("warehouse")
def warehouse_task(parquet_root: str, db_path: str, include_flagged: bool = False) -> WarehouseResult:
    t0 = time.perf_counter()
    from prefect.artifacts import create_table_artifact

    # one Prefect record for the whole `dbt build` (dbt's dbtRunner): a task run per model and
    # test through prefect-dbt cost ~10 s of a ~20 s stage on the seeds (measured); each node's
    # outcome is logged and kept as this task's artifact instead. A failing data test raises
    # DataTestFailed here, naming each test with its failing rows. The build runs in a fresh
    # process: DuckDB's memory on top of the flow's corpus made the run's peak (20 MB corpus:
    # 1.73 GB in this process, measured).
    result = call_in_fresh_process(build_warehouse, parquet_root, db_path, include_flagged=include_flagged)
    nodes = result.nodes
    get_run_logger().info(
        "dbt build: %d models, %d data tests\n%s", sum(n.resource_type == "model" for n in nodes),
        sum(n.resource_type == "test" for n in nodes),
        "\n".join(f"{n.resource_type:5} {n.name:60} {n.status:7} {n.seconds:6.2f}s" for n in nodes))
    create_table_artifact(
        key="dbt-build",
        table=[{"node": n.resource_type, "name": n.name, "status": n.status, "seconds": n.seconds,
                "offending_rows": n.failures} for n in nodes],
        description="Every dbt model and data test of the warehouse build, in the order they finished.",
    )
    _log_stage("warehouse", t0, tables=len(result.tables), data_tests=len(result.tests),
               failed=sum(1 for t in result.tests if t.failures))
    return result


@task(name="report", cache_policy=NO_CACHE)
@timed("report")
def report_task(db_path: str, html_path: str) -> ReportResult:
    t0 = time.perf_counter()
    result = write_report(db_path, html_path)
    _log_stage("report", t0, charts=len(result.charts), font=result.font or "none")
    return result


@flow(name="govreports")
def govreports_pipeline(
    input_dir: str = "seeds",
    out_dir: str = "data",
    workers: int = 1,
    batches: int = 1,
    full_rebuild: bool = False,
    include_flagged: bool = False,
) -> dict:
    """Runs the whole pipeline on a folder of raw documents.

    Args:
        input_dir: Folder of raw input files (read recursively).
        out_dir: Output folder: gets parquet/<dataset>/part-*.parquet, warehouse.duckdb and report.html.
        workers: Processes for ingest, extraction and segmentation on this machine (the stages hold
            the GIL, so threads would not help); on a Dask cluster, processes per batch task.
        batches: Batches of documents for extraction and segmentation; on a Dask cluster, set it
            to about twice the number of Dask workers.
        full_rebuild: Recompute everything, ignoring what earlier runs left.
        include_flagged: Keep rows with a plausibility flag (dataset quality_flags) in the marts'
            series; by default they are published but left out of them.
    """
    with StageClock() as clock, OutputLock(out_dir):
        plan = plan_task(input_dir, out_dir, full_rebuild, include_flagged)
        if plan.nothing_to_do:
            return unchanged_summary(input_dir, plan.out_dir, clock)
        snapshot = Snapshot.create(out_dir)
        # each stage hands the corpus on: the previous stage's copy of the text is freed
        corpus = plan.ingest(partial(ingest_task, input_dir, workers=workers), snapshot.path)
        corpus = clean_task(corpus, workers)
        corpus = dedup_task(corpus, workers)
        extracted = extract_stage(plan, corpus, workers, batches)
        flags = quality_task(corpus, extracted)
        lexicon = lexicon_task(corpus, extracted)
        segmented = segment_stage(plan, corpus, lexicon, snapshot, workers, batches)
        terms = terms_task(snapshot, segmented, corpus.doc_order, workers)
        written = write_parquet_task(snapshot, corpus, extracted, lexicon, flags, segmented, terms)
        warehouse = warehouse_task(str(snapshot.path), str(plan.out_dir / "warehouse.duckdb"), include_flagged)
        snapshot.publish()
        report = report_task(str(warehouse.path), str(plan.out_dir / "report.html"))
        plan.save()
    return _publish_summary(run_summary(input_dir, plan.out_dir, written.counts, written.tally, len(plan.files.changed),
                                        warehouse.path, warehouse.flagged, report.path, clock))


def _publish_summary(summary: dict) -> dict:
    """Logs the run's last line and keeps the summary as the run's Prefect artifact."""
    create_markdown_artifact(markdown=summary_markdown(summary), key="govreports-run", description="govreports run summary")
    get_run_logger().info(
        "run done in %.1fs: %d documents (%d duplicate), %d paragraphs (%d duplicate), %d quarantined",
        summary["seconds"], summary["documents"], summary["duplicate_documents"], summary["paragraphs"],
        summary["duplicate_paragraphs"], summary["quarantined"],
    )
    return summary


def _on_dask() -> bool:
    return not isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)


def _run_batches(task_fn, batches: list[tuple], workers: int, *common) -> list:
    """Runs a batched task: in this thread locally, concurrently on a Dask cluster.

    Locally, tasks run in threads and the stages hold the GIL, so the flow
    makes one batch (see _batch_count) and the task spreads it over
    ``workers`` processes (tasks/parallel.py). On Dask each batch is a task of
    its own, placed on any worker.
    """
    if not _on_dask():
        return [task_fn(*b, workers, *common) for b in batches]
    futures = [task_fn.submit(*b, workers, *common) for b in batches]
    return [f.result() for f in futures]


def _batch_count(batches: int) -> int:
    """Batches to cut: the asked number on Dask, one locally (its task uses worker processes)."""
    return batches if _on_dask() else 1
