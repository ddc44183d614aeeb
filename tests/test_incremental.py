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
