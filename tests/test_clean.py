"""Tests of the clean stage: text normalisation and re-joining of cut paragraphs."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pytest

from tasks.clean import (
    CLEAN_COLUMNS,
    REPAIR_DROP_EMPTY,
    REPAIR_DROP_NO_TEXT,
    REPAIR_JOIN,
    CleanConfig,
    clean_paragraphs,
    ends_unterminated,
    normalize_text,
)
from tasks.schemas import column_names


def make_paras(*items: tuple[str, str], doc_id: str = "d1") -> pd.DataFrame:
    """Builds raw paragraphs of one document from (kind, text) pairs."""
    return pd.DataFrame(
        [
            {"doc_id": doc_id, "para_id": i, "kind": kind, "section": "", "text": text}
            for i, (kind, text) in enumerate(items)
        ]
    )


# --- normalisation ----------------------------------------------------------


def test_full_width_digits_letters_and_percent_become_half_width():
    assert normalize_text("增长１２．５％，ＧＤＰ达到７１６亿元。") == "增长12.5%，GDP达到716亿元。"


def test_chinese_punctuation_is_kept_as_written():
    text = "一是“放管服”改革；二是（试点）、三是：完成。"
    assert normalize_text(text) == text


def test_half_width_punctuation_already_in_seeds_is_not_changed():
    text = "路桥:解放思想变革破局,再创发展新辉煌"
    assert normalize_text(text) == text


def test_zero_width_and_control_characters_are_removed():
    assert normalize_text("数字\u200b化\u200d改革\ufeff\x07。") == "数字化改革。"


def test_space_runs_collapse_and_ends_are_stripped():
    assert normalize_text("  台州市路桥区区长 \u3000 牟傲野\xa0 ") == "台州市路桥区区长 牟傲野"


def test_text_is_nfc():
    assert normalize_text("e\u0301") == "\u00e9"


def test_table_text_keeps_one_cell_per_line():
    raw = "表1  主要指标\n地区生产总值\n\n亿元\n７００  \n预期性"
    assert normalize_text(raw, "table") == "表1 主要指标\n地区生产总值\n亿元\n700\n预期性"


def test_body_line_breaks_become_spaces():
    assert normalize_text("第一行\n第二行") == "第一行 第二行"


def test_ends_unterminated():
    assert ends_unterminated("严格落实永久基本农田和")
    assert ends_unterminated("探索村集体、")
    assert not ends_unterminated("完成目标。")
    assert not ends_unterminated("重点抓深抓实以下六方面工作:")
    assert not ends_unterminated("打造城市“新封面”。”")


# --- joins on crafted snippets ----------------------------------------------


def test_cut_sentence_is_joined_and_recorded():
    res = clean_paragraphs(
        make_paras(
            ("heading", "推进全域整治"),
            ("body", "推进全域整治。严格落实永久基本农田和"),
            ("body", "耕地保护要求,深入推进“三改一拆”等专项行动。"),
            ("body", "加快全域盘活。提升亩均产出水平。"),
        )
    )
    texts = res.paragraphs["text"].tolist()
    assert texts[1] == "推进全域整治。严格落实永久基本农田和耕地保护要求,深入推进“三改一拆”等专项行动。"
    assert res.paragraphs["para_id"].tolist() == [0, 1, 2]
    rep = res.repairs.iloc[0]
    assert rep["repair"] == REPAIR_JOIN
    assert rep["para_id"] == 1
    assert list(rep["source_para_ids"]) == [1, 2]
    assert list(rep["join_offsets"]) == [0, len("推进全域整治。严格落实永久基本农田和")]
    assert res.stats["joins"] == 1


def test_three_pieces_of_one_sentence_join_into_one_paragraph():
    res = clean_paragraphs(
        make_paras(
            ("body", "深化城市提质焕新三年行动,完成城市有机更新10万平方"),
            ("body", "米,整治市区融合接壤区块2万平方米,改造老旧"),
            ("body", "小区4个。"),
        )
    )
    assert res.paragraphs["text"].tolist() == [
        "深化城市提质焕新三年行动,完成城市有机更新10万平方米,整治市区融合接壤区块2万平方米,改造老旧小区4个。"
    ]
    assert list(res.repairs.iloc[0]["source_para_ids"]) == [0, 1, 2]


def test_no_join_before_a_heading_or_a_numbered_line():
    res = clean_paragraphs(
        make_paras(
            ("body", "加快发展新型商贸,推动外经贸高质量发展,并且"),
            ("heading", "强化科创赋能"),
            ("body", "加快发展新型商贸,推动外经贸高质量发展,以及"),
            ("body", "(二)强化科创赋能。加快创新链与产业链深度融合。"),
        )
    )
    assert len(res.paragraphs) == 4
    assert res.repairs.empty


@pytest.mark.parametrize("kind", ["table", "caption", "byline", "heading"])
def test_non_body_paragraphs_are_never_joined(kind):
    res = clean_paragraphs(
        make_paras(("body", "全面落实“双减”政策,探索集团化办学新模式,提高"), (kind, "随迁子女公办学校入学率。"))
    )
    assert len(res.paragraphs) == 2


def test_short_title_line_without_punctuation_is_not_joined():
    res = clean_paragraphs(
        make_paras(("body", "实施三大战略实干奋进实现新跨越"), ("body", "未来五年,全区上下将坚持解放思想。"))
    )
    assert len(res.paragraphs) == 2


def test_paragraph_ending_in_a_figure_is_not_joined():
    res = clean_paragraphs(
        make_paras(
            ("body", "到2025年,地表水达到或好于Ⅲ类水体比例达到42.86%"),
            ("body", "统筹推进整体智治,建设区域治理样板城市。"),
        )
    )
    assert len(res.paragraphs) == 2


def test_unbalanced_quote_blocks_a_join():
    res = clean_paragraphs(
        make_paras(
            ("body", "推进村级集体经济高质量发展提升三年行动,实现“村村百万、千万倍"),
            ("body", "区。加快创新要素向企业集聚。"),
        )
    )
    assert len(res.paragraphs) == 2


def test_fragment_whose_opening_is_found_elsewhere_is_not_joined():
    tail = "着力打造机电、塑料制品、水暖卫浴三大产业供应链创新综合体,探索培育商业新模式。"
    res = clean_paragraphs(
        make_paras(
            ("body", "发展新型商贸。加快传统市场转型升级," + tail),
            ("body", "纵深推进投融资体制改革。提高财政资源配置效率和使用效益。加快"),
            ("body", "转型步伐," + tail),
        )
    )
    assert len(res.paragraphs) == 3
    assert res.repairs.empty


def test_copied_piece_ending_mid_sentence_is_not_joined_to_the_next_paragraph():
    source = "纵深推进数字化改革。紧盯群众、企业最高频需求,扩面一批场景应用,形成一批实践成果和制度成果。"
    res = clean_paragraphs(
        make_paras(
            ("body", source),
            ("body", source[:40]),  # a copied prefix, cut mid-sentence
            ("body", "加快全域盘活,提升亩均产出水平,依法加强土地市场管理。"),
        )
    )
    assert len(res.paragraphs) == 3


def test_joins_stay_inside_a_document():
    paras = pd.concat(
        [
            make_paras(("body", "推进全域整治。严格落实永久基本农田和"), doc_id="a"),
            make_paras(("body", "耕地保护要求,深入推进专项行动。"), doc_id="b"),
        ]
    )
    assert len(clean_paragraphs(paras).paragraphs) == 2


def test_empty_paragraph_is_dropped_with_a_repair_row_and_ids_stay_contiguous():
    res = clean_paragraphs(make_paras(("body", "第一段。"), ("body", "\u200b \u3000"), ("body", "第三段。")))
    assert res.paragraphs["para_id"].tolist() == [0, 1]
    assert res.paragraphs["text"].tolist() == ["第一段。", "第三段。"]
    rep = res.repairs.iloc[0]
    assert rep["repair"] == REPAIR_DROP_EMPTY
    assert pd.isna(rep["para_id"])
    assert list(rep["source_para_ids"]) == [1]


def test_output_columns_match_the_schemas():
    res = clean_paragraphs(make_paras(("body", "一段。")))
    assert list(res.paragraphs.columns) == CLEAN_COLUMNS
    assert list(res.repairs.columns) == column_names("paragraph_repairs")
    assert res.paragraphs["n_chars"].tolist() == [3]


def test_config_is_validated():
    with pytest.raises(ValueError, match="ngram"):
        CleanConfig(ngram=1)
    with pytest.raises(ValueError, match="fold_symbols"):
        CleanConfig(fold_symbols="%")
    with pytest.raises(ValueError, match="fragment_share"):
        CleanConfig(fragment_share=0)


# --- the real seeds ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed_clean(seed_ingest):
    return clean_paragraphs(seed_ingest.paragraphs)


def _doc_of(seed_ingest, prefix: str) -> str:
    docs = seed_ingest.documents
    return docs.loc[docs["source_file"].str.startswith(prefix), "doc_id"].iloc[0]


def test_seed_cut_sentences_are_joined(seed_ingest, seed_clean):
    texts = "\n".join(seed_clean.paragraphs["text"])
    for joined in ["永久基本农田和耕地保护要求", "争创省综合医疗卫生改革示范区", "有机更新10万平方米,整治", "探索村集体、企业、专业团队"]:
        assert joined in texts
    joins = seed_clean.repairs[seed_clean.repairs["repair"] == REPAIR_JOIN]
    assert sorted(joins["doc_id"]) == sorted(
        [_doc_of(seed_ingest, "000")] * 2 + [_doc_of(seed_ingest, "001")] * 2
    )


def test_seed_displaced_fragments_are_not_joined(seed_clean):
    texts = "\n".join(seed_clean.paragraphs["text"])
    # '…加快' is followed once by a displaced tail and twice by a repeated piece
    assert "加快转型步伐" not in texts
    assert "加快经济园区" not in texts
    assert "千万倍区" not in texts


def test_seed_para_ids_are_contiguous_per_document(seed_clean):
    for _, g in seed_clean.paragraphs.groupby("doc_id"):
        assert g["para_id"].tolist() == list(range(len(g)))


def test_seed_tables_keep_their_lines(seed_ingest, seed_clean):
    raw = seed_ingest.paragraphs
    clean = seed_clean.paragraphs
    assert (clean["kind"] == "table").sum() == (raw["kind"] == "table").sum()
    for r, c in zip(raw.loc[raw["kind"] == "table", "text"], clean.loc[clean["kind"] == "table", "text"]):
        assert c.count("\n") == len([line for line in r.split("\n") if line.strip()]) - 1


def test_seed_every_raw_character_survives_except_whitespace(seed_ingest, seed_clean):
    def chars(texts):
        return "".join(t for t in texts).replace(" ", "").replace("\n", "").replace("\u3000", "").replace("\xa0", "")

    assert chars(seed_clean.paragraphs["text"]) == chars(
        normalize_text(t, "table") for t in seed_ingest.paragraphs["text"]
    )


# --- chrome without letters ---------------------------------------------------


def test_runs_of_ascii_question_marks_are_lost_spaces():
    # a portal page saved through an encoder without U+3000 writes "??" for each
    assert normalize_text("??各位代表：??现在，我代表区人民政府作报告。") == "各位代表： 现在，我代表区人民政府作报告。"
    # one '?' is left as written (a Latin question inside a quote)
    assert normalize_text("Why?") == "Why?"


def test_short_paragraphs_without_letters_are_dropped_as_chrome_and_recorded():
    raw = make_paras(("body", "0"), ("body", "各位代表：现在，我代表区人民政府作报告。"), ("body", "3/12"),
                     ("body", "????"), ("caption", "***"), ("table", "2025\n8.5"),
                     ("body", "12.5 13.6 14.8 15.9 17.1 18.4 19.6 21.0"))
    result = clean_paragraphs(raw)
    kept = result.paragraphs["text"].tolist()
    # a table cell line and a long number row (a table flattened into prose) are data and stay
    assert kept == ["各位代表：现在，我代表区人民政府作报告。", "2025\n8.5", "12.5 13.6 14.8 15.9 17.1 18.4 19.6 21.0"]
    drops = result.repairs[result.repairs["repair"] == REPAIR_DROP_NO_TEXT]
    assert drops["source_para_ids"].map(list).tolist() == [[0], [2], [4]]
    assert result.repairs[result.repairs["repair"] == REPAIR_DROP_EMPTY]["source_para_ids"].map(list).tolist() == [[3]]
    assert result.stats["dropped_no_text"] == 3 and result.stats["dropped_empty"] == 1


def test_found_elsewhere_does_not_depend_on_chunk_or_vote_slice_sizes(seed_ingest, monkeypatch):
    import tasks.clean as clean

    texts = [normalize_text(t, k) for t, k in zip(seed_ingest.paragraphs["text"], seed_ingest.paragraphs["kind"])]
    probes = {("tail", a): ({a, a + 1}, texts[a]) for a in range(len(texts) - 1) if texts[a]}
    whole = clean._found_elsewhere(texts, probes, CleanConfig())
    # many corpus chunks and vote slices of a few probes each: the slices must cut between probes
    monkeypatch.setattr(clean, "_CHUNK_ROWS", 7)
    monkeypatch.setattr(clean, "_VOTE_SLICE", 500)
    assert whole and clean._found_elsewhere(texts, probes, CleanConfig()) == whole


# --- full-width punctuation: real reports write ，；！？, the seeds happen to write ASCII ---------

@pytest.mark.parametrize("marks", [(",", ";"), ("，", "；")])
def test_cut_lines_are_told_from_titles_by_punctuation_of_either_width(marks):
    comma, semicolon = marks
    # a short line cut after a clause (a comma, or a sentence end inside) is a cut sentence;
    # a short line without either is a title and stays alone
    res = clean_paragraphs(make_paras(
        ("body", f"全区上下坚持解放思想{comma}大力推进城市有机"),
        ("body", "更新和全域整治。"),
        ("body", f"一是稳增长{semicolon}二是推进改革开放和"),
        ("body", "创新驱动发展。"),
        ("body", "实施三大战略实干奋进实现新跨越"),
        ("body", "未来五年,全区上下将坚持解放思想。"),
    ))
    assert res.paragraphs["text"].tolist() == [
        f"全区上下坚持解放思想{comma}大力推进城市有机更新和全域整治。",
        f"一是稳增长{semicolon}二是推进改革开放和创新驱动发展。",
        "实施三大战略实干奋进实现新跨越",
        "未来五年,全区上下将坚持解放思想。",
    ]


# --- the fast paths: the same rows as the plain per-text forms ---------------------------------

@pytest.mark.parametrize("text", [
    "各位代表：现在，我代表区人民政府作报告。", "路桥 区", "路桥  区", " 开头有空格", "\u2028段落分隔符开头", "结尾\u2029",
    "全角１２％", "问号??", "制表\t符", "软\u00ad连字符", "\u3000\u3000首行缩进", "e\u0301", "换\r行", "",
])
def test_texts_the_screen_passes_are_those_normalisation_leaves_as_they_are(text):
    import tasks.clean as clean

    [may_change] = clean._may_change([text])
    if not may_change and unicodedata.is_normalized("NFC", text):
        assert normalize_text(text) == text
    # and clean, which normalises only what the screen flags, gives normalize_text's text
    raw = text + "我代表区人民政府作报告。"
    assert clean_paragraphs(make_paras(("body", raw))).paragraphs["text"].tolist() == [normalize_text(raw)]


def test_screen_flags_each_text_by_its_own_characters():
    import tasks.clean as clean

    texts = ["甲乙", "", "丙\u200b", None, "丁 戊", "己"] * 3
    assert clean._may_change(texts) == [False, False, True, True, True, False] * 3


def test_probe_hashes_are_each_probes_distinct_sorted_hashes():
    import tasks.clean as clean
    from tasks.dedup import dedup_key, ngram_hashes, sorted_unique

    probes = {("tail", 0): ({0, 1}, "完善城市垃圾分类基础设施建设完善城市"), ("head", 1): ({0, 1}, "短"),
              ("tail", 5): ({5, 6}, "ＡＢＣ“数字化改革”推进城市")}
    got = clean._probe_hashes(probes, 5)
    assert list(got) == [("tail", 0), ("tail", 5)]  # a probe too short for one n-gram is left out
    for pid, hashes in got.items():
        assert hashes.tolist() == sorted_unique(ngram_hashes(dedup_key(probes[pid][1]), 5)).tolist()


def test_found_elsewhere_is_the_same_with_rounds_and_two_workers(seed_ingest, monkeypatch):
    import tasks.clean as clean

    texts = [normalize_text(t, k) for t, k in zip(seed_ingest.paragraphs["text"], seed_ingest.paragraphs["kind"])]
    probes = {("tail", a): ({a, a + 1}, texts[a]) for a in range(len(texts) - 1) if texts[a]}
    # the seeds are too few for phrases held by 64 paragraphs
    monkeypatch.setattr(clean, "_BOILERPLATE_DF", 3)
    whole = clean._found_elsewhere(texts, probes, CleanConfig())
    holders = clean._holders_of_wanted(texts, _wanted(probes), 5)
    # chunks of 40 rows, each made knowing the set phrases of all but the last few chunks before
    # it: those are no longer looked for, which changes no holder list
    monkeypatch.setattr(clean, "_CHUNK_ROWS", 40)
    looked_for = []  # per job made: how many wanted n-grams it looks for
    map_with_feedback = clean.map_with_feedback

    def counting(fn, state, n_jobs, make_job, *args):
        def make(i):
            job = make_job(i)
            looked_for.append(int((np.unpackbits(job[1], count=len(state[1].slots)) == 0).sum()))
            return job
        return map_with_feedback(fn, state, n_jobs, make, *args)

    monkeypatch.setattr(clean, "map_with_feedback", counting)
    for workers, behind in ((1, 3), (2, 3), (1, 0), (2, 1)):
        monkeypatch.setattr(clean, "_JOBS_BEHIND", behind)
        assert clean._found_elsewhere(texts, probes, CleanConfig(), workers) == whole
        small = clean._holders_of_wanted(texts, _wanted(probes), 5, workers)
        assert small.rows.tolist() == holders.rows.tolist() and small.start.tolist() == holders.start.tolist()
        few = holders.df <= clean._BOILERPLATE_DF
        assert (small.df[few] == holders.df[few]).all() and (small.df[~few] > clean._BOILERPLATE_DF).all()
    assert (~few).any()  # the seeds have set phrases
    # later chunks look for fewer n-grams than the first
    assert looked_for and looked_for[-1] < looked_for[0]


def _wanted(probes):
    import numpy as np
    import tasks.clean as clean
    from tasks.dedup import sorted_unique

    return sorted_unique(np.concatenate(list(clean._probe_hashes(probes, 5).values())))


def test_one_and_two_workers_clean_the_seeds_alike(seed_ingest, monkeypatch):
    import tasks.clean as clean

    monkeypatch.setattr(clean, "_CHUNK_ROWS", 50)
    monkeypatch.setattr(clean, "_JOBS_BEHIND", 2)
    one, two = clean_paragraphs(seed_ingest.paragraphs, workers=1), clean_paragraphs(seed_ingest.paragraphs, workers=2)
    pd.testing.assert_frame_equal(one.paragraphs, two.paragraphs, check_exact=True)
    pd.testing.assert_frame_equal(one.repairs, two.repairs, check_exact=True)
    assert one.stats == two.stats and one.stats["joins"] > 0


def test_output_texts_are_taken_from_the_raw_column_unless_clean_changed_them(monkeypatch):
    import tasks.clean as clean

    raw = make_paras(
        ("body", "各位代表：现在，我代表区人民政府作报告。"),
        ("body", "全角１２％的增长"),  # normalised
        ("body", "全区上下坚持解放思想,大力推进城市有机"),  # joined with the next
        ("body", "更新和全域整治。"),
        ("body", None),  # missing: dropped as empty
        ("caption", "图1 路桥区区位图"),
    )
    converted = []
    text_column = clean._text_column
    monkeypatch.setattr(clean, "_text_column", lambda texts, raw_pos, raw_texts: converted.append(
        [t for t, p in zip(texts, raw_pos) if p < 0]) or text_column(texts, raw_pos, raw_texts))
    out = clean_paragraphs(raw).paragraphs
    assert out["text"].tolist() == [
        "各位代表：现在，我代表区人民政府作报告。", "全角12%的增长",
        "全区上下坚持解放思想,大力推进城市有机更新和全域整治。", "图1 路桥区区位图",
    ]
    assert converted == [["全角12%的增长", "全区上下坚持解放思想,大力推进城市有机更新和全域整治。"]]
    assert out["text"].dtype == pd.Series([""]).dtype
    # an input column of another type: every text converted, the same column
    as_objects = raw.astype({"text": object})
    pd.testing.assert_frame_equal(clean_paragraphs(as_objects).paragraphs, out, check_exact=True)
