"""The govreports flow: raw files -> Parquet datasets -> DuckDB warehouse.

Tasks take whole DataFrames, so none caches on its inputs (Prefect's default
would hash every argument: a pickled copy of the corpus per call); the
manifest of tasks/runstate.py is what skips unchanged work.

Thin by design: each task wraps a stage's plain entry point from tasks/ and
logs one line with counts and seconds. Stages run in order:

    ingest -> clean -> dedup -> extract (batches) -> segment (batches) -> terms
    -> write snapshot -> warehouse + data tests -> publish

Corpus-wide steps (dedup, the segmentation lexicon, IDF) run once; per-document
work is cut into batches of documents so that, on a Dask cluster
(prefect-dask's DaskTaskRunner), batches run on different workers. A task run
costs ~10 ms of Prefect overhead, so never one per paragraph. The output folder
is locked for the run, and every dataset is published at once (see
tasks/runstate.py), so a killed run leaves the previous outputs intact.
"""

from __future__ import annotations

import gc
import os
import resource
import shutil
import time
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.artifacts import create_markdown_artifact
from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

from tasks.clean import CleanResult, clean_paragraphs
from tasks.dedup import DedupResult, dedup_corpus
from tasks.extract import TABLES as EXTRACT_TABLES
from tasks.extract import concat_tables, extract_corpus, split_batches
from tasks.incremental import (
    RunPlan,
    copy_doc_rows,
    document_keys,
    frame_hash,
    plan_run,
    read_previous,
    reuse_rows,
    scan_inputs,
    stale_documents,
    write_raw_cache,
)
from tasks.ingest import IngestConfig, IngestResult, ingest_folder
from tasks.parallel import release_free_memory
from tasks.quality import flag_counts, flag_implausible_values
from tasks.parquet import concat_frames, count_rows, dataset_files, read_dataset, write_dataset, write_part
from tasks.runstate import Manifest, OutputLock, Snapshot, code_version, published_snapshot
from tasks.report import ReportResult, write_report
from tasks.segment import (
    SegmentConfig,
    SegmentJob,
    build_lexicon,
    dictionary_words,
    plan_segment_jobs,
    release_segmenters,
    segment_jobs,
    split_parts,
)
from tasks.terms import (
    chunk_terms,
    copy_doc_terms,
    finish_split_documents,
    merge_keywords,
    write_doc_terms,
    write_term_stats,
)
from tasks.schemas import SCHEMAS, column_names
from tasks.warehouse import WAREHOUSE_PROJECT, WarehouseResult, build_warehouse, flagged_rows, target_dir

# per-chunk term counts, private to a run: term_stats is finished from them, then they go
DOC_TERMS_WORK = "_work/doc_terms"
# characters per segmentation chunk (~2 MB of UTF-8, a few seconds of work):
# bounds a worker's memory and keeps both workers busy until the end
SEGMENT_CHUNK_CHARS = 600_000


