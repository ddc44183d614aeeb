"""Research marts (issue 19) on crafted Parquet with hand-computed answers, and on the seeds.

The crafted fixture is a country, a province and two of its cities, each with a GDP growth target for
2023 in its work report of 2023 and the actual in its report of 2024; a district's target of 2022 has
no parent target (the report's coverage line counts it). Topic words and the distinctive-term corpus
are crafted tokens and term counts with known answers.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tasks.schemas import SCHEMAS, column_names
from test_marts import build

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT / "tasks" / "resources" / "topics"

# (doc_id, region, region_code, year, doc_type)
DOCS = [
    ("n20", "全国", "100000", 2020, "gov_work_report"),
    ("n21", "全国", "100000", 2021, "gov_work_report"),
    ("n23", "全国", "100000", 2023, "gov_work_report"),
    ("x23", "全国", "100000", 2023, "news"),
    ("n24", "全国", "100000", 2024, "gov_work_report"),
    ("z23", "浙江省", "330000", 2023, "gov_work_report"),
    ("z24", "浙江省", "330000", 2024, "gov_work_report"),
    ("t23", "台州市", "331000", 2023, "gov_work_report"),
    ("t24", "台州市", "331000", 2024, "gov_work_report"),
    ("w23", "温州市", "330300", 2023, "gov_work_report"),
    ("w24", "温州市", "330300", 2024, "gov_work_report"),
    ("l22", "台州市路桥区", "331004", 2022, "gov_work_report"),
]

# (doc_id, paragraph text, metric_key, measure, year, status, value, value_text, modifier, value_high)
STATEMENTS = [
    ("n20", "2020年不设全年经济增速具体目标。", "gdp", "growth_pct", 2020, "target", None, None, "not_set", None),
    ("n21", "2020年国内生产总值增长2.3%。", "gdp", "growth_pct", 2020, "actual", 2.3, "2.3%", "point", None),
    ("n23", "2023年国内生产总值增长5%左右。", "gdp", "growth_pct", 2023, "target", 5.0, "5%", "about", None),
    ("n24", "2023年国内生产总值增长5.2%。", "gdp", "growth_pct", 2023, "actual", 5.2, "5.2%", "point", None),
    ("z23", "2023年全省生产总值增长5%以上。", "gdp", "growth_pct", 2023, "target", 5.0, "5%", "at_least", None),
    ("z24", "2023年全省生产总值增长6%。", "gdp", "growth_pct", 2023, "actual", 6.0, "6%", "point", None),
    ("t23", "2023年全市生产总值增长6%左右。", "gdp", "growth_pct", 2023, "target", 6.0, "6%", "about", None),
    ("t24", "2023年全市生产总值增长5.9%。", "gdp", "growth_pct", 2023, "actual", 5.9, "5.9%", "point", None),
    ("w23", "2023年全市生产总值增长6%—6.5%。", "gdp", "growth_pct", 2023, "target", 6.0, "6%—6.5%", "range", 6.5),
    ("w24", "2023年全市生产总值增长6.7%。", "gdp", "growth_pct", 2023, "actual", 6.7, "6.7%", "point", None),
    ("l22", "2022年全区生产总值增长7%以上。", "gdp", "growth_pct", 2022, "target", 7.0, "7%", "at_least", None),
]

# crafted tokens: (doc_id, [(token, pos), ...]); punctuation (pos x) is no word; 生态环境 and 环境保护 are
# environment words spelled by two tokens each, overlapping at 环境
TOKENS = {
    "n23": [("生态", "n"), ("环境", "n"), ("保护", "v"), ("，", "x"), ("绿色", "a"), ("发展", "vn"), ("生态", "n")],
    "x23": [("创新", "v"), ("生态", "n"), ("互联网", "n")],
}

# crafted term counts: 海洋 occurs only in doc t23, 发展 everywhere
TERM_COUNTS = [("t23", "海洋", 10), ("t23", "发展", 10), ("w23", "发展", 10), ("w23", "改革", 5),
               ("z23", "发展", 10), ("z23", "改革", 5)]


def _doc_row(doc_id, region, code, year, doc_type, n_paragraphs):
    row = {c: None for c in column_names("documents")}
    row.update(
        doc_id=doc_id, source_file=f"{doc_id}.txt", source_sha256=doc_id * 8, source_ordinal=0, source_layout="plain",
        encoding="utf-8", title=f"{year}年{region}政府工作报告", doc_type=doc_type, region=region, region_code=code,
        year=year, event_date=date(year, 3, 1), n_chars=100, n_paragraphs=n_paragraphs, is_duplicate=False,
    )
    return row


def _indicator_row(doc_id, text, metric_key, measure, year, status, value, value_text, modifier, value_high, region, code):
    ind_id = hashlib.sha256(f"{doc_id}{metric_key}{year}{status}".encode()).hexdigest()[:16]
    row = {c: None for c in column_names("indicators")}
    row.update(
        indicator_id=ind_id, doc_id=doc_id, para_id=0, sent_id=0, region=region, region_code=code, metric="生产总值",
        metric_key=metric_key, is_core=True, measure=measure, value=value, unit="%", value_base=value, base_unit="%",
        year=year, start_year=year, end_year=year, status=status, value_text=value_text, evidence=text,
        char_start=0, char_end=len(text), modifier=modifier, value_high=value_high, period_kind="year",
        is_comparable_basis=False,
    )
    return row


def multilevel() -> dict[str, pd.DataFrame]:
    """The crafted country, province, cities and district: documents, paragraphs, indicators, tokens, term counts."""
    places = {d[0]: d for d in DOCS}
    docs, paras, inds = [], [], []
    for doc_id, region, code, year, doc_type in DOCS:
        texts = [s[1] for s in STATEMENTS if s[0] == doc_id] or [f"{year}年{region}要闻。"]
        docs.append(_doc_row(doc_id, region, code, year, doc_type, len(texts)))
        for para_id, text in enumerate(texts):
            paras.append(dict(doc_id=doc_id, para_id=para_id, kind="body", section="", text=text, n_chars=len(text),
                              is_duplicate=False))
    for doc_id, text, *fact in STATEMENTS:
        _, region, code, _, _ = places[doc_id]
        inds.append(_indicator_row(doc_id, text, *fact, region, code))
    tokens = [
        dict(doc_id=doc_id, para_id=0, sent_id=0, token_idx=i, token=tok, pos=pos, char_start=i, char_end=i + 1)
        for doc_id, toks in TOKENS.items() for i, (tok, pos) in enumerate(toks)
    ]
    terms = [dict(doc_id=d, term=t, pos="n", count=n, tf=None, idf=None, tfidf=None) for d, t, n in TERM_COUNTS]
    data = {name: pd.DataFrame(columns=column_names(name)) for name in SCHEMAS}
    data.update(
        documents=pd.DataFrame(docs), paragraphs=pd.DataFrame(paras), indicators=pd.DataFrame(inds),
        tokens=pd.DataFrame(tokens), term_stats=pd.DataFrame(terms, columns=column_names("term_stats")),
    )
    return data


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("research")
    build(tmp, multilevel())
    c = duckdb.connect(str(tmp / "w.duckdb"), read_only=True)
    yield c
    c.close()


# --- target board ---------------------------------------------------------------------------

def board(con) -> pd.DataFrame:
    return con.execute("select * from mart_target_board where metric_key = 'gdp' and measure = 'growth_pct'").df() \
        .set_index(["region", "year"])


def test_target_board_puts_each_target_beside_the_actual_of_the_next_years_report(con):
    b = board(con)
    assert sorted(b.index) == sorted([("全国", 2020), ("全国", 2023), ("浙江省", 2023), ("台州市", 2023),
                                      ("温州市", 2023), ("台州市路桥区", 2022)])
    # hand-computed: target, actual, gap in points, met
    expected = {
        ("全国", 2023): (5.0, 5.2, 0.2, True),
        ("浙江省", 2023): (5.0, 6.0, 1.0, True),
        ("台州市", 2023): (6.0, 5.9, -0.1, False),   # 6%左右, 5.9% achieved: below the target
        ("温州市", 2023): (6.0, 6.7, 0.7, True),     # 6%—6.5%: at or above the range's low end
    }
    for key, (target, actual, gap, met) in expected.items():
        row = b.loc[key]
        assert (row.target_value, row.actual_value, bool(row.is_met)) == (target, actual, met), key
        assert row.gap_pct_points == pytest.approx(gap) and row.attainment == pytest.approx(actual / target)
        assert row.target_from_work_report and row.n_target_statements == 1
    assert b.loc[("温州市", 2023)].target_value_high == 6.5 and b.loc[("温州市", 2023)].target_modifier == "range"
    assert b.loc[("台州市", 2023)].parent_region_code == "330000" and b.loc[("浙江省", 2023)].parent_region_code == "100000"


def test_a_target_not_set_is_on_the_board_with_its_actual_but_no_verdict(con):
    row = board(con).loc[("全国", 2020)]
    assert row.is_target_not_set and row.target_modifier == "not_set" and pd.isna(row.target_value)
    assert row.actual_value == 2.3 and pd.isna(row.is_met) and pd.isna(row.attainment)


def test_a_target_without_a_next_year_report_has_no_actual(con):
    row = board(con).loc[("台州市路桥区", 2022)]
    assert pd.isna(row.actual_value) and pd.isna(row.is_met) and row.parent_region_code == "331000"


# --- amplification --------------------------------------------------------------------------

def test_amplification_pairs_each_target_with_its_parents_in_percentage_points(con):
    df = con.execute("select * from mart_target_amplification order by region_code").df().set_index("region")
    # the district (no 台州市 target of 2022) and the country (no parent) have no row
    assert sorted(df.index) == ["台州市", "浙江省", "温州市"]
    assert df.loc["浙江省", "parent_region"] == "全国" and df.loc["浙江省", "parent_level"] == "country"
    assert df.loc["浙江省", "difference_pct_points"] == pytest.approx(0.0)   # 5%以上 vs 5%左右
    assert df.loc["台州市", "parent_region"] == "浙江省"
    assert df.loc["台州市", "difference_pct_points"] == pytest.approx(1.0)   # 6%左右 vs 5%以上
    assert df.loc["温州市", "difference_pct_points"] == pytest.approx(1.25)  # 6%—6.5% by its midpoint 6.25
    assert df.loc["温州市", "target_modifier"] == "range" and df.loc["温州市", "parent_target_modifier"] == "at_least"
    assert df["both_from_work_reports"].all() and df.loc["台州市", "is_above_parent"]
    assert not df.loc["浙江省", "is_above_parent"]


# --- topic intensity ------------------------------------------------------------------------

def test_topic_intensity_counts_topic_tokens_per_10k_words_per_document_and_region_year(con):
    df = con.execute("select * from mart_topic_intensity").df()
    env = df[df.topic == "environment"].set_index("unit_id")
    # n23, 6 words (the comma is no word): 生态+环境 spell 生态环境, which wins over the 生态 inside it and over
    # 环境+保护 (环境保护, as long, starts later); then 绿色 and the last 生态
    assert (env.loc["n23", "n_topic_words"], env.loc["n23", "n_tokens"]) == (3, 6)
    assert env.loc["n23", "per_10k_tokens"] == pytest.approx(5000.0)
    assert env.loc["n23", "top_words"] == "生态 1、生态环境 1、绿色 1"
    # region-year 全国 2023: n23 and the news item x23 (生态 once more among 3 words)
    assert (env.loc["全国 2023", "n_topic_words"], env.loc["全国 2023", "n_tokens"]) == (4, 9)
    assert env.loc["全国 2023", "n_documents"] == 2 and env.loc["全国 2023", "top_words"] == "生态 2、生态环境 1、绿色 1"
    digital = df[(df.topic == "digital_economy") & (df.unit_id == "全国 2023")].iloc[0]
    assert digital.n_topic_words == 1 and digital.top_words == "互联网 1"
    # every unit has every topic, a topic without words with 0
    topics = {p.stem for p in TOPICS.glob("*.txt")}
    assert set(df.topic) == topics and df.groupby("unit_id").size().eq(len(topics)).all()
    zero = df[(df.unit_id == "n23") & (df.topic == "reform")].iloc[0]
    assert zero.n_topic_words == 0 and zero.per_10k_tokens == 0 and pd.isna(zero.top_words)


def test_a_user_adds_a_topic_by_adding_a_file(tmp_path, monkeypatch):
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "tasks" / "resources", resources)
    (resources / "topics" / "ecology_plain.txt").write_text("# topic: test\n# source: this test\n保护\n", encoding="utf-8")
    monkeypatch.setattr("tasks.warehouse.RESOURCES", resources)
    build(tmp_path, multilevel())
    c = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        row = c.execute("select n_topic_words, top_words from mart_topic_intensity "
                        "where unit_id = 'n23' and topic = 'ecology_plain'").fetchone()
    finally:
        c.close()
    assert row == (1, "保护 1")


def test_every_topic_file_states_its_source_and_lists_each_word_once():
    files = sorted(TOPICS.glob("*.txt"))
    assert len(files) >= 6
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        header = [line for line in lines if line.startswith("#")]
        words = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        assert any(line.startswith("# source:") for line in header), path.name
        assert len(words) == len(set(words)) and all("\t" not in w and " " not in w for w in words), path.name


# --- distinctive terms ----------------------------------------------------------------------

def test_distinctive_terms_find_the_word_only_one_document_uses_with_its_fightin_words_z(con):
    df = con.execute("select * from mart_distinctive_terms where scope = 'document'").df()
    t23 = df[df.unit_id == "t23"].set_index("term")
    assert t23["rank_in_unit"].idxmin() == "海洋"
    # by hand: corpus 50 terms, 海洋 10 of them -> alpha = 1000 * 10 / 50 = 200; t23 has 20 terms, the rest 30
    # delta = ln(210 / (20 + 1000 - 10 - 200)) - ln(200 / (30 + 1000 - 0 - 200)) = ln(210/810) - ln(200/830)
    delta = math.log(210 / 810) - math.log(200 / 830)
    z = delta / math.sqrt(1 / 210 + 1 / 200)
    row = t23.loc["海洋"]
    assert (row.count_in_unit, row.count_in_rest, row.unit_total, row.rest_total) == (10, 0, 20, 30)
    assert row.prior_alpha == pytest.approx(200.0)
    assert row.log_odds_ratio == pytest.approx(delta) and row.z_score == pytest.approx(z)
    assert row.z_score == pytest.approx(0.7407, abs=1e-3)
    # 发展, used as often everywhere, is not distinctive of t23
    assert t23.loc["发展", "z_score"] < 0
    # region-year units: 台州市 2023 against every other document gives the same answer as t23 alone
    ry = con.execute("select term, z_score from mart_distinctive_terms where unit_id = '台州市 2023' "
                     "and term = '海洋'").fetchone()
    assert ry[1] == pytest.approx(z)


def test_distinctive_terms_tied_at_the_100th_place_are_ranked_by_term(tmp_path):
    # 150 terms used once in each of two documents score the same z in both: the 100 kept are the first by term
    tied = [f"词{i:03d}" for i in reversed(range(150))]
    counts = [("a", "海洋", 5), ("a", "港口", 4), ("b", "发展", 50)]
    counts += [(d, t, 1) for d in ("a", "b") for t in tied]
    data = {name: pd.DataFrame(columns=column_names(name)) for name in SCHEMAS}
    data.update(
        documents=pd.DataFrame([_doc_row("a", "台州市", "331000", 2023, "gov_work_report", 0),
                                _doc_row("b", "温州市", "330300", 2023, "gov_work_report", 0)]),
        term_stats=pd.DataFrame([dict(doc_id=d, term=t, pos="n", count=n) for d, t, n in counts],
                                columns=column_names("term_stats")),
    )
    build(tmp_path, data)
    c = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        ranked = c.execute("select unit_id, list(term order by rank_in_unit), list(rank_in_unit order by rank_in_unit) "
                           "from mart_distinctive_terms where scope = 'document' group by unit_id order by unit_id").fetchall()
    finally:
        c.close()
    first = sorted(tied)
    assert ranked == [("a", ["海洋", "港口", *first[:98]], list(range(1, 101))),
                      ("b", ["发展", *first[:99]], list(range(1, 101)))]


# --- seeds ----------------------------------------------------------------------------------

def test_distinctive_terms_keep_each_units_top_terms_by_z(seed_con):
    con, parquet = seed_con
    # term_stats' content terms per non-duplicate document: every seed report uses far more than 100
    docs = pd.read_parquet(parquet / "documents")
    used = pd.read_parquet(parquet / "term_stats").merge(docs.loc[~docs.is_duplicate, ["doc_id"]]).groupby("doc_id").size()
    kept = con.execute("select unit_id, count(*) as n, max(rank_in_unit) as top, "
                       "min(z_score) filter (where rank_in_unit = 100) as z100 from mart_distinctive_terms "
                       "where scope = 'document' group by unit_id").df().set_index("unit_id")
    assert (used > 100).sum() >= 5
    assert kept.n.to_dict() == used.clip(upper=100).to_dict()
    assert (kept.top == kept.n).all()
    # a document using more than 100 terms keeps exactly ranks 1-100
    assert kept.z100.notna().sum() == (used > 100).sum()



@pytest.fixture(scope="module")
def seed_con():
    from test_queries import build_seed_warehouse

    db = build_seed_warehouse()
    c = duckdb.connect(str(db), read_only=True)
    yield c, db.parent / "parquet"
    c.close()


def test_on_the_seeds_words_jieba_cuts_are_counted_from_consecutive_tokens(seed_con, tmp_path, monkeypatch):
    from tasks.warehouse import build_warehouse

    _, parquet = seed_con
    # a topic of two words jieba cuts (大数据 into 大 + 数据, 云计算 into 云 + 计算), built on the seeds' datasets
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "tasks" / "resources", resources)
    (resources / "topics" / "cut_words.txt").write_text("# source: this test\n大数据\n云计算\n", encoding="utf-8")
    monkeypatch.setattr("tasks.warehouse.RESOURCES", resources)
    build_warehouse(parquet, tmp_path / "w.duckdb")
    tokens = pd.read_parquet(parquet / "tokens").sort_values(["doc_id", "para_id", "sent_id", "token_idx"])
    assert not tokens.token.isin(["大数据", "云计算"]).any()
    nxt = tokens.groupby(["doc_id", "para_id", "sent_id"])["token"].shift(-1)
    spelled = tokens.token + nxt.fillna("")
    expected = spelled[spelled.isin(["大数据", "云计算"])].groupby(tokens.doc_id).size()
    c = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        counted = c.execute("select doc_id, n_topic_words from mart_topic_intensity where scope = 'document' "
                            "and topic = 'cut_words' and n_topic_words > 0").df().set_index("doc_id")["n_topic_words"]
        n_tokens = c.execute("select doc_id, n_tokens from mart_topic_intensity where scope = 'document' "
                             "and topic = 'cut_words'").df().set_index("doc_id")["n_tokens"]
    finally:
        c.close()
    assert expected.sum() >= 10 and counted.sort_index().to_dict() == expected.sort_index().to_dict()
    words = tokens[tokens.pos != "x"].groupby("doc_id").size()
    assert n_tokens.sort_index().to_dict() == words.sort_index().to_dict()


def test_on_the_seeds_every_target_is_on_the_board_once_with_its_division(seed_con):
    con, _ = seed_con
    n_keys = con.execute(
        "select count(*) from (select distinct region, metric_key, measure, year from metric_facts "
        "where status = 'target' and metric_key is not null and start_year = year and period_kind = 'year')"
    ).fetchone()[0]
    board_rows, coded = con.execute(
        "select count(*), count(region_code) from mart_target_board").fetchone()
    assert board_rows == n_keys > 0 and coded == board_rows
    # 路桥区's 十三五 GDP target for 2020 (700亿元) against the 2021 report's 669亿元
    row = con.execute("select target_value, actual_value, is_met from mart_target_board "
                      "where region = '台州市路桥区' and metric_key = 'gdp' and measure = 'level' and year = 2020").fetchone()
    assert row == (700.0, 669.0, False)


# --- a break for tests/test_warehouse.py (BREAKS) -------------------------------------------

def child_growth_target_in_yuan(data: dict[str, pd.DataFrame]) -> None:
    """Adds 台州市's and 台州市路桥区's GDP growth targets of 2021, the district's misread in 元 (not %)."""
    rows = [("t21", "台州市", "2021年全市生产总值增长6%。"), ("l21", "台州市路桥区", "2021年全区生产总值增长7%。")]
    docs, paras, inds = [], [], []
    for doc_id, region, text in rows:
        docs.append(_doc_row(doc_id, region, None, 2021, "gov_work_report", 1))
        paras.append(dict(doc_id=doc_id, para_id=0, kind="body", section="", text=text, n_chars=len(text),
                          is_duplicate=False))
        value = float(text[text.index("增长") + 2:text.index("%")])
        inds.append(_indicator_row(doc_id, text, "gdp", "growth_pct", 2021, "target", value, f"{value:g}%", "point",
                                   None, region, None))
    inds[1]["base_unit"] = "元"
    for name, new in (("documents", docs), ("paragraphs", paras), ("indicators", inds)):
        data[name] = pd.concat([data[name], pd.DataFrame(new)], ignore_index=True)


