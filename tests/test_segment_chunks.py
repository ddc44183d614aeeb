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


def test_a_chunk_writes_dictionary_pages_for_its_text_columns_only(tmp_path):
    import pyarrow.parquet as pq

    from tasks.parquet import dataset_files
    from tasks.schemas import column_names
    from tasks.segment_chunks import write_segment_part

    tokens = pd.DataFrame({"doc_id": "d1", "para_id": 0, "sent_id": 0, "token_idx": [0, 1, 2],
                           "token": ["经济", "发展", "经济"], "pos": "n", "char_start": [0, 2, 4],
                           "char_end": [2, 4, 6]})[column_names("tokens")]
    sentences = pd.DataFrame({"doc_id": "d1", "para_id": 0, "sent_id": 0, "char_start": 0, "char_end": 6,
                              "text": ["经济发展经济"]})[column_names("sentences")]
    write_segment_part(0, sentences, tokens, (), str(tmp_path))
    group = pq.ParquetFile(dataset_files("tokens", tmp_path)[0]).metadata.row_group(0)
    dictionary = {group.column(i).path_in_schema: group.column(i).has_dictionary_page for i in range(group.num_columns)}
    # numbers (offsets, ids) are mostly distinct: a dictionary would only be built and dropped
    assert dictionary == {"doc_id": True, "para_id": False, "sent_id": False, "token_idx": False, "token": True,
                          "pos": True, "char_start": False, "char_end": False}
