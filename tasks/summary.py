"""The run summary: seconds per stage, rows per dataset, and the markdown of the Prefect artifact.

Takes the results of a run's last stages and gives the dict the flow returns
(and ``govreports run`` prints, ``--summary-json`` saves, the benchmark reads).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from pathlib import Path

import duckdb

from tasks.parquet import count_rows
from tasks.warehouse import flagged_rows

# the running flow's clock: stages lap it as they start (see flows/pipeline.py's timed)
RUN_CLOCK: ContextVar["StageClock | None"] = ContextVar("govreports_run_clock", default=None)


def lap(stage: str) -> None:
    """Laps the running flow's clock, if a flow is running: ``stage`` starts now."""
    clock = RUN_CLOCK.get()
    if clock is not None:
        clock.lap(stage)


class StageClock:
    """Wall seconds per stage of one run, for the summary and the benchmark.

    Used as a context manager it is the running flow's clock (``RUN_CLOCK``),
    which the stages lap as they start.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()
        self._start = self.started
        self._stage: str | None = None
        self._token = None

    def __enter__(self) -> "StageClock":
        self._token = RUN_CLOCK.set(self)
        return self

    def __exit__(self, *exc) -> None:
        RUN_CLOCK.reset(self._token)

    def lap(self, stage: str) -> None:
        """Ends the running stage and starts the next one (a stage met twice adds up)."""
        now = time.perf_counter()
        if self._stage is not None:
            self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + now - self._start, 3)
        self._stage, self._start = stage, now

    def elapsed(self) -> float:
        return time.perf_counter() - self.started




def run_summary(input_dir: str, out_dir: Path, counts: dict[str, int], tally: dict[str, int], changed_files: int,
                warehouse_path: Path, quality_flags: dict[str, int], report_path: Path, clock: StageClock) -> dict:
    """The summary of a run that did the work.

    Args:
        input_dir: The input folder.
        out_dir: The output folder.
        counts: Rows per dataset (the write stage's).
        tally: Documents, paragraphs and quarantined files (:meth:`tasks.corpus.Corpus.tally`).
        changed_files: Input files ingested in this run.
        warehouse_path: The published warehouse.
        quality_flags: Flagged rows by dataset and rule, from the warehouse.
        report_path: The HTML report.
        clock: The run's clock; its last stage ends here.
    """
    clock.lap("done")
    return dict(
        input_dir=str(input_dir),
        parquet_root=str(out_dir / "parquet"),
        warehouse=str(warehouse_path),
        counts=counts,
        **tally,
        changed_files=changed_files,
        quality_flags=quality_flags,  # the quality_flags table and the marts' quality_flag columns
        report=str(report_path),
        input_bytes=int(sum(p.stat().st_size for p in Path(input_dir).rglob("*") if p.is_file())),
        stage_seconds=clock.seconds,
        seconds=clock.elapsed(),
    )


def unchanged_summary(input_dir: str, out_dir: Path, clock: StageClock) -> dict:
    """The summary of a run that found nothing to do: the published outputs' counts."""
    root = out_dir / "parquet"
    counts = {p.name: count_rows(p.name, root) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("_")}
    con = duckdb.connect(str(out_dir / "warehouse.duckdb"), read_only=True)
    try:
        flagged = flagged_rows(con)
    finally:
        con.close()
    return dict(
        input_dir=str(input_dir), parquet_root=str(root), warehouse=str(out_dir / "warehouse.duckdb"),
        counts=counts, documents=counts.get("documents", 0), paragraphs=counts.get("paragraphs", 0),
        quarantined=counts.get("quarantine", 0), changed_files=0, report=str(out_dir / "report.html"),
        quality_flags=flagged, seconds=clock.elapsed(),
    )


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
