"""Tests of tasks/mentions.py: policy phrases, officials and places.

Expectations come from reading the seeds (and from small crafted snippets).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from tasks.mentions import (
    MentionsConfig,
    extract_mentions,
    find_places,
    load_gazetteer,
    official_mentions,
    officials,
    phrase_spans,
    places,
    policy_phrases,
)
from tasks.schemas import column_names

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@lru_cache(maxsize=1)
def seed_result():
    from tasks.ingest import ingest_folder

    res = ingest_folder(SEEDS)
    return res.documents, extract_mentions(res.documents, res.paragraphs)


def doc_id(title_part: str, source: str | None = None) -> str:
    """The one seed document whose title contains title_part (or from source file prefix)."""
    docs, _ = seed_result()
    if source is not None:
        hits = docs[docs["source_file"].str.startswith(source)]
    else:
        hits = docs[docs["title"].str.contains(title_part, regex=False)]
    assert len(hits) == 1, title_part
    return hits["doc_id"].iloc[0]


def make(texts: list[str], region: str | None = "台州市路桥区", dup: list[bool] | None = None):
    paras = pd.DataFrame({
        "doc_id": "d1", "para_id": range(len(texts)), "kind": "body", "section": "",
        "text": texts, "is_duplicate": dup or [False] * len(texts),
    })
    docs = pd.DataFrame({"doc_id": ["d1"], "region": [region], "speaker": [None], "speaker_title": [None]})
    return docs, paras


# --- officials -------------------------------------------------------------------------


def test_the_four_reporting_officials_are_found_with_title_and_region():
    _, res = seed_result()
    got = {(r.name, r.title, r.region) for r in res.officials.itertuples()}
    assert got == {
        ("牟傲野", "区长", "台州市路桥区"),
        ("王振勇", "区长", "温州市瓯海区"),
        ("胡献如", "县长", "丽水市庆元县"),
        ("汤飞帆", "代市长", "衢州市"),
    }
    off = res.officials.set_index("name")
    assert off.loc["汤飞帆", "doc_id"] == doc_id("2018年衢州市政府工作报告")
    assert off.loc["牟傲野", "doc_id"] == doc_id("", source="002_")
    assert list(res.officials.columns) == column_names("officials")


def test_official_evidence_is_found_verbatim_in_its_paragraph():
    from tasks.ingest import ingest_folder

    paras = ingest_folder(SEEDS).paragraphs.set_index(["doc_id", "para_id"])
    _, res = seed_result()
    for r in res.officials.itertuples():
        assert r.evidence in paras.loc[(r.doc_id, r.para_id), "text"]
        assert r.evidence.endswith(r.name)


def test_titles_inside_ordinary_words_are_not_officials():
    _, forms = load_gazetteer()
    for text in ("其中省“152”项目3个、市县长项目7个。", "深化文明城市长效管理。",
                 "认真落实“书记和区长项目”。", "获两任省委书记批示肯定。"):
        assert official_mentions(text, forms) == [], text


def test_a_two_character_name_and_a_party_secretary_are_read():
    _, forms = load_gazetteer()
    got = official_mentions("会议由路桥区委书记王勇主持,椒江区区长李明强出席。", forms)
    assert [(g["name"], g["title"], g["region"]) for g in got] == [
        ("王勇", "区委书记", "台州市路桥区"), ("李明强", "区长", "台州市椒江区")]


def test_the_documents_speaker_field_is_used_when_the_text_has_no_pattern():
    docs, paras = make(["各位代表:现在我代表区人民政府向大会报告工作。", "张三丰在会上说。"])
    docs["speaker"], docs["speaker_title"] = ["张三丰"], ["区长"]
    off = officials(docs, paras)
    assert list(off["name"]) == ["张三丰"] and off.loc[0, "para_id"] == 1
    assert off.loc[0, "region"] == "台州市路桥区"


def test_the_speaker_field_adds_no_second_row_for_a_name_the_text_gave():
    docs, paras = make(["路桥区区长张三丰作报告。", "张三丰在会上说。"])
    docs["speaker"], docs["speaker_title"] = ["张三丰"], ["代区长"]
    off = officials(docs, paras)
    assert off[["name", "title", "para_id"]].values.tolist() == [["张三丰", "区长", 0]]


def test_extract_mentions_gives_the_tables_of_the_three_extractors():
    docs, paras = make(["“八八战略”和三大战略在路桥区落地,金清镇、新桥镇同步推进。", "张三丰在会上说。", "重复段落“八八战略”。"],
                       dup=[False, False, True])
    docs["speaker"], docs["speaker_title"] = ["张三丰"], ["区长"]
    res = extract_mentions(docs, paras)
    pd.testing.assert_frame_equal(res.policy_phrases, policy_phrases(docs, paras))
    pd.testing.assert_frame_equal(res.officials, officials(docs, paras))
    pd.testing.assert_frame_equal(res.places, places(docs, paras))
    assert res.stats["paragraphs_read"] == 2 and len(res.places) == 3


# --- policy phrases ----------------------------------------------------------------------


def test_quoted_slogans_and_numbered_phrases_of_the_party_congress_article():
    _, res = seed_result()
    ph = res.policy_phrases
    d = ph[ph["doc_id"] == doc_id("", source="000_")].set_index("phrase")
    assert d.loc["六链", "phrase_type"] == "quoted"
    assert d.loc["四纵四横一环一绕", "phrase_type"] == "numbered"
    assert d.loc["三大战略", "phrase_type"] == "numbered" and d.loc["三大战略", "count"] >= 2
    assert d.loc["双倍增", "phrase_type"] == "numbered"
    assert "三大目标" in d.index


def test_five_year_plan_and_work_report_phrases():
    _, res = seed_result()
    ph = res.policy_phrases
    plan = ph[ph["doc_id"] == doc_id("", source="003_")].set_index("phrase")
    assert plan.loc["八八战略", "phrase_type"] == "quoted" and plan.loc["八八战略", "count"] >= 2
    assert "十四五" not in plan.index and "十三五" not in plan.index  # period names, not slogans
    report = ph[ph["doc_id"] == doc_id("", source="002_")].set_index("phrase")
    assert report.loc["十件民生实事", "phrase_type"] == "numbered"
    assert report.loc["五大行动", "phrase_type"] == "numbered"
    assert "152" not in report.index  # a project code, not a slogan


def test_quotations_codes_and_single_characters_are_not_slogans():
    text = "以“开局就是决战,起步就是冲刺”的姿态,省“152”项目、“降”字当头、推进“五水共治”和“一窗受理、集成服务”。"
    got = [(p, t) for _, _, p, t in phrase_spans(text)]
    assert got == [("五水共治", "quoted"), ("一窗受理、集成服务", "quoted")]


def test_unquoted_numbered_phrases_are_counted_with_quoted_ones():
    docs, paras = make(["实施三大战略,完成十件民生实事。", "“三大战略”引领,推进四纵四横一环一绕。"])
    ph = policy_phrases(docs, paras).set_index("phrase")
    assert ph.loc["三大战略", "count"] == 2 and ph.loc["三大战略", "first_para_id"] == 0
    assert ph.loc["十件民生实事", "phrase_type"] == "numbered"
    assert ph.loc["四纵四横一环一绕", "count"] == 1


def test_duplicate_and_table_paragraphs_are_not_counted():
    docs, paras = make(["推进“八八战略”。", "推进“八八战略”。", "表1\n“八八战略”"], dup=[False, True, False])
    paras.loc[2, "kind"] = "table"
    ph = policy_phrases(docs, paras)
    assert ph.loc[0, "count"] == 1


# --- places --------------------------------------------------------------------------------


def test_luqiao_towns_are_found_in_the_five_year_plan_with_parents():
    _, res = seed_result()
    pl = res.places
    plan = pl[pl["doc_id"] == doc_id("", source="003_")].set_index("place")
    for town in ("路桥街道", "路南街道", "路北街道", "螺洋街道", "桐屿街道", "峰江街道",
                 "新桥镇", "横街镇", "蓬街镇", "金清镇"):
        assert plan.loc[town, "level"] == "town_street", town
        assert plan.loc[town, "parent"] == "台州市路桥区", town
    assert plan.loc["路桥区", "level"] == "district_county" and plan.loc["路桥区", "parent"] == "台州市"
    assert plan.loc["台州市", "parent"] == "浙江省"


def test_listing_page_places_outside_zhejiang():
    _, res = seed_result()
    pl = res.places
    aks = pl[pl["doc_id"] == doc_id("援疆")].set_index("place")
    assert aks.loc["阿克苏地区", "parent"] == "新疆维吾尔自治区"
    assert aks.loc["新疆维吾尔自治区", "level"] == "province"
    sz = pl[pl["doc_id"] == doc_id("苏州工业园区")].set_index("place")
    assert sz.loc["苏州工业园区", "full_name"] == "苏州市苏州工业园区"
    qy = pl[pl["doc_id"] == doc_id("庆元县政府工作报告")]
    assert "兰溪市" not in set(qy["place"])  # 兰溪桥水库 is in 庆元


def test_longest_match_and_counts_over_kept_paragraphs_only():
    docs, paras = make(["台州市路桥区路桥街道和路南、新桥镇。", "路桥区路桥区", "路桥区"],
                       dup=[False, False, True])
    pl = places(docs, paras).set_index("place")
    assert pl.loc["台州市", "count"] == 1
    assert pl.loc["路桥区", "count"] == 3  # 台州市路桥区 + twice in para 1; para 2 is a duplicate
    assert pl.loc["路桥街道", "count"] == 1 and pl.loc["路南街道", "count"] == 1
    assert pl.loc["新桥镇", "count"] == 1


def test_short_town_names_count_only_in_documents_about_their_district():
    _, forms = load_gazetteer()
    text = "新桥和金清"
    assert [p.name for _, _, p in find_places(text, forms, "台州市路桥区")] == ["新桥镇", "金清镇"]
    assert find_places(text, forms, "温州市瓯海区") == []
    assert [p.name for _, _, p in find_places("新桥镇", forms, None)] == ["新桥镇"]


def test_gazetteer_covers_zhejiang():
    by_full, _ = load_gazetteer()
    levels = pd.Series([p.level for p in by_full.values()])
    zj_cities = [p for p in by_full.values() if p.level == "city" and p.parent == "浙江省"]
    assert len(zj_cities) == 11
    zj_counties = [p for p in by_full.values() if p.level == "district_county"
                   and p.parent in {c.full_name for c in zj_cities} and not p.name.endswith("保税区")]
    assert len(zj_counties) == 90  # 37 districts, 20 county-level cities, 33 counties
    assert (levels == "town_street").sum() >= 10


def test_config_is_validated(tmp_path):
    with pytest.raises(ValueError, match="max_quote_chars"):
        MentionsConfig(min_quote_chars=5, max_quote_chars=3)
    with pytest.raises(ValueError, match="gazetteer"):
        MentionsConfig(gazetteer=tmp_path / "missing.tsv")


def test_find_places_with_a_reused_index_matches_a_fresh_scan():
    from tasks.mentions import _form_index

    _, forms = load_gazetteer()
    index = _form_index(forms)
    texts = ["台州市路桥区新桥镇和金清镇", "兰溪桥水库在庆元", "路桥", "", "新", "浙江省台州市"]
    for text in texts:
        for region in (None, "台州市路桥区"):
            assert find_places(text, forms, region, index) == find_places(text, forms, region)
    # custom forms; single characters never match
    p = next(iter(forms.values()))[0]
    small = {"甲乙": (p, False), "甲乙丙": (p, False), "丁": (p, False)}
    assert [(s, e) for s, e, _ in find_places("甲乙丙甲乙丁甲", small)] == [(0, 3), (3, 5)]
    assert find_places("anything", {}) == []


def test_numbered_phrases_do_not_start_after_a_numeral():
    got = [(p, t) for _, _, p, t in phrase_spans("实施十三大战略和四纵四横一环一绕")]
    assert ("十三大战略", "numbered") in got
    assert ("三大战略", "numbered") not in got
    assert ("四纵四横一环一绕", "numbered") in got and ("纵四横一环一绕", "numbered") not in got


@pytest.mark.parametrize("comma", [",", "，"])
def test_a_quotation_with_clause_punctuation_is_not_a_phrase_at_either_width(comma):
    from tasks.mentions import phrase_spans

    text = f"坚持“开局就是决战{comma}起步就是冲刺”,推进“最多跑一次”改革。"
    assert [s[2] for s in phrase_spans(text)] == ["最多跑一次"]
