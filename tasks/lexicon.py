"""Lexicon: the words every segmentation chunk cuts with, made once for the whole corpus.

Takes the deduplicated paragraphs and the extracted officials and gives the
``segment_lexicon`` dataset: the quoted policy phrases of the kept text and
the officials' names (as person names, ``nr``) on top of the dictionary
(:func:`tasks.segment.build_lexicon`). One lexicon per run, so a document is
cut the same way whichever batch or worker segments it.
"""

from __future__ import annotations

import pandas as pd

from tasks.segment import SegmentConfig, build_lexicon, dictionary_words
from tasks.text import kept_paragraphs


def corpus_lexicon(paragraphs: pd.DataFrame, officials: pd.DataFrame) -> pd.DataFrame:
    """The run's ``segment_lexicon``.

    Args:
        paragraphs: Paragraphs after dedup; only kept ones are read.
        officials: The extracted ``officials`` rows; their names become words.
    """
    names = tuple(sorted({(n, "nr") for n in officials["name"].dropna()}))
    texts = kept_paragraphs(paragraphs)["text"].tolist()
    return build_lexicon(texts, SegmentConfig(extra_words=names), known=dictionary_words().keys())
