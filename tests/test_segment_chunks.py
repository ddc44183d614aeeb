"""Segmentation in chunks as the flow runs it: batches of chunks and what the chunks hand back."""

import numpy as np
import pandas as pd

from tasks.segment import SegmentJob
from tasks.segment_chunks import ChunkOutput, Segmented, job_groups


def job(part: int) -> SegmentJob:
    return SegmentJob(part, ["甲。"], np.array(["d"]), np.array([0]))


def test_job_groups_are_contiguous_and_at_most_n():
    jobs = [job(i) for i in range(5)]
    groups = job_groups(jobs, 2)
    assert [[j.part for j in g[0]] for g in groups] == [[0, 1, 2], [3, 4]]
    assert [[j.part for j in g[0]] for g in job_groups(jobs, 9)] == [[0], [1], [2], [3], [4]]
    assert job_groups([], 3) == []


def test_segmented_adds_up_its_chunks_and_counts_each_document_once():
    kw = pd.DataFrame({"doc_id": ["d1"], "method": ["textrank"], "rank": [1], "term": ["经济"], "score": [0.5]})
    out = Segmented([ChunkOutput(kw, 2, 10, frozenset({"d1", "d2"})), ChunkOutput(kw, 1, 5, frozenset({"d2"}))], {})
    assert (out.sentences, out.tokens, out.n_docs) == (3, 15, 2)
    assert len(out.textrank()) == 2
