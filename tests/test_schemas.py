"""The Parquet contract: every column documented, docs/schemas.md up to date."""

from pathlib import Path

import yaml

from tasks.schema_doc import render_schema_doc, render_staging_sql, render_staging_yml
from tasks.schemas import SCHEMAS, TABLE_DOCS

ROOT = Path(__file__).resolve().parent.parent


def test_every_column_of_every_dataset_is_described():
    undocumented = [
        f"{name}.{f.name}"
        for name, schema in SCHEMAS.items()
        for f in schema
        if not (f.metadata or {}).get(b"description", b"").strip()
    ]
    assert undocumented == []
    assert all(TABLE_DOCS[name].strip() for name in SCHEMAS)


def test_docs_schemas_md_matches_the_schemas_module():
    committed = (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8")
    assert committed == render_schema_doc(), "run: .venv/bin/govreports schema-doc --to docs/schemas.md"


def test_every_dataset_has_an_up_to_date_staging_model():
    folder = ROOT / "warehouse" / "models" / "staging"
    staged = {p.stem.removeprefix("stg_") for p in folder.glob("stg_*.sql")}
    assert staged == set(SCHEMAS)
    for name in SCHEMAS:
        committed = (folder / f"stg_{name}.sql").read_text(encoding="utf-8")
        assert committed == render_staging_sql(name), f"regenerate: govreports schema-doc --staging {folder}"
    committed = (folder / "_stg_models.yml").read_text(encoding="utf-8")
    assert committed == render_staging_yml(), f"regenerate: govreports schema-doc --staging {folder}"


def test_every_dataset_is_a_dbt_source_and_every_model_and_column_is_described():
    warehouse = ROOT / "warehouse" / "models"
    sources = yaml.safe_load((warehouse / "staging" / "_sources.yml").read_text(encoding="utf-8"))["sources"]
    assert [t["name"] for t in sources[0]["tables"]] == list(SCHEMAS)
    described = {}
    for path in warehouse.rglob("_*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            described[model["name"]] = model
    models = {p.stem for p in warehouse.rglob("*.sql")}
    assert set(described) == models
    undescribed = [f"{m['name']}.{c['name']}" for m in described.values() for c in m["columns"] if not c.get("description", "").strip()]
    assert undescribed == [] and all(m.get("description", "").strip() for m in described.values())


def test_described_mart_columns_are_the_built_columns():
    import duckdb

    from test_queries import build_seed_warehouse

    marts = yaml.safe_load((ROOT / "warehouse" / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8"))["models"]
    con = duckdb.connect(str(build_seed_warehouse()), read_only=True)
    try:
        for m in marts:
            built = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position", [m["name"]]
            ).fetchall()]
            assert [c["name"] for c in m["columns"]] == built, m["name"]
    finally:
        con.close()


def test_every_column_names_a_producer_that_exists():
    import importlib

    from tasks.schemas import PRODUCERS

    def exists(producer: str) -> bool:
        if producer.endswith(".sql"):
            return producer.startswith("warehouse/models/") and (ROOT / producer).is_file()
        parts = producer.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ModuleNotFoundError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr, None)
            return callable(obj)
        return False

    assert set(PRODUCERS) == set(SCHEMAS)
    unresolved = [f"{name}.{col}: {p}" for name, cols in PRODUCERS.items() for col, ps in cols.items() for p in ps
                  if not exists(p)]
    assert unresolved == []
    assert all(list(PRODUCERS[name]) == SCHEMAS[name].names for name in SCHEMAS)


def test_a_producer_that_does_not_exist_is_caught():
    # the check above must be able to fail: a misspelt function and a missing model
    from tasks.schemas import _producers

    import pytest

    with pytest.raises(ValueError, match="not a column"):
        _producers("t", ["a"], {"tasks.ingest.read_file": "*", "tasks.ingest.x": "b"})
    with pytest.raises(ValueError, match="no producer"):
        _producers("t", ["a", "b"], {"tasks.ingest.read_file": "a"})


def test_docs_name_both_producers_of_a_column_and_the_rule_between_them():
    text = render_schema_doc()
    row = next(line for line in text.splitlines() if line.startswith("| `status` |"))
    assert "`_status_and_period` (tasks/indicators.py)" in row
    assert "`metric_facts` (warehouse/models/marts/metric_facts.sql)" in row
    assert "`indicators.status`: Two producers" in text


def test_docs_alone_lead_from_every_column_to_the_code_that_produces_it():
    # read as a newcomer does: only docs/schemas.md, then the named file
    import re

    text = (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8")
    dataset, seen, lost = None, set(), []
    for line in text.splitlines():
        if line.startswith("## "):
            dataset = line[3:].strip()
        m = re.match(r"\| `(\w+)` \|.*\| (.+) \|$", line)
        if not (dataset and m):
            continue
        seen.add(f"{dataset}.{m.group(1)}")
        producers = re.findall(r"`([\w.]+)` \(([\w/.]+)\)", m.group(2))
        for name, path in producers or [("?", "?")]:
            source = ROOT / path
            if path.endswith(".sql"):
                found = source.is_file() and source.stem == name
            else:
                last = name.split(".")[-1]
                found = source.is_file() and re.search(rf"^\s*(def|class) {re.escape(last)}\b", source.read_text(encoding="utf-8"), re.M)
            if not found:
                lost.append(f"{dataset}.{m.group(1)} -> {name} ({path})")
    assert seen == {f"{name}.{col}" for name, schema in SCHEMAS.items() for col in schema.names}
    assert lost == []
