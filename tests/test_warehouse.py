"""Warehouse build through dbt: atomic swap, the seed marts unchanged, and every data test can fail."""

from __future__ import annotations

import graphlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tasks.parquet import write_dataset
from tasks.schemas import SCHEMAS, column_names
from tasks.warehouse import BUILD_PARQUET, DataTestFailed, build_docs, build_warehouse, dbt_invoke, parse_cache_path, target_dir
from test_marts import R, crafted, make_para
from test_queries import build_seed_warehouse

SEED_MARTS = Path(__file__).resolve().parent / "fixtures" / "seed_marts"


def write_all(parquet_root: Path, data: dict[str, pd.DataFrame]) -> None:
    for name in SCHEMAS:
        df = data.get(name, pd.DataFrame(columns=column_names(name)))
        # crafted rows name the columns a test is about; the others are null
        write_dataset(df.reindex(columns=column_names(name)), name, parquet_root)


def test_build_creates_tables_and_passes_data_tests(breaking_ground):
    # the build over the unbroken rows the data test breaks start from
    root, result, _ = breaking_ground
    assert result.tables["documents"] == 4 and result.tables["mart_documents"] == 4
    assert result.tests and all(t.failures == 0 for t in result.tests)
    assert {n.name for n in result.nodes if n.resource_type == "model"} >= {"stg_documents", "mart_documents"}
    assert {n.status for n in result.nodes} == {"success", "pass"}
    assert not list(root.glob(".w.duckdb.build*"))
    assert (target_dir(root / "w.duckdb") / "manifest.json").exists()


