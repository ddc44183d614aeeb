"""The govreports flow: raw files -> Parquet datasets -> DuckDB warehouse.

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

import time
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from tasks.clean import CleanResult, clean_paragraphs
from tasks.dedup import DedupResult, dedup_corpus
from tasks.extract import TABLES as EXTRACT_TABLES
from tasks.extract import concat_tables, extract_batch, split_batches
from tasks.ingest import IngestConfig, IngestResult, ingest_folder
from tasks.parquet import write_dataset
from tasks.runstate import OutputLock, Snapshot
from tasks.segment import SegmentConfig, build_lexicon, dictionary_words, segment_paragraphs
from tasks.terms import keywords, term_stats
from tasks.warehouse import WarehouseResult, build_warehouse

JIEBA_CACHE = Path(".cache/jieba")


def _log_stage(stage: str, started: float, **counts) -> None:
    detail = ", ".join(f"{k}={v}" for k, v in counts.items())
    get_run_logger().info("stage %-10s %7.2fs  %s", stage, time.perf_counter() - started, detail)


@task(name="ingest")
def ingest_task(input_dir: str) -> IngestResult:
    t0 = time.perf_counter()
    result = ingest_folder(Path(input_dir), IngestConfig())
    _log_stage("ingest", t0, **result.stats)
    for row in result.quarantine.itertuples():
        get_run_logger().warning("quarantined %s: %s (%s)", row.source_file, row.reason, row.detail)
    return result


@task(name="clean")
def clean_task(paragraphs: pd.DataFrame) -> CleanResult:
    t0 = time.perf_counter()
    result = clean_paragraphs(paragraphs)
    _log_stage("clean", t0, **result.stats)
    return result


@task(name="dedup")
def dedup_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> DedupResult:
    t0 = time.perf_counter()
    result = dedup_corpus(documents, paragraphs)
    _log_stage("dedup", t0, **result.stats)
    return result


@task(name="extract")
def extract_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    result = extract_batch(documents, paragraphs)
    _log_stage("extract", t0, documents=len(documents), **result.stats)
    return result.tables


@task(name="lexicon")
def lexicon_task(paragraphs: pd.DataFrame, officials: pd.DataFrame) -> pd.DataFrame:
    # one lexicon for the whole corpus, so every batch cuts with the same words
    kept = paragraphs[~paragraphs["is_duplicate"].astype(bool)]
    names = tuple(sorted({(n, "nr") for n in officials["name"].dropna()}))
    cfg = SegmentConfig(cache_dir=JIEBA_CACHE, extra_words=names)
    return build_lexicon(kept["text"].tolist(), cfg, known=dictionary_words(cfg.cache_dir).keys())


@task(name="segment")
def segment_task(paragraphs: pd.DataFrame, lexicon: pd.DataFrame, workers: int) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    result = segment_paragraphs(paragraphs, SegmentConfig(workers=workers, cache_dir=JIEBA_CACHE), lexicon=lexicon)
    chars = result.stats.get("chars_segmented", 0)
    seconds = max(time.perf_counter() - t0, 1e-9)
    _log_stage("segment", t0, paragraphs=result.stats["paragraphs_segmented"], sentences=len(result.sentences),
               tokens=len(result.tokens), mb_per_s=round(chars * 3 / 1e6 / seconds, 2))
    return {"sentences": result.sentences, "tokens": result.tokens}


@task(name="terms")
def terms_task(tokens: pd.DataFrame) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    stats = term_stats(tokens)
    keys = keywords(tokens, stats)
    _log_stage("terms", t0, term_stats=len(stats), keywords=len(keys))
    return {"term_stats": stats, "keywords": keys}


@task(name="write-parquet", retries=2, retry_delay_seconds=[1, 5])
def write_parquet_task(datasets: dict[str, pd.DataFrame], snapshot_dir: str) -> dict[str, int]:
    # retried: a write can fail on a busy network filesystem and succeed next time
    t0 = time.perf_counter()
    for name, df in datasets.items():
        write_dataset(df, name, snapshot_dir)
    counts = {name: len(df) for name, df in datasets.items()}
    _log_stage("write", t0, datasets=len(counts), rows=sum(counts.values()))
    return counts


@task(name="warehouse")
def warehouse_task(parquet_root: str, db_path: str, datasets: list[str]) -> WarehouseResult:
    t0 = time.perf_counter()
    result = build_warehouse(parquet_root, db_path, datasets=set(datasets))
    _log_stage("warehouse", t0, tables=len(result.tables), data_tests=len(result.tests),
               failed=sum(1 for t in result.tests if t.failures))
    return result


def summary_markdown(summary: dict) -> str:
    """Renders the run summary as the markdown of the run's Prefect artifact."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in summary["counts"].items())
    return (
        f"# govreports run\n\ninput `{summary['input_dir']}` → parquet `{summary['parquet_root']}`, "
        f"warehouse `{summary['warehouse']}`\n\n| dataset | rows |\n|---|---|\n{rows}\n\n"
        f"documents {summary['documents']} ({summary['duplicate_documents']} duplicate), "
        f"paragraphs {summary['paragraphs']} ({summary['duplicate_paragraphs']} duplicate), "
        f"quarantined files {summary['quarantined']}; took {summary['seconds']:.1f} s\n"
    )


