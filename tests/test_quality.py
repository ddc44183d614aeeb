"""Plausibility flags vs invariants: a flagged value is published and left out of the marts; an invariant breach fails."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from tasks.quality import flag_counts, flag_implausible_values
from tests.test_marts import broken_message, build, crafted, make_indicator, make_para

GROWTH_TEXT = "外商直接投资增长24389%。"


def add_paragraphs(data: dict[str, pd.DataFrame], paras: list[dict]) -> None:
    data["paragraphs"] = pd.concat([data["paragraphs"], pd.DataFrame(paras)], ignore_index=True)
    data["documents"]["n_paragraphs"] = data["documents"]["doc_id"].map(data["paragraphs"].groupby("doc_id").size())


def with_growth_rows(data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """crafted() plus an implausible FDI growth and a negative GDP growth against a positive 2022 target."""
    extra = [make_para("c3", 1, GROWTH_TEXT), make_para("c3", 2, "2022年地区生产总值增长-3.5%,目标增长6%。")]
    add_paragraphs(data, extra)
    fdi = make_indicator("c3", 1, GROWTH_TEXT, 2022, 24389, unit="%", measure="growth_pct")
    fdi.update(metric="外商直接投资", metric_key="fdi")
    shrink = make_indicator("c3", 2, extra[1]["text"], 2022, -3.5, unit="%", measure="growth_pct")
    target = make_indicator("c3", 2, extra[1]["text"], 2022, 6, status="target", unit="%", measure="growth_pct")
    data["indicators"] = pd.concat([data["indicators"], pd.DataFrame([fdi, shrink, target])], ignore_index=True)
    data["quality_flags"] = flag_implausible_values({"indicators": data["indicators"], "documents": data["documents"]})
    return data


def test_rules_flag_implausible_values_and_leave_negative_growth_alone():
    data = with_growth_rows(crafted())
    flags = data["quality_flags"]
    fdi_id = data["indicators"].loc[data["indicators"]["metric_key"] == "fdi", "indicator_id"].item()
    assert flags[["dataset", "row_id", "flag"]].values.tolist() == [["indicators", fdi_id, "growth_rate_implausible"]]
    assert "24389" in flags["detail"].item()
    assert flag_counts(flags) == {"indicators.growth_rate_implausible": 1}


def test_rules_flag_shares_negative_amounts_reversed_periods_and_document_years():
    ind = pd.DataFrame([
        dict(indicator_id="s", doc_id="d", measure="share_pct", value=130.0, year=2020, start_year=2020, end_year=2020),
        dict(indicator_id="n", doc_id="d", measure="level", value=-5.0, year=2020, start_year=2020, end_year=2020),
        dict(indicator_id="r", doc_id="d", measure="growth_pct", value=6.0, year=2020, start_year=2021, end_year=2020),
        dict(indicator_id="ok", doc_id="d", measure="growth_pct", value=-99.0, year=2020, start_year=2016, end_year=2020),
    ])
    docs = pd.DataFrame([dict(doc_id="d", year=2020, event_date=date(1900, 1, 1), publish_date=None),
                         dict(doc_id="e", year=2020, event_date=None, publish_date=None)])
    flags = flag_implausible_values({"indicators": ind, "documents": docs})
    assert sorted(zip(flags["row_id"], flags["flag"])) == [
        ("d", "year_implausible"), ("n", "negative_amount"), ("r", "period_reversed"), ("s", "share_outside_0_100")]


def test_a_plausibility_breach_publishes_everything_with_the_row_flagged_and_out_of_the_marts(tmp_path):
    data = with_growth_rows(crafted())
    result = build(tmp_path, data)
    assert all(t.failures == 0 for t in result.tests)
    assert result.flagged == {"indicators.growth_rate_implausible": 1}
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from indicators where metric_key = 'fdi'").fetchone()[0] == 1
        assert con.execute("select count(*) from mart_indicator_timeline where metric_key = 'fdi'").fetchone()[0] == 0
        # negative actual growth against a positive target is valid data: built, with a negative attainment
        att = con.execute("select attainment, quality_flag from mart_plan_vs_actual "
                          "where measure = 'growth_pct' and year = 2022").fetchall()
    finally:
        con.close()
    assert att == [(pytest.approx(-3.5 / 6), None)]


def test_include_flagged_keeps_flagged_rows_in_the_marts(tmp_path):
    build(tmp_path, with_growth_rows(crafted()), include_flagged=True)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select value from mart_indicator_timeline where metric_key = 'fdi'").fetchall() == [(24389.0,)]
    finally:
        con.close()


def test_an_attainment_far_from_the_target_is_flagged_on_its_mart_row(tmp_path):
    data = crafted()
    # a 2023 actual read as 14000 (a unit slip) against a target of 140
    texts = ["2023年地区生产总值目标140亿元。", "2023年地区生产总值14000亿元。"]
    add_paragraphs(data, [make_para("c3", 1 + i, t) for i, t in enumerate(texts)])
    rows = [make_indicator("c3", 1, texts[0], 2023, 140, status="target"), make_indicator("c3", 2, texts[1], 2023, 14000)]
    data["indicators"] = pd.concat([data["indicators"], pd.DataFrame(rows)], ignore_index=True)
    result = build(tmp_path, data)
    assert result.flagged == {"mart_plan_vs_actual.attainment_far_from_target": 1}


def test_an_invariant_breach_fails_the_build_and_keeps_the_previous_warehouse(tmp_path, crafted_warehouse):
    # the previous warehouse: crafted() as built once for the session
    shutil.copy(crafted_warehouse[0], tmp_path / "w.duckdb")
    before = (tmp_path / "w.duckdb").read_bytes()
    data = with_growth_rows(crafted())
    data["indicators"].loc[0, "indicator_id"] = data["indicators"].loc[1, "indicator_id"]
    msg = broken_message(tmp_path, data)
    assert "indicators__indicator_id_unique failed" in msg
    assert (tmp_path / "w.duckdb").read_bytes() == before


def test_plan_table_rows_with_implausible_years_are_flagged_and_left_out_of_the_facts(tmp_path):
    data = crafted()
    plan = data["plan_indicators"]
    # the baseline column of a table read with its target year (a flattened header misread)
    plan.loc[0, ["baseline_year", "baseline_value", "baseline_text"]] = [2021, 100.0, "100"]
    data["quality_flags"] = flag_implausible_values(data)
    assert data["quality_flags"][["dataset", "row_id", "flag"]].values.tolist() == [
        ["plan_indicators", "p9:0:1", "period_reversed"]]
    build(tmp_path, data)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from metric_facts where fact_id like 'p9:0:1:%'").fetchone()[0] == 0
        assert con.execute("select count(*) from metric_facts where fact_id like 'p9:0:2:%'").fetchone()[0] == 2
    finally:
        con.close()
