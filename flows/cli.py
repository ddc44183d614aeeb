"""The ``govreports`` command: run the flow, query the warehouse, document schemas.

    govreports run [--input DIR] [--out DIR] [--workers N]
    govreports sql "select ..." [--out DIR]
    govreports schema-doc [--to FILE]
    govreports export --to DIR [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from flows.settings import apply_prefect_defaults


def _print_summary(summary: dict) -> None:
    print()
    print("govreports run finished in %.1f s" % summary["seconds"])
    print(f"  input:        {summary['input_dir']}")
    print(f"  documents:    {summary['documents']}")
    print(f"  paragraphs:   {summary['paragraphs']}")
    print(f"  quarantined:  {summary['quarantined']} (see dataset 'quarantine')")
    for name, n in summary["counts"].items():
        print(f"  parquet {name:<22} {n:>8} rows")
    print(f"  parquet:      {summary['parquet_root']}/<dataset>/data.parquet")
    print(f"  warehouse:    {summary['warehouse']}")
    if summary.get("report"):
        print(f"  report:       {summary['report']}")


def cmd_run(args: argparse.Namespace) -> int:
    apply_prefect_defaults()
    from flows.pipeline import govreports_pipeline

    if not Path(args.input).is_dir():
        print(f"error: input folder {args.input} does not exist", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    summary = govreports_pipeline(input_dir=args.input, out_dir=args.out, workers=args.workers)
    summary["seconds"] = time.perf_counter() - t0
    _print_summary(summary)
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
        print(text)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govreports", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the pipeline flow on a folder of raw documents")
    run.add_argument("--input", default="seeds", help="folder of raw input files (default: seeds)")
    run.add_argument("--out", default="data", help="output folder (default: data)")
    run.add_argument("--workers", type=int, default=1, help="processes for segmentation (default: 1)")
    run.set_defaults(func=cmd_run)
    sql = sub.add_parser("sql", help="run ad-hoc SQL against the warehouse (read-only)")
    sql.add_argument("query")
    sql.add_argument("--out", default="data", help="output folder holding warehouse.duckdb (default: data)")
    sql.add_argument("--max-rows", type=int, default=200)
    sql.set_defaults(func=cmd_sql)
    doc = sub.add_parser("schema-doc", help="print the Parquet schema documentation (markdown)")
    doc.add_argument("--to", help="write to this file instead of stdout")
    doc.add_argument("--staging", help="also (re)write warehouse/staging/stg_<dataset>.sql into this folder")
    doc.set_defaults(func=cmd_schema_doc)
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