# --- docs/queries.md 11-13 on the crafted warehouse -------------------------------------------

def query(con, n: int) -> pd.DataFrame:
    from test_queries import QUERIES

    return con.execute(QUERIES[n - 1]).df()


def test_query_11_gives_one_row_per_region_year_and_a_column_per_topic(con):
    df = query(con, 11).set_index(["region", "year"])
    assert {p.stem for p in TOPICS.glob("*.txt")} <= set(df.columns)
    # 全国 2023: 4 environment words among 9 words
    assert df.loc[("全国", 2023), "environment"] == pytest.approx(4444.4)
    assert df.loc[("全国", 2023), "reform"] == 0


def test_query_12_lists_each_growth_target_with_its_outcome_and_parent(con):
    df = query(con, 12).set_index(["region", "year"])
    wenzhou = df.loc[("温州市", 2023)]
    assert (wenzhou.target_value, wenzhou.target_value_high, wenzhou.target_modifier) == (6.0, 6.5, "range")
    assert wenzhou.actual_value == 6.7 and wenzhou.is_met and wenzhou.parent_region == "浙江省"
    assert wenzhou.difference_pct_points == pytest.approx(1.25)
    national_2020 = df.loc[("全国", 2020)]
    assert national_2020.target_modifier == "not_set" and pd.isna(national_2020.parent_region)
    assert len(df) == 6


def test_query_13_names_the_distinctive_word_first(con):
    df = query(con, 13).set_index(["region", "year"])
    assert df.loc[("台州市", 2023), "distinctive_terms"].startswith("海洋 0.7、")
