"""Marts and data tests on small crafted Parquet: the selection rule, disagreements, attainment, broken data."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pandas as pd
import pytest

from tasks.parquet import write_dataset
from tasks.schemas import SCHEMAS, column_names
from tasks.warehouse import DataTestFailed, build_warehouse

R = "台州市路桥区"


def make_doc(doc_id, year, event_date=None, publish_date=None, doc_type="gov_work_report", n_paragraphs=2, title=None):
    return dict(
        doc_id=doc_id, source_file=f"{doc_id}.txt", source_sha256=doc_id * 4, source_ordinal=0, source_layout="plain",
        encoding="utf-8", title=title or f"{year}年路桥区政府工作报告", tag=None, doc_type=doc_type, region=R, year=year,
        event_date=event_date, publish_date=publish_date, crawl_date=None, publisher=None, speaker=None,
        speaker_title=None, n_chars=100, n_paragraphs=n_paragraphs, is_duplicate=False, duplicate_of=None,
    )


def make_para(doc_id, para_id, text, kind="body", is_duplicate=False):
    return dict(doc_id=doc_id, para_id=para_id, kind=kind, section="", text=text, n_chars=len(text), is_duplicate=is_duplicate)


def make_indicator(doc_id, para_id, text, year, value, status="actual", unit="亿元", measure="level", start_year=None):
    factor, base = {"亿元": (1e8, "元"), "%": (1.0, "%")}[unit]
    value_text = f"{value:g}{unit}"
    assert value_text in text
    ind_id = hashlib.sha256(f"{doc_id}{para_id}{year}{value}{status}".encode()).hexdigest()[:16]
    return dict(
        indicator_id=ind_id, doc_id=doc_id, para_id=para_id, sent_id=0, region=R, metric="地区生产总值", metric_key="gdp",
        is_core=True, measure=measure, value=value, unit=unit, value_base=value * factor, base_unit=base, year=year,
        start_year=start_year or year, end_year=year, status=status, qualifier=None, value_text=value_text,
        evidence=text, char_start=0, char_end=len(text),
    )


def empty(name):
    return pd.DataFrame(columns=column_names(name))


def crafted():
    """Two reports of 2021 and 2022 (and one of 2022 with a higher doc_id), and a plan of 2021."""
    docs = [
        make_doc("a1", 2021, event_date=date(2021, 2, 1)),
        make_doc("b2", 2022, event_date=date(2022, 2, 1)),
        make_doc("c3", 2022, event_date=date(2022, 2, 1), n_paragraphs=1),
        make_doc("p9", 2021, publish_date=date(2021, 5, 1), doc_type="five_year_plan", n_paragraphs=1, title="十四五规划"),
    ]
    texts = {
        ("a1", 0): "2020年地区生产总值100亿元。",
        ("a1", 1): "2021年地区生产总值目标120亿元。",
        ("b2", 0): "2020年地区生产总值101亿元,2019年90.3亿元。",
        ("b2", 1): "2021年地区生产总值118亿元,2022年目标130亿元。",
        ("c3", 0): "2019年地区生产总值90亿元。",
    }
    paras = [make_para(d, p, t) for (d, p), t in texts.items()]
    paras.append(make_para("p9", 0, "表1 主要指标\n地区生产总值\n亿元\n120\n森林覆盖率\n%\n16.5\n15.6", kind="table"))
    inds = [
        make_indicator("a1", 0, texts["a1", 0], 2020, 100),
        make_indicator("a1", 1, texts["a1", 1], 2021, 120, status="target"),
        make_indicator("b2", 0, texts["b2", 0], 2020, 101),
        make_indicator("b2", 0, texts["b2", 0], 2019, 90.3),
        make_indicator("b2", 1, texts["b2", 1], 2021, 118),
        make_indicator("b2", 1, texts["b2", 1], 2022, 130, status="target"),
        make_indicator("c3", 0, texts["c3", 0], 2019, 90),
    ]
    plan_row = {c: None for c in column_names("plan_indicators")}
    plan = [
        {**plan_row, "doc_id": "p9", "para_id": 0, "table_title": "表1 主要指标", "row_no": 1, "seq": 1,
         "indicator": "地区生产总值", "unit": "亿元", "target_year": 2021, "target_value": 120.0, "target_text": "120",
         "is_cumulative": False, "attribute": "预期性", "raw_cells": ["地区生产总值", "亿元", "120"]},
        {**plan_row, "doc_id": "p9", "para_id": 0, "table_title": "表1 主要指标", "row_no": 2, "seq": 2,
         "indicator": "森林覆盖率", "unit": "%", "target_year": 2020, "target_value": 16.5, "target_text": "16.5",
         "actual_year": 2020, "actual_value": 15.6, "actual_text": "15.6", "is_cumulative": False,
         "attribute": "约束性", "raw_cells": ["森林覆盖率", "%", "16.5", "15.6"]},
    ]
    terms = pd.DataFrame(
        [("a1", "创新", "vn", 3, 0.5, 1.0, 0.5), ("b2", "创新", "vn", 2, 0.5, 1.0, 0.5), ("c3", "创新", "vn", 1, 1.0, 1.0, 1.0)],
        columns=column_names("term_stats"),
    )
    data = {name: empty(name) for name in SCHEMAS}
    data.update(
        documents=pd.DataFrame(docs), paragraphs=pd.DataFrame(paras), indicators=pd.DataFrame(inds),
        plan_indicators=pd.DataFrame(plan), term_stats=terms,
    )
    return data


def build(tmp_path, data, **kw):
    for name, df in data.items():
        # crafted rows name the columns a test is about; the others are null
        write_dataset(df.reindex(columns=column_names(name)), name, tmp_path / "parquet")
    return build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb", **kw)


@pytest.fixture(scope="module")
def con(crafted_warehouse):
    c = duckdb.connect(str(crafted_warehouse[0]), read_only=True)
    yield c
    c.close()


def timeline(con, year):
    return con.execute(
        "select * from mart_indicator_timeline where metric_key = 'gdp' and measure = 'level' and year = ?", [year]
    ).df().iloc[0]


def test_latest_actual_wins_and_a_one_percent_gap_is_a_disagreement(con):
    row = timeline(con, 2020)
    assert (row.value, row.doc_id, row.status) == (101.0, "b2", "actual")
    assert row.n_sources == 2 and row.n_documents == 2 and row.has_disagreement
    assert [s["doc_id"] for s in row.sources] == ["b2", "a1"]


def test_actual_beats_an_earlier_target_without_counting_as_disagreement(con):
    row = timeline(con, 2021)
    assert (row.value, row.status, row.doc_id) == (118.0, "actual", "b2")
    # a1's text target and p9's plan-table target are kept as sources
    assert row.n_sources == 3 and not row.has_disagreement
    assert {s["status"] for s in row.sources} == {"actual", "target"}


def test_same_date_tie_goes_to_lowest_doc_id_and_small_gap_is_agreement(con):
    row = timeline(con, 2019)
    assert row.doc_id == "b2" and row.value == pytest.approx(90.3)
    assert not row.has_disagreement  # 90 vs 90.3 differ by 0.33%


def test_a_target_alone_is_shown_as_target(con):
    row = timeline(con, 2022)
    assert (row.value, row.status) == (130.0, "target")


def test_plan_vs_actual_attainment_from_timeline_and_from_the_plan_row(con):
    df = con.execute("select * from mart_plan_vs_actual").df()
    gdp = df[(df.target_source == "plan_table") & (df.metric_key == "gdp")].iloc[0]
    assert gdp.actual_value == 118.0 and gdp.actual_match == "timeline"
    assert gdp.attainment == pytest.approx(118 / 120)
    forest = df[df.metric == "森林覆盖率"].iloc[0]
    assert pd.isna(forest.metric_key) and forest.actual_match == "plan_table_name"
    assert forest.attainment == pytest.approx(15.6 / 16.5)
    text_target = df[(df.target_source == "text") & (df.year == 2022)].iloc[0]
    assert pd.isna(text_target.actual_value) and pd.isna(text_target.attainment)


def test_documents_and_keyword_trends(con):
    docs = con.execute("select * from mart_documents order by doc_id").df().set_index("doc_id")
    assert docs.loc["b2", "n_indicators"] == 4 and docs.loc["p9", "n_plan_indicator_rows"] == 2
    assert docs.loc["a1", "paragraphs_kept"] == 2 and docs.loc["a1", "duplicate_ratio"] == 0
    kw = con.execute("select * from mart_keyword_trends where year = 2022").df().iloc[0]
    kept = len("2020年地区生产总值101亿元,2019年90.3亿元。") + len("2021年地区生产总值118亿元,2022年目标130亿元。") + len("2019年地区生产总值90亿元。")
    assert (kw.term, kw["count"], kw.kept_chars) == ("创新", 3, kept)
    assert kw.per_10k_chars == pytest.approx(3 * 10000 / kept)


def broken_message(tmp_path, data) -> str:
    with pytest.raises(DataTestFailed) as err:
        build(tmp_path, data)
    return str(err.value)


def test_evidence_not_at_its_offsets_fails_naming_the_check_and_the_row(tmp_path):
    data = crafted()
    data["indicators"].loc[0, "char_start"] = 3
    msg = broken_message(tmp_path, data)
    assert "assert_indicators__evidence_at_offsets failed: 1 offending rows" in msg
    assert data["indicators"].loc[0, "indicator_id"] in msg


def test_a_kept_body_paragraph_duplicated_fails(tmp_path):
    data = crafted()
    data["paragraphs"].loc[4, "text"] = data["paragraphs"].loc[0, "text"]
    data["paragraphs"]["n_chars"] = data["paragraphs"]["text"].str.len()
    msg = broken_message(tmp_path, data)
    assert "assert_paragraphs__kept_body_text_unique failed" in msg and "a1:0" in msg


def test_unknown_status_and_dangling_lineage_fail(tmp_path):
    data = crafted()
    data["indicators"].loc[1, "status"] = "guess"
    data["paragraph_duplicates"] = pd.DataFrame(
        [dict(doc_id="a1", para_id=0, kept_doc_id="zz", kept_para_id=0, method="exact", score=1.0)]
    )
    msg = broken_message(tmp_path, data)
    assert "indicators__status_accepted failed" in msg and "guess" in msg
    assert "assert_paragraph_duplicates__lineage_resolves failed" in msg and "zz" in msg


def test_crafted_data_passes_every_data_test(crafted_warehouse):
    _, result = crafted_warehouse
    assert result.tests and all(t.failures == 0 for t in result.tests)
    assert {"mart_documents", "mart_indicator_timeline", "mart_plan_vs_actual", "mart_keyword_trends",
            "mart_policy_phrases"} <= set(result.tables)
