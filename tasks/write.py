"""Write: every dataset the run holds in memory, into the run's snapshot.

Takes the results of the in-memory stages and gives the Parquet datasets
(tasks/parquet.py writes each atomically with its schema) and one row count
per dataset, the per-token ones included (their chunks wrote them already).
Once everything is on disk the frames are let go: the warehouse stage reads
Parquet, and DuckDB gets the memory the corpus held.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tasks.corpus import Corpus
from tasks.extract import ExtractResult
from tasks.parquet import write_dataset
from tasks.segment_chunks import Segmented, Terms


@dataclass(frozen=True)
class Written:
    """What the write stage leaves for the summary.

    Attributes:
        counts: Rows per dataset, every dataset of the snapshot.
        tally: Documents, paragraphs (with duplicates) and quarantined files (:meth:`Corpus.tally`).
        wrote: The datasets this stage wrote (the per-token ones were written by their chunks).
    """

    counts: dict[str, int]
    tally: dict[str, int]
    wrote: tuple[str, ...]


def write_run_datasets(snapshot_dir: Path | str, corpus: Corpus, extracted: ExtractResult, lexicon: pd.DataFrame,
                       quality_flags: pd.DataFrame, segmented: Segmented, terms: Terms) -> Written:
    """Writes the in-memory datasets, counts every dataset, then releases the frames it wrote.

    Args:
        snapshot_dir: This run's snapshot.
        corpus: The corpus after dedup.
        extracted: The extract stage's tables.
        lexicon: The ``segment_lexicon`` rows.
        quality_flags: The quality stage's flags.
        segmented: The segment stage's result (its datasets are on disk already; its chunks' TextRank
            rows, merged into ``keywords``, are let go too).
        terms: The terms stage's result (``term_stats`` on disk, ``keywords`` in memory).
    """
    datasets = {**corpus.datasets(), **extracted.tables, "segment_lexicon": lexicon, "keywords": terms.keywords,
                "quality_flags": quality_flags}
    for name, df in datasets.items():
        write_dataset(df, name, snapshot_dir)
    counts = {name: len(df) for name, df in datasets.items()}
    counts |= {"sentences": segmented.sentences, "tokens": segmented.tokens, "term_stats": terms.term_stats_rows}
    written = Written(counts, corpus.tally(), tuple(datasets))
    # after every write succeeded: a retried write still has its frames
    corpus.release()
    extracted.tables.clear()
    segmented.chunks.clear()  # their TextRank rows are in keywords now
    terms.keywords = None
    return written
