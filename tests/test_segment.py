"""Tests of tasks/segment.py and tasks/terms.py on inline snippets and the real seeds."""

from __future__ import annotations

import bisect
import math
import re

import pandas as pd
import pytest

from tasks.schemas import column_names
from tasks.segment import (
    SEGMENT_KINDS,
    SegmentConfig,
    build_lexicon,
    guess_oov_pos,
    guess_oov_tags,
    harvest_quoted_phrases,
    read_userdict,
    segment_paragraphs,
)
from tasks.terms import TermsConfig, keywords, load_stopwords, term_stats

SNIPPET = (
    "全年实现地区生产总值716.66亿元,增长8.3%;出让工业用地1346亩,创近15年新高。"
    "2021年是建党百年、“十四五”开局之年。高标准推进环飞龙湖科创生态圈建设,"
    "飞龙湖畔新建人才公寓。路桥区争创共同富裕示范区,数字化改革全面上跑道,"
    "入选国家专精特新“小巨人”企业2家,实到外资4507万美元。"
)


def make_paras(*texts: str, doc_id: str = "d1", kind: str = "body") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": doc_id,
            "para_id": list(range(len(texts))),
            "kind": kind,
            "section": "",
            "text": list(texts),
        }
    )


def tokens_of(result, doc_id: str = "d1", para_id: int = 0) -> list[str]:
    t = result.tokens
    return t[(t.doc_id == doc_id) & (t.para_id == para_id)]["token"].tolist()


@pytest.fixture(scope="module")
def snippet_result():
    return segment_paragraphs(make_paras(SNIPPET))


@pytest.fixture(scope="module")
def seed_segments(seed_ingest):
    return segment_paragraphs(seed_ingest.paragraphs)


# --- tokens ---------------------------------------------------------------------


@pytest.mark.parametrize("word", ["飞龙湖", "路桥区", "共同富裕示范区", "数字化改革", "专精特新"])
def test_domain_words_come_out_whole(snippet_result, word):
    assert word in tokens_of(snippet_result)


@pytest.mark.parametrize("token,pos", [("716.66亿元", "m"), ("8.3%", "m"), ("1346亩", "m"), ("2021年", "t"), ("4507万美元", "m")])
def test_numbers_keep_their_unit(snippet_result, token, pos):
    toks = snippet_result.tokens
    row = toks[toks.token == token]
    assert len(row) == 1
    assert row.iloc[0]["pos"] == pos
    # no leftover fragments of a split decimal
    assert not {"716", "66", ".", "716.66"} & set(toks.token)


def test_offsets_point_back_into_the_paragraph(snippet_result):
    toks = snippet_result.tokens
    for tok, a, b in zip(toks.token, toks.char_start, toks.char_end):
        assert SNIPPET[a:b] == tok
    # every non-space character is covered exactly once, in order
    assert "".join(toks.token) == re.sub(r"\s", "", SNIPPET)


def test_tokens_have_schema_columns_and_sentences_match_the_splitter(snippet_result):
    assert list(snippet_result.tokens.columns) == column_names("tokens")
    assert list(snippet_result.sentences.columns) == column_names("sentences")
    sents = snippet_result.sentences
    assert sents.text.tolist()[0] == "全年实现地区生产总值716.66亿元,增长8.3%;"
    assert len(sents) == 5
    # every token sits inside the sentence it names, token_idx counts from 0 in each
    merged = snippet_result.tokens.merge(sents, on=["doc_id", "para_id", "sent_id"], suffixes=("", "_s"))
    assert len(merged) == len(snippet_result.tokens)
    assert ((merged.char_start >= merged.char_start_s) & (merged.char_end <= merged.char_end_s)).all()
    assert (snippet_result.tokens.groupby("sent_id").token_idx.min() == 0).all()


