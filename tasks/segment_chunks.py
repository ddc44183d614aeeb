"""Segmentation in chunks, and the term statistics finished from them, as the flow runs them.

Takes the deduplicated paragraphs cut into chunks (:func:`tasks.segment.plan_segment_jobs`)
and gives the ``sentences``, ``tokens`` and ``term_stats`` datasets on disk and
the ``keywords`` rows. The per-token tables of a chunk never travel: the
process that segments a chunk writes its Parquet parts and its per-document
term counts itself (:func:`write_segment_part`) and hands back a small
:class:`ChunkOutput`; ``term_stats`` is then finished part by part from those
counts (:func:`finish_terms`), as datatrove's stages write their own shards.
"""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from tasks.incremental import copy_doc_rows
from tasks.parallel import release_free_memory
from tasks.parquet import concat_frames, dataset_files, read_dataset, write_dataset, write_part
from tasks.schemas import SCHEMAS, column_names
from tasks.segment import SegmentConfig, SegmentJob, TokenCodes, plan_segment_jobs, release_segmenters, segment_jobs
from tasks.terms import (chunk_terms, copy_doc_terms, finish_split_documents, load_compiled_loops, merge_keywords,
                         write_doc_terms, write_term_stats)

# per-chunk term counts, private to a run: term_stats is finished from them, then they go
DOC_TERMS_WORK = "_work/doc_terms"
# characters per segmentation chunk (~2 MB of UTF-8, a few seconds of work):
# bounds a worker's memory and keeps both workers busy until the end
SEGMENT_CHUNK_CHARS = 600_000


@dataclass(frozen=True)
class ChunkOutput:
    """What one chunk hands back once its tables are on disk.

    Attributes:
        textrank: TextRank ``keywords`` rows of the chunk's whole documents.
        sentences: ``sentences`` rows written.
        tokens: ``tokens`` rows written.
        docs: Documents with at least one token.
    """

    textrank: pd.DataFrame
    sentences: int
    tokens: int
    docs: frozenset[str]


@dataclass(frozen=True)
class Segmented:
    """The segment stage's result: every chunk's output, and the documents cut across chunks.

    Attributes:
        chunks: One output per chunk segmented in this run, then the reused documents' one.
        split_parts: doc_id -> the chunks holding its pieces, for documents longer than a chunk.
    """

    chunks: list[ChunkOutput]
    split_parts: dict[str, list[int]]

    @property
    def sentences(self) -> int:
        return sum(c.sentences for c in self.chunks)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.chunks)

    @property
    def n_docs(self) -> int:
        """Documents with any token: the N of the IDF."""
        return len(frozenset().union(*(c.docs for c in self.chunks)))

    def textrank(self) -> pd.DataFrame:
        return concat_frames([c.textrank for c in self.chunks], column_names("keywords"))


@dataclass
class Terms:
    """The terms stage's result: ``term_stats`` is on disk, ``keywords`` in memory until written."""

    term_stats_rows: int
    keywords: pd.DataFrame | None


def plan_chunks(paragraphs: pd.DataFrame, doc_ids: list[str]) -> list[SegmentJob]:
    """The chunks to segment: the given documents' segmentable paragraphs, about SEGMENT_CHUNK_CHARS each."""
    jobs, _ = plan_segment_jobs(paragraphs[paragraphs["doc_id"].isin(set(doc_ids))], SegmentConfig(),
                                SEGMENT_CHUNK_CHARS)
    return jobs


