"""Tests of tasks/plan_tables.py: plan tables rebuilt from flattened cells.

Expected values are typed from seeds/003 (the two indicator tables of the
Luqiao 14th five-year plan), not copied from the code's output.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from tasks.plan_tables import (
    PlanTablesConfig,
    fit_values,
    parse_value_cell,
    rebuild_plan_tables,
    rebuild_table,
    split_name_unit,
    value_columns,
)
from tasks.schemas import column_names

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@lru_cache(maxsize=1)
def seed_tables() -> pd.DataFrame:
    """Table paragraphs of the seeds, as ingest gives them."""
    from tasks.ingest import ingest_folder

    res = ingest_folder(SEEDS)
    return rebuild_plan_tables(res.documents, res.paragraphs).plan_indicators


def table(seq: int) -> pd.DataFrame:
    df = seed_tables()
    return df[df["table_seq"] == seq].reset_index(drop=True)


# --- table 2 (十四五 targets): every row read from the source -----------------
# seq: (indicator, unit, 2020 baseline, 2025 target, 年均/累计 cell, attribute).
# None = empty; "?" = the single value cell could sit in more than one column.
T2 = {
    1: ("地区生产总值(GDP)增长", "亿元", 669, 1000, None, "预期性"),
    2: ("人均地区生产总值", "万元", 10.6, 15.7, None, "预期性"),
    3: ("全员劳动生产率增长", "%", None, "?", "?", "预期性"),
    4: ("一般公共预算收入", "亿元", 38.39, 60, None, "预期性"),
    5: ("货物贸易进出口额", "亿元", 229.70, 570, None, "预期性"),
    6: ("实际使用外资", "万美元", 3135, 7000, None, "预期性"),
    7: ("文化及相关产业增加值", "亿元", 28.43, 45, None, "预期性"),
    8: ("常住人口城镇化率", "%", 69.5, 72, None, "预期性"),
    9: ("R&D经费支出占GDP比重", "%", 1.2, 2.8, None, "预期性"),
    10: ("每万人高价值发明专利拥有量", "件", 5.5, 10.5, None, "预期性"),
    11: ("高新技术企业数", "家", 100, 250, None, "预期性"),
    12: ("高新技术产业增加值占规上工业增加值比重", "%", 60.92, 63, None, "预期性"),
    14: ("居民人均可支配收入增长", "%", None, "?", "?", "预期性"),
    15: ("城镇新增就业人数", "万人", None, None, "[8]以上", "约束性"),
    16: ("每千人口拥有执业(助理)医师数(常住人口)", "人", 2.79, 3.9, None, "预期性"),
    17: ("每千人口拥有医疗机构床位数", "张", "?", "?", None, "预期性"),
    18: ("每千人口拥有3岁以下婴幼儿托位数", "个", 1.79, 4.5, None, "预期性"),
    19: ("劳动年龄人口平均受教育年限", "年", "?", "?", None, "约束性"),
    20: ("每万老年人口拥有持证养老护理员数", "人", 14, 30, None, "预期性"),
    21: ("基本养老保险参保人数", "万人", 42, 42, None, "预期性"),
    22: ("儿童青少年总体近视率降低", "%", None, None, "[5]", "约束性"),
    23: ("人均体育场地面积", "平方米", 1.39, 2, None, "约束性"),
    24: ("居民综合阅读率", "%", 89.1, 93.5, None, "预期性"),
    25: ("人均预期寿命", "岁", 82.19, 83, None, "预期性"),
    26: ("单位GDP能耗降低", "%", None, "?", "?", "约束性"),
    27: ("单位GDP二氧化碳排放降低", "%", "预计完成", "?", "?", "约束性"),
    28: ("万元GDP用水量降低", "%", None, None, "[10]", "约束性"),
    29: ("空气质量优良天数比例", "%", 95.2, 96, "完成上级下达指标", "约束性"),
    30: ("细颗粒物(PM2.5)平均浓度", "微克/立方米", 26, 25, None, "约束性"),
    31: ("森林覆盖率", "%", 15.6, 15.6, None, "约束性"),
    32: ("全区Ⅰ-Ⅲ类水质断面比率", "%", 0, 42.86, None, "约束性"),
    33: ("综合行政执法事项占比", "%", "?", "?", None, "约束性"),
    34: ("依申请政务服务办件“一网通办”率", "%", None, 90, None, "约束性"),
    35: ("粮食综合生产能力", "万吨", 9.85, 9.85, None, "约束性"),
    36: ("亿元GDP生产安全事故死亡率", "人/亿元", 0.00896, 0.01, None, "约束性"),
}


def _same(got, want) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, str):
        return got == want
    return got is not None and not pd.isna(got) and abs(float(got) - want) < 1e-9


def test_both_plan_tables_are_found_with_their_titles():
    df = seed_tables()
    titles = df.groupby("table_seq")["table_title"].first()
    assert titles[1].endswith("路桥区“十三五”规划纲要主要指标完成情况表")
    assert titles[2] == "表2 路桥区“十四五”时期国民经济和社会发展主要指标"
    assert list(df.columns) == column_names("plan_indicators")


def test_table_two_has_36_numbered_rows_and_row_13_has_two_indicators():
    t2 = table(2)
    assert sorted(t2["seq"].unique()) == list(range(1, 37))
    r13 = t2[t2["seq"] == 13]
    assert list(r13["indicator"]) == ["数字经济增加值占GDP比重", "数字经济核心产业增加值占GDP比重"]
    core = r13.iloc[1]
    assert (core["baseline_value"], core["target_value"]) == (2.35, 5.0)
    # the lone '50' of the first one could be a 2020 value or a 2025 target
    assert r13.iloc[0]["ambiguous_columns"] == "2020|2025年目标"
    assert pd.isna(r13.iloc[0]["baseline_value"]) and pd.isna(r13.iloc[0]["target_value"])


@pytest.mark.parametrize("seq", sorted(T2))
def test_table_two_row_values_match_the_source(seq):
    name, unit, base, target, growth, attr = T2[seq]
    row = table(2).query("seq == @seq").iloc[0]
    assert row["indicator"] == name
    assert row["unit"] == unit
    assert row["attribute"] == attr
    assert row["baseline_year"] == 2020 and row["target_year"] == 2025
    ambiguous = set((row["ambiguous_columns"] or "").split("|")) - {""}
    for col, want, value_col, text_col in (
        ("2020", base, "baseline_value", "baseline_text"),
        ("2025年目标", target, "target_value", "target_text"),
        ("年均/累计", growth, "growth_or_cumulative_value", "growth_or_cumulative"),
    ):
        if want == "?":
            assert col in ambiguous, (seq, col)
            assert _same(row[text_col], None), (seq, col)
        elif isinstance(want, str):
            assert row[text_col] == want, (seq, col)
        else:
            assert col not in ambiguous
            assert _same(row[value_col], want), (seq, col, row[value_col])


def test_table_two_brackets_are_cumulative_and_qualifiers_are_kept():
    t2 = table(2).set_index("seq")
    assert t2.loc[15, "is_cumulative"] and t2.loc[15, "qualifier"] == "以上"
    assert t2.loc[15, "growth_or_cumulative_value"] == 8
    assert t2.loc[22, "is_cumulative"] and t2.loc[28, "is_cumulative"]
    assert t2.loc[25, "qualifier"] == "以上" and t2.loc[36, "qualifier"] == "以下"
    assert not t2.loc[1, "is_cumulative"]


# --- table 1 (十三五 completion) ------------------------------------------------
T1_NAMES = [
    "地区生产总值", "服务业增加值占生产总值比重", "户籍人口城市化率", "四大主导产业增加值增长",
    "研究与试验发展经费支出相当于生产总值比重", "发明专利授权量", "互联网普及率", "全社会劳动生产率",
    "新增劳动力平均受教育年限", "居民人均可支配收入", "高等教育毛入学率", "城镇新增就业人数",
    "城镇保障性安居工程建设", "人均预期寿命", "每千人注册护士数", "每千人口执业(助理)医师数",
    "每千名老年人口拥有养老床位数", "亿元生产总值生产安全事故死亡率", "单位生产总值能耗降低",
    "非化石能源占一次能源消费比重", "单位生产总值用水量降低", "万元生产总值耗地量",
    "单位生产总值二氧化碳排放降低", "PM2.5平均浓度", "空气质量优良天数比率",
    "全区河流I-III类水质断面比例", "耕地保有量", "森林覆盖率", "林木蓄积量",
    "化学需氧量", "二氧化硫", "氨氮", "氮氧化物",
]
T1_UNITS = {1: "亿元", 6: None, 8: "万元/人", 9: None, 10: None, 12: "万人", 13: "万平方米(套)",
            22: "平方米", 24: "ug/m3", 27: "万亩", 29: "万立方米", 33: "%"}
T1_BINDING = {3, 9, 13, 18, *range(19, 34)}


def test_table_one_has_33_rows_with_names_units_and_attributes():
    t1 = table(1)
    assert len(t1) == 33
    assert list(t1["seq"]) == list(range(1, 34))
    assert list(t1["indicator"]) == T1_NAMES
    for seq, unit in T1_UNITS.items():
        assert _same(t1.loc[seq - 1, "unit"], unit), seq
    want_attr = ["约束性" if s in T1_BINDING else "预期性" for s in range(1, 34)]
    assert list(t1["attribute"]) == want_attr
    assert list(t1["category"].unique()) == ["经济发展", "创新驱动", "民生福祉", "资源环境"]


def test_table_one_target_column_is_a_2020_target_and_the_2020_column_the_actual():
    t1 = table(1).set_index("seq")
    assert (t1.loc[1, "target_year"], t1.loc[1, "target_value"]) == (2020, 700)
    assert (t1.loc[1, "actual_year"], t1.loc[1, "actual_value"]) == (2020, 669)
    assert t1.loc[1, "baseline_value"] is None or pd.isna(t1.loc[1, "baseline_value"])
    assert (t1.loc[6, "target_value"], t1.loc[6, "actual_value"]) == (620, 784)
    assert (t1.loc[10, "target_value"], t1.loc[10, "actual_value"]) == (60000, 63086)
    assert (t1.loc[27, "target_value"], t1.loc[27, "actual_value"]) == (18.48, 18.2)
    assert t1.loc[12, "is_cumulative"] and t1.loc[12, "actual_value"] == 8.27
    assert t1.loc[4, "actual_text"] == "无法统计" and pd.isna(t1.loc[4, "actual_value"])
    assert t1.loc[19, "actual_text"] == "预计完成" and t1.loc[19, "target_value"] == 12
    assert t1.loc[30, "actual_text"] == "预计可以完成" and t1.loc[30, "target_value"] == 21.2
    # damaged cell '202100套)' is kept as text, never read as 202100
    assert t1.loc[13, "actual_text"] == "202100套)" and pd.isna(t1.loc[13, "actual_value"])
    assert t1.loc[13, "target_value"] == 13.2


def test_table_one_rows_without_values_or_with_one_value_are_not_guessed():
    t1 = table(1).set_index("seq")
    for seq in (20, 22):  # no value cells at all: nothing ambiguous, nothing filled
        assert pd.isna(t1.loc[seq, "target_value"]) and pd.isna(t1.loc[seq, "actual_value"])
        assert t1.loc[seq, "ambiguous_columns"] is None or pd.isna(t1.loc[seq, "ambiguous_columns"])
    for seq in (31, 32, 33):  # one value, two columns
        assert t1.loc[seq, "ambiguous_columns"] == "2020年目标|2020"
        assert pd.isna(t1.loc[seq, "target_value"]) and pd.isna(t1.loc[seq, "actual_value"])


def test_table_one_split_and_merged_group_cells_become_subgroups():
    t1 = table(1).set_index("seq")
    assert t1.loc[24, "subgroup"] == "空气质量"
    assert t1.loc[28, "subgroup"] == "森林增长"
    for seq in (30, 31, 32, 33):
        assert t1.loc[seq, "subgroup"] == "主要污染物排放削减率"
    assert t1.loc[24, "raw_cells"][:4] == ["24", "空气", "质量", "PM2.5平均浓度"]


# --- small crafted inputs ----------------------------------------------------------


def test_units_inside_names_are_split_off_even_without_closing_bracket():
    assert split_name_unit("森林覆盖率(%") == ("森林覆盖率", "%")
    assert split_name_unit("地区生产总值(GDP)增长(亿元)") == ("地区生产总值(GDP)增长", "亿元")
    assert split_name_unit("每千人口执业(助理)医师数") == ("每千人口执业(助理)医师数", None)
    assert split_name_unit("亿元GDP生产安全事故死亡率(人/亿元)")[1] == "人/亿元"


@pytest.mark.parametrize("width", ["ascii", "full"])
def test_brackets_of_either_width_hold_units_and_notes(width):
    # real plan tables write （亿元） and （%）; the seeds happen to write ASCII brackets
    fold = str.maketrans("()", "（）") if width == "full" else {}
    assert split_name_unit("森林覆盖率(%".translate(fold)) == ("森林覆盖率", "%")
    assert split_name_unit("地区生产总值(GDP)增长(亿元)".translate(fold)) == (
        "地区生产总值(GDP)增长".translate(fold), "亿元")
    assert split_name_unit("每千人口执业(助理)医师数".translate(fold))[1] is None
    assert parse_value_cell("13.2(1100套)".translate(fold)).value == 13.2


def test_value_cells_are_typed():
    c = parse_value_cell("[8]以上")
    assert (c.kind, c.value, c.qualifier, c.cumulative) == ("cumulative", 8.0, "以上", True)
    assert parse_value_cell("0.01以下").qualifier == "以下"
    assert parse_value_cell("13.2(1100套)").value == 13.2
    assert parse_value_cell("预计完成").kind == "status"
    assert parse_value_cell("完成上级下达指标").kind == "directive"
    assert parse_value_cell("202100套)").kind == "malformed"


def test_fitting_places_only_what_every_placement_agrees_on():
    cols = value_columns(["类别", "序号", "指标", "2020", "2025年目标", "年均/累计", "属性"])
    assert [c.role for c in cols] == ["baseline", "target", "growth"]
    cells = [parse_value_cell(x) for x in ("预计完成", "完成上级下达指标")]
    placed, unplaced = fit_values(cells, cols, row_is_growth=True)
    assert placed == {0: 0} and unplaced == {1: [1, 2]}
    placed, unplaced = fit_values([parse_value_cell("[5]")], cols, row_is_growth=True)
    assert placed == {0: 2} and not unplaced


def test_a_crafted_table_with_a_missing_unit_and_a_sub_row():
    text = "\n".join([
        "表3 某县主要指标", "类别", "序号", "指标名称", "单位", "2020", "2025年目标", "属性",
        "经济", "1", "地区生产总值", "亿元", "100", "150", "预期性",
        "2", "专利授权量", "620", "784", "预期性",
        "环境", "3", "主要污染物排放削减率", "化学需氧量", "%", "[10]", "约束性",
        "4", "氨氮", "%", "12", "约束性",
    ])
    df = rebuild_table("d", 7, text)
    assert list(df["seq"]) == [1, 2, 3, 4]
    assert list(df["category"]) == ["经济", "经济", "环境", "环境"]
    assert df.loc[1, "unit"] is None and df.loc[1, "target_value"] == 784
    assert df.loc[2, "indicator"] == "化学需氧量" and df.loc[3, "subgroup"] == "主要污染物排放削减率"
    assert df.loc[3, "ambiguous_columns"] == "2020|2025年目标"
    assert (df["table_seq"] == 3).all() and (df["para_id"] == 7).all()


def test_a_crafted_table_with_strays_between_rows_and_a_name_carrying_its_unit():
    text = "\n".join([
        "表4 某市主要指标", "类别", "序号", "指标名称", "单位", "2020", "2025年目标", "属性",
        "经济", "1", "地区生产总值", "亿元", "100", "150", "预期性",
        "约束性",  # an attribute with no row open
        "其中：税收", "亿元", "20", "30", "预期性",  # no sequence number: a sub-row of row 1
        "2", "5", "人口", "万人", "80", "90", "预期性",  # a number before the name
        "森林覆盖率(%)", "60", "62", "约束性",  # a name with its unit starts a row by itself
        "备注说明", "另见附件",
    ])
    df = rebuild_table("d", 1, text)
    assert list(df["seq"]) == [1, 1, 2, 2]
    assert list(df["indicator"]) == ["地区生产总值", "其中：税收", "人口", "森林覆盖率"]
    assert list(df["unit"]) == ["亿元", "亿元", "万人", "%"]
    assert (df["category"] == "经济").all()
    assert list(df["target_value"]) == [150, 30, 90, 62] and list(df["baseline_value"]) == [100, 20, 80, 60]
    assert list(df["attribute"]) == ["预期性", "预期性", "预期性", "约束性"]
    assert df.loc[2, "notes"] == "unplaced cell '5' before the indicator name"
    # table-level notes go on the last row
    assert df.loc[3, "notes"] == "attribute '约束性' outside a row; trailing cells ['备注说明', '另见附件']"
    assert df.loc[0, "notes"] is None and df.loc[1, "notes"] is None


def test_a_table_paragraph_that_is_not_an_indicator_table_is_dropped():
    paras = pd.DataFrame({
        "doc_id": ["d", "d"], "para_id": [0, 1], "kind": ["table", "body"],
        "text": ["项目表\n名称\n地点\n飞龙湖\n路桥", "正文"], "is_duplicate": [False, False],
    })
    res = rebuild_plan_tables(pd.DataFrame({"doc_id": ["d"]}), paras)
    assert res.plan_indicators.empty
    assert res.stats["dropped_not_indicator_table"] == 1 and res.stats["tables_in"] == 1


def test_duplicate_paragraphs_are_skipped():
    text = "\n".join(["表1 指标", "序号", "指标", "2020", "属性", "1", "GDP(亿元)", "5", "预期性"])
    paras = pd.DataFrame({"doc_id": ["a", "b"], "para_id": [0, 0], "kind": ["table", "table"],
                          "text": [text, text], "is_duplicate": [False, True]})
    res = rebuild_plan_tables(pd.DataFrame({"doc_id": ["a", "b"]}), paras)
    assert list(res.plan_indicators["doc_id"]) == ["a"]
    assert res.plan_indicators.loc[0, "actual_value"] == 5


def test_config_is_validated():
    with pytest.raises(ValueError, match="max_value_cells"):
        PlanTablesConfig(max_value_cells=0)
    with pytest.raises(ValueError, match="attributes"):
        PlanTablesConfig(attributes=())


def test_the_warehouse_scales_plan_units_by_the_same_magnitudes_as_text_indicators(tmp_path):
    """metric_facts reads tasks/resources/unit_magnitudes.tsv: a plan cell in 亿元 scales as a text value does."""
    import duckdb

    from tasks.indicators import split_unit
    from test_marts import build, crafted

    data = crafted()
    plan = data["plan_indicators"]
    units = ["万亿元", "千万元", "万人", "万元/人", "万", "%", "平方米"]
    rows = [{**plan.iloc[0].to_dict(), "row_no": 10 + i, "seq": 10 + i, "indicator": f"指标{i}", "unit": u,
             "target_value": 2.0} for i, u in enumerate(units)]
    data["plan_indicators"] = pd.concat([plan, pd.DataFrame(rows)], ignore_index=True)
    build(tmp_path, data)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        got = dict(con.execute(
            "select unit, (value_base, base_unit) from metric_facts where source = 'plan_table' and metric like '指标%'"
        ).fetchall())
    assert got["万亿元"] == (2e12, "元") and got["千万元"] == (2e7, "元") and got["万人"] == (2e4, "人")
    for unit in ("万亿元", "千万元", "%"):
        factor, base = split_unit(unit)
        assert got[unit] == (2.0 * factor, base)
    # a ratio is not scaled, and 万 alone is a count word
    assert got["万元/人"] == (2.0, "万元/人") and got["万"] == (2.0, "万") and got["平方米"] == (2.0, "平方米")