def test_whitespace_is_dropped_and_latin_and_dates_are_one_token():
    res = segment_paragraphs(make_paras("台州市路桥区区长  牟傲野 12月28日召开,人均GDP与5G  网络"))
    toks = tokens_of(res)
    assert not any(t.isspace() or t == "" for t in toks)
    assert {"GDP", "5G", "12月28日", "台州市", "路桥区"} <= set(toks)
    pos = dict(zip(res.tokens.token, res.tokens.pos))
    assert pos["GDP"] == "eng" and pos["12月28日"] == "t" and pos["路桥区"] == "ns"


def test_table_byline_duplicate_and_blank_paragraphs_are_skipped_and_counted():
    paras = pd.concat(
        [
            make_paras("一、总体要求", kind="heading"),
            make_paras("表1 主要指标\n地区生产总值\n669", kind="table"),
            make_paras("本报记者 黄方考", kind="byline"),
            make_paras("   ", kind="body"),
        ],
        ignore_index=True,
    )
    paras["para_id"] = range(len(paras))
    paras["is_duplicate"] = False
    paras = pd.concat([paras, make_paras("重复的段落。").assign(para_id=9, is_duplicate=True)], ignore_index=True)
    res = segment_paragraphs(paras)
    assert set(res.tokens.para_id) == {0}
    assert res.stats["dropped_kind_table"] == 1
    assert res.stats["dropped_kind_byline"] == 1
    assert res.stats["dropped_empty"] == 1
    assert res.stats["dropped_duplicate"] == 1
    assert res.stats["paragraphs_segmented"] == 1


def test_empty_input_gives_empty_tables_with_schema_columns():
    res = segment_paragraphs(make_paras()[["doc_id", "para_id", "kind", "text"]])
    assert res.tokens.empty and res.sentences.empty
    assert list(res.tokens.columns) == column_names("tokens")


# --- lexicon --------------------------------------------------------------------


def test_quoted_phrases_are_harvested_sorted_and_limited_to_2_to_8_cjk_chars():
    texts = ["守好“红色根脉”,实现“双倍增”", "“破”“开局就是决战,起步就是冲刺”", "“红色根脉”与“5G创新中心”"]
    assert harvest_quoted_phrases(texts) == ["双倍增", "红色根脉"]


def test_harvested_phrase_is_cut_whole_and_recorded_in_the_lexicon():
    text = "坚决扛起守好“红色根脉”的政治担当,红色根脉强基示范街道。"
    res = segment_paragraphs(make_paras(text))
    assert tokens_of(res).count("红色根脉") == 2
    lex = res.lexicon
    assert list(lex.columns) == column_names("segment_lexicon")
    assert lex.loc[lex.word == "红色根脉", "source"].tolist() in (["harvested"], ["userdict"])
    off = segment_paragraphs(make_paras("守好“双倍增”目标,双倍增。"), SegmentConfig(harvest_quoted=False))
    assert "双倍增" not in tokens_of(off)
    on = segment_paragraphs(make_paras("守好“双倍增”目标,双倍增。"))
    assert tokens_of(on).count("双倍增") == 2
    assert on.stats["lexicon_harvested"] == 1


def test_extra_words_join_the_lexicon_with_their_tag():
    res = segment_paragraphs(make_paras("牟傲野同志作报告。"), SegmentConfig(extra_words=(("牟傲野", "nr"),)))
    row = res.tokens[res.tokens.token == "牟傲野"]
    assert len(row) == 1 and row.iloc[0]["pos"] == "nr"
    assert res.lexicon.loc[res.lexicon.word == "牟傲野", "source"].tolist() == ["extra"]


def test_userdict_lists_zhejiang_places_and_programmes():
    words = {w: pos for w, _freq, pos in read_userdict(SegmentConfig().userdict)}
    for w in ["路桥区", "台州市", "瓯海区", "庆元县", "衢州市", "景宁畲族自治县"]:
        assert words[w] == "ns"
    for w in ["共同富裕示范区", "数字化改革", "专精特新", "八八战略"]:
        assert words[w] == "nz"
    lex = build_lexicon([], SegmentConfig())
    assert (lex.source == "userdict").all() and lex.word.is_unique


