"""Lock, manifest and snapshot publishing: safe to repeat, safe to kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tasks.parquet import read_dataset, write_dataset
from tasks.runstate import Manifest, OutputLock, OutputLocked, Snapshot, published_snapshot


def test_second_run_on_the_same_output_is_refused_with_a_clear_message(tmp_path):
    with OutputLock(tmp_path):
        with pytest.raises(OutputLocked) as err:
            with OutputLock(tmp_path):
                pass
    assert str(tmp_path) in str(err.value) and f"pid {os.getpid()}" in str(err.value)
    with OutputLock(tmp_path):  # released after the first run
        pass


def test_lock_held_by_another_process_is_refused(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from tasks.runstate import OutputLock; import time\nwith OutputLock({str(tmp_path)!r}):\n    print('locked', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True, cwd=os.getcwd(),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputLocked):
            with OutputLock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with OutputLock(tmp_path):  # SIGKILL released it
        pass


def test_manifest_round_trips_and_absent_manifest_is_empty(tmp_path):
    assert Manifest.load(tmp_path) == Manifest()
    m = Manifest("v1", {"a.txt": "ab"}, {"extract": {"d1": "k"}})
    m.save(tmp_path)
    assert Manifest.load(tmp_path) == m


def docs_frame(seed_ingest, n):
    return seed_ingest.documents.head(n)


def test_publish_swaps_all_datasets_at_once_and_prunes_old_snapshots(tmp_path, seed_ingest):
    first = Snapshot.create(tmp_path)
    write_dataset(docs_frame(seed_ingest, 3), "documents", first.path)
    first.publish()
    assert len(read_dataset("documents", tmp_path / "parquet")) == 3
    second = Snapshot.create(tmp_path / ".")
    write_dataset(docs_frame(seed_ingest, 5), "documents", second.path)
    assert len(read_dataset("documents", tmp_path / "parquet")) == 3  # not yet published
    second.publish()
    assert len(read_dataset("documents", tmp_path / "parquet")) == 5
    assert published_snapshot(tmp_path) == second.path.resolve()
    assert not first.path.exists()


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from tasks.ingest import ingest_folder
    from tasks.parquet import write_dataset
    from tasks.runstate import OutputLock, Snapshot
    out = sys.argv[1]
    res = ingest_folder("seeds")
    with OutputLock(out):
        snap = Snapshot.create(out)
        write_dataset(res.documents.head(1), "documents", snap.path)
        print("writing", flush=True)
        while True:  # keeps writing until killed
            write_dataset(res.documents.head(1), "documents", snap.path)
            time.sleep(0.01)
    """
)


def test_run_killed_while_writing_leaves_previous_outputs_readable(tmp_path, seed_ingest):
    good = Snapshot.create(tmp_path)
    write_dataset(seed_ingest.documents, "documents", good.path)
    good.publish()
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    survivors = read_dataset("documents", tmp_path / "parquet")
    assert len(survivors) == len(seed_ingest.documents)
    # the next run takes the lock, publishes, and clears the killed run's snapshot
    with OutputLock(tmp_path):
        nxt = Snapshot.create(tmp_path)
        write_dataset(seed_ingest.documents.head(2), "documents", nxt.path)
        nxt.publish()
    assert len(read_dataset("documents", tmp_path / "parquet")) == 2
    assert [p.name for p in (tmp_path / ".snapshots").iterdir()] == [nxt.path.name]
