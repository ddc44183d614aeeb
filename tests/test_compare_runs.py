"""scripts/compare_runs.py, the check that a refactoring changed no published row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def _compare_runs():
    spec = importlib.util.spec_from_file_location("compare_runs", ROOT / "scripts" / "compare_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(root: Path, tokens: list[str]) -> Path:
    for name, table in {
        "tokens": pa.table({"doc_id": ["d1"] * len(tokens), "token": tokens}),
        "documents": pa.table({"doc_id": ["d1"], "year": pa.array([2023], pa.int16())}),
    }.items():
        folder = root / "parquet" / name
        folder.mkdir(parents=True)
        # two parts: the comparison reads every part in file-name order
        pq.write_table(table.slice(0, 1), folder / "part-00000.parquet")
        pq.write_table(table.slice(1), folder / "part-00001.parquet")
    return root


def test_identical_runs_pass_and_one_changed_value_fails_naming_it(tmp_path, capsys):
    compare = _compare_runs()
    before = _run(tmp_path / "before", ["发展", "海洋", "经济"])
    assert compare.main([str(before), str(_run(tmp_path / "same", ["发展", "海洋", "经济"]))]) == 0
    assert compare.main([str(before), str(_run(tmp_path / "after", ["发展", "海洋", "经济体"]))]) == 1
    out = capsys.readouterr().out
    assert "tokens                   DIFFERS: column token row 2: '经济' before, '经济体' after" in out
    assert compare.main([str(before), str(tmp_path / "after"), "--ignore", "tokens"]) == 0


def test_a_missing_row_or_reordered_rows_fail(tmp_path):
    compare = _compare_runs()
    before = _run(tmp_path / "before", ["发展", "海洋", "经济"])
    assert compare.main([str(before), str(_run(tmp_path / "short", ["发展", "海洋"]))]) == 1
    assert compare.main([str(before), str(_run(tmp_path / "reordered", ["海洋", "发展", "经济"]))]) == 1