def test_oov_guess_uses_suffixes_and_the_head_character():
    assert guess_oov_pos("伏梅屿", {}) == "ns"
    assert guess_oov_pos("交建办", {}) == "nt"
    assert guess_oov_pos("二〇三五", {}) == "m"
    assert guess_oov_pos("做靓", {"靓": "v"}) == "v"
    assert guess_oov_pos("两链", {}) == "n"


def test_oov_guesses_in_bulk_apply_the_rules_in_order_to_each_word():
    words = ["伏梅屿", "交建办", "二〇三五", "做靓", "两链", "三十", "局", "一二桥", "桥", "十局"]
    # a numeral before a suffix, a suffix only past one character, then the head character
    assert guess_oov_tags(words, {"靓": "v", "桥": "v"}) == ["ns", "nt", "m", "v", "n", "m", "n", "ns", "v", "nt"]
    assert guess_oov_tags([], {}) == []


def test_config_rejects_bad_values_naming_the_field():
    with pytest.raises(ValueError, match="workers"):
        SegmentConfig(workers=0)
    with pytest.raises(ValueError, match="batches_per_worker"):
        SegmentConfig(batches_per_worker=0)
    with pytest.raises(ValueError, match="top_k"):
        TermsConfig(top_k=0)


# --- parallel -------------------------------------------------------------------


def test_two_workers_give_exactly_the_same_tables_as_one(seed_ingest, seed_segments):
    two = segment_paragraphs(seed_ingest.paragraphs, SegmentConfig(workers=2, batches_per_worker=3))
    pd.testing.assert_frame_equal(two.tokens, seed_segments.tokens)
    pd.testing.assert_frame_equal(two.sentences, seed_segments.sentences)
    pd.testing.assert_frame_equal(two.lexicon, seed_segments.lexicon)
    assert two.stats == seed_segments.stats


def _paragraphs(docs: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(d, i, "body", t) for d, texts in docs.items() for i, t in enumerate(texts)]
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "kind", "text"])


def test_chunks_hold_whole_documents_and_cut_only_documents_longer_than_a_chunk():
    from tasks.segment import plan_segment_jobs, split_parts

    para = "经济运行稳中有进。" * 10  # 90 characters
    docs = {"a": [para] * 3, "b": [para] * 2, "big": [para] * 25, "c": [para] * 4, "d": [para] * 4}
    jobs, stats = plan_segment_jobs(_paragraphs(docs), SegmentConfig(), chunk_chars=1000, first_part=7)
    pieces = [(j.part, list(dict.fromkeys(j.doc_ids)), len(j.texts)) for j in jobs]
    # a and b close before the large document; it is cut every 1,000+ characters
    # (12 paragraphs), and the small documents after it join its last piece
    assert pieces == [(7, ["a", "b"], 5), (8, ["big"], 12), (9, ["big"], 12), (10, ["big", "c", "d"], 9)]
    assert [j.split_docs for j in jobs] == [(), ("big",), ("big",), ("big",)]
    assert split_parts(jobs) == {"big": [8, 9, 10]}
    assert [t for j in jobs for t in j.texts] == [t for texts in docs.values() for t in texts]
    assert stats["paragraphs_segmented"] == 38
    # no document longer than a chunk: nothing is cut, chunks close at document boundaries
    jobs, _ = plan_segment_jobs(_paragraphs(docs), SegmentConfig(), chunk_chars=5000)
    assert [j.split_docs for j in jobs] == [()] and len(jobs[0].texts) == 38


# --- engine: rjieba, and its parity with jieba.lcut ------------------------------

from conftest import STATECOUNCIL  # noqa: E402  (the development corpus, located once)

# Where rjieba's cut may differ from jieba.lcut under the same dictionary (docs/segmentation.md).
# All three are ASCII letters/digits joined by a connector: jieba 0.42 puts the connector in
# its word-block regex but no dictionary word holds it, so it cuts there; jieba-rs keeps the
# compound. The stage itself never meets them: it gives the engine only runs of CJK characters.
PARITY_CLASSES = {
    "hyphen_compound": "joined by '-' (E-mail, 5G-A, 2026-02-11, 010-63691786): one token, jieba splits at each '-'",
    "underscore_compound": "joined by '_' (PM_2.5, div_page_roll): one token, jieba splits at each '_'",
    "dotted_compound": "joined by '.' only (www.gov.cn, 1.EPC, 1.3.5): one token, jieba splits at the dots",
}
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+")
_JIEBA_PIECE = re.compile(r"[-_.]|[A-Za-z0-9]+(?:\.[0-9]+)?")


