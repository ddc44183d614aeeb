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
