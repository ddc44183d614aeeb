"""Incremental runs: what changed since the last run, and which rows can be reused.

Takes the input folder, the manifest of the last complete run (tasks/runstate.py)
and its published snapshot, and gives a plan: files to ingest again, rows to
reuse. The unit of reuse differs by stage, because some stages look at the
whole corpus:

* ingest is per file: raw documents and paragraphs of an unchanged file are
  read back from the snapshot's private cache (``_cache/``) instead of parsing
  the file again;
* clean (joins look for a fragment anywhere in the corpus), dedup (the first
  occurrence wins) and term statistics (IDF) are corpus-wide: they run over
  everything on every run that changed anything;
* extract and segment are per document: a document whose key (its metadata
  and kept paragraphs, plus the corpus-wide segmentation lexicon for segment)
  matches the manifest keeps its rows.

A run with no changed file and the same code version does nothing at all. An
incremental run gives the same rows as a full rebuild (a test checks this).

``IncrementalRun`` is the planner the flow holds: made once before the stages
(``IncrementalRun.plan``), it decides which files to ingest and which snapshot
rows may be reused, wraps ingest (``ingest``) and tells the per-document stages
what to recompute (``per_document``); ``save`` records the run for the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.corpus import Corpus
from tasks.ingest import IngestConfig, IngestResult, list_input_files
from tasks.parquet import dataset_files, read_dataset, write_part
from tasks.text import kept_paragraphs
from tasks.runstate import Manifest, code_version, file_sha256, published_snapshot

CACHE = "_cache"
RAW_PARAGRAPHS = pa.schema(
    [("doc_id", pa.string()), ("para_id", pa.int32()), ("kind", pa.string()), ("section", pa.string()), ("text", pa.string())]
)


def scan_inputs(input_dir: Path | str, cfg: IngestConfig = IngestConfig()) -> dict[str, str]:
    """Input files (relative path -> sha256 of their bytes), as ingest would read them."""
    input_dir = Path(input_dir)
    return {p.relative_to(input_dir).as_posix(): file_sha256(p) for p in list_input_files(input_dir, cfg)}


@dataclass(frozen=True)
class RunPlan:
    """Which input files to ingest again and which to take from the last run."""

    changed: frozenset[str]
    unchanged: frozenset[str]
    removed: frozenset[str]

    @property
    def nothing_changed(self) -> bool:
        return not self.changed and not self.removed


def plan_run(scan: dict[str, str], previous: dict[str, str] | None) -> RunPlan:
    """Compares the input folder with the files of the last complete run.

    Args:
        scan: Current files, relative path -> sha256.
        previous: The last run's files, or None to ingest everything.
    """
    if previous is None:
        return RunPlan(frozenset(scan), frozenset(), frozenset())
    changed = {f for f, sha in scan.items() if previous.get(f) != sha}
    # which of two byte-identical files is the duplicate depends on both: ingest them together
    changed_shas = {scan[f] for f in changed}
    changed |= {f for f, sha in scan.items() if sha in changed_shas}
    unchanged = set(scan) - changed
    removed = set(previous) - set(scan)
    return RunPlan(frozenset(changed), frozenset(unchanged), frozenset(removed))


def write_raw_cache(snapshot_dir: Path | str, raw_paragraphs: pd.DataFrame) -> None:
    """Stores ingest's raw paragraphs in the snapshot (private: not a published dataset)."""
    folder = Path(snapshot_dir) / CACHE
    folder.mkdir(parents=True, exist_ok=True)
    # straight from the columns (NaN becomes null); the pandas metadata is that of an all-object
    # frame, as the cache always had, so read_previous gets the same dtypes back
    table = pa.Table.from_pandas(raw_paragraphs[RAW_PARAGRAPHS.names], schema=RAW_PARAGRAPHS, preserve_index=False)
    table = table.replace_schema_metadata(_RAW_CACHE_METADATA)
    pq.write_table(table, folder / "raw_paragraphs.parquet")