@flow(name="govreports")
def govreports_pipeline(
    input_dir: str = "seeds",
    out_dir: str = "data",
    workers: int = 1,
    batches: int = 1,
    full_rebuild: bool = False,
) -> dict:
    """Runs the whole pipeline on a folder of raw documents.

    Args:
        input_dir: Folder of raw input files (read recursively).
        out_dir: Output folder: gets parquet/<dataset>/data.parquet and warehouse.duckdb.
        workers: Processes per segmentation task (jieba holds the GIL).
        batches: Batches of documents for extraction and segmentation; on a Dask
            cluster, set it to about twice the number of Dask workers.
        full_rebuild: Recompute everything, ignoring what earlier runs left.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    with OutputLock(out):
        ingested = ingest_task(input_dir)
        cleaned = clean_task(ingested.paragraphs)
        dedup = dedup_task(ingested.documents, cleaned.paragraphs)
        documents, paragraphs = dedup.documents, dedup.paragraphs

        parts = split_batches(documents, paragraphs, batches)
        extracted = concat_tables([extract_task.submit(d, p).result() for d, p in parts], EXTRACT_TABLES)
        lexicon = lexicon_task(paragraphs, extracted["officials"])
        futures = [segment_task.submit(p, lexicon, workers) for _, p in parts]
        segmented = concat_tables([f.result() for f in futures], ("sentences", "tokens"))
        terms = terms_task(segmented["tokens"])

        datasets = {
            "documents": documents,
            "paragraphs": paragraphs,
            "quarantine": ingested.quarantine,
            "paragraph_repairs": cleaned.repairs,
            "paragraph_duplicates": dedup.paragraph_duplicates,
            **extracted,
            "segment_lexicon": lexicon,
            **segmented,
            **terms,
        }
        snapshot = Snapshot.create(out)
        counts = write_parquet_task(datasets, str(snapshot.path))
        warehouse = warehouse_task(str(snapshot.path), str(out / "warehouse.duckdb"), list(datasets))
        snapshot.publish()
    summary = dict(
        input_dir=str(input_dir),
        parquet_root=str(out / "parquet"),
        warehouse=str(warehouse.path),
        counts=counts,
        documents=len(documents),
        duplicate_documents=int(documents["is_duplicate"].sum()),
        paragraphs=len(paragraphs),
        duplicate_paragraphs=int(paragraphs["is_duplicate"].sum()),
        quarantined=len(ingested.quarantine),
        seconds=time.perf_counter() - t0,
    )
    create_markdown_artifact(markdown=summary_markdown(summary), key="govreports-run", description="govreports run summary")
    get_run_logger().info(
        "run done in %.1fs: %d documents (%d duplicate), %d paragraphs (%d duplicate), %d quarantined",
        summary["seconds"], summary["documents"], summary["duplicate_documents"], summary["paragraphs"],
        summary["duplicate_paragraphs"], summary["quarantined"],
    )
    return summary