def _ends(tokens: list[str]) -> set[int]:
    out, pos = set(), 0
    for t in tokens:
        pos += len(t)
        out.add(pos)
    return out


def _tokens_within(tokens: list[str], lo: int, hi: int) -> list[str]:
    out, pos = [], 0
    for t in tokens:
        if pos >= lo and pos + len(t) <= hi:
            out.append(t)
        pos += len(t)
    return out


def parity_classes(text: str, ours: list[str], theirs: list[str]) -> list[str]:
    """Names the class of each region where two cuts of ``text`` differ ("other" when none fits).

    A region runs between two token ends both cuts share and holds the ends only one has.
    """
    ends_a, ends_b = _ends(ours), _ends(theirs)
    shared = sorted((ends_a & ends_b) | {0})
    regions = []
    for end in sorted(ends_a ^ ends_b):
        i = bisect.bisect_left(shared, end)
        region = (shared[i - 1], shared[i])
        if region not in regions:
            regions.append(region)
    classes = []
    for lo, hi in regions:
        piece = text[lo:hi]
        jieba_cut = _tokens_within(theirs, lo, hi)
        if (
            _COMPOUND.fullmatch(piece)
            and _tokens_within(ours, lo, hi) == [piece]
            and all(_JIEBA_PIECE.fullmatch(t) for t in jieba_cut)
        ):
            classes.append("underscore_compound" if "_" in piece else "hyphen_compound" if "-" in piece else "dotted_compound")
        else:
            classes.append("other")
    return classes


def test_parity_classes_name_each_differing_region_and_flag_the_rest():
    text = "E-mail推荐PM_2.5见www.gov.cn中国"
    ours = ["E-mail", "推荐", "PM_2.5", "见", "www.gov.cn", "中国"]
    theirs = ["E", "-", "mail", "推荐", "PM", "_", "2.5", "见", "www", ".", "gov", ".", "cn", "中", "国"]
    assert parity_classes(text, ours, theirs) == ["hyphen_compound", "underscore_compound", "dotted_compound", "other"]
    assert parity_classes(text, ours, ours) == []


@pytest.fixture(scope="module")
def engines(seed_ingest, tmp_path_factory):
    """The stage's Segmenter and a private jieba.Tokenizer holding the same dictionary, over the
    seeds' and (every third of) the statecouncil corpus's paragraphs as ingest gives them."""
    import jieba

    from tasks.ingest import ingest_folder
    from tasks.segment import Segmenter, dictionary_words

    frames = [seed_ingest.paragraphs]
    if STATECOUNCIL.is_dir():
        frames.append(ingest_folder(STATECOUNCIL).paragraphs.iloc[::3])
    paras = pd.concat(frames, ignore_index=True)
    lines = [t for t in paras.loc[paras["kind"].isin(SEGMENT_KINDS), "text"] if t.strip()]
    lexicon = build_lexicon(lines, SegmentConfig(), known=dictionary_words().keys())
    seg = Segmenter(list(lexicon.itertuples(index=False, name=None)))
    jieba.setLogLevel(60)
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path_factory.mktemp("jieba"))  # its cache, never the system temp dir
    reference.initialize()
    for word, freq, pos in seg.added:
        reference.add_word(word, freq, pos)
    return seg, reference, lines, len(frames) > 1