_RAW_CACHE_METADATA = pa.Table.from_pandas(
    pd.DataFrame({name: pd.Series([], dtype=object) for name in RAW_PARAGRAPHS.names}),
    schema=RAW_PARAGRAPHS, preserve_index=False,
).schema.metadata


def read_previous(snapshot_dir: Path | str, files: frozenset[str]) -> dict[str, pd.DataFrame] | None:
    """Reads back the last run's ingest output for the given unchanged files.

    Returns documents (ingest fields; dedup's are recomputed), raw paragraphs and
    quarantine rows of those files, or None when the snapshot lacks its cache.
    """
    snapshot_dir = Path(snapshot_dir)
    raw_path = snapshot_dir / CACHE / "raw_paragraphs.parquet"
    if not raw_path.exists():
        return None
    documents = read_dataset("documents", snapshot_dir)
    documents = documents[documents["source_file"].isin(files)].reset_index(drop=True)
    raw = pq.read_table(raw_path).to_pandas()
    raw = raw[raw["doc_id"].isin(set(documents["doc_id"]))].reset_index(drop=True)
    quarantine = read_dataset("quarantine", snapshot_dir)
    quarantine = quarantine[quarantine["source_file"].isin(files)].reset_index(drop=True)
    return {"documents": documents, "raw_paragraphs": raw, "quarantine": quarantine}


def document_keys(documents: pd.DataFrame, paragraphs: pd.DataFrame, salt: str = "") -> dict[str, str]:
    """A key per document over everything its extracted and segmented rows depend on.

    Args:
        documents: Document rows after dedup.
        paragraphs: Paragraph rows after dedup (only kept ones enter the key).
        salt: Extra corpus-wide input, e.g. the segmentation lexicon's hash.
    """
    meta_cols = ["doc_id", "title", "doc_type", "region", "region_code", "year", "event_date", "publish_date", "speaker", "is_duplicate"]
    hashers = {}
    for row in documents[meta_cols].itertuples(index=False):
        h = hashlib.sha256(salt.encode())
        h.update(repr(tuple(row)).encode())
        hashers[row.doc_id] = h
    kept = kept_paragraphs(paragraphs)
    # one pass over plain column lists (a groupby into per-document frames costs ~50x more)
    cols = [kept[c].tolist() for c in ("doc_id", "para_id", "kind", "section", "text")]
    for doc_id, *rest in zip(*cols):
        h = hashers.get(doc_id)
        if h is not None:
            h.update(repr(tuple(rest)).encode())
    return {d: h.hexdigest()[:24] for d, h in hashers.items()}


def stale_documents(doc_order: list[str], keys: dict[str, str], previous_keys: dict[str, str] | None) -> list[str]:
    """Documents whose rows must be computed again, in corpus order.

    Args:
        doc_order: All documents, in corpus order.
        keys: This run's key per document (:func:`document_keys`).
        previous_keys: The last run's keys for the same stage, or None when
            nothing can be reused (every document is stale).
    """
    if previous_keys is None:
        return list(doc_order)
    return [d for d in doc_order if previous_keys.get(d) != keys[d]]


