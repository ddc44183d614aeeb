"""The ``govreports`` command: run the flow, query the warehouse, document schemas, build the dbt docs site.

    govreports run [--input DIR] [--out DIR] [--workers N] [--full-rebuild] [--dask-local N | --dask-address URL]
    govreports sql "select ..." [--out DIR]
    govreports schema-doc [--to FILE]
    govreports docs [--out DIR]
    govreports export --to DIR [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from flows.settings import PrefectHomeUnusable, apply_prefect_defaults


def _print_summary(summary: dict) -> None:
    print()
    print("govreports run finished in %.1f s" % summary["seconds"])
    print(f"  input:        {summary['input_dir']}")
    print(f"  documents:    {summary['documents']}")
    print(f"  paragraphs:   {summary['paragraphs']}")
    print(f"  quarantined:  {summary['quarantined']} (see dataset 'quarantine')")
    flagged = summary.get("quality_flags") or {}
    print(f"  flagged:      {sum(flagged.values())} rows as implausible (see dataset 'quality_flags'; "
          "published, left out of the marts' series unless --include-flagged)")
    for name, n in flagged.items():
        print(f"    {name:<44} {n:>6}")
    for name, n in summary["counts"].items():
        print(f"  parquet {name:<22} {n:>8} rows")
    if summary.get("stage_seconds"):
        print("  seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["stage_seconds"].items()))
    if summary.get("changed_files") == 0:
        print("  no input changed since the last run: outputs left as they were")
    print(f"  parquet:      {summary['parquet_root']}/<dataset>/part-*.parquet")
    print(f"  warehouse:    {summary['warehouse']}")
    if summary.get("report"):
        print(f"  report:       {summary['report']}")


def with_dask(flow_fn, address: str | None, local_workers: int | None, batches: int):
    """Returns the flow set to run its batch tasks on Dask, and a batch count to match.

    Args:
        flow_fn: The Prefect flow.
        address: Scheduler of a running cluster (tcp://host:8786); its workers
            need govreports installed and the input/output paths readable.
        local_workers: Start a LocalCluster with this many worker processes instead.
        batches: Batches asked for; 0 means twice the number of workers.
    """
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
        n = local_workers or 2
    else:
        n = local_workers
        runner = DaskTaskRunner(cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True, "dashboard_address": None})
    return flow_fn.with_options(task_runner=runner), batches or 2 * n


def cmd_run(args: argparse.Namespace) -> int:
    try:
        apply_prefect_defaults()
    except PrefectHomeUnusable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not Path(args.input).is_dir():
        print(f"error: input folder {args.input} does not exist", file=sys.stderr)
        return 2
    from tasks.runstate import OutputLock, OutputLocked

    try:
        # refuse at once, before Prefect's server starts; the flow takes the lock again for the run
        with OutputLock(args.out):
            pass
    except OutputLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    from flows.pipeline import govreports_pipeline

    flow_fn, workers, batches = govreports_pipeline, args.workers, args.batches or 1
    if args.dask_address or args.dask_local:
        flow_fn, batches = with_dask(govreports_pipeline, args.dask_address, args.dask_local, args.batches)
        workers = 1  # a Dask worker is the process: one segmentation process per task
    t0 = time.perf_counter()
    try:
        summary = flow_fn(input_dir=args.input, out_dir=args.out, workers=workers, batches=batches,
                          full_rebuild=args.full_rebuild, include_flagged=args.include_flagged)
    except OutputLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    summary["seconds"] = time.perf_counter() - t0
    _print_summary(summary)
    if args.summary_json:
        import json

        Path(args.summary_json).write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    db = Path(args.out) / "warehouse.duckdb"
    if not db.exists():
        print(f"error: no warehouse at {db}; run `govreports run` first", file=sys.stderr)
        return 2
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.sql(args.query)
        if rel is None:
            return 0
        df = rel.df()
    except duckdb.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    import pandas as pd

    with pd.option_context("display.max_rows", args.max_rows, "display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        print(df.to_string(index=False) if len(df) <= args.max_rows else df)
    print(f"({len(df)} rows)")
    return 0


def cmd_schema_doc(args: argparse.Namespace) -> int:
    from tasks.schema_doc import render_schema_doc, write_staging_sql

    if args.staging:
        names = write_staging_sql(args.staging)
        print(f"wrote {len(names)} staging models to {args.staging}", file=sys.stderr)
    text = render_schema_doc()
    if args.to:
        Path(args.to).write_text(text, encoding="utf-8")
    else:
        # the text ends with its newline: `schema-doc > docs/schemas.md` gives the committed file
        sys.stdout.write(text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tasks.export import MissingDataset, export_datasets

    try:
        result = export_datasets(Path(args.out) / "parquet", args.to)
    except MissingDataset as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"exported {len(result.rows)} datasets ({sum(result.rows.values())} rows) to {result.path}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from tasks.warehouse import WarehouseBuildFailed, build_docs

    out = Path(args.out)
    db, parquet = out / "warehouse.duckdb", out / "parquet"
    if not db.exists():
        print(f"error: no warehouse at {db}; run `govreports run` first", file=sys.stderr)
        return 2
    try:
        site = build_docs(db, parquet)
    except WarehouseBuildFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(site)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govreports", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the pipeline flow on a folder of raw documents")
    run.add_argument("--input", default="seeds", help="folder of raw input files (default: seeds)")
    run.add_argument("--out", default="data", help="output folder (default: data)")
    run.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                     help="processes for ingest, extraction and segmentation (default: the number of CPUs)")
    run.add_argument("--batches", type=int, default=0, help="document batches for extract/segment (default: 1, or 2 per Dask worker)")
    run.add_argument("--summary-json", help="also write the run summary (counts, seconds per stage) to this JSON file")
    run.add_argument("--full-rebuild", action="store_true", help="recompute everything, ignoring the last run's manifest")
    run.add_argument("--include-flagged", action="store_true",
                     help="keep rows flagged as implausible (dataset quality_flags) in the marts' series")
    run.add_argument("--dask-address", help="run batch tasks on this Dask scheduler (tcp://host:8786)")
    run.add_argument("--dask-local", type=int, metavar="N", help="run batch tasks on a local Dask cluster of N worker processes")
    run.set_defaults(func=cmd_run)
    sql = sub.add_parser("sql", help="run ad-hoc SQL against the warehouse (read-only)")
    sql.add_argument("query")
    sql.add_argument("--out", default="data", help="output folder holding warehouse.duckdb (default: data)")
    sql.add_argument("--max-rows", type=int, default=200)
    sql.set_defaults(func=cmd_sql)
    doc = sub.add_parser("schema-doc", help="print the Parquet schema documentation (markdown)")
    doc.add_argument("--to", help="write to this file instead of stdout")
    doc.add_argument("--staging", help="also (re)write the dbt staging models (stg_<dataset>.sql, _stg_models.yml) into this folder")
    doc.set_defaults(func=cmd_schema_doc)
    docs = sub.add_parser("docs", help="build dbt's static docs site (models, tests, lineage) of the last run's warehouse")
    docs.add_argument("--out", default="data", help="output folder of the run holding warehouse.duckdb (default: data)")
    docs.set_defaults(func=cmd_docs)
    exp = sub.add_parser("export", help="copy the Parquet datasets, with schema.json and README.md, for a downstream team")
    exp.add_argument("--to", required=True, help="folder to write (replaced if it exists)")
    exp.add_argument("--out", default="data", help="output folder of the run holding parquet/ (default: data)")
    exp.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