class StageClock:
    """Wall seconds per stage of one run, for the summary and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()
        self._stage: str | None = None

    def lap(self, stage: str) -> None:
        """Ends the running stage and starts the next one."""
        now = time.perf_counter()
        if self._stage is not None:
            self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + now - self._start, 3)
        self._stage, self._start = stage, now


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


@task(name="scan", cache_policy=NO_CACHE)
def scan_task(input_dir: str) -> dict[str, str]:
    t0 = time.perf_counter()
    scan = scan_inputs(input_dir)
    _log_stage("scan", t0, files=len(scan))
    return scan


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_task(input_dir: str, only: list[str] | None = None, workers: int = 1) -> IngestResult:
    t0 = time.perf_counter()
    result = ingest_folder(Path(input_dir), IngestConfig(), only=None if only is None else set(only), workers=workers)
    _log_stage("ingest", t0, **result.stats)
    for row in result.quarantine.itertuples():
        get_run_logger().warning("quarantined %s: %s (%s)", row.source_file, row.reason, row.detail)
    return result


@task(name="clean", cache_policy=NO_CACHE)
def clean_task(paragraphs: pd.DataFrame) -> CleanResult:
    t0 = time.perf_counter()
    result = clean_paragraphs(paragraphs)
    _log_stage("clean", t0, **result.stats)
    return result


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> DedupResult:
    t0 = time.perf_counter()
    result = dedup_corpus(documents, paragraphs)
    _log_stage("dedup", t0, **result.stats)
    return result


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(documents: pd.DataFrame, paragraphs: pd.DataFrame, workers: int) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    result = extract_corpus(documents, paragraphs, workers)
    _log_stage("extract", t0, documents=len(documents), **result.stats)
    return result.tables


@task(name="quality", cache_policy=NO_CACHE)
def quality_task(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    t0 = time.perf_counter()
    flags = flag_implausible_values(datasets)
    _log_stage("quality", t0, flagged=len(flags), **flag_counts(flags))
    return flags


@task(name="lexicon", cache_policy=NO_CACHE)
def lexicon_task(paragraphs: pd.DataFrame, officials: pd.DataFrame) -> pd.DataFrame:
    # one lexicon for the whole corpus, so every batch cuts with the same words
    kept = paragraphs[~paragraphs["is_duplicate"].astype(bool)]
    names = tuple(sorted({(n, "nr") for n in officials["name"].dropna()}))
    cfg = SegmentConfig(extra_words=names)
    return build_lexicon(kept["text"].tolist(), cfg, known=dictionary_words().keys())


def write_segment_part(part: int, sentences: pd.DataFrame, tokens: pd.DataFrame, split_docs: tuple[str, ...],
                       snapshot_dir: str) -> dict:
    """Consumes one segmented chunk where it was cut: writes its Parquet parts and term counts, returns its keywords."""
    # the per-token tables and the (document, term) counts go to disk from the
    # worker, so they never travel or sit whole in the flow's memory
    write_part(sentences, "sentences", snapshot_dir, part)
    write_part(tokens, "tokens", snapshot_dir, part)
    # documents cut across chunks are counted and ranked whole in the terms stage
    counts, textrank = chunk_terms(tokens[~tokens["doc_id"].isin(split_docs)] if split_docs else tokens)
    write_doc_terms(counts, Path(snapshot_dir) / DOC_TERMS_WORK, part)
    return {"textrank": textrank, "sentences": len(sentences), "tokens": len(tokens),
            "docs": set(tokens["doc_id"].unique().tolist())}


@task(name="segment", cache_policy=NO_CACHE)
def segment_task(jobs: list[SegmentJob], workers: int, lexicon: pd.DataFrame, snapshot_dir: str) -> list[dict]:
    """Segments chunks in worker processes, which write their sentences/tokens parts and term counts; returns
    each chunk's TextRank keywords, row counts and documents."""
    t0 = time.perf_counter()
    total = sum(len(t) for j in jobs for t in j.texts)
    done = {"chars": 0, "next": 0.1}
    logger = get_run_logger()

    def progress(i: int, out: dict) -> None:
        done["chars"] += sum(len(t) for t in jobs[i].texts)
        if done["chars"] >= done["next"] * total or i == len(jobs) - 1:
            seconds = max(time.perf_counter() - t0, 1e-9)
            logger.info("segment %3.0f%%  chunk %d/%d  %.1f MB/s", 100 * done["chars"] / max(total, 1), i + 1, len(jobs),
                        done["chars"] * 3 / 1e6 / seconds)
            done["next"] += 0.1

    cfg = SegmentConfig(workers=workers)
    outputs = segment_jobs(jobs, lexicon, cfg, partial(write_segment_part, snapshot_dir=snapshot_dir), on_result=progress)
    _log_stage("segment", t0, chunks=len(jobs), paragraphs=sum(len(j.texts) for j in jobs),
               sentences=sum(o["sentences"] for o in outputs), tokens=sum(o["tokens"] for o in outputs),
               mb_per_s=round(total * 3 / 1e6 / max(time.perf_counter() - t0, 1e-9), 2))
    return outputs


@task(name="reuse-segments", cache_policy=NO_CACHE)
def reuse_segments_task(previous: str, snapshot_dir: str, doc_ids: list[str], first_part: int) -> dict:
    """Copies the last run's sentences/tokens of unchanged documents into this run's snapshot."""
    t0 = time.perf_counter()
    keep = set(doc_ids)
    n, docs = copy_doc_rows(previous, snapshot_dir, ("sentences", "tokens"), keep, first_part)
    n["term_counts"] = copy_doc_terms(previous, Path(snapshot_dir) / DOC_TERMS_WORK, keep, first_part)
    old_keys = read_dataset("keywords", previous, keep)
    _log_stage("reuse", t0, documents=len(doc_ids), **n)
    return {"textrank": old_keys[old_keys["method"] == "textrank"].reset_index(drop=True), "docs": docs["tokens"], **n}