def frame_hash(df: pd.DataFrame) -> str:
    """A content hash of a small DataFrame (e.g. the segmentation lexicon)."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


def reuse_rows(
    fresh: pd.DataFrame, snapshot_dir: Path | str | None, name: str, keep_docs: set[str], doc_order: list[str]
) -> pd.DataFrame:
    """Joins newly computed rows with the last run's rows of unchanged documents.

    Args:
        fresh: Rows computed in this run (for the other documents).
        snapshot_dir: The last run's snapshot, or None.
        name: Dataset name.
        keep_docs: Documents whose rows are taken from the snapshot.
        doc_order: All documents in corpus order; rows come out in that order,
            each document's rows in the order they were written.
    """
    parts = [fresh]
    if snapshot_dir is not None and keep_docs:
        parts.append(read_dataset(name, snapshot_dir, keep_docs))
    parts = [p for p in parts if len(p)]
    if not parts:
        return fresh
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    position = {d: i for i, d in enumerate(doc_order)}
    out["_pos"] = out["doc_id"].map(position)
    out = out.sort_values("_pos", kind="stable").drop(columns="_pos").reset_index(drop=True)
    return out


def copy_doc_rows(
    previous: Path | str, snapshot_dir: Path | str, names: tuple[str, ...], doc_ids: set[str], first_part: int
) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Copies the rows of some documents from the last snapshot into new parts, part by part.

    For the per-token datasets, which are too large to read whole: each old part
    is read with a doc_id filter and written as one new part.

    Returns:
        Rows copied per dataset, and the documents that had rows in each.
    """
    copied: dict[str, int] = {}
    found: dict[str, set[str]] = {}
    for name in names:
        n, docs = 0, set()
        for i, path in enumerate(dataset_files(name, previous)):
            table = pq.read_table(path, filters=[("doc_id", "in", sorted(doc_ids))])
            if table.num_rows:
                write_part(table.to_pandas(), name, snapshot_dir, first_part + i)
                n += table.num_rows
                docs.update(table.column("doc_id").unique().to_pylist())
        copied[name], found[name] = n, docs
    return copied, found


def merge_ingest(fresh: IngestResult, previous: dict[str, pd.DataFrame] | None) -> Corpus:
    """This run's ingest output plus the reused one, in corpus order (source_file, ordinal).

    Args:
        fresh: Ingest's output for the files read in this run.
        previous: The last run's ingest rows of the unchanged files (:func:`read_previous`), or None.
    """
    docs, raw, quarantine = fresh.documents, fresh.paragraphs, fresh.quarantine
    if previous is not None:
        docs = pd.concat([p for p in (previous["documents"], docs) if len(p)] or [docs], ignore_index=True)
        raw = pd.concat([p for p in (previous["raw_paragraphs"], raw) if len(p)] or [raw], ignore_index=True)
        quarantine = pd.concat([p for p in (previous["quarantine"], quarantine) if len(p)] or [quarantine], ignore_index=True)
    docs = docs.sort_values(["source_file", "source_ordinal"], kind="stable").reset_index(drop=True)
    order = {d: i for i, d in enumerate(docs["doc_id"])}
    raw = raw.assign(_o=raw["doc_id"].map(order)).sort_values(["_o", "para_id"], kind="stable").drop(columns="_o").reset_index(drop=True)
    quarantine = quarantine.sort_values("source_file", kind="stable").reset_index(drop=True)
    return Corpus(docs, raw, quarantine)


@dataclass(frozen=True)
class DocumentReuse:
    """What one per-document stage (extract, segment) computes again and what it takes from the last run.

    Attributes:
        stale: Documents to compute, in corpus order.
        kept: Documents whose rows are taken from ``previous``, in corpus order.
        previous: The last run's snapshot, or None when nothing is reused.
        doc_order: Every document, in corpus order.
    """

    stale: list[str]
    kept: list[str]
    previous: Path | None
    doc_order: list[str]

    def merge(self, name: str, fresh: pd.DataFrame) -> pd.DataFrame:
        """This run's rows of dataset ``name`` joined with the kept documents' rows, in corpus order."""
        return reuse_rows(fresh, self.previous, name, set(self.kept), self.doc_order)


