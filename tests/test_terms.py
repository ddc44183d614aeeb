"""Term statistics and keywords computed batch by batch equal the whole-corpus ones."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.segment import segment_paragraphs
from tasks.terms import (
    doc_term_counts,
    keywords,
    merge_keywords,
    term_stats,
    term_stats_from_counts,
    textrank_keywords,
    tfidf_keywords,
)


@pytest.fixture(scope="module")
def seed_tokens(seed_ingest):
    paras = seed_ingest.paragraphs.assign(is_duplicate=False)
    return segment_paragraphs(paras).tokens


def test_batchwise_terms_equal_whole_corpus_terms(seed_tokens):
    order = list(pd.unique(seed_tokens.doc_id))
    batches = [order[:5], order[5:9], order[9:]]
    counts = pd.concat([doc_term_counts(seed_tokens[seed_tokens.doc_id.isin(b)]) for b in batches], ignore_index=True)
    textrank = pd.concat([textrank_keywords(seed_tokens[seed_tokens.doc_id.isin(b)]) for b in batches], ignore_index=True)
    stats = term_stats_from_counts(counts, len(order), order)
    whole = term_stats(seed_tokens)
    pd.testing.assert_frame_equal(stats, whole.reset_index(drop=True), check_dtype=False)
    merged = merge_keywords(tfidf_keywords(stats), textrank, order)
    pd.testing.assert_frame_equal(merged, keywords(seed_tokens, whole).reset_index(drop=True), check_dtype=False)
    assert set(merged.method) == {"tfidf", "textrank"}
