"""The Parquet contract: every column documented, docs/schemas.md up to date."""

from pathlib import Path

from tasks.schema_doc import render_schema_doc, render_staging_sql
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
    folder = ROOT / "warehouse" / "staging"
    staged = {p.stem.removeprefix("stg_") for p in folder.glob("stg_*.sql")}
    assert staged == set(SCHEMAS)
    for name in SCHEMAS:
        committed = (folder / f"stg_{name}.sql").read_text(encoding="utf-8")
        assert committed == render_staging_sql(name), f"regenerate: govreports schema-doc --staging {folder}"
