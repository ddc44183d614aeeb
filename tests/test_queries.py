"""Every query of docs/queries.md runs as written on a warehouse built from the seeds, with sensible answers."""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

import duckdb
import pytest

from tasks.parquet import write_dataset
from tasks.warehouse import build_warehouse

ROOT = Path(__file__).resolve().parent.parent
QUERIES = re.findall(r"```sql\n(.*?)```", (ROOT / "docs" / "queries.md").read_text(encoding="utf-8"), re.S)


@functools.lru_cache(maxsize=1)
def build_seed_warehouse() -> Path:
    """Runs the stage functions on seeds/ (no Prefect), writes every dataset and builds the warehouse once."""
    from tasks.clean import clean_paragraphs
    from tasks.dedup import dedup_corpus
    from tasks.indicators import extract_indicators
    from tasks.ingest import ingest_folder
    from tasks.mentions import extract_mentions
    from tasks.plan_tables import rebuild_plan_tables
    from tasks.quality import flag_implausible_values
    from tasks.segment import segment_paragraphs
    from tasks.terms import keywords, term_stats

    out = Path(tempfile.mkdtemp(prefix="govreports-seed-"))
    ing = ingest_folder(ROOT / "seeds")
    cleaned = clean_paragraphs(ing.paragraphs)
    dd = dedup_corpus(ing.documents, cleaned.paragraphs)
    seg = segment_paragraphs(dd.paragraphs)
    stats = term_stats(seg.tokens)
    mentions = extract_mentions(dd.documents, dd.paragraphs)
    datasets = {
        "documents": dd.documents,
        "paragraphs": dd.paragraphs,
        "quarantine": ing.quarantine,
        "paragraph_repairs": cleaned.repairs,
        "paragraph_duplicates": dd.paragraph_duplicates,
        "sentences": seg.sentences,
        "tokens": seg.tokens,
        "segment_lexicon": seg.lexicon,
        "term_stats": stats,
        "keywords": keywords(seg.tokens, stats),
        "indicators": extract_indicators(dd.documents, dd.paragraphs).indicators,
        "plan_indicators": rebuild_plan_tables(dd.documents, dd.paragraphs).plan_indicators,
        "policy_phrases": mentions.policy_phrases,
        "officials": mentions.officials,
        "places": mentions.places,
    }
    datasets["quality_flags"] = flag_implausible_values(datasets)
    for name, df in datasets.items():
        write_dataset(df, name, out / "parquet")
    build_warehouse(out / "parquet", out / "warehouse.duckdb")
    return out / "warehouse.duckdb"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect(str(build_seed_warehouse()), read_only=True)
    yield c
    c.close()


def run(con, n: int):
    return con.execute(QUERIES[n - 1]).df()


# query 8 lists disagreeing sources; the seeds' only one came from a misread (a pilot zone's
# exports, '…试点有序推进,实现出口52.76亿元', taken for the district's), gone since issue 15,
# so on the seeds it runs and returns nothing
NO_ROWS_ON_SEEDS = {8}


def test_docs_hold_thirteen_queries_and_each_runs_and_returns_rows(con):
    assert len(QUERIES) == 13
    for i in range(1, len(QUERIES) + 1):
        if i not in NO_ROWS_ON_SEEDS:
            assert len(run(con, i)) > 0, f"query {i} returned no rows"
    assert run(con, 8).empty


def test_luqiao_gdp_2016_2020_2021_actuals_and_2025_target(con):
    df = run(con, 1).set_index("year")
    assert df.loc[2016, "value"] == pytest.approx(520.26) and df.loc[2016, "status"] == "actual"
    assert df.loc[2020, "value"] == pytest.approx(669.0) and df.loc[2020, "status"] == "actual"
    assert df.loc[2021, "value"] == pytest.approx(716.66) and df.loc[2021, "status"] == "actual"
    assert df.loc[2025, "value"] == pytest.approx(1000.0) and df.loc[2025, "status"] == "target"
    assert set(df["unit"]) == {"亿元"} and not df["has_disagreement"].any()


def test_fourteenth_plan_targets_come_with_their_2020_baselines(con):
    df = run(con, 2)
    gdp = df[df.indicator.str.startswith("地区生产总值")].iloc[0]
    assert (gdp.baseline_2020, gdp.target_2025, gdp.unit) == (669.0, 1000.0, "亿元")
    revenue = df[df.indicator == "一般公共预算收入"].iloc[0]
    assert (revenue.baseline_2020, revenue.target_2025) == (pytest.approx(38.39), 60.0)
    assert len(df) >= 30 and set(df.attribute.dropna()) <= {"预期性", "约束性"}


def test_thirteenth_plan_attainment_is_actual_over_target(con):
    df = run(con, 3).set_index("metric")
    assert df.loc["地区生产总值", "attainment"] == pytest.approx(669 / 700, abs=1e-3)
    assert (df["attainment"] - df["actual_value"] / df["target_value"]).abs().max() < 1e-3


def test_keywords_policy_phrases_and_dedup_answers(con):
    kw = run(con, 4)
    assert len(kw) == 14 and kw.top_keywords.str.count("、").eq(4).all()
    assert "路桥" in kw.set_index("title").loc["2022年台州市路桥区政府工作报告", "top_keywords"]
    phrases = run(con, 5)
    assert phrases.iloc[0].phrase == "最多跑一次" and phrases.iloc[0].mentions >= 10
    dedup = run(con, 6)
    assert dedup.duplicate_ratio.between(0, 1).all() and dedup.iloc[0].paragraphs_dropped > 0


def test_growth_disagreement_term_and_speaker_answers(con):
    growth = run(con, 7).set_index("region")
    assert growth.loc["台州市路桥区", "actual_growth_pct"] == pytest.approx(8.3)
    assert growth.loc["台州市路桥区", "target_growth_pct"] == pytest.approx(7.0)
    disagree = run(con, 8)
    assert disagree.empty or disagree.groupby(["region", "metric_key", "year"]).size().min() >= 2
    terms = run(con, 9)
    assert (terms.per_10k_chars > 0).all() and "共同富裕" in set(terms.term)
    speakers = run(con, 10)
    assert "牟傲野" in set(speakers.speaker)


def test_query_8_lists_both_sources_of_a_real_disagreement(crafted_warehouse):
    # crafted reports state 2020 GDP as 100 and 101 亿元 (a 1% gap): query 8 must list both
    c = duckdb.connect(str(crafted_warehouse[0]), read_only=True)
    try:
        rows = c.execute(QUERIES[7]).df()
    finally:
        c.close()
    gdp2020 = rows[(rows["metric_key"] == "gdp") & (rows["year"] == 2020)]
    assert sorted(gdp2020["value"].tolist()) == [100.0, 101.0]