def test_broken_data_fails_the_build_naming_the_check_showing_rows_and_keeps_old_warehouse(tmp_path):
    write_all(tmp_path / "parquet", base())
    build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb")
    broken = base()
    broken["documents"].loc[1, "doc_id"] = "a1"
    broken["documents"].loc[2, "doc_type"] = "speech"
    write_all(tmp_path / "parquet", broken)
    with pytest.raises(DataTestFailed) as err:
        build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb")
    msg = str(err.value)
    assert "data test documents__doc_id_unique failed: 1 offending rows" in msg and "a1" in msg
    assert "data test documents__doc_type_accepted failed" in msg and "speech" in msg
    assert not list(tmp_path.glob(".w.duckdb.build*"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(distinct doc_id), count(*) from documents").fetchone() == (4, 4)
    finally:
        con.close()


def test_analyst_can_read_while_warehouse_is_rebuilt(tmp_path):
    write_all(tmp_path / "parquet", base())
    build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb")
    analyst = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        build_warehouse(tmp_path / "parquet", tmp_path / "w.duckdb")
        assert analyst.execute("select count(*) from documents").fetchone()[0] == 4
    finally:
        analyst.close()


@pytest.mark.parametrize("mart", sorted(p.stem for p in SEED_MARTS.glob("*.parquet")))
def test_seed_marts_hold_the_rows_the_home_made_runner_built(mart):
    # tests/fixtures/seed_marts: every mart's rows on the seeds, built by the SQL runner dbt replaced
    con = duckdb.connect(str(build_seed_warehouse()), read_only=True)
    try:
        fixture = str(SEED_MARTS / f"{mart}.parquet")
        extra = con.execute(f"select count(*) from (select * from {mart} except all select * from '{fixture}')").fetchone()[0]
        missing = con.execute(f"select count(*) from (select * from '{fixture}' except all select * from {mart})").fetchone()[0]
        n = con.execute(f"select count(*) from {mart}").fetchone()[0]
    finally:
        con.close()
    assert (extra, missing) == (0, 0) and n > 0


def test_docs_site_is_one_offline_file_with_the_lineage_from_sources_to_marts(tmp_path):
    db = build_seed_warehouse()
    site = build_docs(db, db.parent / "parquet")
    text = site.read_text(encoding="utf-8")
    assert site.name == "static_index.html" and "source.govreports.parquet.documents" in text
    assert "model.govreports.mart_indicator_timeline" in text and '<script src="http' not in text
    manifest = json.loads((site.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parent_map"]["model.govreports.stg_documents"] == ["source.govreports.parquet.documents"]


# --- every data test can fail -------------------------------------------------------------

def base() -> dict[str, pd.DataFrame]:
    """The crafted marts data plus one good row in every dataset a data test reads."""
    data = crafted()
    paras = data["paragraphs"]
    extra = pd.DataFrame([
        make_para("a1", 2, "坚持创新驱动发展战略。"),
        make_para("c3", 1, paras.loc[0, "text"], is_duplicate=True),
    ])
    data["paragraphs"] = pd.concat([paras, extra], ignore_index=True)
    docs = data["documents"]
    docs.loc[docs.doc_id == "a1", "n_paragraphs"] = 3
    docs.loc[docs.doc_id == "c3", "n_paragraphs"] = 2
    text = data["paragraphs"].loc[0, "text"]
    rows = {
        "paragraph_duplicates": [dict(doc_id="c3", para_id=1, kept_doc_id="a1", kept_para_id=0, method="exact", score=1.0)],
        "sentences": [dict(doc_id="a1", para_id=0, sent_id=0, char_start=0, char_end=len(text), text=text)],
        "tokens": [dict(doc_id="a1", para_id=0, sent_id=0, token_idx=0, token="2020", pos="m", char_start=0, char_end=4),
                   dict(doc_id="a1", para_id=0, sent_id=0, token_idx=1, token="年", pos="m", char_start=4, char_end=5)],
        "keywords": [dict(doc_id="a1", method="tfidf", rank=1, term="创新", score=0.5)],
        "policy_phrases": [dict(doc_id="a1", phrase="创新驱动", phrase_type="quoted", count=1, first_para_id=2)],
        "officials": [dict(doc_id="a1", para_id=2, name="张三", title="区长", region=R, evidence="张三区长")],
        "places": [dict(doc_id="a1", place="路桥", full_name=R, level="district_county", parent="台州市", count=1, first_para_id=0)],
    }
    for name, r in rows.items():
        data[name] = pd.DataFrame(r, columns=column_names(name))
    return data


def _dup(name, i=0):
    return lambda d: d.__setitem__(name, pd.concat([d[name], d[name].iloc[[i]]], ignore_index=True))


def _set(name, column, value, i=0):
    def mutate(d):
        d[name].loc[i, column] = value
    return mutate


def _null_flag(name, i):
    def mutate(d):
        d[name]["is_duplicate"] = d[name]["is_duplicate"].astype("boolean")
        d[name].loc[i, "is_duplicate"] = pd.NA
    return mutate


def _append_document_without_id(d):
    row = d["documents"].iloc[[3]].copy()
    row["doc_id"] = None
    d["documents"] = pd.concat([d["documents"], row], ignore_index=True)


def _kept_body_text_twice(d):
    p = d["paragraphs"]
    i = p.index[(p.doc_id == "a1") & (p.para_id == 2)][0]
    p.loc[i, "text"] = p.loc[0, "text"]
    p["n_chars"] = p["text"].str.len()


# each data test of the dbt project, and one broken row that makes it (and only it) fail
BREAKS = {
    "documents__doc_id_unique": _dup("documents"),
    "documents__doc_id_not_null": _append_document_without_id,
    "documents__doc_type_not_null": _set("documents", "doc_type", None, 3),
    "documents__is_duplicate_not_null": _null_flag("documents", 3),
    "documents__doc_type_accepted": _set("documents", "doc_type", "speech", 3),
    "paragraphs__key_unique": _dup("paragraphs"),
    "paragraphs__doc_id_resolves": lambda d: d.__setitem__("paragraphs", pd.concat(
        [d["paragraphs"], pd.DataFrame([make_para("zz", 0, "没有文件的段落。")])], ignore_index=True)),
    "paragraphs__kind_not_null": _set("paragraphs", "kind", None, 1),
    "paragraphs__is_duplicate_not_null": _null_flag("paragraphs", 2),
    "paragraphs__kind_accepted": _set("paragraphs", "kind", "footnote", 1),
    "sentences__key_unique": _dup("sentences"),
    "keywords__key_unique": _dup("keywords"),
    "keywords__doc_id_resolves": _set("keywords", "doc_id", "zz"),
    "keywords__method_accepted": _set("keywords", "method", "lda"),
    "keywords__rank_from_1": _set("keywords", "rank", 0),
    "indicators__indicator_id_unique": _dup("indicators"),
    "indicators__indicator_id_not_null": _set("indicators", "indicator_id", None),
    "indicators__status_not_null": _set("indicators", "status", None),
    "indicators__status_accepted": _set("indicators", "status", "guess"),
    "indicators__measure_not_null": _set("indicators", "measure", None),
    "indicators__measure_accepted": _set("indicators", "measure", "ratio"),
    "indicators__metric_key_not_null": _set("indicators", "metric_key", None),
    "indicators__value_not_null": _set("indicators", "value", None),
    "indicators__value_base_not_null": _set("indicators", "value_base", None),
    "indicators__modifier_accepted": _set("indicators", "modifier", "roughly"),
    "indicators__period_kind_accepted": _set("indicators", "period_kind", "decade"),
    "assert_indicators__modifier_consistent": _set("indicators", "value_high", 200.0),
    # a code beside no region (the plan's document: no indicator carries its region)
    "assert_documents__region_code_valid": lambda d: (
        _set("documents", "region", None, 3)(d), _set("documents", "region_code", "331004", 3)(d)),
    # the document has a code, its indicators (same region) have none
    "assert_indicators__region_code_matches_document": _set("documents", "region_code", "331004", 0),
    "plan_indicators__key_unique": _dup("plan_indicators"),
    "plan_indicators__indicator_not_null": _set("plan_indicators", "indicator", None),
    "plan_indicators__attribute_accepted": _set("plan_indicators", "attribute", "参考性"),
    "policy_phrases__key_unique": _dup("policy_phrases"),
    "policy_phrases__doc_id_resolves": _set("policy_phrases", "doc_id", "zz"),
    "policy_phrases__phrase_type_not_null": _set("policy_phrases", "phrase_type", None),
    "policy_phrases__phrase_type_accepted": _set("policy_phrases", "phrase_type", "slogan"),
    "policy_phrases__count_from_1": _set("policy_phrases", "count", 0),
    "officials__doc_id_resolves": _set("officials", "doc_id", "zz"),
    "places__doc_id_resolves": _set("places", "doc_id", "zz"),
    "places__level_not_null": _set("places", "level", None),
    "places__level_accepted": _set("places", "level", "village"),
    "places__count_from_1": _set("places", "count", 0),
    "assert_documents__duplicate_lineage_resolves": lambda d: (
        _set("documents", "is_duplicate", True, 2)(d), _set("documents", "duplicate_of", "zz", 2)(d)),
    "assert_indicators__evidence_at_offsets": _set("indicators", "char_start", 3),
    "assert_indicators__paragraph_resolves": _set("indicators", "para_id", 9),
    "assert_mart_documents__one_row_per_document_with_its_paragraphs": _set("documents", "n_paragraphs", 4, 0),
    "assert_paragraph_duplicates__lineage_resolves": _set("paragraph_duplicates", "kept_doc_id", "zz"),
    "assert_paragraphs__kept_body_text_unique": _kept_body_text_twice,
    "assert_plan_indicators__rows_of_table_paragraphs": _set("plan_indicators", "para_id", 5),
    "assert_sentences__paragraph_resolves": _set("sentences", "char_end", 999),
    "assert_term_stats__key_unique": _dup("term_stats"),
    "assert_tokens__key_unique": _dup("tokens"),
    # research marts (issue 19; tests/test_research_marts.py)
    "assert_mart_topic_intensity__every_kept_token_counted": _set("tokens", "doc_id", "zz"),
    "assert_mart_distinctive_terms__term_counts_have_their_document": _set("term_stats", "doc_id", "zz"),
    # the plan p9, whose table gives the board its 2021 GDP target, carries a code that is no division
    "assert_mart_target_board__region_code_is_the_regions_division": _set("documents", "region_code", "999999", 3),
    "assert_mart_target_amplification__targets_in_percent":
        lambda d: __import__("test_research_marts").child_growth_target_in_yuan(d),
}


class CompiledBuild:
    """The SQL dbt compiled for every model and data test of one build, run by DuckDB without dbt.

    ``dbt build`` turns each model into one select (``create table <relation> as (...)``) and each
    data test into a select of its offending rows (any row fails it); the manifest keeps that SQL
    with the sources' Parquet paths and every ``ref`` resolved. Running it in dependency order over
    rewritten Parquet gives the tests' outcomes of a build over that Parquet in ~0.3 s instead of
    dbt's ~4 s a build, so every test can be broken once in seconds.
    """

    def __init__(self, manifest: dict, parquet_root: Path):
        # the build ran in its own folder, where the Parquet is "parquet/": the path the SQL names
        self.search_path = parquet_root.resolve().parent
        assert parquet_root.name == BUILD_PARQUET
        nodes = manifest["nodes"]
        models = {k: n for k, n in nodes.items() if n["resource_type"] == "model"}
        tests = [n for n in nodes.values() if n["resource_type"] == "test"]
        for n in tests:
            config = {k: n["config"][k] for k in ("fail_calc", "warn_if", "error_if", "limit")}
            # a test with another failure rule than "any row fails" would need it here too
            assert config == {"fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0", "limit": None}, n["name"]
        parents = {k: set(n["depends_on"]["nodes"]) for k, n in models.items()}
        order = list(graphlib.TopologicalSorter({k: parents[k] & set(models) for k in models}).static_order())
        self.ancestors: dict[str, set[str]] = {}
        for k in order:
            self.ancestors[k] = set(parents[k]).union(*(self.ancestors.get(p, set()) for p in parents[k]))
        self.database = {n["database"] for n in nodes.values()}.pop()
        self.models = [(models[k]["relation_name"], models[k]["compiled_code"]) for k in order]
        self.tests = {n["name"]: (n["compiled_code"], set(n["depends_on"]["nodes"])) for n in tests}

    def failed_tests(self) -> set[str]:
        """Names of the data tests a ``dbt build`` over the Parquet the build read reports as failed.

        As dbt does, a failing test skips every model built on all the nodes it tests (and so
        those models' tests): dbt runs the test first and builds nothing on rows it rejected.
        """
        con = duckdb.connect()
        try:
            con.execute(f"set file_search_path = '{self.search_path}'")
            # the compiled SQL names relations "<database>"."main"."<table>", as in the built file
            con.execute(f"attach ':memory:' as \"{self.database}\"")
            con.execute(f"use \"{self.database}\"")
            for relation, sql in self.models:
                con.execute(f"create table {relation} as (\n{sql}\n)")
            failing = {name: deps for name, (sql, deps) in self.tests.items()
                       if con.execute(f"select count(*) from (\n{sql}\n) as offending").fetchone()[0]}
        finally:
            con.close()
        skipped = {m for m, up in self.ancestors.items() if any(deps <= up for deps in failing.values())}
        return {name for name, deps in failing.items() if not deps & skipped}


@pytest.fixture(scope="module")
def breaking_ground(tmp_path_factory):
    """One real dbt build over the unbroken rows; its compiled SQL then checks every break."""
    root = tmp_path_factory.mktemp("breaks")
    write_all(root / "parquet", base())
    result = build_warehouse(root / "parquet", root / "w.duckdb")
    manifest = json.loads((target_dir(root / "w.duckdb") / "manifest.json").read_text(encoding="utf-8"))
    return root, result, manifest


def test_the_unbroken_rows_pass_every_data_test_and_every_test_has_a_break(breaking_ground):
    root, result, manifest = breaking_ground
    assert result.tests and [t.name for t in result.tests if t.failures] == []
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    assert tests == set(BREAKS)
    assert CompiledBuild(manifest, root / "parquet").failed_tests() == set()


@pytest.mark.parametrize("test_name", list(BREAKS))
def test_one_broken_row_fails_exactly_its_data_test(breaking_ground, test_name):
    root, _, manifest = breaking_ground
    data = base()
    BREAKS[test_name](data)
    write_all(root / "parquet", data)
    assert CompiledBuild(manifest, root / "parquet").failed_tests() == {test_name}


# a generic test on a source, one with a `where` config, a singular test over a mart: dbt itself,
# building over the broken rows, fails the same one test as the compiled SQL run without it
@pytest.mark.parametrize("test_name", ["documents__doc_id_unique", "indicators__value_not_null",
                                       "assert_mart_documents__one_row_per_document_with_its_paragraphs"])
def test_dbt_build_fails_the_same_test_as_its_compiled_sql(breaking_ground, test_name):
    root, _, manifest = breaking_ground
    data = base()
    BREAKS[test_name](data)
    write_all(root / "parquet", data)
    result = build_warehouse(root / "parquet", root / "w.duckdb", fail_on_test=False)
    assert {t.name for t in result.tests if t.failures} == {test_name} == CompiledBuild(manifest, root / "parquet").failed_tests()


def test_a_build_in_a_new_folder_starts_from_the_saved_parse_and_reads_its_own_parquet(tmp_path, monkeypatch):
    # dbt's parse of the project is saved per checkout and reused by builds into other folders:
    # each build must still read its own Parquet and write its own file
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []

    def invoke(args):
        calls.append(args)
        return dbt_invoke([*args, "--log-level-file", "debug"])

    first, second = base(), base()
    second["documents"].loc[0, "title"] = "第二个仓库的标题"
    write_all(tmp_path / "one" / "parquet", first)
    write_all(tmp_path / "two" / "parquet", second)
    build_warehouse(tmp_path / "one" / "parquet", tmp_path / "one" / "w.duckdb", invoke=invoke)
    assert parse_cache_path().is_file() and "--partial-parse-file-path" not in calls[0]
    build_warehouse(tmp_path / "two" / "parquet", tmp_path / "two" / "w.duckdb", invoke=invoke)
    assert calls[1][calls[1].index("--partial-parse-file-path") + 1] == str(parse_cache_path())
    log = (target_dir(tmp_path / "two" / "w.duckdb") / "dbt.log").read_text(encoding="utf-8")
    assert "Partial parsing enabled" in log and "Unable to do partial parsing" not in log
    titles = {}
    for name in ("one", "two"):
        con = duckdb.connect(str(tmp_path / name / "w.duckdb"), read_only=True)
        try:
            titles[name] = [t for (t,) in con.execute("select title from documents order by doc_id").fetchall()]
        finally:
            con.close()
    assert titles["one"] == sorted_titles(first) and titles["two"] == sorted_titles(second)
    assert titles["one"] != titles["two"]
    # a folder's own parse from an earlier build (here: not even a parse) never replaces the cache
    # when dbt, starting from the cache, had nothing to parse
    saved = parse_cache_path().read_bytes()
    (target_dir(tmp_path / "one" / "w.duckdb") / "partial_parse.msgpack").write_bytes(b"an older parse")
    build_warehouse(tmp_path / "one" / "parquet", tmp_path / "one" / "w.duckdb", invoke=invoke)
    assert parse_cache_path().read_bytes() == saved


def sorted_titles(data: dict[str, pd.DataFrame]) -> list[str]:
    return data["documents"].sort_values("doc_id")["title"].tolist()


def test_a_build_without_a_home_folder_or_a_writable_cache_still_builds(tmp_path, monkeypatch):
    # the saved parse only saves time: no home, or a cache that cannot be written, means a full parse
    write_all(tmp_path / "parquet", base())
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError("no home"))))
    assert parse_cache_path() is None
    assert build_warehouse(tmp_path / "parquet", tmp_path / "a.duckdb").tables["documents"] == 4
    monkeypatch.undo()
    (tmp_path / "cache").write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert build_warehouse(tmp_path / "parquet", tmp_path / "b.duckdb").tables["documents"] == 4
    assert not parse_cache_path().exists()
