"""The govreports flow: raw files -> Parquet datasets -> DuckDB warehouse.

Thin by design: each task wraps one stage's plain entry point from tasks/,
works on the whole batch of documents (a task run costs ~10 ms of Prefect
overhead, so never one per paragraph), and logs one line with counts and
seconds. Stages run in order: ingest, clean, dedup, segment, extract, write,
warehouse (with data tests); a failing data test fails the run.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from tasks.indicators import IndicatorResult, extract_indicators
from tasks.ingest import IngestConfig, IngestResult, ingest_folder
from tasks.mentions import MentionsResult, extract_mentions
from tasks.plan_tables import PlanTablesResult, rebuild_plan_tables
from tasks.parquet import write_dataset
from tasks.schemas import column_names
from tasks.warehouse import WarehouseResult, build_warehouse


def _log_stage(stage: str, started: float, **counts: int) -> None:
    detail = ", ".join(f"{k}={v}" for k, v in counts.items())
    get_run_logger().info("stage %-9s %6.2fs  %s", stage, time.perf_counter() - started, detail)


@task(name="ingest")
def ingest_task(input_dir: str) -> IngestResult:
    t0 = time.perf_counter()
    result = ingest_folder(Path(input_dir), IngestConfig())
    _log_stage("ingest", t0, **result.stats)
    for row in result.quarantine.itertuples():
        get_run_logger().warning("quarantined %s: %s (%s)", row.source_file, row.reason, row.detail)
    return result


@task(name="finalise-paragraphs")
def finalise_paragraphs_task(paragraphs: pd.DataFrame) -> pd.DataFrame:
    out = paragraphs.copy()
    out["n_chars"] = out["text"].str.len().astype("int32")
    out["is_duplicate"] = False
    return out[column_names("paragraphs")]


@task(name="extract-plan-tables")
def plan_tables_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> PlanTablesResult:
    t0 = time.perf_counter()
    result = rebuild_plan_tables(documents, paragraphs)
    _log_stage("plan", t0, **result.stats)
    return result


@task(name="extract-indicators")
def indicators_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> IndicatorResult:
    t0 = time.perf_counter()
    result = extract_indicators(documents, paragraphs)
    _log_stage("indicators", t0, **result.stats)
    return result


@task(name="extract-mentions")
def mentions_task(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> MentionsResult:
    t0 = time.perf_counter()
    result = extract_mentions(documents, paragraphs)
    _log_stage("mentions", t0, **result.stats)
    return result


@task(name="write-parquet", retries=2, retry_delay_seconds=[1, 5])
def write_parquet_task(datasets: dict[str, pd.DataFrame], parquet_root: str) -> dict[str, int]:
    # retried: a write can fail on a busy network filesystem and succeed next time
    t0 = time.perf_counter()
    for name, df in datasets.items():
        write_dataset(df, name, parquet_root)
    counts = {name: len(df) for name, df in datasets.items()}
    _log_stage("write", t0, **counts)
    return counts


@task(name="warehouse")
def warehouse_task(parquet_root: str, db_path: str, datasets: list[str]) -> WarehouseResult:
    t0 = time.perf_counter()
    result = build_warehouse(parquet_root, db_path, datasets=set(datasets))
    _log_stage("warehouse", t0, tables=len(result.tables), data_tests=len(result.tests))
    return result


def summary_markdown(summary: dict) -> str:
    """Renders the run summary as the markdown of the run's Prefect artifact."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in summary["counts"].items())
    return (
        f"# govreports run\n\ninput `{summary['input_dir']}` → parquet `{summary['parquet_root']}`, "
        f"warehouse `{summary['warehouse']}`\n\n| dataset | rows |\n|---|---|\n{rows}\n\n"
        f"quarantined files: {summary['quarantined']}; took {summary['seconds']:.1f} s\n"
    )


@flow(name="govreports")
def govreports_pipeline(input_dir: str = "seeds", out_dir: str = "data", workers: int = 1) -> dict:
    """Runs the whole pipeline on a folder of raw documents.

    Args:
        input_dir: Folder of raw input files (read recursively).
        out_dir: Output folder: gets parquet/<dataset>/ and warehouse.duckdb.
        workers: Processes for the CPU-heavy stages (segmentation).
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    parquet_root = out / "parquet"
    db_path = out / "warehouse.duckdb"
    ingested = ingest_task(input_dir)
    documents = ingested.documents
    paragraphs = finalise_paragraphs_task(ingested.paragraphs)
    plan = plan_tables_task(documents, paragraphs)
    mentions = mentions_task(documents, paragraphs)
    indicators = indicators_task(documents, paragraphs)
    datasets = {
        "documents": documents,
        "paragraphs": paragraphs,
        "quarantine": ingested.quarantine,
        "indicators": indicators.indicators,
        "plan_indicators": plan.plan_indicators,
        "policy_phrases": mentions.policy_phrases,
        "officials": mentions.officials,
        "places": mentions.places,
    }
    counts = write_parquet_task(datasets, str(parquet_root))
    warehouse = warehouse_task(str(parquet_root), str(db_path), list(datasets))
    summary = dict(
        input_dir=str(input_dir),
        parquet_root=str(parquet_root),
        warehouse=str(warehouse.path),
        counts=counts,
        documents=len(ingested.documents),
        paragraphs=len(paragraphs),
        quarantined=len(ingested.quarantine),
        seconds=time.perf_counter() - t0,
    )
    create_markdown_artifact(markdown=summary_markdown(summary), key="govreports-run", description="govreports run summary")
    return summary
