"""Tests of tasks/indicators.py: inline snippets and the seeds against a hand-built gold set.

Expected values come from reading the sentences, not from running the code;
tests/fixtures/indicators_gold.csv lists every core-metric statement of the
seeds as read by hand (doc, sentence snippet, key, measure, value, period, status).
tests/fixtures/statecouncil_dev.csv lists the core facts of 25 State Council reports
(1983-2018) read by hand, with their evidence: split 'dev' (16 reports) the rules were
developed on, 'heldout' and 'check2' read later (see the test of each).
Sentences of the issue-15 families are written for the tests (numbers and subjects changed).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tasks.indicators import (
    VALUE_RE,
    IndicatorConfig,
    extract_indicators,
    literal_alternation,
    load_metric_keys,
    load_unit_magnitudes,
    parse_number,
    split_unit,
    stated_years,
)
from tasks.schemas import column_names

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "fixtures" / "indicators_gold.csv"


def make_doc(text: str, *, doc_type: str = "gov_work_report", event_date: date | None = date(2022, 2, 18),
             year: int | None = 2022, region: str = "台州市路桥区", title: str = "测试文档", kind: str = "body"):
    """One document whose paragraphs are the lines of text."""
    docs = pd.DataFrame([{"doc_id": "d1", "title": title, "doc_type": doc_type, "region": region,
                          "year": year, "event_date": event_date}])
    lines = [ln for ln in text.split("\n") if ln.strip()]
    paras = pd.DataFrame({"doc_id": "d1", "para_id": range(len(lines)), "kind": kind, "section": "",
                          "text": lines})
    return docs, paras


def rows(text: str, **kw) -> list[tuple]:
    """(metric_key, measure, value_base, year, start_year, end_year, status) of each row."""
    df = extract_indicators(*make_doc(text, **kw)).indicators
    return [
        (r.metric_key, r.measure, r.value_base, r.year, r.start_year, r.end_year, r.status)
        for r in df.itertuples()
    ]


# --- numbers, units, years -----------------------------------------------------


def test_numbers_in_arabic_and_chinese_numerals_are_read():
    assert parse_number("716.66") == 716.66
    assert parse_number("千") == 1000
    assert parse_number("三十五") == 35
    assert parse_number("两位数") is None


def test_units_split_into_magnitude_and_base():
    assert split_unit("亿元") == (1e8, "元")
    assert split_unit("万美元") == (1e4, "美元")
    assert split_unit("%") == (1.0, "%")
    # the longest prefix wins; a magnitude word alone is no unit to scale
    assert split_unit("万亿元") == (1e12, "元")
    assert split_unit("千万元") == (1e7, "元")
    assert split_unit("万") == (1.0, "万")


def test_unit_magnitudes_are_read_from_their_resource_longest_prefix_first(tmp_path):
    path = tmp_path / "units.tsv"
    path.write_text("# a comment line\nprefix\tfactor\n万\t1e4\n亿\t1e8\n万亿\t1e12\n", encoding="utf-8")
    assert list(load_unit_magnitudes(path).items()) == [("万亿", 1e12), ("万", 1e4), ("亿", 1e8)]
    shipped = load_unit_magnitudes()
    assert shipped["亿"] == 1e8 and shipped["万亿"] == 1e12 and shipped["千"] == 1e3


def test_a_value_does_not_start_inside_a_number_or_after_an_ordinal():
    text = "第3个,1.5个百分点,十二个,增长8%"
    assert [m.group("num") + m.group("unit") for m in VALUE_RE.finditer(text)] == ["1.5个百分点", "十二个", "8%"]
    # in a window the character before it still counts (2.5% from 12.5%)
    assert VALUE_RE.search("增长12.5%", 4) is None and VALUE_RE.search("增长12.5%", 2).group() == "12.5%"


def test_a_phase_cue_in_a_paragraph_without_metrics_dates_the_next_paragraphs():
    text = "\n".join([
        "过去五年,我们坚持稳中求进。",
        "城镇居民人均可支配收入年均增长7.8%。",
        "今年是全面建设的关键之年。",
        "固定资产投资增长8%。",
    ])
    docs, paras = make_doc(text)
    res = extract_indicators(docs, paras)
    assert [(r.year, r.start_year, r.status) for r in res.indicators.itertuples()] == [
        (2021, 2017, "actual"), (2022, 2022, "target")]
    assert res.stats["sentences"] == 4 and res.stats["paragraphs_read"] == 4


def test_dates_comparisons_and_starting_points_are_not_stated_years():
    text = "2022年2月18日在会上。比2025年翻一番,2014年以来新高,到二〇三五年基本实现"
    assert [y for _, y, _ in stated_years(text)] == [2035]


# --- one statement, several rows ---------------------------------------------


def test_level_and_growth_in_one_clause_are_two_rows():
    got = rows("一年来,全年实现地区生产总值716.66亿元,增长8.3%。")
    assert got == [
        ("gdp", "level", pytest.approx(7.1666e10), 2021, 2021, 2021, "actual"),
        ("gdp", "growth_pct", 8.3, 2021, 2021, 2021, "actual"),
    ]


def test_a_respectively_list_gives_one_row_per_metric():
    got = rows("一年来,城镇和农村常住居民人均可支配收入分别增长8.7%、10.1%。")
    assert [(k, v) for k, _, v, *_ in got] == [
        ("urban_disposable_income_per_capita", 8.7),
        ("rural_disposable_income_per_capita", 10.1),
    ]


def test_urban_rural_income_splits_levels_and_growths_in_order():
    got = rows("一年来,城乡居民人均可支配收入分别达33805元和15626元,分别增长8.2%和9.7%。")
    assert [(k, m, v) for k, m, v, *_ in got] == [
        ("urban_disposable_income_per_capita", "per_capita", 33805),
        ("rural_disposable_income_per_capita", "per_capita", 15626),
        ("urban_disposable_income_per_capita", "growth_pct", 8.2),
        ("rural_disposable_income_per_capita", "growth_pct", 9.7),
    ]


def test_a_list_of_metrics_is_zipped_with_its_values():
    got = rows("到2025年,生产总值和人均生产总值分别达到1000亿元、15.7万元。",
               doc_type="five_year_plan", event_date=None, year=2021, title="第十四个五年规划")
    assert got == [
        ("gdp", "level", 1e11, 2025, 2025, 2025, "target"),
        ("gdp_per_capita", "per_capita", 157000, 2025, 2025, 2025, "target"),
    ]


def test_a_range_over_time_gives_both_ends_and_the_average_growth_covers_the_years_between():
    got = rows("过去五年,全区生产总值从2016年的520.26亿元,增加到2021年的716.66亿元,年均增速4.6%。")
    assert got == [
        ("gdp", "level", pytest.approx(5.2026e10), 2016, 2016, 2016, "actual"),
        ("gdp", "level", pytest.approx(7.1666e10), 2021, 2021, 2021, "actual"),
        ("gdp", "growth_pct", 4.6, 2021, 2017, 2021, "actual"),
    ]


def test_chinese_magnitude_is_read_and_two_digit_growth_is_not_a_number():
    docs, paras = make_doc("未来五年,地区生产总值达到千亿元以上,外贸进出口实现两位数增长。",
                           doc_type="party_congress", event_date=date(2021, 12, 28), year=2021)
    df = extract_indicators(docs, paras).indicators
    assert len(df) == 1
    r = df.iloc[0]
    assert (r.metric_key, r.value, r.unit, r.value_base, r.base_unit) == ("gdp", 1000, "亿元", 1e11, "元")
    # a December congress plans the next five years
    assert (r.year, r.start_year, r.end_year, r.status, r.qualifier) == (2026, 2022, 2026, "target", "以上")


def test_first_time_over_keeps_its_qualifier():
    df = extract_indicators(*make_doc("一年来,全年地区生产总值首次超过500亿元,站稳了全省中上游水平。")).indicators
    assert df[["metric_key", "value", "qualifier"]].values.tolist() == [["gdp", 500, "首次超过"]]


# --- periods and status --------------------------------------------------------


def test_work_report_phases_give_last_year_five_years_and_this_years_targets():
    text = "\n".join([
        "一、2021年工作回顾",
        "一年来,一般公共预算收入42.61亿元,增长11%,精准完成市定目标。",
        "过去五年,城镇居民人均可支配收入年均增长7.8%。",
        "三、2022年重点工作",
        "今年全区经济社会发展的主要预期目标为:地区生产总值增长7%以上;固定资产投资增长8%。",
    ])
    assert rows(text) == [
        ("general_budget_revenue", "level", pytest.approx(4.261e9), 2021, 2021, 2021, "actual"),
        ("general_budget_revenue", "growth_pct", 11, 2021, 2021, 2021, "actual"),
        ("urban_disposable_income_per_capita", "growth_pct", 7.8, 2021, 2017, 2021, "actual"),
        ("gdp", "growth_pct", 7, 2022, 2022, 2022, "target"),
        ("fixed_asset_investment", "growth_pct", 8, 2022, 2022, 2022, "target"),
    ]


def test_strive_for_makes_a_target_and_estimate_makes_a_forecast():
    got = rows("展望2025\n力争固定资产投资增长8%以上。", doc_type="party_congress",
               event_date=date(2025, 1, 8), year=2025)
    assert got == [("fixed_asset_investment", "growth_pct", 8, 2025, 2025, 2025, "target")]
    got = rows("2020年,城乡居民人均可支配收入预计达到63086元。", doc_type="five_year_plan",
               event_date=None, year=2021, title="第十四个五年规划")
    assert got == [("disposable_income_per_capita", "per_capita", 63086, 2020, 2020, 2020, "forecast")]


def test_a_year_stated_in_a_previous_sentence_dates_the_next_ones():
    text = "到二〇三五年,我区将基本实现现代化。实现地区生产总值比2025年翻一番,突破2000亿元。"
    got = rows(text, doc_type="five_year_plan", event_date=None, year=2021, title="第十四个五年规划")
    assert got == [("gdp", "level", 2e11, 2035, 2035, 2035, "target")]


# --- precision guards ------------------------------------------------------------


def test_a_sub_scope_before_the_metric_drops_the_match():
    assert rows("一年来,4个特色小镇完成固定资产投资24.76亿元。") == []


def test_other_words_between_metric_and_number_drop_the_match():
    assert rows("一年来,研发费用增速连续9个月全市第一,全社会消费品零售总额与外贸出口总额增幅均居全省第一。") == []


def test_a_share_is_keyed_by_its_numerator_not_its_denominator():
    got = rows("2020年,规上高新技术产业增加值占规上工业增加值比重达到60.92%。")
    assert [(k, m) for k, m, *_ in got] == [("high_tech_value_added_above_scale", "share_pct")]
    got = rows("到2025年,数字经济核心产业增加值占GDP比重超过5%。")
    assert [(k, m, v) for k, m, v, *_ in got] == [("digital_economy_core_value_added", "share_pct", 5)]


def test_city_wide_figures_in_a_district_report_belong_to_the_city_and_province_ones_are_dropped():
    docs, paras = make_doc("一年来,全市地区生产总值增长7.3%。全省生产总值增长7.8%。")
    res = extract_indicators(docs, paras)
    assert res.indicators[["region", "value"]].values.tolist() == [["台州市", 7.3]]
    assert res.stats["dropped_outside_region"] == 1


def test_tables_and_duplicates_are_not_read():
    docs, paras = make_doc("一年来,地区生产总值716.66亿元。\n一年来,地区生产总值716.66亿元。")
    paras["kind"] = ["table", "body"]
    paras["is_duplicate"] = [False, True]
    assert extract_indicators(docs, paras).indicators.empty


def test_config_rejects_bad_values_naming_the_field():
    with pytest.raises(ValueError, match="max_gap_chars"):
        IndicatorConfig(max_gap_chars=-1)
    with pytest.raises(ValueError, match="metric_keys_path"):
        IndicatorConfig(metric_keys_path=Path("/nonexistent.tsv"))


def test_metric_key_file_maps_the_core_names():
    names = load_metric_keys()
    assert names["全区生产总值"].keys == ("gdp",)
    assert names["人均地区生产总值"].keys == ("gdp_per_capita",)
    assert names["研究与试验发展经费支出相当于生产总值比重"].keys == ("rd_intensity",)
    assert names["城乡居民人均可支配收入"].split_keys == (
        "urban_disposable_income_per_capita", "rural_disposable_income_per_capita")


# --- the seeds -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_output(seed_ingest):
    """The seeds through ingest, clean and dedup, as the pipeline feeds extraction."""
    from tasks.clean import clean_paragraphs
    from tasks.dedup import dedup_corpus

    documents, paras = seed_ingest.documents, seed_ingest.paragraphs
    paras = clean_paragraphs(paras).paragraphs
    dd = dedup_corpus(documents, paras)
    documents, paras = dd.documents, dd.paragraphs[~dd.paragraphs["is_duplicate"]]
    return documents, paras, extract_indicators(documents, paras)


def _match_gold(documents: pd.DataFrame, found: pd.DataFrame) -> tuple[int, int, int, list]:
    gold = pd.read_csv(GOLD, dtype={"source": str}, keep_default_na=False)
    docs = documents.set_index("doc_id")
    pred = found[found["is_core"]].copy()
    pred["source"] = pred["doc_id"].map(docs["source_file"]).str[:3]
    pred["title"] = pred["doc_id"].map(docs["title"])
    used: set[int] = set()
    missed = []
    for g in gold.itertuples():
        hit = None
        for i, p in pred.iterrows():
            if i in used or p.source != g.source or g.title_contains not in p.title or g.snippet not in p.evidence:
                continue
            if (p.metric_key, p.measure, p.status) != (g.metric_key, g.measure, g.status):
                continue
            if not math.isclose(p.value, float(g.value)) or p.unit != g.unit:
                continue
            if (p.year, p.start_year, p.end_year) != (int(g.year), int(g.start_year), int(g.end_year)):
                continue
            hit = i
            break
        if hit is None:
            missed.append((g.source, g.snippet, g.metric_key, g.measure, g.value))
        else:
            used.add(hit)
    return len(used), len(pred), len(gold), missed


def test_core_indicators_of_the_seeds_reach_precision_099_and_recall_1(seed_output):
    documents, _, res = seed_output
    tp, n_pred, n_gold, missed = _match_gold(documents, res.indicators)
    precision, recall = tp / n_pred, tp / n_gold
    print(f"core indicators: tp={tp} predicted={n_pred} gold={n_gold} "
          f"precision={precision:.3f} recall={recall:.3f} missed={missed}")
    assert precision >= 0.99
    assert recall >= 1.0


def test_every_evidence_is_its_paragraph_text_at_its_offsets(seed_output):
    _, paras, res = seed_output
    text = {(d, int(p)): t for d, p, t in zip(paras["doc_id"], paras["para_id"], paras["text"])}
    df = res.indicators
    assert len(df) > 0
    for r in df.itertuples():
        assert text[(r.doc_id, r.para_id)][r.char_start:r.char_end] == r.evidence
        assert r.value_text in r.evidence


def test_seed_output_follows_the_schema_and_its_enums(seed_output):
    _, _, res = seed_output
    df = res.indicators
    assert list(df.columns) == column_names("indicators")
    assert df["indicator_id"].is_unique
    assert set(df["measure"]) <= {"level", "growth_pct", "share_pct", "per_capita", "count", "rank", "other"}
    assert set(df["status"]) <= {"actual", "target", "forecast"}
    assert (df["start_year"] <= df["end_year"]).all() and (df["year"] == df["end_year"]).all()
    assert res.stats["indicators"] == len(df)


def test_seed_output_is_deterministic(seed_output):
    documents, paras, res = seed_output
    again = extract_indicators(documents, paras.sample(frac=1, random_state=3))
    pd.testing.assert_frame_equal(res.indicators, again.indicators)


# --- phrasings the seeds do not use ------------------------------------------------


def test_same_period_growth_and_decline_are_read_with_their_sign():
    got = rows("一年来,全年完成固定资产投资125.3亿元,同比增长9.2%。进出口总额比上年下降3.2%。",
               event_date=date(2023, 2, 10), year=2023)
    assert got == [
        ("fixed_asset_investment", "level", pytest.approx(1.253e10), 2022, 2022, 2022, "actual"),
        ("fixed_asset_investment", "growth_pct", 9.2, 2022, 2022, 2022, "actual"),
        ("foreign_trade", "growth_pct", -3.2, 2022, 2022, 2022, "actual"),
    ]


def test_a_respectively_list_can_span_clauses():
    got = rows("一年来,全区实现财政总收入108.5亿元,其中一般公共预算收入65.2亿元,分别增长12.1%和10.3%。")
    assert [(k, m, v) for k, m, v, *_ in got] == [
        ("total_fiscal_revenue", "level", pytest.approx(1.085e10)),
        ("general_budget_revenue", "level", pytest.approx(6.52e9)),
        ("total_fiscal_revenue", "growth_pct", 12.1),
        ("general_budget_revenue", "growth_pct", 10.3),
    ]


def test_two_values_of_one_measure_without_a_list_word_are_not_guessed():
    docs, paras = make_doc("一年来,地区生产总值增长8%、10%。")
    res = extract_indicators(docs, paras)
    assert res.indicators.empty and res.stats["dropped_unzippable_list"] == 2


def test_dollar_amounts_and_estimates_for_the_year_just_ended():
    got = rows("一年来,实际利用外资1.2亿美元,增长35%。预计全年地区生产总值增长6.5%左右。",
               event_date=date(2023, 2, 10), year=2023)
    assert got == [
        ("fdi_actual", "level", pytest.approx(1.2e8), 2022, 2022, 2022, "actual"),
        ("fdi_actual", "growth_pct", 35, 2022, 2022, 2022, "actual"),
        ("gdp", "growth_pct", 6.5, 2022, 2022, 2022, "forecast"),
    ]


def test_qualifiers_of_the_seed_gold_rows_are_found(seed_output):
    documents, _, res = seed_output
    gold = pd.read_csv(GOLD, dtype={"source": str}, keep_default_na=False)
    df = res.indicators
    docs = documents.set_index("doc_id")
    src = df["doc_id"].map(docs["source_file"]).str[:3]
    agree = total = 0
    for g in gold.itertuples():
        hit = df[(src == g.source) & df["evidence"].str.contains(g.snippet, regex=False)
                 & (df["metric_key"] == g.metric_key) & (df["measure"] == g.measure)
                 & (df["value"].round(4) == round(float(g.value), 4))]
        if len(hit):
            total += 1
            q = hit.iloc[0]["qualifier"]
            agree += ("" if pd.isna(q) else q) == g.qualifier
    assert total >= 80 and agree / total >= 0.95


def test_document_without_region_or_year_is_read_not_crashed():
    import numpy as np

    documents = pd.DataFrame([{"doc_id": "d1", "title": "某地新闻", "doc_type": "news", "region": np.nan,
                               "year": np.nan, "event_date": None, "publish_date": None}])
    paragraphs = pd.DataFrame([{"doc_id": "d1", "para_id": 0, "kind": "body", "section": "",
                                "text": "2023年,全区实现地区生产总值812.5亿元,增长6.1%。", "is_duplicate": False}])
    out = extract_indicators(documents, paragraphs).indicators
    assert sorted(out.measure) == ["growth_pct", "level"]
    assert out.region.isna().all()


def test_a_range_whose_years_run_backwards_never_gives_a_backwards_period():
    documents = pd.DataFrame([{"doc_id": "d1", "title": "2014年某区政府工作报告", "doc_type": "gov_work_report",
                               "region": "台州市路桥区", "year": 2014, "event_date": None, "publish_date": None}])
    paragraphs = pd.DataFrame([{"doc_id": "d1", "para_id": 0, "kind": "body", "section": "",
                                "text": "全区生产总值从2012年的393.12亿元,增加到2012年的913.73亿元,年均增速3.2%。",
                                "is_duplicate": False}])
    for doc_type in ("gov_work_report", "news", "party_congress"):
        out = extract_indicators(documents.assign(doc_type=doc_type), paragraphs).indicators
        assert len(out) <= 1
        assert not (out.start_year > out.end_year).any(), doc_type


# --- sentence families of unseen reports (issue 15); sentences written for the tests -------------

PROVINCE = dict(region="江西省", event_date=date(2026, 1, 22), year=2026)


def facts(text: str, **kw) -> list[tuple]:
    """(metric_key, measure, value, value_high, year, start_year, status, modifier, period_kind, comparable)."""
    df = extract_indicators(*make_doc(text, **{**PROVINCE, **kw})).indicators
    return [(r.metric_key, r.measure, None if pd.isna(r.value) else r.value,
             None if pd.isna(r.value_high) else r.value_high, r.year, r.start_year, r.status, r.modifier,
             r.period_kind, bool(r.is_comparable_basis)) for r in df.itertuples()]


def test_family_1_level_and_growth_in_one_clause_in_trillions_in_a_provincial_report():
    assert facts("一年来,全省生产总值3.6万亿元、增长4.7%。") == [
        ("gdp", "level", 3.6, None, 2025, 2025, "actual", "point", "year", False),
        ("gdp", "growth_pct", 4.7, None, 2025, 2025, "actual", "point", "year", False),
    ]


def test_family_2_ranges_and_modifiers_are_target_rows():
    got = facts("今年主要预期目标:地区生产总值增长5.5%—6%;固定资产投资增长3.5-4%;经济增长6%左右;社会消费品零售总额增长7%以上。")
    assert [(k, v, hi, st, mod) for k, _, v, hi, _, _, st, mod, _, _ in got] == [
        ("gdp", 5.5, 6.0, "target", "range"),
        ("fixed_asset_investment", 3.5, 4.0, "target", "range"),
        ("gdp", 6.0, None, "target", "about"),
        ("retail_sales", 7.0, None, "target", "at_least"),
    ]


def test_family_3_synonym_subjects_map_to_their_metrics():
    got = facts("一年来,生产总值增长4.1%,经济总量达到3.2万亿元。城镇居民收入增长3.9%,居民收入增长4.4%。")
    assert [(k, m, v) for k, m, v, *_ in got] == [
        ("gdp", "growth_pct", 4.1), ("gdp", "level", 3.2),
        ("urban_disposable_income_per_capita", "growth_pct", 3.9), ("disposable_income_per_capita", "growth_pct", 4.4),
    ]


def test_family_4_paired_subjects_distribute_their_numbers_in_order():
    assert [(k, v) for k, _, v, *_ in facts("一年来,城镇、农村居民人均可支配收入分别增长3.8%、6.6%。")] == [
        ("urban_disposable_income_per_capita", 3.8), ("rural_disposable_income_per_capita", 6.6)]
    got = facts("过去五年,城乡居民人均收入年均增长5.3％、7.9％。")
    assert [(k, v, y0, pk) for k, _, v, _, _, y0, _, _, pk, _ in got] == [
        ("urban_disposable_income_per_capita", 5.3, 2021, "plan_average"),
        ("rural_disposable_income_per_capita", 7.9, 2021, "plan_average")]
    got = facts("一年来,城乡居民人均可支配收入分别达4.6万元、2.1万元,增长4.2%、6.5%。")
    assert [(k, m, v) for k, m, v, *_ in got] == [
        ("urban_disposable_income_per_capita", "per_capita", 4.6), ("rural_disposable_income_per_capita", "per_capita", 2.1),
        ("urban_disposable_income_per_capita", "growth_pct", 4.2), ("rural_disposable_income_per_capita", "growth_pct", 6.5)]


def test_family_5_from_to_gives_two_levels_each_with_its_own_year():
    assert [(v, y) for _, _, v, _, y, *_ in facts("过去五年,全省生产总值从2.5万亿元提高到3.4万亿元。")] == [
        (2.5, 2020), (3.4, 2025)]
    assert [(v, y) for _, _, v, _, y, *_ in facts("过去五年,地区生产总值从2020年的1.9万亿元增长到2025年的2.6万亿元。")] == [
        (1.9, 2020), (2.6, 2025)]


def test_family_6_a_threshold_passed_is_no_level_and_a_step_reached_is_at_least():
    docs, paras = make_doc("一年来,一般公共预算收入突破2000亿元、达到2136亿元。", **PROVINCE)
    res = extract_indicators(docs, paras)
    assert res.indicators["value"].tolist() == [2136] and res.stats["dropped_threshold"] == 1
    got = facts("一年来,地区生产总值迈上4000亿元台阶。经济总量跨过3万亿元。")
    assert [(v, mod) for _, _, v, _, _, _, _, mod, _, _ in got] == [(4000, "at_least"), (3, "at_least")]


def test_family_7_five_year_figures_cover_the_plan_period():
    got = facts("过去五年,地区生产总值年均增长5.9%。固定资产投资五年增长31.2%,社会消费品零售总额较“十三五”增长17.5%,"
                "固定资产投资累计完成2.7万亿元。")
    assert [(v, y, y0, pk) for _, _, v, _, y, y0, _, _, pk, _ in got] == [
        (5.9, 2025, 2021, "plan_average"), (31.2, 2025, 2021, "plan_cumulative"),
        (17.5, 2025, 2021, "plan_cumulative"), (2.7, 2025, 2021, "plan_cumulative")]


def test_family_8_a_comparable_basis_figure_is_a_second_row_marked_as_such():
    got = facts("一年来,一般公共预算收入增长2.3%(同口径增长4.1%以上)。")
    assert [(v, mod, cmp) for _, _, v, _, _, _, _, mod, _, cmp in got] == [(2.3, "point", False), (4.1, "at_least", True)]


def test_family_9_no_numeric_target_is_a_not_set_target_row_with_evidence():
    for text in ("今年不设具体增长目标。", "综合研判,今年不提出全年经济增速具体目标。"):
        docs, paras = make_doc(text, **PROVINCE)
        df = extract_indicators(docs, paras).indicators
        assert [(r.metric_key, r.status, r.year, r.modifier) for r in df.itertuples()] == [
            ("gdp", "target", 2026, "not_set")]
        r = df.iloc[0]
        assert pd.isna(r.value) and r.value_text in r.evidence and paras.text[0][r.char_start:r.char_end] == r.evidence


def test_precision_no_row_without_an_indicator_and_no_year_from_a_document_number():
    assert facts("当前经济增长面临压力,赣府发〔2025〕3号文件要求稳住投资。") == []
    # a growth rate of another clause's subject is not attached ('预算外资金…增长')
    assert facts("一年来,在财政收入下降的同时,预算外资金却大幅度增加,由410亿元增加到650亿元。") == []
    # a county report's 全省 figure is the province's, not the county's
    assert facts("一年来,全省生产总值增长5%。", region="赣州市信丰县") == []


def test_percent_in_words_and_middle_dot_decimals_of_older_reports_are_read():
    got = facts("一年来,地区生产总值比上年增长百分之十一点八,固定资产投资增长14·1%。")
    assert [(k, v) for k, _, v, *_ in got] == [("gdp", 11.8), ("fixed_asset_investment", 14.1)]
    got = facts("今年经济增长速度的宏观调控目标,定为百分之八至九。")
    assert [(v, hi, st, mod) for _, _, v, hi, _, _, st, mod, _, _ in got] == [(8, 9, "target", "range")]


def test_a_named_plan_period_dates_its_values_and_a_compared_one_does_not():
    got = facts("“十三五”期间,进出口总额合计达到2.1万亿元,比“十二五”时期增长40%。", event_date=date(2021, 1, 20), year=2021)
    assert [(m, v, y, y0, st) for _, m, v, _, y, y0, st, *_ in got] == [
        ("level", 2.1, 2020, 2016, "actual"), ("growth_pct", 40, 2020, 2016, "actual")]


def test_a_year_compared_with_starts_the_period_of_the_sentence_and_the_next_one():
    got = facts("2025年同2020年相比,地区生产总值由2.1万亿元增加到2.9万亿元,增长31%。一般公共预算收入由1500亿元增加到2000亿元。")
    assert [(m, v, y, y0) for _, m, v, _, y, y0, *_ in got] == [
        ("level", 2.1, 2020, 2020), ("level", 2.9, 2025, 2025), ("growth_pct", 31, 2025, 2021),
        ("level", 1500, 2020, 2020), ("level", 2000, 2025, 2025)]


def test_a_target_met_is_a_result_and_a_horizon_year_dates_nothing():
    got = facts("一年来,全面实现年初确定的主要目标,地区生产总值增长5.1%。")
    assert [(y, st) for _, _, _, _, y, _, st, *_ in got] == [(2025, "actual")]
    got = facts("一年来,启动面向2035年的重大项目。全社会研发经费支出与地区生产总值之比达到2.4%。")
    assert [(k, y, st) for k, _, _, _, y, _, st, *_ in got] == [("rd_intensity", 2025, "actual")]


def test_two_subjects_and_a_list_of_two_values_pair_without_fenbie_and_real_growth_is_a_restatement():
    got = facts("一年来,城镇居民人均可支配收入5.1万元,农村居民人均可支配收入2.3万元,实际增长4.8%和6.9%。")
    assert [(k, m, v) for k, m, v, *_ in got][2:] == [
        ("urban_disposable_income_per_capita", "growth_pct", 4.8), ("rural_disposable_income_per_capita", "growth_pct", 6.9)]
    got = facts("一年来,进出口总额达到3200亿元,比上年增长9.7%,扣除价格和汇率变动因素,实际增长6.2%。")
    assert [(m, v, cmp) for _, m, v, _, _, _, _, _, _, cmp in got] == [
        ("level", 3200, False), ("growth_pct", 9.7, False), ("growth_pct", 6.2, True)]


def test_a_part_of_a_metric_from_elsewhere_or_a_growth_named_as_a_rate_is_no_share():
    assert facts("全省百分之八十以上的财政收入来自工业。") == []
    assert facts("今后大体需要保持每年递增百分之五点四的经济增长速度。") == []


def test_family_4_an_abbreviated_urban_rural_pair_splits_the_previous_metric():
    got = facts("一年来,居民人均可支配收入增长5.1%,其中城镇、农村分别增长4.6%、6.7%。")
    assert [(k, v) for k, _, v, *_ in got] == [
        ("disposable_income_per_capita", 5.1), ("urban_disposable_income_per_capita", 4.6),
        ("rural_disposable_income_per_capita", 6.7)]
    # the pair splits only a metric that has urban and rural parts
    assert [k for k, *_ in facts("一年来,地区生产总值增长6%,其中城镇、农村分别增长5%、8%。")] == ["gdp"]


def test_a_stretch_goal_after_a_target_is_not_a_second_target():
    docs, paras = make_doc("今年主要预期目标:地区生产总值增长6%左右、力争7%;一般公共预算收入增长5%。", **PROVINCE)
    res = extract_indicators(docs, paras)
    assert res.indicators[["metric_key", "value", "modifier"]].values.tolist() == [
        ["gdp", 6.0, "about"], ["general_budget_revenue", 5.0, "point"]]
    assert res.stats["dropped_stretch_target"] == 1


def test_since_the_plan_began_covers_its_years_up_to_the_report():
    got = facts("“十四五”以来,全省地区生产总值年均增长5.6%。")
    assert [(y, y0, pk) for _, _, _, _, y, y0, _, _, pk, _ in got] == [(2025, 2021, "plan_average")]


def test_a_bracketed_gdp_after_the_name_is_part_of_it():
    got = facts("一年来,实现地区生产总值（GDP）3120亿元,增长5.3%。")
    assert [(m, v) for _, m, v, *_ in got] == [("level", 3120), ("growth_pct", 5.3)]


# --- dev set: State Council reports read by hand ----------------------------------------------------

DEV = ROOT / "tests" / "fixtures" / "statecouncil_dev.csv"
from conftest import STATECOUNCIL  # noqa: E402  (the development corpus, located once)


@pytest.fixture(scope="module")
def statecouncil_output():
    """The annotated State Council reports through ingest, clean, dedup and extract.

    Document type and region are set as the reports are (national government work reports): their
    metadata is another stage's work, and the dev set scores extraction only.
    """
    if not STATECOUNCIL.is_dir():
        pytest.skip("State Council corpus not present")
    from tasks.clean import clean_paragraphs
    from tasks.dedup import dedup_corpus
    from tasks.ingest import ingest_folder

    gold = pd.read_csv(DEV, dtype=str, keep_default_na=False)
    ing = ingest_folder(STATECOUNCIL)
    paras = clean_paragraphs(ing.paragraphs).paragraphs
    dd = dedup_corpus(ing.documents, paras)
    docs = dd.documents[dd.documents["source_file"].isin(set(gold["file"]))]
    docs = docs.assign(doc_type="gov_work_report", region="全国")
    paras = dd.paragraphs[~dd.paragraphs["is_duplicate"] & dd.paragraphs["doc_id"].isin(docs["doc_id"])]
    found = extract_indicators(docs, paras).indicators
    found = found[found["is_core"]].assign(file=found["doc_id"].map(dict(zip(docs["doc_id"], docs["source_file"]))))
    return gold, found


def _score(gold: pd.DataFrame, found: pd.DataFrame) -> tuple[float, float, list]:
    """Precision and recall of core facts: right only if value, metric, measure, period and status match."""
    found = found[found["file"].isin(set(gold["file"]))]
    used: set[int] = set()
    missed = []
    for g in gold.itertuples():
        hit = None
        for i, p in found.iterrows():
            if i in used or p.file != g.file or (p.metric_key, p.measure, p.status) != (g.metric_key, g.measure, g.status):
                continue
            if not math.isclose(p.value, float(g.value)) or (int(p.year), int(p.start_year)) != (int(g.year), int(g.start_year)):
                continue
            hit = i
            break
        if hit is None:
            missed.append((g.file, g.metric_key, g.value, g.year, g.evidence[:30]))
        else:
            used.add(hit)
    return len(used) / max(len(found), 1), len(used) / len(gold), missed


def test_state_council_dev_set_reaches_precision_and_recall_of_095(statecouncil_output):
    gold, found = statecouncil_output
    dev = gold[gold["split"] == "dev"]
    precision, recall, missed = _score(dev, found)
    print(f"dev set: gold={len(dev)} precision={precision:.3f} recall={recall:.3f} missed={missed}")
    assert len(dev) >= 150 and dev["file"].nunique() >= 10
    assert precision >= 0.95
    assert recall >= 0.95


@pytest.mark.parametrize("split", ["heldout", "check2"])
def test_state_council_reports_read_after_the_rules_were_written_hold_too(statecouncil_output, split):
    # 'heldout': five reports (1985, 2007, 2013, 2015, 2017) annotated after the rules were written;
    # blind they scored precision 0.974, recall 0.841. 'check2' (1996, 2000, 2009, 2010), annotated
    # later still, scored 0.974 / 0.881. The misses were then fixed as families (与…之比 shares, a 都
    # list, '实现…目标' read as a target, 全年/总额 continuing a subject, 调控目标, 突破万亿元), so
    # neither is a blind score any more: they guard against regressions.
    gold, found = statecouncil_output
    held = gold[gold["split"] == split]
    precision, recall, missed = _score(held, found)
    print(f"{split} set: gold={len(held)} precision={precision:.3f} recall={recall:.3f} missed={missed}")
    assert len(held) >= 40
    assert precision >= 0.95
    assert recall >= 0.95


def test_dev_set_rows_carry_their_evidence_modifier_and_period_kind():
    gold = pd.read_csv(DEV, dtype=str, keep_default_na=False)
    assert set(gold["modifier"]) <= {"point", "about", "at_least", "at_most", "range", "not_set"}
    assert set(gold["period_kind"]) <= {"year", "plan_average", "plan_cumulative"}
    assert set(gold["split"]) == {"dev", "heldout", "check2"}
    assert (gold["evidence"].str.len() > 0).all()
    assert ((gold["modifier"] == "range") == (gold["value_high"] != "")).all()


def test_literal_alternation_matches_like_the_alternation_of_its_words_longest_first():
    import re

    words = ["生产总值", "地区生产总值", "生产", "总值", "收入", "居民收入", "居民人均收入", "a.b", "a"]
    longest_first = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    trie = literal_alternation(words)
    texts = ["全市地区生产总值增长5%,居民人均收入和居民收入增长,生产总值", "生产总", "地区生产", "a.b axb a", ""]
    for text in texts:
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in longest_first.finditer(text)], text
    assert [m.group() for m in trie.finditer(texts[0])] == ["地区生产总值", "居民人均收入", "居民收入", "生产总值"]
    assert literal_alternation([]).search("生产总值") is None
    with pytest.raises(ValueError):
        literal_alternation(["生产", ""])