def test_rjieba_cuts_lines_as_jieba_lcut_but_for_named_classes(engines):
    seg, reference, lines, with_statecouncil = engines
    if not with_statecouncil:
        pytest.skip(f"{STATECOUNCIL} is missing")
    assert len(lines) > 10_000
    counts: dict[str, int] = {}
    differing = 0
    for line in lines:
        ours, theirs = seg.cut(line), reference.lcut(line, HMM=True)
        if ours != theirs:
            differing += 1
            for cls in parity_classes(line, ours, theirs):
                counts[cls] = counts.get(cls, 0) + 1
                assert cls in PARITY_CLASSES, (line, ours, theirs)
    assert 1 - differing / len(lines) >= 0.985, (differing, len(lines), counts)
    assert counts.get("hyphen_compound", 0) > 0  # the comparison does see the known difference


def test_engine_cuts_cjk_runs_exactly_as_jieba_lcut(engines, seed_ingest):
    import random

    seg, reference, _lines, _ = engines
    text = "".join(seed_ingest.paragraphs["text"])
    runs = re.findall("[\u4e00-\u9fd5]+", text)  # jieba's own CJK class (the stage's adds 〇)
    rnd = random.Random(5)
    common = sorted(set("".join(runs)))
    runs += ["".join(rnd.choice(common) for _ in range(rnd.randint(1, 25))) for _ in range(3000)]
    assert len(runs) > 5000
    for run in runs:
        # what the stage gives the engine: there the two cut the same
        assert seg.cut(run) == reference.lcut(run, HMM=True), run


def test_a_batch_cuts_each_paragraph_as_it_would_alone(seed_ingest, seed_segments):
    from tasks.segment import batch_words, get_segmenter

    seg = get_segmenter(list(seed_segments.lexicon.itertuples(index=False, name=None)))
    texts = [t for t in seed_ingest.paragraphs.loc[seed_ingest.paragraphs["kind"] == "body", "text"] if t.strip()][:60]
    texts += ["", "  ", "二〇三五年", "5G-A与PM_2.5,2026-02-11"]
    out = seg.segment_batch(texts)
    words, tags = batch_words(out)
    alone = [tok for t in texts for tok in seg.tokenize(t)]
    assert words == [w for _a, _b, w, _p in alone]
    assert tags == [p for _a, _b, _w, p in alone]
    assert out["t_start"].tolist() == [a for a, _b, _w, _p in alone]


def test_token_text_columns_are_arrow_strings_that_write_as_the_schema(seed_segments):
    from tasks.parquet import to_arrow
    from tasks.schemas import SCHEMAS

    toks = seed_segments.tokens
    for col in ("doc_id", "token", "pos"):
        # built in Arrow from codes: no Python object per row
        assert isinstance(toks[col].dtype, pd.StringDtype) and toks[col].dtype.storage == "pyarrow", col
    table = to_arrow(toks, "tokens")
    assert [f.type for f in table.schema] == [f.type for f in SCHEMAS["tokens"]]
    assert table.column("token").to_pylist() == toks["token"].tolist()
    assert table.column("pos").to_pylist() == toks["pos"].tolist()


def test_word_table_finds_words_by_their_utf8_bytes():
    import pyarrow as pa

    from tasks.segment import WordTable

    table = WordTable(["经济", "发展", "GDP", "", "经济发展", "𠀀字"])
    # a prefix, a longer word, an empty string, four-byte UTF-8, words absent
    queries = pa.array(["发展", "经", "经济发展", "", "GDP", "gdp", "𠀀字", "经济", "发展改革"])
    assert table.find(queries).tolist() == [1, -1, 4, 3, 2, -1, 5, 0, -1]
    # a slice of an array (its offsets start further on) and a large_string array
    assert table.find(queries.slice(2, 3)).tolist() == [4, 3, 2]
    assert table.find(pa.array(["经济", "x"], type=pa.large_string())).tolist() == [0, -1]
    assert table.find(pa.array([], type=pa.string())).tolist() == []
    assert WordTable([]).find(pa.array(["经济"])).tolist() == [-1]


