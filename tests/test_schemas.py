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
