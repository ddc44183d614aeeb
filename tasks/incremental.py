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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.ingest import IngestConfig, list_input_files
from tasks.parquet import dataset_files, read_dataset, write_part
from tasks.runstate import file_sha256

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
    df = raw_paragraphs[RAW_PARAGRAPHS.names].astype(object).where(raw_paragraphs.notna(), None)
    pq.write_table(pa.Table.from_pandas(df, schema=RAW_PARAGRAPHS, preserve_index=False), folder / "raw_paragraphs.parquet")


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
    kept = paragraphs[~paragraphs["is_duplicate"].astype(bool)]
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
