"""What an incremental run recomputes: files by hash, documents by key."""

from tasks.incremental import plan_run, stale_documents


def test_plan_run_sorts_files_into_changed_unchanged_and_removed():
    previous = {"a.txt": "1", "b.txt": "2", "gone.txt": "3"}
    plan = plan_run({"a.txt": "1", "b.txt": "20", "new.txt": "4"}, previous)
    assert plan.changed == {"b.txt", "new.txt"}
    assert plan.unchanged == {"a.txt"}
    assert plan.removed == {"gone.txt"}
    assert not plan.nothing_changed
    assert plan_run({"a.txt": "1"}, {"a.txt": "1"}).nothing_changed


def test_a_new_copy_of_an_unchanged_file_sends_both_to_ingest():
    # which of two identical files is the duplicate depends on both
    plan = plan_run({"a.txt": "1", "copy.txt": "1"}, {"a.txt": "1"})
    assert plan.changed == {"a.txt", "copy.txt"} and not plan.unchanged


def test_without_a_previous_run_every_file_and_document_is_new():
    assert plan_run({"a.txt": "1"}, None).changed == {"a.txt"}
    assert stale_documents(["d2", "d1"], {"d1": "k", "d2": "k"}, None) == ["d2", "d1"]


def test_only_documents_whose_key_changed_are_stale_in_corpus_order():
    keys = {"d1": "a", "d2": "b", "d3": "c"}
    assert stale_documents(["d3", "d1", "d2"], keys, {"d1": "a", "d2": "old"}) == ["d3", "d2"]


def test_document_key_changes_with_its_kept_paragraphs_metadata_and_salt_only():
    import pandas as pd

    from tasks.incremental import document_keys

    meta = {"title": "t", "doc_type": "news", "region": "路桥区", "region_code": "331004", "year": 2022, "event_date": None,
            "publish_date": None, "speaker": None, "is_duplicate": False}
    docs = pd.DataFrame([{"doc_id": "d1", **meta}, {"doc_id": "d2", **meta}])
    paras = pd.DataFrame({"doc_id": ["d1", "d2", "d1", "d2"], "para_id": [0, 0, 1, 1], "kind": "body", "section": "",
                          "text": ["甲。", "乙。", "丙。", "丁。"], "is_duplicate": [False, False, False, True]})
    base = document_keys(docs, paras)
    assert set(base) == {"d1", "d2"} and base["d1"] != base["d2"]
    assert document_keys(docs, paras) == base  # deterministic
    edited = paras.assign(text=["甲。", "乙。", "丙!", "丁。"])
    got = document_keys(docs, edited)
    assert got["d1"] != base["d1"] and got["d2"] == base["d2"]
    # a duplicate paragraph is not part of the key; its text may change freely
    assert document_keys(docs, paras.assign(text=["甲。", "乙。", "丙。", "戊。"])) == base
    assert document_keys(docs.assign(title=["t2", "t"]), paras)["d1"] != base["d1"]
    assert document_keys(docs, paras, salt="lexicon-v2")["d2"] != base["d2"]
    # paragraph order within the document matters
    assert document_keys(docs, paras.iloc[[2, 1, 0, 3]])["d1"] != base["d1"]


# --- the planner: what a run over an output folder reuses -------------------------------------

import pandas as pd

from tasks.incremental import IncrementalRun, RunPlan, merge_ingest
from tasks.ingest import IngestResult
from tasks.runstate import Manifest, Snapshot, code_version


def _ingest(doc_ids, files):
    docs = pd.DataFrame({"doc_id": doc_ids, "source_file": files, "source_ordinal": [0] * len(doc_ids)})
    paras = pd.DataFrame({"doc_id": doc_ids, "para_id": [0] * len(doc_ids), "kind": "body", "section": "",
                          "text": [f"{d}。" for d in doc_ids]})
    quarantine = pd.DataFrame({"source_file": pd.Series([], dtype=object)})
    return IngestResult(docs, paras, quarantine)


def _published(out, files):
    """An output folder as a complete earlier run leaves it: a snapshot, its manifest, a warehouse."""
    snapshot = Snapshot.create(out)
    snapshot.publish()
    (out / "warehouse.duckdb").write_bytes(b"")
    Manifest(code_version=code_version(), files=files, doc_keys={"extract": {"d1": "k1"}}).save(out)
    return snapshot


