"""extract_corpus: any number of worker processes and batches gives one batch's tables."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.clean import clean_paragraphs
from tasks.dedup import dedup_corpus
from tasks.extract import TABLES, batch_positions, concat_tables, extract_batch, extract_corpus, gc_paused, split_batches


@pytest.fixture(scope="module")
def seed_corpus(seed_ingest):
    dedup = dedup_corpus(seed_ingest.documents, clean_paragraphs(seed_ingest.paragraphs).paragraphs)
    return dedup.documents, dedup.paragraphs


def test_workers_and_batches_give_exactly_the_single_batch_tables(seed_corpus):
    documents, paragraphs = seed_corpus
    one = extract_batch(documents, paragraphs)
    assert sum(len(one.tables[t]) for t in TABLES) > 100
    for workers, per_worker in [(2, 3), (2, 7)]:
        many = extract_corpus(documents, paragraphs, workers, per_worker)
        for name in TABLES:
            pd.testing.assert_frame_equal(many.tables[name], one.tables[name], obj=name)
        assert many.stats == one.stats
    # the Dask path concatenates batch results itself: same tables
    batches = [extract_batch(d, p).tables for d, p in split_batches(documents, paragraphs, 5)]
    for name, df in concat_tables(batches, TABLES).items():
        pd.testing.assert_frame_equal(df, one.tables[name], obj=name)


def test_batches_are_runs_of_documents_with_all_their_paragraphs(seed_corpus):
    documents, paragraphs = seed_corpus
    seen_docs, seen_paras = [], []
    for doc_pos, para_pos in batch_positions(documents, paragraphs, 4):
        ids = set(documents["doc_id"].iloc[doc_pos])
        assert set(paragraphs["doc_id"].iloc[para_pos]) <= ids
        seen_docs.extend(doc_pos.tolist())
        seen_paras.extend(para_pos.tolist())
    assert seen_docs == list(range(len(documents)))  # contiguous runs, in order
    assert sorted(seen_paras) == list(range(len(paragraphs)))  # every paragraph exactly once


def test_gc_paused_holds_off_collection_in_the_block_and_restores_the_state_before_it():
    import gc

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("an extractor failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