@dataclass
class IncrementalRun:
    """The incremental plan of one run over an output folder, decided before any stage runs.

    Attributes:
        out_dir: The output folder.
        version: Code version the run's rows are computed with (plus the marts' setting).
        scan: Input files, relative path -> sha256.
        files: Which files to ingest again; every file unless a previous run can be reused.
        previous: The published snapshot whose rows may be reused, or None (first run,
            ``full_rebuild``, another code version, no ingest cache, or new ids).
        nothing_to_do: No input changed, the code is the same and the outputs are there.
        doc_keys: This run's key per document for each per-document stage (for the manifest).
    """

    out_dir: Path
    version: str
    scan: dict[str, str]
    files: RunPlan
    previous: Path | None
    nothing_to_do: bool = False
    doc_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    _manifest: Manifest = field(default_factory=Manifest, repr=False)
    _reused_ingest: dict[str, pd.DataFrame] | None = field(default=None, repr=False)
    _stale: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def plan(cls, out_dir: Path | str, scan: dict[str, str], full_rebuild: bool = False,
             include_flagged: bool = False) -> "IncrementalRun":
        """Compares the inputs and the code with the last complete run of ``out_dir``.

        Args:
            out_dir: The output folder.
            scan: Input files from :func:`scan_inputs`.
            full_rebuild: Reuse nothing.
            include_flagged: The marts' setting; a run with the other one is not a no-change run.
        """
        out_dir = Path(out_dir)
        version = code_version() + ("+flagged" if include_flagged else "")
        manifest = Manifest.load(out_dir)
        previous = published_snapshot(out_dir)
        if previous is None or full_rebuild or manifest.code_version != version:
            return cls(out_dir, version, scan, plan_run(scan, None), None, _manifest=manifest)
        files = plan_run(scan, manifest.files)
        if files.nothing_changed and (out_dir / "warehouse.duckdb").exists():
            return cls(out_dir, version, scan, files, previous, nothing_to_do=True, _manifest=manifest)
        reused = read_previous(previous, files.unchanged)
        if reused is None:  # a snapshot without the ingest cache: read every file again
            return cls(out_dir, version, scan, plan_run(scan, None), None, _manifest=manifest)
        return cls(out_dir, version, scan, files, previous, _manifest=manifest, _reused_ingest=reused)

    def describe(self) -> str:
        """One line on what the inputs are and what is reused."""
        return (f"inputs: {len(self.scan)} files, {len(self.files.changed)} new or changed, "
                f"{len(self.files.unchanged)} unchanged (reused), {len(self.files.removed)} removed")

    def ingest(self, run_ingest: Callable[[list[str] | None], IngestResult], snapshot_dir: Path | str) -> Corpus:
        """Wraps ingest: reads the changed files only, adds the unchanged files' rows, caches the result.

        Args:
            run_ingest: Ingest of the given relative paths (None: every file).
            snapshot_dir: This run's snapshot, where the raw paragraphs are cached for the next run.
        """
        reused, self._reused_ingest = self._reused_ingest, None
        corpus = merge_ingest(run_ingest(sorted(self.files.changed)), reused)
        del reused
        if corpus.documents["doc_id"].duplicated().any():
            # a new file repeats the text of an unchanged one: ids depend on both, so read all again
            corpus = merge_ingest(run_ingest(None), None)
            self.previous = None
        write_raw_cache(snapshot_dir, corpus.paragraphs)
        return corpus

    def per_document(self, stage: str, keys: dict[str, str], doc_order: list[str]) -> DocumentReuse:
        """Splits the documents of a per-document stage into stale and kept, and records their keys.

        Args:
            stage: 'extract' or 'segment' (the manifest's key).
            keys: This run's key per document (:func:`document_keys`).
            doc_order: Every document, in corpus order.
        """
        self.doc_keys[stage] = keys
        stale = stale_documents(doc_order, keys, self._manifest.doc_keys.get(stage) if self.previous else None)
        fresh = set(stale)
        self._stale[stage] = len(stale)
        return DocumentReuse(stale, [d for d in doc_order if d not in fresh], self.previous, doc_order)

    def reuse_summary(self, n_docs: int) -> str:
        """One line on how many documents kept their rows in each per-document stage."""
        return (f"reused rows of {n_docs - self._stale.get('extract', n_docs)}/{n_docs} documents for extraction, "
                f"{n_docs - self._stale.get('segment', n_docs)}/{n_docs} for segmentation")

    def save(self) -> None:
        """Records this run in the manifest (last, once its outputs are published)."""
        Manifest(code_version=self.version, files=self.scan, doc_keys=self.doc_keys).save(self.out_dir)