def test_a_first_run_reads_every_file_and_reuses_nothing(tmp_path):
    plan = IncrementalRun.plan(tmp_path, {"a.txt": "1"})
    assert plan.files.changed == {"a.txt"} and plan.previous is None and not plan.nothing_to_do
    assert plan.per_document("extract", {"d1": "k1"}, ["d1"]).stale == ["d1"]


def test_an_unchanged_input_and_code_is_nothing_to_do_unless_rebuild_or_the_other_marts_setting(tmp_path):
    _published(tmp_path, {"a.txt": "1"})
    assert IncrementalRun.plan(tmp_path, {"a.txt": "1"}).nothing_to_do
    assert not IncrementalRun.plan(tmp_path, {"a.txt": "1"}, full_rebuild=True).nothing_to_do
    flagged = IncrementalRun.plan(tmp_path, {"a.txt": "1"}, include_flagged=True)
    assert not flagged.nothing_to_do and flagged.previous is None


def test_a_snapshot_without_the_ingest_cache_sends_every_file_to_ingest(tmp_path):
    _published(tmp_path, {"a.txt": "1", "b.txt": "2"})
    plan = IncrementalRun.plan(tmp_path, {"a.txt": "1", "b.txt": "20"})
    assert plan.files.changed == {"a.txt", "b.txt"} and plan.previous is None
    assert plan.describe() == "inputs: 2 files, 2 new or changed, 0 unchanged (reused), 0 removed"


def test_per_document_keeps_documents_whose_key_is_unchanged_and_records_every_key(tmp_path):
    plan = IncrementalRun(tmp_path, "v", {}, None, previous=tmp_path,
                          _manifest=Manifest(doc_keys={"extract": {"d1": "k1", "d2": "old"}}))
    reuse = plan.per_document("extract", {"d1": "k1", "d2": "k2", "d3": "k3"}, ["d3", "d1", "d2"])
    assert reuse.stale == ["d3", "d2"] and reuse.kept == ["d1"]
    assert plan.doc_keys == {"extract": {"d1": "k1", "d2": "k2", "d3": "k3"}}
    assert plan.reuse_summary(3) == "reused rows of 1/3 documents for extraction, 0/3 for segmentation"


def test_ingest_reads_changed_files_only_and_reads_all_again_when_ids_collide(tmp_path):
    snapshot = Snapshot.create(tmp_path)
    reused = _ingest(["d1"], ["a.txt"])
    files = RunPlan(frozenset({"b.txt"}), frozenset({"a.txt"}), frozenset())
    plan = IncrementalRun(tmp_path, "v", {"a.txt": "1", "b.txt": "2"}, files, previous=tmp_path,
                          _reused_ingest={"documents": reused.documents, "raw_paragraphs": reused.paragraphs,
                                          "quarantine": reused.quarantine})
    calls = []

    def run_ingest(only):
        calls.append(only)
        return _ingest(["d2"], ["b.txt"]) if only else _ingest(["d1", "d2"], ["a.txt", "b.txt"])

    corpus = plan.ingest(run_ingest, snapshot.path)
    assert calls == [["b.txt"]] and corpus.doc_order == ["d1", "d2"] and plan.previous == tmp_path
    assert (snapshot.path / "_cache" / "raw_paragraphs.parquet").is_file()

    # a changed file now holds the text of the unchanged one: the same doc_id twice
    plan._reused_ingest = {"documents": reused.documents, "raw_paragraphs": reused.paragraphs,
                           "quarantine": reused.quarantine}
    calls.clear()
    corpus = plan.ingest(lambda only: calls.append(only) or (_ingest(["d1"], ["b.txt"]) if only else
                                                            _ingest(["d1"], ["a.txt"])), snapshot.path)
    assert calls == [["b.txt"], None] and corpus.doc_order == ["d1"] and plan.previous is None


def test_merge_ingest_puts_reused_and_fresh_rows_in_corpus_order():
    fresh = _ingest(["d2"], ["a.txt"])
    old = _ingest(["d1"], ["b.txt"])
    corpus = merge_ingest(fresh, {"documents": old.documents, "raw_paragraphs": old.paragraphs,
                                  "quarantine": old.quarantine})
    assert corpus.doc_order == ["d2", "d1"]
    assert corpus.paragraphs["doc_id"].tolist() == ["d2", "d1"]
