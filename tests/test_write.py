"""The write stage: every in-memory dataset into the snapshot, one count per dataset, frames let go."""

import pandas as pd

from tasks.corpus import Corpus
from tasks.extract import TABLES, ExtractResult
from tasks.parquet import dataset_files, read_dataset
from tasks.schemas import SCHEMAS
from tasks.segment_chunks import ChunkOutput, Segmented, Terms
from tasks.write import write_run_datasets


def empty(name: str) -> pd.DataFrame:
    return SCHEMAS[name].empty_table().to_pandas()


def test_write_counts_every_dataset_in_order_and_releases_the_frames(tmp_path):
    documents = pd.concat([empty("documents"), pd.DataFrame({"doc_id": ["d1"], "is_duplicate": [False]})],
                          ignore_index=True)
    corpus = Corpus(documents, empty("paragraphs"), empty("quarantine"), empty("paragraph_repairs"),
                    empty("paragraph_duplicates"))
    extracted = ExtractResult({name: empty(name) for name in TABLES})
    segmented = Segmented([ChunkOutput(empty("keywords"), 3, 40, frozenset({"d1"}))], {})
    terms = Terms(12, empty("keywords"))

    written = write_run_datasets(tmp_path, corpus, extracted, empty("segment_lexicon"), empty("quality_flags"),
                                 segmented, terms)

    assert list(written.counts) == ["documents", "paragraphs", "quarantine", "paragraph_repairs",
                                    "paragraph_duplicates", *TABLES, "segment_lexicon", "keywords", "quality_flags",
                                    "sentences", "tokens", "term_stats"]
    assert written.counts["documents"] == 1 and written.counts["tokens"] == 40 and written.counts["term_stats"] == 12
    assert written.tally == dict(documents=1, duplicate_documents=0, paragraphs=0, duplicate_paragraphs=0,
                                 quarantined=0)
    assert set(written.wrote) == set(written.counts) - {"sentences", "tokens", "term_stats"}
    assert read_dataset("documents", tmp_path)["doc_id"].tolist() == ["d1"]
    assert all(dataset_files(name, tmp_path) for name in written.wrote)
    # on disk now: the run lets go of the frames before the warehouse stage
    assert corpus.documents is None and corpus.paragraphs is None
    assert extracted.tables == {} and segmented.chunks == [] and terms.keywords is None
