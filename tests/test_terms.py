"""Term statistics and keywords computed batch by batch equal the whole-corpus ones."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from tasks.segment import segment_paragraphs
from tasks.terms import (
    TermsConfig,
    chunk_terms,
    doc_term_counts,
    keywords,
    merge_keywords,
    term_stats,
    term_stats_from_counts,
    textrank_keywords,
    tfidf_keywords,
    write_doc_terms,
    write_term_stats,
)
from tasks.parquet import dataset_files, read_dataset


@pytest.fixture(scope="module")
def seed_tokens(seed_ingest):
    paras = seed_ingest.paragraphs.assign(is_duplicate=False)
    return segment_paragraphs(paras).tokens


def test_batchwise_terms_equal_whole_corpus_terms(seed_tokens):
    order = list(pd.unique(seed_tokens.doc_id))
    batches = [order[:5], order[5:9], order[9:]]
    counts = pd.concat([doc_term_counts(seed_tokens[seed_tokens.doc_id.isin(b)]) for b in batches], ignore_index=True)
    textrank = pd.concat([textrank_keywords(seed_tokens[seed_tokens.doc_id.isin(b)]) for b in batches], ignore_index=True)
    for b in batches:  # the flow's one-pass version of both
        both = chunk_terms(seed_tokens[seed_tokens.doc_id.isin(b)])
        pd.testing.assert_frame_equal(both[0], doc_term_counts(seed_tokens[seed_tokens.doc_id.isin(b)]))
        pd.testing.assert_frame_equal(both[1], textrank_keywords(seed_tokens[seed_tokens.doc_id.isin(b)]))
    stats = term_stats_from_counts(counts, len(order), order)
    whole = term_stats(seed_tokens)
    pd.testing.assert_frame_equal(stats, whole.reset_index(drop=True), check_dtype=False)
    merged = merge_keywords(tfidf_keywords(stats), textrank, order)
    pd.testing.assert_frame_equal(merged, keywords(seed_tokens, whole).reset_index(drop=True), check_dtype=False)
    assert set(merged.method) == {"tfidf", "textrank"}


def test_term_stats_finished_part_by_part_from_disk_equal_whole_corpus_terms(seed_tokens, tmp_path):
    order = list(pd.unique(seed_tokens.doc_id))
    work, root = tmp_path / "work", tmp_path / "snapshot"
    for part, batch in enumerate([order[:5], order[5:9], order[9:]]):
        write_doc_terms(doc_term_counts(seed_tokens[seed_tokens.doc_id.isin(batch)]), work, part)
    rows, tfidf = write_term_stats(work, root, len(order), order)
    whole = term_stats(seed_tokens)
    assert rows == len(whole) and len(dataset_files("term_stats", root)) == 3
    # each part is in term_stats order; across parts, rows are compared by key
    got = read_dataset("term_stats", root)
    pd.testing.assert_frame_equal(got, whole.reset_index(drop=True), check_dtype=False)
    want = keywords(seed_tokens, whole)
    pd.testing.assert_frame_equal(tfidf, want[want.method == "tfidf"].reset_index(drop=True), check_dtype=False)
    # idf uses the corpus-wide document frequency, not the part's
    assert got.groupby("term")["idf"].nunique().max() == 1
    # parts finished in two processes: the same parts
    rows2, tfidf2 = write_term_stats(work, tmp_path / "two", len(order), order, workers=2)
    assert rows2 == rows
    pd.testing.assert_frame_equal(read_dataset("term_stats", tmp_path / "two"), got)
    pd.testing.assert_frame_equal(tfidf2, tfidf)


def test_tfidf_ties_are_broken_by_term_even_for_categorical_terms():
    stats = pd.DataFrame({"doc_id": "d", "term": ["一网", "交易平台", "公共资源"], "pos": "n", "count": 1,
                          "tf": 0.5, "idf": 1.0, "tfidf": 0.5})
    # categories in another order than the strings sort
    cat = stats.assign(term=pd.Categorical(stats.term, categories=["交易平台", "公共资源", "一网"]))
    corpus_only = TermsConfig(background_idf=None)  # equal scores: the background IDF would tell them apart
    for frame in (stats, cat.iloc[::-1]):
        assert tfidf_keywords(frame, corpus_only)["term"].astype(str).tolist() == ["一网", "交易平台", "公共资源"]


def test_textrank_keywords_equal_jieba_graph_ranking_of_each_document(seed_tokens):
    from tasks.terms import KEYWORD_POS, is_content_term, load_stopwords, textrank_scores

    got = textrank_keywords(seed_tokens)
    stop = load_stopwords()
    checked = 0
    for doc, toks in seed_tokens.groupby("doc_id", sort=False):
        # graph nodes: words that are keyword candidates somewhere in the document (jieba's filter)
        cands = {t for t, p in zip(toks["token"], toks["pos"]) if p in KEYWORD_POS and is_content_term(t, p, stop)}
        seqs = [g["token"].tolist() for _, g in toks.groupby("para_id", sort=False)]
        ref = sorted(textrank_scores(seqs, cands).items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        mine = got[got["doc_id"] == doc]
        assert mine["term"].tolist() == [t for t, _ in ref], doc
        assert mine["score"].tolist() == [s for _, s in ref], doc  # bit for bit
        checked += len(ref) > 0
    assert checked >= 10


def test_textrank_of_interleaved_documents_equals_that_of_grouped_ones(seed_tokens):
    import numpy as np

    docs = list(pd.unique(seed_tokens.doc_id))[:4]
    grouped = seed_tokens[seed_tokens.doc_id.isin(docs)].reset_index(drop=True)
    # round robin over the documents, row by row: each document's own order kept
    mixed = grouped.take(np.lexsort((np.arange(len(grouped)), grouped.groupby("doc_id").cumcount().to_numpy())))
    assert mixed["doc_id"].iloc[:8].nunique() == 4
    want = textrank_keywords(grouped).sort_values(["doc_id", "rank"]).reset_index(drop=True)
    got = textrank_keywords(mixed).sort_values(["doc_id", "rank"]).reset_index(drop=True)
    assert len(want) > 40
    pd.testing.assert_frame_equal(got, want)


def test_doc_term_counts_do_not_depend_on_row_order_once_finished(seed_tokens):
    order = list(pd.unique(seed_tokens.doc_id))
    counts = doc_term_counts(seed_tokens)
    shuffled = counts.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert not shuffled["term"].equals(counts["term"])
    pd.testing.assert_frame_equal(term_stats_from_counts(shuffled, len(order), order),
                                  term_stats_from_counts(counts, len(order), order))


def test_seed_tfidf_keywords_leave_out_words_every_report_uses(seed_tokens):
    kw = keywords(seed_tokens)
    top10 = kw[(kw.method == "tfidf") & (kw["rank"] <= 10)]
    assert top10.doc_id.nunique() == seed_tokens.doc_id.nunique()
    assert not set(top10.term) & {"建设", "发展", "工作", "服务"}
    # with this corpus's IDF alone they fill the top 10 (the reason for the background)
    alone = keywords(seed_tokens, cfg=TermsConfig(background_idf=None))
    assert set(alone[(alone.method == "tfidf") & (alone["rank"] <= 10)].term) & {"建设", "发展", "工作", "服务"}


def test_keyword_idf_of_a_word_in_every_document_is_near_zero():
    import math

    from tasks.terms import keyword_idf

    n = 100
    corpus_idf = lambda df: math.log(n / (1 + df)) + 1  # noqa: E731 - term_stats' idf
    words = ["飞龙湖", "飞龙湖", "建设"]
    got = keyword_idf(words, [corpus_idf(1), corpus_idf(n), corpus_idf(1)], n, TermsConfig())
    # the same word: in one document it weighs, in all of them next to nothing
    assert got[1] < 0.01 * got[0]
    # the same spread: a word of general Chinese weighs less than a place name
    assert got[2] < 0.6 * got[0]
    # a word jieba's table does not list gets its median, as extract_tags does
    assert keyword_idf(["龘龘龘"], [corpus_idf(1)], n, TermsConfig())[0] > 0
    assert list(keyword_idf(words, [1.5, 1.0, 2.0], n, TermsConfig(background_idf=None))) == [1.5, 1.0, 2.0]


def test_textrank_of_many_random_documents_equals_jieba_bit_for_bit():
    # larger graphs than the seeds give: repeated and self pairs (a word twice within the window),
    # words without an edge, a document with no edge at all, hash collisions in the pair table
    import numpy as np

    from tasks.terms import textrank_scores

    rng = np.random.default_rng(7)
    words = [f"词{i:03d}" for i in range(120)]
    rows = []
    for d in range(40):
        vocab = rng.choice(words, size=int(rng.integers(2, 60)), replace=False)
        for p in range(int(rng.integers(1, 6))):
            for t in rng.choice(vocab, size=int(rng.integers(1, 80))):
                rows.append((f"doc{d:02d}", p, t, "n" if rng.random() < 0.7 else "v"))
    rows += [("lonely", 0, "孤词", "n"), ("lonely", 0, "的", "uj")]
    tokens = pd.DataFrame(rows, columns=["doc_id", "para_id", "token", "pos"])
    got = textrank_keywords(tokens, TermsConfig(top_k=1000))
    assert "lonely" not in set(got.doc_id)
    for doc, toks in tokens.groupby("doc_id", sort=False):
        cands = set(toks.loc[toks.pos == "n", "token"])
        seqs = [g["token"].tolist() for _, g in toks.groupby("para_id", sort=False)]
        ref = sorted(textrank_scores(seqs, cands).items(), key=lambda kv: (-kv[1], kv[0]))
        mine = got[got.doc_id == doc]
        assert list(zip(mine.term, mine.score)) == ref, doc  # same floats, bit for bit


def test_content_term_test_per_distinct_token_equals_the_rowwise_definition():
    import numpy as np

    from tasks.terms import _NOT_WORDY, _term_flags, load_stopwords

    stop = load_stopwords()
    # full-width and other Unicode digits, radicals (not letters), 〇 (a number), underscores, Latin
    values = ["经济", "123", "１２３", "a_b", "__", "ab", "，。", "x", "Ⅻ", "٣٤", "⺀⺀", "〇〇", "中1", "2024年",
              sorted(stop)[0], "１２３４５", "ＧＤＰ"]
    for index in (pd.Index(pd.array(values, dtype="str")), pd.Index(values, dtype=object),
                  pd.CategoricalIndex(values), pd.Index([*values, 3], dtype=object)):
        listed, every = index.tolist(), np.arange(len(index))
        want = [isinstance(t, str) and len(t) >= 2 and t not in stop and not _NOT_WORDY.match(t) for t in listed]
        assert _term_flags(index, every, stop, 2).tolist() == [*want, False]


def test_keyword_idf_looks_up_background_idf_of_any_sequence_of_terms():
    import numpy as np

    from tasks.terms import DEFAULT_BACKGROUND_IDF, keyword_idf, load_background_idf

    table, median = load_background_idf(str(DEFAULT_BACKGROUND_IDF))
    terms = ["经济", "龘龘龘", "经济", None, "发展"]
    want = np.array([table.get(t, median) for t in terms]) * np.log(11 / 1.5)
    idf = [np.log(10 / 2) + 1] * len(terms)  # df = 1 in N = 10 documents
    for given in (terms, np.array(terms, dtype=object), pd.Series(terms, dtype="str")):
        assert keyword_idf(given, idf, 10, TermsConfig()).tolist() == want.tolist()


def test_compiled_loops_load_where_no_cache_folder_is_writable():
    import os
    import subprocess
    import sys

    # numba finds no folder to cache the compiled loops in (a read-only install): they compile each time
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "_ZipCacheLocator"}
    code = ("import tasks.terms as t; t.load_compiled_loops(); "
            "loops = [t._row_nodes, t._pairs, t._first_occurrences, t._edge_lists, t._gauss_seidel]; "
            "print(type(t._gauss_seidel._cache).__name__, all(f.signatures for f in loops))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # and all of them are ready for the processes forked after load_compiled_loops
    assert out.stdout.split() == ["NullCache", "True"]


def test_vocabulary_numbers_each_term_once_across_parts(tmp_path):
    from tasks.terms import DEFAULT_BACKGROUND_IDF, _background_idf, _vocabulary, load_background_idf

    rows = [("d1", "经济", "n", 2, 0.5), ("d1", "发展", "vn", 2, 0.5), ("d2", "经济", "n", 1, 1.0)]
    write_doc_terms(pd.DataFrame(rows, columns=["doc_id", "term", "pos", "count", "tf"]), tmp_path, 0)
    rows = [("d3", "龘龘", "n", 1, 0.5), ("d3", "经济", "n", 1, 0.5)]
    write_doc_terms(pd.DataFrame(rows, columns=["doc_id", "term", "pos", "count", "tf"]), tmp_path, 1)
    vocab = _vocabulary(sorted(tmp_path.glob("part-*.parquet")), DEFAULT_BACKGROUND_IDF)
    first, second = vocab.codes
    assert first[0] == first[2] == second[1] and len({first[0], first[1], second[0]}) == 3
    assert [vocab.df[c] for c in (*first, *second)] == [3, 1, 3, 1, 3]
    # ranks in code point order: 发展 < 经济 < 龘龘
    assert vocab.rank[first[1]] < vocab.rank[first[0]] < vocab.rank[second[0]]
    # the background IDF keyword_idf looks up: a listed word's, or the median for 龘龘
    table, median = load_background_idf(str(DEFAULT_BACKGROUND_IDF))
    want = [table["经济"], table["发展"], median]
    assert vocab.background[[first[0], first[1], second[0]]].tolist() == want
    assert "龘龘" not in table and median != want[0]
    assert _background_idf(["经济", "发展", "龘龘"], str(DEFAULT_BACKGROUND_IDF)).tolist() == want
    assert _vocabulary(sorted(tmp_path.glob("part-*.parquet")), None).background is None


@pytest.mark.parametrize("tie_ordered", [False, True], ids=["any order", "by document then tie"])
def test_top_k_orders_as_lexsort_by_document_score_descending_then_tie(tie_ordered):
    import numpy as np

    from tasks.terms import _top_k

    rng = np.random.default_rng(8 if tie_ordered else 7)
    doc = np.sort(rng.integers(0, 30, 3000))
    score = rng.integers(0, 5, 3000) / 4.0  # many ties
    tie = rng.integers(0, 50, 3000)
    if tie_ordered:
        tie = tie[np.lexsort((tie, doc))]  # by document, then tie (equal ties too): TextRank's node order
    o = np.lexsort((tie, -score, doc))
    d = doc[o]
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
    rank = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)])) + 1
    idx, got_rank = _top_k(doc, score, tie, 4)
    assert idx.tolist() == o[rank <= 4].tolist() and got_rank.tolist() == rank[rank <= 4].tolist()


def test_chunk_terms_from_segmentation_codes_equal_those_of_the_table(seed_ingest):
    import numpy as np

    from tasks.segment import SegmentConfig, _assemble, get_segmenter, plan_segment_jobs, token_codes

    paras = seed_ingest.paragraphs.assign(is_duplicate=False)
    lexicon = segment_paragraphs(paras.head(50)).lexicon
    seg = get_segmenter(list(lexicon.itertuples(index=False, name=None)))
    jobs, _ = plan_segment_jobs(paras, SegmentConfig(), chunk_chars=20_000)
    assert len(jobs) > 1
    for job in jobs:
        out = seg.segment_batch(job.texts)
        _s, tokens = _assemble([out], [(0, len(job.texts))], job.texts, job.doc_ids, job.para_ids)
        want_counts, want_keys = chunk_terms(tokens)
        got_counts, got_keys = chunk_terms(tokens, codes=token_codes(out, job.doc_ids))
        pd.testing.assert_frame_equal(got_counts, want_counts, check_exact=True)
        pd.testing.assert_frame_equal(got_keys, want_keys, check_exact=True)
        assert len(want_keys) and np.isfinite(want_keys["score"]).all()


def test_a_terms_tag_in_a_document_is_its_most_frequent_then_alphabetical():
    tokens = pd.DataFrame({"doc_id": ["d1"] * 5 + ["d2"] * 6, "para_id": 0,
                           "token": ["建设"] * 11,
                           "pos": ["vn", "v", "vn", "v", "n",   "v", "v", "v", "vn", "n", "n"]})
    counts = doc_term_counts(tokens)
    assert counts[["doc_id", "pos", "count"]].values.tolist() == [["d1", "v", 5], ["d2", "v", 6]]
    tokens.loc[1, "pos"] = "n"  # d1: vn 2, n 2, v 1: a tie, broken alphabetically
    assert doc_term_counts(tokens)["pos"].tolist() == ["n", "v"]


def test_corpus_idf_is_math_log_of_each_ratio_plus_one():
    import math

    from tasks.terms import corpus_idf

    assert corpus_idf(10, [0, 4, 9, 4]).tolist() == [math.log(10 / (1 + d)) + 1.0 for d in (0, 4, 9, 4)]


def test_term_stats_part_in_arrow_equals_the_pandas_finish(seed_tokens, tmp_path):
    import pyarrow.parquet as pq

    from tasks.terms import _finish_part, _finish_part_frame, _positions, _vocabulary, corpus_idf

    order = list(pd.unique(seed_tokens.doc_id))
    work = tmp_path / "work"
    for part, batch in enumerate([order[:5], order[5:]]):
        write_doc_terms(doc_term_counts(seed_tokens[seed_tokens.doc_id.isin(batch)]), work, part)
    files = sorted(work.glob("part-*.parquet"))
    # (the first three documents unlisted: they sort together, their rows mixed)
    for background, listed in ((TermsConfig().background_idf, order), (None, order), (None, order[3:])):
        cfg = TermsConfig(top_k=5, background_idf=background)
        vocab = _vocabulary(files, cfg.background_idf)
        for i, path in enumerate(files):
            done = []
            for finish, root in ((_finish_part, tmp_path / "arrow"), (_finish_part_frame, tmp_path / "pandas")):
                state = (str(root), len(order), _positions(listed), cfg, vocab, corpus_idf(len(order), vocab.df))
                done.append(finish(state, (path, i)))
            (n_arrow, keys_arrow), (n_pandas, keys_pandas) = done
            assert n_arrow == n_pandas > 0
            pd.testing.assert_frame_equal(keys_arrow, keys_pandas)
            assert set(keys_arrow["rank"]) == set(range(1, 6))
            got, want = (pq.read_table(tmp_path / root / "term_stats" / path.name) for root in ("arrow", "pandas"))
            assert got.schema.equals(want.schema) and got.equals(want)


def test_term_stats_part_with_a_missing_tag_is_finished_as_pandas_ranks_it(tmp_path):
    rows = [("d1", "经济", None, 2, 0.5), ("d1", "发展", "vn", 2, 0.5), ("d2", "经济", "n", 1, 1.0)]
    write_doc_terms(pd.DataFrame(rows, columns=["doc_id", "term", "pos", "count", "tf"]), tmp_path / "work", 0)
    n, keys = write_term_stats(tmp_path / "work", tmp_path / "snap", 2, ["d1", "d2"])
    got = read_dataset("term_stats", tmp_path / "snap")
    assert n == 3 and got["pos"].isna().tolist() == [False, True, False]
    assert keys["term"].tolist() == ["发展", "经济"]  # a row without a tag is no keyword


def test_background_idf_file_is_read_once_per_process(monkeypatch):
    import tasks.terms as terms

    calls = []
    real = terms.load_background_idf
    monkeypatch.setattr(terms, "load_background_idf", lambda path: calls.append(path) or real(path))
    terms._background_index.cache_clear()
    try:
        for _ in range(3):
            terms._background_idf(["经济", "龘龘"], str(terms.DEFAULT_BACKGROUND_IDF))
            terms._background_of_distinct(pa.array(["发展"]), str(terms.DEFAULT_BACKGROUND_IDF))
        assert calls == [str(terms.DEFAULT_BACKGROUND_IDF)]
    finally:
        terms._background_index.cache_clear()


def test_dictionary_codes_number_rows_across_row_groups_with_their_own_dictionaries(tmp_path):
    import pyarrow.parquet as pq

    from tasks.terms import _dictionary_codes

    pq.write_table(pa.table({"doc_id": ["b", "a", "a", "c", "b"]}), tmp_path / "t.parquet", row_group_size=2)
    column = pq.read_table(tmp_path / "t.parquet", read_dictionary=["doc_id"]).column("doc_id")
    assert column.num_chunks == 3
    codes, values = _dictionary_codes(column)
    assert values.take(codes).to_pylist() == ["b", "a", "a", "c", "b"]


def test_top_k_rows_of_documents_not_ordered_by_score_equal_a_full_lexsort():
    import numpy as np

    from tasks.terms import _top_k_candidates, _top_k_rows

    rng = np.random.default_rng(9)
    doc = np.sort(rng.integers(0, 40, 4000))
    doc[doc == 3] = 4  # a document with twice the rows
    score = rng.integers(0, 6, 4000) / 4.0  # many ties, at the k-th too
    score[rng.random(4000) < 0.05] = np.nan
    score[doc == 7] = np.nan  # a document without any score
    tie = rng.permutation(4000)
    for k in (1, 4, 500):
        o = np.lexsort((tie, np.where(np.isnan(score), np.inf, -score), doc))
        d = doc[o]
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        rank = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)])) + 1
        at, got_rank = _top_k_rows(doc, score, k, lambda rows: tie[rows])
        assert at.tolist() == o[rank <= k].tolist() and got_rank.tolist() == rank[rank <= k].tolist()
    # only the rows that can be in a top 4 are ordered, though the rows are not by score
    assert len(_top_k_candidates(doc, score, 4)) < len(doc) / 4