def job_groups(jobs: list[SegmentJob], n: int) -> list[tuple[list[SegmentJob]]]:
    """Up to n contiguous groups of chunks, as 1-tuples (the batches of the segment task)."""
    n = max(1, min(n, len(jobs)))
    size = -(-len(jobs) // n) if jobs else 1
    return [(jobs[i : i + size],) for i in range(0, len(jobs), size)]


def write_segment_part(part: int, sentences: pd.DataFrame, tokens: pd.DataFrame, split_docs: tuple[str, ...],
                       snapshot_dir: str, codes: TokenCodes | None = None) -> ChunkOutput:
    """Consumes one segmented chunk where it was cut: writes its Parquet parts and term counts.

    ``codes``, the tokens' text columns as segmentation numbered them, spares
    the term counting a second hashing of every token (unless documents are left out).
    """
    # the per-token tables and the (document, term) counts go to disk from the
    # worker, so they never travel or sit whole in the flow's memory
    write_part(sentences, "sentences", snapshot_dir, part)
    write_part(tokens, "tokens", snapshot_dir, part)
    # documents cut across chunks are counted and ranked whole in the terms stage
    if split_docs:
        counts, textrank = chunk_terms(tokens[~tokens["doc_id"].isin(split_docs)])
    else:
        counts, textrank = chunk_terms(tokens, codes=codes)
    write_doc_terms(counts, Path(snapshot_dir) / DOC_TERMS_WORK, part)
    return ChunkOutput(textrank, len(sentences), len(tokens), frozenset(tokens["doc_id"].unique().tolist()))


class SegmentProgress:
    """Reports every tenth of the text segmented, with the speed so far, through ``log``."""

    def __init__(self, jobs: list[SegmentJob], log: Callable[..., None]):
        self.jobs, self.log = jobs, log
        self.total = sum(len(t) for j in jobs for t in j.texts)
        self.done, self.next = 0, 0.1
        self.started = time.perf_counter()

    def __call__(self, i: int, _output) -> None:
        self.done += sum(len(t) for t in self.jobs[i].texts)
        if self.done >= self.next * self.total or i == len(self.jobs) - 1:
            self.log("segment %3.0f%%  chunk %d/%d  %.1f MB/s", 100 * self.done / max(self.total, 1), i + 1,
                     len(self.jobs), self.done * 3 / 1e6 / self.seconds())
            self.next += 0.1

    def seconds(self) -> float:
        return max(time.perf_counter() - self.started, 1e-9)


def segment_chunks(jobs: list[SegmentJob], lexicon: pd.DataFrame, workers: int, snapshot_dir: str,
                   progress: SegmentProgress | None = None) -> list[ChunkOutput]:
    """Segments chunks in ``workers`` processes, each writing its own parts (see :func:`write_segment_part`)."""
    if jobs:
        load_compiled_loops()  # here once, not in each forked worker
    handle = partial(write_segment_part, snapshot_dir=snapshot_dir)
    return segment_jobs(jobs, lexicon, SegmentConfig(workers=workers), handle, on_result=progress)


def release_segment_memory() -> None:
    """Frees the tokenizer the flow process loaded for its forked workers, and the heap it leaves.

    It would otherwise sit under every later stage. (Dask workers keep theirs for their next batch.)
    """
    release_segmenters()
    gc.collect()
    release_free_memory()


def reuse_segments(previous: Path | str, snapshot_dir: Path | str, doc_ids: list[str],
                   first_part: int) -> tuple[ChunkOutput, dict[str, int]]:
    """Copies the last run's sentences, tokens and term counts of unchanged documents into this snapshot.

    Args:
        previous: The last run's snapshot.
        snapshot_dir: This run's snapshot.
        doc_ids: The unchanged documents.
        first_part: Part number after this run's last chunk.

    Returns:
        Their chunk output (with their TextRank keywords) and the rows copied per dataset.
    """
    keep = set(doc_ids)
    n, docs = copy_doc_rows(previous, snapshot_dir, ("sentences", "tokens"), keep, first_part)
    n["term_counts"] = copy_doc_terms(previous, Path(snapshot_dir) / DOC_TERMS_WORK, keep, first_part)
    old_keys = read_dataset("keywords", previous, keep)
    textrank = old_keys[old_keys["method"] == "textrank"].reset_index(drop=True)
    return ChunkOutput(textrank, n["sentences"], n["tokens"], frozenset(docs["tokens"])), n


def ensure_token_datasets(snapshot_dir: Path | str) -> None:
    """Writes empty ``sentences``/``tokens`` datasets when no chunk wrote any (nothing to segment)."""
    for name in ("sentences", "tokens"):
        if not dataset_files(name, snapshot_dir):
            write_dataset(SCHEMAS[name].empty_table().to_pandas(), name, snapshot_dir)


def finish_terms(snapshot_dir: Path | str, segmented: Segmented, doc_order: list[str], workers: int) -> Terms:
    """Writes ``term_stats`` from the chunks' term counts and ranks the ``keywords``.

    Args:
        snapshot_dir: This run's snapshot, holding the chunks' parts.
        segmented: The segment stage's result.
        doc_order: Every document, in corpus order.
        workers: Processes.
    """
    work = Path(snapshot_dir) / DOC_TERMS_WORK
    textrank = segmented.textrank()
    if segmented.split_parts:
        split = finish_split_documents(snapshot_dir, work, segmented.split_parts, workers=workers)
        textrank = concat_frames([textrank, split], column_names("keywords"))
    rows, tfidf = write_term_stats(work, snapshot_dir, segmented.n_docs, doc_order, workers=workers)
    shutil.rmtree(work.parent, ignore_errors=True)
    return Terms(rows, merge_keywords(tfidf, textrank, doc_order))
