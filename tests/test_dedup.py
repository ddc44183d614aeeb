"""Tests of the dedup stage: exact, fragment, splice and document duplicates with lineage."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import tasks.dedup as dedup_module
from tasks.clean import clean_paragraphs, normalize_text
from tasks.dedup import (
    METHOD_CONTAINMENT,
    METHOD_EXACT,
    METHOD_SPLICE,
    DedupConfig,
    _most_frequent,
    dedup_corpus,
    dedup_key,
    ngram_hashes,
    ngram_hashes_many,
)
from tasks.schemas import column_names
from tasks.sentences import split_sentences

# Three unrelated paragraphs of report prose, each several sentences long.
P1 = (
    "纵深推进数字化改革。紧盯群众、企业最高频需求,扩面一批场景应用,形成一批实践成果和制度成果。"
    "推动数字技术与经济社会运行深度融合,打造数字变革高地。"
)
P2 = (
    "提升功能品质。加快城市开发步伐,重点围绕两轴三心,每年推出一批标志性工程,开发一批高品质住宅小区。"
    "建强城市大脑,提升服务管理智能化、人性化、精细化水平。"
)
P3 = (
    "千方百计促增收。紧盯技术工人、高校毕业生、低收入农户等重点人群,一体构建就业扩面提质的政策体系。"
    "重点打造民营经济先富带后富机制,健全回报社会激励制度。"
)


def make_corpus(*docs: list[tuple[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Builds documents d0, d1, ... (one source file each) from lists of (kind, text)."""
    doc_rows, para_rows = [], []
    for d, paras in enumerate(docs):
        doc_rows.append({"doc_id": f"d{d}", "source_file": f"{d:03d}.txt", "source_ordinal": 0})
        for i, (kind, text) in enumerate(paras):
            para_rows.append(
                {"doc_id": f"d{d}", "para_id": i, "kind": kind, "section": "", "text": text, "n_chars": len(text)}
            )
    return pd.DataFrame(doc_rows), pd.DataFrame(para_rows)


def body(*texts: str) -> list[tuple[str, str]]:
    return [("body", t) for t in texts]


def dup_flags(res) -> dict[tuple[str, int], bool]:
    p = res.paragraphs
    return {(d, int(i)): bool(x) for d, i, x in zip(p["doc_id"], p["para_id"], p["is_duplicate"])}


def lineage(res) -> dict[tuple[str, int], list[tuple[str, int, str]]]:
    out: dict = {}
    for r in res.paragraph_duplicates.itertuples():
        out.setdefault((r.doc_id, int(r.para_id)), []).append((r.kept_doc_id, int(r.kept_para_id), r.method))
    return out


# --- helpers ----------------------------------------------------------------


def test_dedup_key_ignores_width_spacing_and_quote_style():
    assert dedup_key("打通“断头路”, 共 10 条。") == dedup_key('打通"断头路"，共１０条。')
    assert dedup_key("增长8.3%") != dedup_key("增长9.3%")


def test_ngram_hashes_many_matches_one_call_per_key():
    keys = ["高质量发展高质量发展", "四个字", "", "打通断头路十条"]
    many, counts = ngram_hashes_many(keys, 5)
    assert counts.tolist() == [6, 0, 0, 3]
    assert many.tolist() == [h for k in keys for h in ngram_hashes(k, 5).tolist()]


def test_ngram_hashes_are_deterministic_and_positional():
    h = ngram_hashes("高质量发展高质量发展", 5)
    assert len(h) == 6
    assert h[0] == h[5]
    assert len(set(h.tolist())) == 5
    assert len(ngram_hashes("四个字", 5)) == 0


def _reference_hash(window: str) -> int:
    """The n-gram hash written out in Python: polynomial over code points, then splitmix64's finaliser."""
    h = 0
    for ch in window:
        h = (h * 0x100000001B3 + ord(ch)) % 2**64
    h ^= h >> 30
    h = h * 0xBF58476D1CE4E5B9 % 2**64
    h ^= h >> 27
    h = h * 0x94D049BB133111EB % 2**64
    return h ^ (h >> 31)