@task(name="terms", cache_policy=NO_CACHE)
def terms_task(snapshot_dir: str, textrank: pd.DataFrame, n_docs: int, doc_order: list[str], workers: int,
               split_parts: dict[str, list[int]] | None = None) -> tuple[int, pd.DataFrame]:
    """Writes term_stats from the chunks' term counts; returns its row count and the keywords.

    ``split_parts`` names the documents segmentation cut across chunks, with their chunks.
    """
    t0 = time.perf_counter()
    work = Path(snapshot_dir) / DOC_TERMS_WORK
    if split_parts:
        split = finish_split_documents(snapshot_dir, work, split_parts, workers=workers)
        textrank = concat_frames([textrank, split], column_names("keywords"))
    rows, tfidf = write_term_stats(work, snapshot_dir, n_docs, doc_order, workers=workers)
    shutil.rmtree(work.parent, ignore_errors=True)
    keys = merge_keywords(tfidf, textrank, doc_order)
    _log_stage("terms", t0, term_stats=rows, keywords=len(keys))
    return rows, keys


@task(name="write-parquet", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def write_parquet_task(datasets: dict[str, pd.DataFrame], snapshot_dir: str) -> dict[str, int]:
    # retried: a write can fail on a busy network filesystem and succeed next time
    t0 = time.perf_counter()
    for name, df in datasets.items():
        write_dataset(df, name, snapshot_dir)
    counts = {name: len(df) for name, df in datasets.items()}
    _log_stage("write", t0, datasets=len(counts), rows=sum(counts.values()))
    return counts


@task(name="warehouse", cache_policy=NO_CACHE)
def warehouse_task(parquet_root: str, db_path: str, include_flagged: bool = False) -> WarehouseResult:
    t0 = time.perf_counter()
    # prefect-dbt runs `dbt build` in this process and shows each model and data test as a task
    # run of its own; failures are raised by build_warehouse (DataTestFailed names each failed
    # test with its failing rows), not by the runner, whose message has no rows
    target = target_dir(db_path)
    runner = PrefectDbtRunner(
        settings=PrefectDbtSettings(project_dir=WAREHOUSE_PROJECT, profiles_dir=WAREHOUSE_PROJECT, target_path=target),
        raise_on_failure=False,
        # Prefect assets for every model cost ~2 s of the stage on the seeds (measured); the
        # lineage is in dbt's docs site (govreports docs)
        disable_assets=True,
    )
    result = build_warehouse(parquet_root, db_path, include_flagged=include_flagged, invoke=runner.invoke)
    _log_stage("warehouse", t0, tables=len(result.tables), data_tests=len(result.tests),
               failed=sum(1 for t in result.tests if t.failures))
    return result


@task(name="report", cache_policy=NO_CACHE)
def report_task(db_path: str, html_path: str) -> ReportResult:
    t0 = time.perf_counter()
    result = write_report(db_path, html_path)
    _log_stage("report", t0, charts=len(result.charts), font=result.font or "none")
    return result


def summary_markdown(summary: dict) -> str:
    """Renders the run summary as the markdown of the run's Prefect artifact."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in summary["counts"].items())
    return (
        f"# govreports run\n\ninput `{summary['input_dir']}` → parquet `{summary['parquet_root']}`, "
        f"warehouse `{summary['warehouse']}`\n\n| dataset | rows |\n|---|---|\n{rows}\n\n"
        f"documents {summary['documents']} ({summary['duplicate_documents']} duplicate), "
        f"paragraphs {summary['paragraphs']} ({summary['duplicate_paragraphs']} duplicate), "
        f"quarantined files {summary['quarantined']}; took {summary['seconds']:.1f} s\n\n"
        f"{quality_markdown(summary.get('quality_flags', {}))}"
        f"[HTML report]({Path(summary['report']).resolve().as_uri()}) · `{summary['report']}`\n"
    )


def quality_markdown(flagged: dict[str, int]) -> str:
    """Says how many rows were flagged as implausible, by dataset and rule (published, left out of the marts)."""
    if not flagged:
        return "no row flagged as implausible\n\n"
    rows = "\n".join(f"| {k} | {v} |" for k, v in flagged.items())
    return ("rows flagged as implausible (published, left out of the marts' series; see dataset `quality_flags`):"
            f"\n\n| dataset.flag | rows |\n|---|---|\n{rows}\n\n")


def _previous_flags(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return flagged_rows(con)
    finally:
        con.close()


def _previous_counts(out: Path) -> dict[str, int]:
    root = out / "parquet"
    return {p.name: count_rows(p.name, root) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("_")}


def _merge_ingest(fresh: IngestResult, previous: dict[str, pd.DataFrame] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """This run's ingest output plus the reused one, in corpus order (source_file, ordinal)."""
    docs, raw, quarantine = fresh.documents, fresh.paragraphs, fresh.quarantine
    if previous is not None:
        docs = pd.concat([p for p in (previous["documents"], docs) if len(p)] or [docs], ignore_index=True)
        raw = pd.concat([p for p in (previous["raw_paragraphs"], raw) if len(p)] or [raw], ignore_index=True)
        quarantine = pd.concat([p for p in (previous["quarantine"], quarantine) if len(p)] or [quarantine], ignore_index=True)
    docs = docs.sort_values(["source_file", "source_ordinal"], kind="stable").reset_index(drop=True)
    order = {d: i for i, d in enumerate(docs["doc_id"])}
    raw = raw.assign(_o=raw["doc_id"].map(order)).sort_values(["_o", "para_id"], kind="stable").drop(columns="_o").reset_index(drop=True)
    quarantine = quarantine.sort_values("source_file", kind="stable").reset_index(drop=True)
    return docs, raw, quarantine


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
        workers: Processes for ingest, extraction and segmentation on this
            machine (the stages hold the GIL, so threads would not help); on
            a Dask cluster, processes per batch task.
        batches: Batches of documents for extraction and segmentation; on a Dask
            cluster, set it to about twice the number of Dask workers.
        full_rebuild: Recompute everything, ignoring what earlier runs left.
        include_flagged: Keep rows with a plausibility flag (dataset quality_flags)
            in the marts' series; by default they are published but left out of them.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    logger = get_run_logger()
    with OutputLock(out):
        # the marts depend on include_flagged: a run with the other setting is not a no-change run
        version = code_version() + ("+flagged" if include_flagged else "")
        manifest = Manifest.load(out)
        previous = published_snapshot(out)
        reusable = previous is not None and not full_rebuild and manifest.code_version == version
        clock = StageClock()
        clock.lap("scan")
        scan = scan_task(input_dir)
        plan: RunPlan = plan_run(scan, manifest.files if reusable else None)
        if reusable and plan.nothing_changed and (out / "warehouse.duckdb").exists():
            logger.info("no input file changed since the last run and the code is the same: nothing to do")
            counts = _previous_counts(out)
            return dict(
                input_dir=str(input_dir), parquet_root=str(out / "parquet"), warehouse=str(out / "warehouse.duckdb"),
                counts=counts, documents=counts.get("documents", 0), paragraphs=counts.get("paragraphs", 0),
                quarantined=counts.get("quarantine", 0), changed_files=0, report=str(out / "report.html"),
                quality_flags=_previous_flags(out / "warehouse.duckdb"),
                seconds=time.perf_counter() - t0,
            )
        reused = read_previous(previous, plan.unchanged) if reusable else None
        if reused is None:
            plan = plan_run(scan, None)
        logger.info(
            "inputs: %d files, %d new or changed, %d unchanged (reused), %d removed",
            len(scan), len(plan.changed), len(plan.unchanged) if reused is not None else 0, len(plan.removed),
        )
        clock.lap("ingest")
        ingested = ingest_task(input_dir, sorted(plan.changed), workers)
        documents, raw_paragraphs, quarantine = _merge_ingest(ingested, reused)
        if documents["doc_id"].duplicated().any():
            # a new file repeats the text of an unchanged one: ids depend on both, so read all again
            ingested = ingest_task(input_dir, None, workers)
            documents, raw_paragraphs, quarantine = _merge_ingest(ingested, None)
            reused = None
        clock.lap("clean")
        cleaned = clean_task(raw_paragraphs)
        repairs = cleaned.repairs
        clock.lap("dedup")
        dedup = dedup_task(documents, cleaned.paragraphs)
        documents, paragraphs, duplicates = dedup.documents, dedup.paragraphs, dedup.paragraph_duplicates
        # drop the intermediate copies of the corpus text before the memory-hungry stages
        snapshot = Snapshot.create(out)
        write_raw_cache(snapshot.path, raw_paragraphs)
        prior = previous if reused is not None else None
        del cleaned, dedup, raw_paragraphs, ingested, reused
        doc_order = documents["doc_id"].tolist()

        clock.lap("extract")
        extract_keys = document_keys(documents, paragraphs)
        fresh_docs = stale_documents(doc_order, extract_keys, manifest.doc_keys.get("extract") if prior else None)
        extracted = concat_tables(
            _run_batches(extract_task, _batches_of(documents, paragraphs, fresh_docs, _batch_count(batches)), workers), EXTRACT_TABLES
        )
        extracted = {
            name: reuse_rows(df, prior, name, set(doc_order) - set(fresh_docs), doc_order) for name, df in extracted.items()
        }

        clock.lap("quality")
        quality_flags = quality_task({"documents": documents, **extracted})

        clock.lap("segment")
        lexicon = lexicon_task(paragraphs, extracted["officials"])
        segment_keys = document_keys(documents, paragraphs, salt=frame_hash(lexicon))
        seg_docs = stale_documents(doc_order, segment_keys, manifest.doc_keys.get("segment") if prior else None)
        wanted = set(seg_docs)
        jobs, _ = plan_segment_jobs(paragraphs[paragraphs["doc_id"].isin(wanted)], SegmentConfig(),
                                    SEGMENT_CHUNK_CHARS)
        outputs = [o for group in _run_batches(segment_task, _groups(jobs, _batch_count(batches)), workers, lexicon, str(snapshot.path))
                   for o in group]
        # locally the tokenizer was loaded here (forked workers share it): it would sit under every later
        # stage. (Dask workers keep theirs for their next batch.)
        release_segmenters()
        gc.collect()
        release_free_memory()
        if prior is not None and len(wanted) < len(doc_order):
            outputs.append(reuse_segments_task(str(prior), str(snapshot.path), [d for d in doc_order if d not in wanted], len(jobs)))
        for name in ("sentences", "tokens"):
            if not dataset_files(name, snapshot.path):
                write_dataset(SCHEMAS[name].empty_table().to_pandas(), name, snapshot.path)
        logger.info(
            "reused rows of %d/%d documents for extraction, %d/%d for segmentation",
            len(doc_order) - len(fresh_docs), len(doc_order), len(doc_order) - len(seg_docs), len(doc_order),
        )
        clock.lap("terms")
        term_stats_rows, keywords = terms_task(
            str(snapshot.path),
            concat_frames([o["textrank"] for o in outputs], column_names("keywords")),
            len(set().union(*(o["docs"] for o in outputs))),  # IDF's N: documents with any token
            doc_order,
            workers,
            split_parts(jobs),
        )

        datasets = {
            "documents": documents,
            "paragraphs": paragraphs,
            "quarantine": quarantine,
            "paragraph_repairs": repairs,
            "paragraph_duplicates": duplicates,
            **extracted,
            "segment_lexicon": lexicon,
            "keywords": keywords,
            "quality_flags": quality_flags,
        }
        clock.lap("write")
        counts = write_parquet_task(datasets, str(snapshot.path))
        counts["sentences"] = sum(o["sentences"] for o in outputs)
        counts["tokens"] = sum(o["tokens"] for o in outputs)
        counts["term_stats"] = term_stats_rows
        tally = dict(
            documents=len(documents), duplicate_documents=int(documents["is_duplicate"].sum()),
            paragraphs=len(paragraphs), duplicate_paragraphs=int(paragraphs["is_duplicate"].sum()), quarantined=len(quarantine),
        )
        # everything is on disk now: free the corpus before DuckDB takes its share of memory
        del datasets, keywords, outputs, extracted, documents, paragraphs, quarantine, repairs, duplicates, lexicon, quality_flags
        clock.lap("warehouse")
        warehouse = warehouse_task(str(snapshot.path), str(out / "warehouse.duckdb"), include_flagged)
        snapshot.publish()
        clock.lap("report")
        report = report_task(str(warehouse.path), str(out / "report.html"))
        clock.lap("done")
        Manifest(code_version=version, files=scan, doc_keys={"extract": extract_keys, "segment": segment_keys}).save(out)
    summary = dict(
        input_dir=str(input_dir),
        parquet_root=str(out / "parquet"),
        warehouse=str(warehouse.path),
        counts=counts,
        **tally,
        changed_files=len(plan.changed),
        quality_flags=warehouse.flagged,  # the quality_flags table and the marts' quality_flag columns
        report=str(report.path),
        input_bytes=int(sum(p.stat().st_size for p in Path(input_dir).rglob("*") if p.is_file())),
        stage_seconds=clock.seconds,
        seconds=time.perf_counter() - t0,
    )
    create_markdown_artifact(markdown=summary_markdown(summary), key="govreports-run", description="govreports run summary")
    logger.info(
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


def _groups(jobs: list, n: int) -> list[tuple[list]]:
    """Up to n contiguous groups of jobs, as 1-tuples of lists (batches of the segment task)."""
    n = max(1, min(n, len(jobs)))
    size = -(-len(jobs) // n) if jobs else 1
    return [(jobs[i : i + size],) for i in range(0, len(jobs), size)]


def _batches_of(documents: pd.DataFrame, paragraphs: pd.DataFrame, doc_ids: list[str], n: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """The given documents and their paragraphs, cut into up to n batches of similar size."""
    wanted = set(doc_ids)
    return split_batches(documents[documents["doc_id"].isin(wanted)], paragraphs[paragraphs["doc_id"].isin(wanted)], n)
