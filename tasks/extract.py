"""Extract: kept paragraphs of a batch of documents -> structured tables.

Takes documents and their deduplicated paragraphs and gives ``indicators``
(running text, tasks/indicators.py), ``plan_indicators`` (flattened plan
tables, tasks/plan_tables.py) and ``policy_phrases``, ``officials``, ``places``
(tasks/mentions.py). Every extractor is per document, so any split of the
corpus into batches gives the same rows, in the same order once concatenated
(and the tables ordered by doc_id stably sorted by it again).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tasks.indicators import extract_indicators
from tasks.mentions import extract_mentions
from tasks.parallel import START_METHOD, map_in_processes
from tasks.plan_tables import rebuild_plan_tables
from tasks.text import kept_paragraphs

TABLES = ("indicators", "plan_indicators", "policy_phrases", "officials", "places")
# tables whose extractor orders rows by doc_id (the others follow document order)
DOC_ID_ORDERED = ("plan_indicators", "policy_phrases", "officials", "places")


@dataclass(frozen=True)
class ExtractResult:
    """The extracted tables of one batch (keys of TABLES) and merged stats."""

    tables: dict[str, pd.DataFrame]
    stats: dict[str, int] = field(default_factory=dict)


def extract_batch(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> ExtractResult:
    """Runs every extractor over one batch of documents.

    Args:
        documents: The batch's document rows.
        paragraphs: Their paragraphs, with is_duplicate set by dedup.
    """
    with gc_paused():
        kept = kept_paragraphs(paragraphs)
        indicators = extract_indicators(documents, kept)
        plan = rebuild_plan_tables(documents, kept)
        mentions = extract_mentions(documents, kept)
    tables = {
        "indicators": indicators.indicators,
        "plan_indicators": plan.plan_indicators,
        "policy_phrases": mentions.policy_phrases,
        "officials": mentions.officials,
        "places": mentions.places,
    }
    stats = {"indicators": len(indicators.indicators), "plan_rows": len(plan.plan_indicators)}
    stats |= {k: v for k, v in mentions.stats.items() if k in ("phrases", "officials", "places")}
    stats["plan_rows_ambiguous"] = plan.stats.get("rows_with_ambiguous_values", 0)
    return ExtractResult(tables=tables, stats=stats)


@contextlib.contextmanager
def gc_paused():
    """Holds off the garbage collector's automatic passes inside the block, then restores them.

    The extractors keep hundreds of thousands of small rows and records alive
    until the end of a batch, and make no reference cycles: each full pass
    walks them all (and the whole heap of the flow's process) to free
    nothing, 10-15% of the stage. What the block leaves is collected after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def extract_corpus(documents: pd.DataFrame, paragraphs: pd.DataFrame, workers: int = 1, batches_per_worker: int = 4) -> ExtractResult:
    """Runs :func:`extract_batch` over the corpus in ``workers`` processes.

    Args:
        documents: Documents in corpus order.
        paragraphs: Their paragraphs, with is_duplicate set by dedup.
        workers: Processes; each takes batches of whole documents.
        batches_per_worker: Batches per worker; several, so that a worker
            done early takes another instead of waiting for the slowest.

    Returns:
        The same tables, in the same order, as one extract_batch over everything.
    """
    n = 1 if workers == 1 else workers * batches_per_worker
    if n == 1 or len(documents) <= 1:
        results = [extract_batch(documents, paragraphs)]
    else:
        results = _extract_in_processes(documents, paragraphs, batch_positions(documents, paragraphs, n), workers)
    stats: dict[str, int] = {}
    for r in results:
        for k, v in r.stats.items():
            stats[k] = stats.get(k, 0) + v
    return ExtractResult(tables=concat_tables([r.tables for r in results], TABLES), stats=stats)


# The corpora of running extract_corpus calls, by call: what the pool's
# workers take their batches from (keyed, so concurrent calls do not mix).
_CORPORA: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
_corpus_keys = itertools.count()


def _extract_in_processes(
    documents: pd.DataFrame,
    paragraphs: pd.DataFrame,
    positions: list[tuple[np.ndarray, np.ndarray]],
    workers: int,
    start_method: str = START_METHOD,
) -> list[ExtractResult]:
    """Runs extract_batch over the batches at the given row positions, in job order."""
    # Jobs are row positions, not frames: cutting and pickling every batch's
    # text was serial work here, before and while the workers ran. Forked
    # workers read the frames from _CORPORA as set before the fork; spawned
    # ones get them once each, from the initializer.
    key = next(_corpus_keys)
    _CORPORA[key] = (documents, paragraphs)
    forked = start_method == "fork"
    try:
        return map_in_processes(
            _extract_positions, [(key, d, p) for d, p in positions], workers, start_method=start_method,
            initializer=None if forked else _receive_corpus, initargs=() if forked else (key, documents, paragraphs),
        )
    finally:
        del _CORPORA[key]


def _receive_corpus(key: int, documents: pd.DataFrame, paragraphs: pd.DataFrame) -> None:
    _CORPORA[key] = (documents, paragraphs)


def _extract_positions(job: tuple[int, np.ndarray, np.ndarray]) -> ExtractResult:
    key, doc_pos, para_pos = job
    documents, paragraphs = _CORPORA[key]
    return extract_batch(documents.iloc[doc_pos], paragraphs.iloc[para_pos])


def concat_tables(results: list[dict[str, pd.DataFrame]], names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Concatenates per-batch tables in batch order, keeping each table's columns (and one batch's row order)."""
    if not results:
        raise ValueError("no batch results to concatenate")
    out = {}
    for name in names:
        parts = [r[name] for r in results if len(r[name])]
        # an all-empty table keeps the first batch's (typed, empty) frame
        out[name] = pd.concat(parts, ignore_index=True) if parts else results[0][name]
        if len(parts) > 1 and name in DOC_ID_ORDERED:
            # these extractors order their rows by doc_id, and batches are runs of
            # documents in corpus order: a stable sort by doc_id gives one batch's order
            out[name] = out[name].sort_values("doc_id", kind="stable", ignore_index=True)
    return out


def split_batches(documents: pd.DataFrame, paragraphs: pd.DataFrame, n_batches: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Cuts the corpus into up to n_batches contiguous runs of documents of similar size.

    Args:
        documents: All documents, in corpus order.
        paragraphs: All paragraphs.
        n_batches: Wanted number of batches (>= 1).
    """
    if n_batches < 1:
        raise ValueError("n_batches must be >= 1")
    if n_batches == 1 or len(documents) <= 1:
        return [(documents, paragraphs)]
    return [(documents.iloc[d], paragraphs.iloc[p]) for d, p in batch_positions(documents, paragraphs, n_batches)]


def batch_positions(documents: pd.DataFrame, paragraphs: pd.DataFrame, n_batches: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Row positions of the batches of :func:`split_batches`.

    Returns:
        (document positions, paragraph positions) per batch: a run of
        documents, and the paragraphs of those documents in table order.
    """
    if n_batches < 1:
        raise ValueError("n_batches must be >= 1")
    if n_batches == 1 or len(documents) <= 1:
        return [(np.arange(len(documents)), np.arange(len(paragraphs)))]
    sizes = documents["n_chars"].fillna(0).astype("int64").clip(lower=1).to_numpy()
    bounds = (sizes.cumsum() * n_batches // max(int(sizes.sum()), 1)).clip(max=n_batches - 1)
    # documents and paragraphs as codes of one doc_id vocabulary (-1: no doc_id)
    codes, uniques = pd.factorize(pd.concat([documents["doc_id"], paragraphs["doc_id"]], ignore_index=True))
    doc_codes, para_codes = codes[: len(documents)], codes[len(documents):]
    has_doc = para_codes >= 0
    batches = []
    para_rows = np.arange(len(paragraphs))
    for b in np.unique(bounds):
        docs = np.flatnonzero(bounds == b)
        ids = doc_codes[docs]
        # a paragraph goes with each of the batch's documents of its doc_id:
        # once, as ids are unique (a repeated id would repeat its paragraphs)
        per_id = np.bincount(ids[ids >= 0], minlength=len(uniques))
        copies = np.where(has_doc, per_id[np.where(has_doc, para_codes, 0)], 0)
        batches.append((docs, np.repeat(para_rows, copies)))
    return batches