def test_ngram_hashes_are_the_same_whatever_the_block_hashed_at_once(monkeypatch):
    key = (P1 + P2 + P3) * 3
    whole = ngram_hashes(key, 5)
    monkeypatch.setattr(dedup_module, "_HASH_BLOCK", 7)
    assert ngram_hashes(key, 5).tolist() == whole.tolist()
    assert [whole[i] for i in (0, 7, len(whole) - 1)] == [_reference_hash(key[i : i + 5]) for i in (0, 7, len(key) - 5)]


def test_dedup_key_drops_every_whitespace_character_and_unifies_every_quote_mark():
    spaces = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
    assert dedup_key(f"增长{spaces}8.3%\x1c") == "增长8.3%"
    assert dedup_key("“”„‟「」『』〝〞＂") == '"' * 11
    assert dedup_key("‘’‚‛＇") == "'" * 5


def test_ranked_pairs_follow_lexsort_whether_packed_or_not():
    rng = np.random.default_rng(4)
    n = 50
    pairs = np.unique(rng.integers(0, n, (400, 2)), axis=0)
    by, other = pairs[:, 0], pairs[:, 1]
    shared = rng.integers(1, 6, len(by))  # many ties
    order = np.lexsort((other, -shared, by))
    for size in (n, 2**40):  # packed into one int64 key, and too large for that
        got_by, got_other = dedup_module._ranked_pairs(by, shared, other, size)
        assert got_by.tolist() == by[order].tolist() and got_other.tolist() == other[order].tolist()


def test_counts_sorted_is_np_unique_with_counts():
    a = np.random.default_rng(5).integers(0, 30, 500)
    values, counts = dedup_module._counts_sorted(a)
    expected = np.unique(a, return_counts=True)
    assert values.tolist() == expected[0].tolist() and counts.tolist() == expected[1].tolist()
    assert [x.tolist() for x in dedup_module._counts_sorted(np.zeros(0, np.int64))] == [[], []]


def _naive_index_slice(h: np.ndarray, pos: np.ndarray, off: np.ndarray, max_holders: int):
    """_index_slice written out with dicts: per n-gram its holders, per occurrence its flags."""
    owner = np.searchsorted(off, pos, side="right") - 1
    holders: dict[int, list[int]] = {}
    for x, o in zip(h.tolist(), owner.tolist()):
        holders.setdefault(x, [])
        if o not in holders[x]:
            holders[x].append(o)
    listed = sorted(x for x, hs in holders.items() if 2 <= len(hs) <= max_holders)
    flags = [
        (dedup_module._EARLIER if min(holders[x]) < o else 0) | (dedup_module._LATER if max(holders[x]) > o else 0)
        for x, o in zip(h.tolist(), owner.tolist())
    ]
    entries = [o for x in listed for o in sorted(holders[x])]
    return listed, [len(holders[x]) for x in listed], entries, dict(zip(pos.tolist(), flags))


