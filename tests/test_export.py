"""export_datasets: a clean copy of the Parquet datasets with schema.json and README.md."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from tasks.export import MissingDataset, export_datasets
from tasks.parquet import write_dataset
from tasks.schemas import SCHEMAS

DOCS = pd.DataFrame([{c: None for c in SCHEMAS["documents"].names} | {"doc_id": "d1", "title": "2022年路桥区政府工作报告", "year": 2022}])


def test_export_copies_datasets_with_schema_and_readme(tmp_path):
    write_dataset(DOCS, "documents", tmp_path / "parquet")
    result = export_datasets(tmp_path / "parquet", tmp_path / "export")
    assert result.rows == {"documents": 1}
    table = pq.read_table(tmp_path / "export" / "documents.parquet")
    assert table.column("title").to_pylist() == ["2022年路桥区政府工作报告"]
    assert table.schema.field("doc_id").metadata[b"description"].decode().startswith("Stable id")
    schema = json.loads((tmp_path / "export" / "schema.json").read_text(encoding="utf-8"))
    cols = schema["documents"]["columns"]
    assert [c["name"] for c in cols] == SCHEMAS["documents"].names and all(c["description"] for c in cols)
    readme = (tmp_path / "export" / "README.md").read_text(encoding="utf-8")
    assert "`documents.parquet` | 1 |" in readme and "schema.json" in readme


def test_export_replaces_an_old_export_and_leaves_no_temporary_folder(tmp_path):
    write_dataset(DOCS, "documents", tmp_path / "parquet")
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "stale.parquet").write_bytes(b"old")
    export_datasets(tmp_path / "parquet", tmp_path / "export")
    assert not (tmp_path / "export" / "stale.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "parquet"]


def test_export_of_a_missing_dataset_raises_and_cli_reports_it(tmp_path, capsys):
    with pytest.raises(MissingDataset):
        export_datasets(tmp_path / "parquet", tmp_path / "export", names=["documents"])
    assert main(["export", "--to", str(tmp_path / "export"), "--out", str(tmp_path)]) == 2
    assert "no datasets" in capsys.readouterr().err
    write_dataset(DOCS, "documents", tmp_path / "parquet")
    assert main(["export", "--to", str(tmp_path / "export"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "export" / "documents.parquet").exists()