def test_a_built_word_table_has_its_lookup_compiled_for_forked_workers():
    import subprocess
    import sys

    code = ("import tasks.segment as s; s.WordTable(['经济']); "
            "print(bool(s._table_insert.signatures), bool(s._table_find.signatures))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_token_codes_number_the_token_columns_as_factorize_does(seed_ingest, seed_segments):
    import numpy as np

    from tasks.segment import _assemble, get_segmenter, token_codes

    seg = get_segmenter(list(seed_segments.lexicon.itertuples(index=False, name=None)))
    paras = seed_ingest.paragraphs
    paras = paras[(paras["kind"] == "body") & (paras["text"].str.strip() != "")].head(300)
    # a document coming back after another, and a paragraph without tokens (whitespace only)
    texts = paras["text"].tolist() + ["   ", "经济发展。"]
    doc_ids = np.array(paras["doc_id"].tolist() + ["blank", paras["doc_id"].iloc[0]], dtype=object)
    out = seg.segment_batch(texts)
    _sentences, tokens = _assemble([out], [(0, len(texts))], texts, doc_ids, np.arange(len(texts), dtype=np.int32))
    codes = token_codes(out, doc_ids)
    for col, (got, got_values) in {"doc_id": (codes.doc, codes.doc_values), "token": (codes.token, codes.token_values),
                                   "pos": (codes.pos, codes.pos_values)}.items():
        want, want_values = tokens[col].factorize()
        assert got.tolist() == want.tolist(), col
        pd.testing.assert_index_equal(got_values, want_values, exact=True)
    assert "blank" not in codes.doc_values


def test_a_word_keeps_its_tag_across_batches_of_one_segmenter(seed_segments):
    from tasks.segment import batch_words, get_segmenter

    seg = get_segmenter(list(seed_segments.lexicon.itertuples(index=False, name=None)))
    # the first batch teaches the segmenter the words (tags memoised per distinct word)
    first = batch_words(seg.segment_batch(["洋屿村做靓两链,台州市路桥区。", "12月28日GDP增长8.3%。"]))
    again = batch_words(seg.segment_batch(["台州市路桥区。", "洋屿村做靓两链,12月28日GDP增长8.3%。"]))
    tag = dict(zip(*first))
    assert all(tag[w] == p for w, p in zip(*again) if w in tag)
    assert tag["8.3%"] == "m" and tag["12月28日"] == "t" and tag["GDP"] == "eng"


def test_lexicon_words_holding_a_zero_come_out_whole():
    # rjieba, like jieba, ends a word block at 〇: the stage matches such lexicon words itself
    res = segment_paragraphs(make_paras("到二〇三五年基本实现,二〇二一年底。"))
    toks = list(zip(res.tokens.token, res.tokens.pos))
    assert ("二〇三五年", "nz") in toks
    assert ("〇", "m") in toks  # not a lexicon word: cut as jieba does, tagged as a numeral
    assert "".join(res.tokens.token) == "到二〇三五年基本实现,二〇二一年底。"


def test_unknown_words_get_the_guessed_tag_and_dictionary_words_their_own(snippet_result):
    pos = dict(zip(snippet_result.tokens.token, snippet_result.tokens.pos))
    assert pos["增长"] == "v" and pos["路桥区"] == "ns"
    res = segment_paragraphs(make_paras("洋屿村做靓两链。"))
    pos = dict(zip(res.tokens.token, res.tokens.pos))
    assert pos.get("洋屿") == "ns"  # made up by the HMM, named by its last character


# --- seeds ----------------------------------------------------------------------


def test_seed_report_keeps_its_headline_numbers_whole(seed_ingest, seed_segments):
    docs = seed_ingest.documents
    report = docs.loc[docs.title == "2022年台州市路桥区政府工作报告", "doc_id"].item()
    toks = seed_segments.tokens[seed_segments.tokens.doc_id == report]
    for t in ["716.66亿元", "8.3%", "42.61亿元", "4507万美元", "飞龙湖", "专精特新"]:
        assert t in set(toks.token) or (t == "飞龙湖" and "环飞龙湖" in set(toks.token)), t
    # no decimal is ever split around its point
    assert not toks.token.str.fullmatch(r"\.").any()
    assert not toks.token.str.fullmatch(r"\d+\.").any()
    # 2025 party congress says 1346亩
    assert "1346亩" in set(seed_segments.tokens.token)


def test_tokens_of_text_of_every_utf8_width_point_back_into_it():
    text = "é中文𠀀😀１２３亿元\u3000GDP增长²。"
    res = segment_paragraphs(make_paras(text))
    toks = res.tokens
    assert [text[a:b] for a, b in zip(toks.char_start, toks.char_end)] == toks.token.tolist()
    assert list(zip(toks.token, toks.pos)) == [
        ("é", "x"), ("中文", "nz"), ("𠀀", "x"), ("😀", "x"), ("１２３亿元", "m"),  # a full-width number, whole
        ("GDP", "eng"), ("增长", "v"), ("²", "m"), ("。", "x"),  # the ideographic space is dropped
    ]


SENTENCE_CASES = [
    "",
    "没有句号的段落",
    "一。二!三?四;五！六？七；八…九",
    "他说:“好。”然后走了。结束。”)",
    "“十四五”开局。规划《纲要》。",
    " 前后空白 。\u3000次句。 ",
    "   ",
    "外“内《书名。》仍在引号。”外。",
    "错配“a》b。”c。",
    "三层“a《b「c。」b》a”。后文。",
    "“未闭合的引号。后面还有句子。",
    "跨行\n的句子。",
    "“" + "长" * 450 + "。”后文。",
    "。。”」",
]


def test_batch_sentence_spans_equal_sentence_spans_paragraph_by_paragraph(seed_ingest):
    from tasks.sentences import batch_sentence_spans, sentence_spans

    texts = SENTENCE_CASES + seed_ingest.paragraphs["text"].tolist()
    para, start, end = batch_sentence_spans(texts)
    expected = [(p, a, b) for p, t in enumerate(texts) for a, b in sentence_spans(t)]
    assert list(zip(para.tolist(), start.tolist(), end.tolist())) == expected
    assert [len(x) for x in batch_sentence_spans([])] == [0, 0, 0]


def test_batch_sentence_spans_follow_quotes_without_the_paragraph_walk(monkeypatch):
    import tasks.sentences as sentences

    texts = ["他说:“好。”然后走了。", "外“内《书名。》仍在引号。”外。", " 前后空白 。\u3000次句。 "]
    expected = [(p, a, b) for p, t in enumerate(texts) for a, b in sentences.sentence_spans(t)]
    monkeypatch.setattr(sentences, "sentence_spans", lambda text: pytest.fail(f"walked {text!r}"))
    para, start, end = sentences.batch_sentence_spans(texts)
    assert list(zip(para.tolist(), start.tolist(), end.tolist())) == expected


def test_seed_sentences_tile_their_paragraphs(seed_ingest, seed_segments):
    paras = seed_ingest.paragraphs.set_index(["doc_id", "para_id"])["text"]
    s = seed_segments.sentences
    for d, p, a, b, text in zip(s.doc_id, s.para_id, s.char_start, s.char_end, s.text):
        assert paras[(d, p)][a:b] == text
    assert seed_segments.stats["sentences"] == len(s) > 1000


# --- terms and keywords ---------------------------------------------------------


def test_term_stats_count_content_words_only_and_weight_by_corpus_idf():
    toks = pd.concat(
        [
            segment_paragraphs(make_paras("我们推进数字化改革,数字化改革增长8.3%。", doc_id="a")).tokens,
            segment_paragraphs(make_paras("我们推进乡村振兴和共同富裕。", doc_id="b")).tokens,
        ],
        ignore_index=True,
    )
    ts = term_stats(toks)
    assert list(ts.columns) == column_names("term_stats")
    a = ts[ts.doc_id == "a"].set_index("term")
    assert a.loc["数字化改革", "count"] == 2
    assert not {"我们", "8.3%", ",", "。"} & set(ts.term)
    # 推进 is in both documents, 数字化改革 in one: idf = ln(2/(1+df)) + 1
    assert a.loc["推进", "idf"] == pytest.approx(1.0 + math.log(2 / 3))
    assert a.loc["数字化改革", "idf"] == pytest.approx(1.0)
    assert a.loc["数字化改革", "tf"] == pytest.approx(2 / a["count"].sum())
    assert a["tf"].sum() == pytest.approx(1.0)


def test_stopword_list_holds_boilerplate():
    sw = load_stopwords()
    assert {"我们", "各位代表", "进一步"} <= sw


def test_keywords_are_top_20_per_document_and_method(seed_segments):
    kw = keywords(seed_segments.tokens)
    assert list(kw.columns) == column_names("keywords")
    counts = kw.groupby(["doc_id", "method"]).size()
    assert counts.max() == 20
    assert set(kw.method) == {"tfidf", "textrank"}
    first = kw[kw["rank"] == 1]
    assert (first.groupby(["doc_id", "method"]).size() == 1).all()


def test_seed_keywords_are_sensible(seed_ingest, seed_segments):
    docs = seed_ingest.documents.set_index("doc_id")
    paras = seed_ingest.paragraphs
    kw = keywords(seed_segments.tokens)
    tfidf = {d: g.term.tolist() for d, g in kw[kw.method == "tfidf"].groupby("doc_id")}
    textrank = {d: g.term.tolist() for d, g in kw[kw.method == "textrank"].groupby("doc_id")}

    plan = docs.index[docs.doc_type == "five_year_plan"].item()
    chapters = paras[(paras.doc_id == plan) & (paras.kind == "heading") & paras.text.str.match(r"^[一二三四五六七八九十]+、")]
    chapter_text = "".join(chapters.text)
    assert len(chapters) >= 5
    # the plan's own place leads, and some of its chapter themes follow (words every report
    # uses, 建设 or 发展, no longer fill the top 10: tasks.terms.keyword_idf)
    in_titles = [w for w in tfidf[plan][:10] if w in chapter_text]
    assert "路桥" in tfidf[plan][:3] and len(in_titles) >= 2, (tfidf[plan], chapter_text[:200])

    # each place-specific report names its place among its keywords
    for title, place in [("2018年温州市瓯海区政府工作报告", "瓯海"), ("2018年庆元县政府工作报告", "庆元"), ("2018年衢州市政府工作报告", "衢州")]:
        d = docs.index[docs.title == title].item()
        assert place in tfidf[d][:5] and place in textrank[d]
    d = docs.index[docs.title.str.startswith("浙江援疆项目")].item()
    assert {"援疆", "阿克苏地区"} <= set(tfidf[d][:5])
    d = docs.index[docs.title.str.startswith("台州:数字化改革")].item()
    assert "数字化改革" in tfidf[d][:3]
    # nothing boilerplate or numeric anywhere
    assert not set(kw.term) & {"我们", "推进", "加快", "全区"}
    assert not kw.term.str.fullmatch(r"[\d.%]+").any()  # numbers; 5G (eng) may be a keyword


def test_lexicon_rows_of_arrow_backed_columns_equal_itertuples():
    from tasks.segment import _rows

    lex = pd.DataFrame({"word": ["红色根脉", "十三五"], "freq": [-1, 5], "pos": ["nz", "m"], "source": ["harvested"] * 2})
    lex = lex.astype({"word": "str", "pos": "str", "source": "str"})
    assert _rows(lex) == list(lex.itertuples(index=False, name=None)) == [
        ("红色根脉", -1, "nz", "harvested"), ("十三五", 5, "m", "harvested")]
    assert _rows(lex.iloc[:0]) == []


def test_paragraph_sentence_spans_are_the_sentence_spans_of_each_text():
    from tasks.sentences import paragraph_sentence_spans, sentence_spans

    # an unclosed quote and a newline go through sentence_spans' own walk; blank texts have none
    texts = ["经济增长5%。居民收入增长6%;城镇增长5.5%!", "", "  ", "提出“稳中求进。”的要求。然后", "未闭合“引号。后文。",
             "第一行。\n第二行。", "  前后空白。  "]
    assert paragraph_sentence_spans(texts) == [sentence_spans(t) for t in texts]
    assert paragraph_sentence_spans([]) == []