@pytest.mark.parametrize("group_part", [1 << 16, 8], ids=["one-table", "many-tables"])
def test_index_slice_groups_like_a_plain_dict(monkeypatch, group_part):
    monkeypatch.setattr(dedup_module, "_GROUP_PART", group_part)
    rng = np.random.default_rng(7)
    off = np.concatenate(([0], np.cumsum(rng.integers(0, 12, 40))))
    # few distinct values: n-grams shared by many paragraphs, and repeated inside one
    values = rng.integers(0, 2**64, 60, dtype=np.uint64)
    pos = np.sort(rng.choice(int(off[-1]), int(off[-1]) * 2 // 3, replace=False))
    h = values[rng.integers(0, len(values), len(pos))]
    hashes, sizes, holders, got_pos, flags = dedup_module._index_slice(h, pos, off, max_holders=6)
    want = _naive_index_slice(h, pos, off, 6)
    assert (hashes.tolist(), sizes.tolist(), holders.tolist()) == want[:3]
    assert dict(zip(got_pos.tolist(), flags.tolist())) == want[3]
    # the case holds listed n-grams, n-grams with too many holders, and repeats inside a paragraph
    owner = np.searchsorted(off, pos, side="right") - 1
    assert 0 < len(hashes) < len(set(h.tolist()))
    assert len(set(zip(h.tolist(), owner.tolist()))) < len(h)


def test_drop_repeats_keeps_one_entry_per_ngram_and_paragraph():
    codes = np.array([3, 1, 3, 2, 2, 2, 5])
    owner = np.array([0, 0, 0, 1, 2, 2, 4], dtype=np.int32)
    got_codes, got_owner = dedup_module._drop_repeats(codes, owner, 6)
    assert list(zip(got_codes.tolist(), got_owner.tolist())) == [(3, 0), (1, 0), (2, 1), (2, 2), (5, 4)]


def test_covered_ok_many_answers_like_covered_ok_one_at_a_time():
    cfg = DedupConfig()
    rng = np.random.default_rng(3)
    covs, keys, cuts = [], [], []
    for _ in range(3000):
        m = int(rng.integers(0, 30))
        cov = rng.random(m) > rng.choice([0.02, 0.1, 0.3])
        if m > 6 and rng.random() < 0.4:  # a run of misses, at an edge or inside
            s = int(rng.choice([0, m - 3, rng.integers(0, m)]))
            cov[s : s + int(rng.integers(1, 7))] = False
        keys.append("".join(rng.choice(list("推进改革。发展经济!"), m + 4)))
        covs.append(cov)
        cuts.append((bool(rng.random() < 0.5), bool(rng.random() < 0.5)))
    counts = np.array([len(c) for c in covs])
    for junctions in (0, 1, 2):
        want = [dedup_module.covered_ok(c, k, cfg, junctions, cut) for c, k, cut in zip(covs, keys, cuts)]
        got = dedup_module.covered_ok_many(np.concatenate(covs), counts, keys, cfg, junctions, np.array(cuts))
        assert 0 < sum(want) < len(want)
        assert got.tolist() == want


def test_rank_partners_packs_pairs_small_or_large_alike():
    rng = np.random.default_rng(11)
    n, k, max_df = 30, 3, 5
    # n-grams with 2 to max_df holders each, ascending
    runs = [np.sort(rng.choice(n, int(rng.integers(2, max_df + 1)), replace=False)) for _ in range(60)]
    pad = np.full(max_df, -1, dtype=np.int32)
    o = np.concatenate([pad] + [r.astype(np.int32) for r in runs] + [pad])
    gid = np.concatenate([pad] + [np.full(len(r), g, dtype=np.int32) for g, r in enumerate(runs)] + [pad])
    for side in (0, 1):
        small = dedup_module._rank_partners(dedup_module._PairPlan(o, gid, n, k, max_df), (side, 0, n))
        # the same paragraphs numbered in a range too wide for 32-bit pair keys
        large = dedup_module._rank_partners(dedup_module._PairPlan(o, gid, 2**33, k, max_df), (side, 0, n))
        assert (small >= 0).any() and small.tolist() == large.tolist()


def test_two_workers_and_small_jobs_give_the_same_rows_as_one_process(seed_ingest, monkeypatch):
    paras = clean_paragraphs(seed_ingest.paragraphs).paragraphs
    one = dedup_corpus(seed_ingest.documents, paras)
    assert one.stats["dropped_containment"] and one.stats["dropped_splice"]
    # jobs small enough that every step cut into jobs runs several of them
    monkeypatch.setattr(dedup_module, "_TEXT_SLICE", 256)
    monkeypatch.setattr(dedup_module, "_SORT_SLICE", 1 << 12)
    monkeypatch.setattr(dedup_module, "_GROUP_PART", 1 << 6)
    monkeypatch.setattr(dedup_module, "_PAIR_SLICE", 1 << 10)
    monkeypatch.setattr(dedup_module, "_SCREEN_BLOCK", 4)
    jobs: Counter = Counter()
    map_with_state = dedup_module.map_with_state

    def counting(fn, state, job_list, workers, **kw):
        jobs[fn.__name__] += len(job_list)
        return map_with_state(fn, state, job_list, workers, **kw)

    monkeypatch.setattr(dedup_module, "map_with_state", counting)
    two = dedup_corpus(seed_ingest.documents, paras, workers=2)
    assert set(jobs) == {"_key_texts", "_index_pass", "_rank_partners", "_screen_block"}
    assert min(jobs.values()) > 2
    pd.testing.assert_frame_equal(one.documents, two.documents)
    pd.testing.assert_frame_equal(one.paragraphs, two.paragraphs)
    pd.testing.assert_frame_equal(one.paragraph_duplicates, two.paragraph_duplicates)
    assert one.stats == two.stats


# --- crafted corpora --------------------------------------------------------


def test_exact_copy_in_another_document_is_a_duplicate_of_the_first():
    docs, paras = make_corpus(body(P1, P2), body(P3, "纵深推进数字化改革。 紧盯群众、企业最高频需求,扩面一批场景应用,形成一批实践成果和制度成果。推动数字技术与经济社会运行深度融合,打造数字变革高地。"))
    res = dedup_corpus(docs, paras)
    assert dup_flags(res) == {("d0", 0): False, ("d0", 1): False, ("d1", 0): False, ("d1", 1): True}
    assert lineage(res) == {("d1", 1): [("d0", 0, METHOD_EXACT)]}


def test_first_occurrence_follows_source_file_order_not_row_order():
    docs, paras = make_corpus(body(P1), body(P1, P2))
    docs = docs.iloc[::-1].reset_index(drop=True)
    paras = paras.iloc[::-1].reset_index(drop=True)
    res = dedup_corpus(docs, paras)
    assert lineage(res) == {("d1", 0): [("d0", 0, METHOD_EXACT)]}


@pytest.mark.parametrize("piece", [P2[:60], P2[20:90], P2[-50:]], ids=["prefix", "middle", "suffix"])
def test_fragment_of_a_kept_paragraph_is_a_containment_duplicate(piece):
    docs, paras = make_corpus(body(P1, P2), body(P3, piece))
    res = dedup_corpus(docs, paras)
    assert lineage(res) == {("d1", 1): [("d0", 1, METHOD_CONTAINMENT)]}


def test_fragment_seen_before_its_container_yields_to_the_container():
    docs, paras = make_corpus(body(P2[10:80], P1), body(P2))
    res = dedup_corpus(docs, paras)
    assert lineage(res) == {("d0", 0): [("d1", 0, METHOD_CONTAINMENT)]}
    assert not dup_flags(res)[("d1", 0)]


def test_splice_of_two_kept_paragraphs_names_both_sources():
    splice = P1[:50] + P2[45:]
    docs, paras = make_corpus(body(P1, P2, P3), body(splice))
    res = dedup_corpus(docs, paras)
    got = lineage(res)[("d1", 0)]
    assert sorted(got) == [("d0", 0, METHOD_SPLICE), ("d0", 1, METHOD_SPLICE)]


def test_fragment_carrying_one_unique_sentence_stays():
    docs, paras = make_corpus(body(P1, P2), body("8.推进城乡电网建设。" + P2[8:]))
    res = dedup_corpus(docs, paras)
    assert not res.paragraphs["is_duplicate"].any()


def test_copy_with_a_changed_number_stays():
    docs, paras = make_corpus(body(P3 + "全年新增就业1.2万人。"), body(P3 + "全年新增就业1.3万人。"))
    res = dedup_corpus(docs, paras)
    assert not res.paragraphs["is_duplicate"].any()


def test_copy_with_an_inserted_word_stays():
    edited = P1.replace("打造数字变革高地", "打造全省数字变革高地")
    docs, paras = make_corpus(body(P1), body(edited))
    assert not dedup_corpus(docs, paras).paragraphs["is_duplicate"].any()


def test_headings_bylines_and_tables_of_different_documents_are_never_deduplicated():
    doc = [("heading", "主要预期目标"), ("table", "指标\n预期性"), ("byline", "本报记者黄方考整理"), ("body", P1)]
    docs, paras = make_corpus(doc, [("heading", "主要预期目标"), ("table", "指标\n预期性"), ("byline", "本报记者黄方考整理"), ("body", P3)])
    res = dedup_corpus(docs, paras)
    assert not res.paragraphs["is_duplicate"].any()


def test_a_heading_or_byline_repeated_within_its_document_is_a_duplicate_of_its_first():
    # a portal page crawled with its text twice over: every heading comes back (State Council corpus)
    doc = [("heading", "一、过去一年的工作"), ("byline", "国务院总理 李鹏"), ("body", P1),
           ("heading", "一、过去一年的工作"), ("byline", "国务院总理 李鹏"), ("body", P1),
           ("heading", "二、今年的主要任务"), ("table", "指标\n预期性"), ("table", "指标\n预期性")]
    docs, paras = make_corpus(doc, [("heading", "一、过去一年的工作"), ("body", P3)])
    res = dedup_corpus(docs, paras)
    flags = dup_flags(res)
    assert [flags[("d0", i)] for i in range(9)] == [False, False, False, True, True, True, False, False, False]
    assert lineage(res)[("d0", 3)] == [("d0", 0, "exact")] and lineage(res)[("d0", 4)] == [("d0", 1, "exact")]
    # the same heading in another document stays: headings repeat across reports as a matter of course
    assert flags[("d1", 0)] is False


def test_same_article_in_two_files_is_a_document_duplicate():
    article = [("heading", "擘画新蓝图"), ("body", P1), ("body", P2), ("table", "指标\n预期性")]
    docs, paras = make_corpus(article, body(P3), article)
    res = dedup_corpus(docs, paras)
    d = res.documents.set_index("doc_id")
    assert d.loc["d2", "is_duplicate"] and d.loc["d2", "duplicate_of"] == "d0"
    assert not d.loc["d0", "is_duplicate"] and d.loc["d0", "duplicate_of"] is None
    flags = dup_flags(res)
    assert all(flags[("d2", i)] for i in range(4))
    assert lineage(res)[("d2", 3)] == [("d0", 3, METHOD_EXACT)]


def test_document_whose_body_repeats_another_document_is_a_duplicate():
    docs, paras = make_corpus(
        [("heading", "标题甲"), ("body", P1), ("body", P2)],
        [("heading", "转载:标题甲"), ("body", P1[:70]), ("body", P2)],
    )
    res = dedup_corpus(docs, paras)
    d = res.documents.set_index("doc_id")
    assert d.loc["d1", "duplicate_of"] == "d0"
    # its heading is different text, so it is kept (nothing unique is hidden)
    assert not dup_flags(res)[("d1", 0)]


def test_lineage_always_points_at_a_kept_paragraph():
    docs, paras = make_corpus(body(P2[10:80], P1, P1), body(P2, P2[:40] + P1[30:], P1[5:60]))
    res = dedup_corpus(docs, paras)
    flags = dup_flags(res)
    for r in res.paragraph_duplicates.itertuples():
        assert flags[(r.doc_id, int(r.para_id))]
        assert not flags[(r.kept_doc_id, int(r.kept_para_id))]
    assert set(k for k, v in flags.items() if v) == set(lineage(res))


def test_output_is_deterministic_whatever_the_row_order():
    docs, paras = make_corpus(body(P1, P2[5:70]), body(P2, P1[:60] + P3[40:]), body(P3))
    a = dedup_corpus(docs, paras)
    rng = np.random.default_rng(0)
    b = dedup_corpus(docs.sample(frac=1, random_state=1), paras.iloc[rng.permutation(len(paras))])
    pd.testing.assert_frame_equal(a.paragraphs, b.paragraphs)
    pd.testing.assert_frame_equal(a.paragraph_duplicates, b.paragraph_duplicates)


def test_output_columns_match_the_schemas():
    docs, paras = make_corpus(body(P1), body(P1))
    res = dedup_corpus(docs, paras)
    assert list(res.paragraphs.columns) == column_names("paragraphs")
    assert list(res.paragraph_duplicates.columns) == column_names("paragraph_duplicates")
    assert res.stats["paragraphs_in"] == 2 and res.stats["paragraphs_kept"] == 1


def test_config_is_validated():
    with pytest.raises(ValueError, match="min_containment_chars"):
        DedupConfig(ngram=8, min_containment_chars=6)
    with pytest.raises(ValueError, match="max_df"):
        DedupConfig(max_df=1)
    with pytest.raises(ValueError, match="min_coverage"):
        DedupConfig(min_coverage=0)


# --- cost: no work per duplicate that grows with the corpus ------------------


def random_paragraph(rng: np.random.Generator, n: int = 60) -> str:
    """A paragraph of n random CJK characters: shares no n-gram with another."""
    return "".join(chr(0x4E00 + int(c)) for c in rng.integers(0, 20000, n)) + "。"


def test_most_frequent_is_sized_by_the_values_not_their_range():
    # runs once per candidate duplicate: a count per paragraph of the corpus
    # (np.bincount of paragraph numbers) made the stage quadratic; here that
    # would be an array of two billion counts
    assert _most_frequent(np.array([7, 2_000_000_000, 5, 2_000_000_000, 7], dtype=np.int32)) == 7
    rng = np.random.default_rng(0)
    for span in (10, 100_000):  # the counting and the sorting branch
        v = rng.integers(0, span, 300).astype(np.int32)
        assert _most_frequent(v) == int(np.argmax(np.bincount(v)))


def test_large_document_that_many_documents_repeat_is_keyed_once(monkeypatch):
    # a yearbook read first, then reports that each repeat two of its paragraphs:
    # each report is a document duplicate of it, and the yearbook's rows are
    # keyed once for all of them, not once per report (k x 2k rows)
    scanned = []
    first_rows = dedup_module._first_rows
    monkeypatch.setattr(dedup_module, "_first_rows", lambda rows, *a: scanned.append(len(rows)) or first_rows(rows, *a))
    rng = np.random.default_rng(1)
    k = 200
    book = [random_paragraph(rng) for _ in range(2 * k)]
    docs, paras = make_corpus(body(*book), *(body(book[2 * j], book[2 * j + 1]) for j in range(k)))
    res = dedup_corpus(docs, paras)
    assert res.documents.set_index("doc_id")["duplicate_of"].tolist() == [None] + ["d0"] * k
    assert scanned == [2 * k]


def test_compilation_of_prefixed_paragraphs_is_kept_and_costs_no_index_votes(monkeypatch):
    # a later file holding every paragraph of the corpus, each line with a prefix
    # (truth.csv of the benchmark; a compilation of reports): by the container
    # rule the reports' paragraphs yield to its lines. The first candidate of
    # each already contains it, so the index is never asked to vote.
    votes = []
    most_frequent = dedup_module._most_frequent
    monkeypatch.setattr(dedup_module, "_most_frequent", lambda v: votes.append(len(v)) or most_frequent(v))
    rng = np.random.default_rng(2)
    reports = [[random_paragraph(rng) for _ in range(3)] for _ in range(20)]
    lines = [f'{d:06d}.txt,{i},unique,,"{t}"' for d, r in enumerate(reports) for i, t in enumerate(r)]
    docs, paras = make_corpus(*(body(*r) for r in reports), body(*lines))
    res = dedup_corpus(docs, paras)
    assert lineage(res) == {
        (f"d{d}", i): [("d20", 3 * d + i, METHOD_CONTAINMENT)] for d in range(20) for i in range(3)
    }
    assert res.documents.set_index("doc_id")["duplicate_of"].tolist() == ["d20"] * 20 + [None]
    assert votes == []


# --- the real seeds ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed_run(seed_ingest):
    cleaned = clean_paragraphs(seed_ingest.paragraphs)
    return seed_ingest, cleaned, dedup_corpus(seed_ingest.documents, cleaned.paragraphs)


def _paper(seed_ingest) -> str:
    docs = seed_ingest.documents
    return docs.loc[docs["source_file"].str.startswith("000"), "doc_id"].iloc[0]


def test_seed_000_repeats_splice_and_fragment_are_duplicates(seed_run):
    ingest, _, res = seed_run
    d = _paper(ingest)
    p = res.paragraphs[res.paragraphs["doc_id"] == d].set_index("para_id")
    dups = res.paragraph_duplicates[res.paragraph_duplicates["doc_id"] == d]
    text_of = p["text"].to_dict()

    exact = dups[dups["method"] == METHOD_EXACT]
    assert len(exact) == 11
    for r in exact.itertuples():
        assert text_of[r.para_id] == text_of[r.kept_para_id]

    splice_ids = set(dups.loc[dups["method"] == METHOD_SPLICE, "para_id"])
    assert len(splice_ids) == 1
    spliced = text_of[splice_ids.pop()]
    assert spliced.startswith("建强核心区块。") and "实施一批新建道路工程" in spliced
    sources = {text_of[k][:6] for k in dups.loc[dups["method"] == METHOD_SPLICE, "kept_para_id"]}
    assert sources == {"建强核心区块", "提升功能品质"}

    frag = dups[dups["para_id"].map(lambda i: text_of[i].startswith("转型步伐"))]
    assert len(frag) == 1
    assert text_of[int(frag["kept_para_id"].iloc[0])].startswith("发展新型商贸")
    assert res.stats["paragraphs_kept"] == len(res.paragraphs) - 13


def _cut_pieces(raw: pd.DataFrame) -> set[str]:
    """Sentences at either side of a paragraph boundary that falls mid-sentence."""
    terminal = set("。!?;!?;…::")
    closers = set("”’)）》」』")
    pieces: set[str] = set()
    for _, g in raw.groupby("doc_id", sort=False):
        texts = [normalize_text(t) for t in g.sort_values("para_id")["text"]]
        for a, b in zip(texts, texts[1:]):
            end = a.rstrip("".join(closers))
            if end and end[-1] not in terminal:
                pieces.update(split_sentences(a)[-1:])
                pieces.update(split_sentences(b)[:1])
    return pieces


def test_seed_every_sentence_is_kept_once_unless_its_paragraph_carries_unique_text(seed_run):
    ingest, _, res = seed_run
    raw = ingest.paragraphs[ingest.paragraphs["kind"].isin(["body", "caption"])]
    cut = _cut_pieces(ingest.paragraphs)
    kept = res.paragraphs[~res.paragraphs["is_duplicate"] & res.paragraphs["kind"].isin(["body", "caption"])]
    kept_sents = [split_sentences(t) for t in kept["text"]]
    count = Counter(s for sents in kept_sents for s in set(sents))
    kept_text = "\n".join(kept["text"])

    raw_sents = {s for t in raw["text"] for s in split_sentences(normalize_text(t))} - cut
    assert len(raw_sents) > 1000
    missing, doubled = [], []
    for s in raw_sents:
        if count[s] == 0:
            # a splice seam: the sentence only existed as head of one text + tail of another
            if not any(s[:k] in kept_text and s[k:] in kept_text for k in range(1, len(s))):
                missing.append(s)
        elif count[s] > 1 and len(s) >= 12:
            holders = [sents for sents in kept_sents if s in sents]
            # keeping both is right only if each holder has a sentence no other kept paragraph has
            if not all(any(count[x] == 1 for x in sents) for sents in holders):
                doubled.append(s)
    assert missing == []
    assert doubled == []


def test_seed_dedup_is_not_a_no_op_for_the_property(seed_run):
    # guards the property test above: without dedup the repeats would be doubled
    ingest, cleaned, _ = seed_run
    p = cleaned.paragraphs
    bodies = p[p["kind"] == "body"]["text"]
    assert bodies.duplicated().sum() >= 11


def test_seed_documents_are_not_duplicates_of_each_other(seed_run):
    _, _, res = seed_run
    assert not res.documents["is_duplicate"].any()
    assert res.documents["n_paragraphs"].sum() == len(res.paragraphs)


def test_generated_corpus_planted_duplicates_are_found_and_uniques_kept(tmp_path):
    # a small run of the benchmark generator: every label planted, truth known
    import csv
    import importlib.util
    import sys
    from pathlib import Path

    from tasks.ingest import ingest_folder

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("make_corpus", root / "bench" / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    counts = mod.make_corpus(root / "seeds", tmp_path, target_mb=0.25, seed=3)
    assert counts["exact"] and counts["fragment"] and counts["splice"]

    ing = ingest_folder(tmp_path / "docs")
    res = dedup_corpus(ing.documents, clean_paragraphs(ing.paragraphs).paragraphs)
    file_of = dict(zip(res.documents["doc_id"], res.documents["source_file"]))
    truth: dict = {}
    with open(tmp_path / "truth.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth.setdefault((row["file"], dedup_key(normalize_text(row["text"]))), []).append(row["label"])
    got = Counter()
    for d, kind, text, dup in res.paragraphs[["doc_id", "kind", "text", "is_duplicate"]].itertuples(index=False):
        labels = truth.get((file_of[d], dedup_key(text)))
        if labels and kind == "body":
            got[(labels.pop(0) == "unique", bool(dup))] += 1
    assert got[(True, True)] == 0  # no unique paragraph dropped
    planted = got[(False, True)] + got[(False, False)]
    assert planted >= 20
    assert got[(False, True)] / planted >= 0.95


def test_empty_corpus_gives_empty_tables():
    docs = pd.DataFrame({"doc_id": ["d0"], "source_file": ["000.txt"], "source_ordinal": [0]})
    paras = clean_paragraphs(pd.DataFrame(columns=["doc_id", "para_id", "kind", "section", "text"])).paragraphs
    res = dedup_corpus(docs, paras)
    assert res.paragraphs.empty and res.paragraph_duplicates.empty
    assert res.documents["n_paragraphs"].tolist() == [0]
    assert not res.documents["is_duplicate"].any()


def test_seed_drop_counts_add_up_per_method_to_the_lineage(seed_run):
    """Each dropped paragraph is counted once, under the reason its method names."""
    from tasks import reasons

    _, _, res = seed_run
    dups = res.paragraph_duplicates.drop_duplicates(["doc_id", "para_id"])  # a splice has two rows
    by_method = Counter(dups["method"])
    s = res.stats
    assert s[reasons.DROPPED_CONTAINMENT] == by_method[METHOD_CONTAINMENT] > 0
    assert s[reasons.DROPPED_SPLICE] == by_method[METHOD_SPLICE] > 0
    # exact drops come from single paragraphs and from copied documents
    assert s[reasons.DROPPED_EXACT] + s[reasons.DROPPED_DOCUMENT] == by_method[METHOD_EXACT]
    assert sum(s[k] for k in s if k.startswith("dropped_")) == int(res.paragraphs["is_duplicate"].sum())
    assert set(res.paragraph_duplicates["method"]) <= {METHOD_EXACT, METHOD_CONTAINMENT, METHOD_SPLICE}


@pytest.mark.parametrize("workers", [1, 2])
def test_index_flags_from_several_passes_are_each_occurrences_earlier_and_later_holders(monkeypatch, workers):
    # slices of 64 occurrences, four passes: each pass sets the flags of its share of the occurrences
    monkeypatch.setattr(dedup_module, "_SORT_SLICE", 64)
    rng = np.random.default_rng(3)
    phrases = ["".join(chr(0x4E00 + int(c)) for c in rng.integers(0, 50, 12)) for _ in range(6)]
    keys = ["".join(rng.choice(phrases, int(k))) for k in rng.integers(1, 5, 40)]
    index = dedup_module._build_index(keys, 5, 8, workers)
    grams = [dedup_module.ngram_hashes(k, 5).tolist() for k in keys]
    owners: dict[int, list[int]] = {}
    for u, hs in enumerate(grams):
        for h in hs:
            owners.setdefault(h, []).append(u)
    want = [(dedup_module._EARLIER if min(owners[h]) < u else 0) | (dedup_module._LATER if max(owners[h]) > u else 0)
            for u, hs in enumerate(grams) for h in hs]
    assert index.flags.tolist() == want
    assert {0, 1, 2, 3} <= set(want)
