"""The shared text vocabulary: character classes, terminators, number characters, kept paragraphs.

One home for what several stages must agree on. Where two stages need a
different class on purpose, both are here under names that say what each is;
a stage that needs neither keeps its own.

Character classes are strings for use inside a regex ``[...]``:

- ``HAN``: every Han ideograph in the Basic Multilingual Plane (extension A,
  the unified block, compatibility ideographs). "Does this text hold Chinese?"
- ``HAN_UNIFIED``: the CJK Unified Ideographs block only (U+4E00-U+9FFF), the
  characters of the names and words the extraction regexes match. Narrower
  than ``HAN`` on purpose: a rare extension-A character in a place name would
  widen matches the rules were tuned on.
- ``HAN_JIEBA``: the range jieba's own regexes treat as Han (U+4E00-U+9FD5)
  plus 〇 (U+3007, the zero of 二〇三五年); segmentation must cut where jieba does.

Terminators are frozensets of characters holding the full- and half-width
forms (！ and !): clean folds full-width ASCII to half-width, so stages after
it see one form, but ingest reads raw text.
"""

from __future__ import annotations

import pandas as pd

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_UNIFIED = "\u4e00-\u9fff"
HAN_JIEBA = "\u4e00-\u9fd5\u3007"
# a letter of any script the reports write in: a paragraph without one is chrome
LETTER = "A-Za-z" + HAN

# A sentence ends at one of these (full- or half-width) or an ellipsis.
SENTENCE_TERMINATORS = frozenset("。!?;\uff01\uff1f\uff1b…")
# A paragraph is complete when it ends a sentence or a lead-in: a colon ends
# "以下六方面工作:", which the next paragraph continues, not a cut sentence.
PARAGRAPH_TERMINATORS = SENTENCE_TERMINATORS | frozenset(":\uff1a")

# Chinese digit characters 0-9 as numbers are written (〇 and 零 are zero, 两 is two).
CN_DIGITS = "零〇一二两三四五六七八九"
# Digits with the magnitude characters: every character of a number written in Chinese.
CN_NUMERALS = CN_DIGITS + "十百千万亿"
CN_DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def kept_mask(paragraphs: pd.DataFrame, documents: pd.DataFrame | None = None) -> pd.Series:
    """Which paragraphs dedup kept: not flagged is_duplicate, not of a duplicate document.

    Args:
        paragraphs: Paragraphs; without an is_duplicate column (dedup did not
            run) every row counts as kept, and a null flag counts as kept.
        documents: Optional documents; when given with is_duplicate, the
            paragraphs of a duplicate document are not kept either (dedup flags
            them too, but a caller may pass paragraphs that did not pass dedup).

    Returns:
        A boolean Series on paragraphs' index.
    """
    keep = pd.Series(True, index=paragraphs.index)
    if "is_duplicate" in paragraphs.columns:
        keep &= ~paragraphs["is_duplicate"].fillna(False).astype(bool)
    if documents is not None and "is_duplicate" in documents.columns:
        dup_docs = documents.loc[documents["is_duplicate"].fillna(False).astype(bool), "doc_id"]
        keep &= ~paragraphs["doc_id"].isin(set(dup_docs))
    return keep


def kept_paragraphs(paragraphs: pd.DataFrame, documents: pd.DataFrame | None = None,
                    kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The paragraphs dedup kept (see kept_mask), optionally only those of the given kinds.

    Args:
        paragraphs: Paragraphs with is_duplicate (and kind when kinds is given).
        documents: Optional documents, to leave out duplicate documents' paragraphs.
        kinds: Paragraph kinds to keep (body, heading, ...); None keeps all.

    Returns:
        The kept rows, index and order as in paragraphs.
    """
    keep = kept_mask(paragraphs, documents)
    if kinds is not None:
        keep &= paragraphs["kind"].isin(kinds)
    return paragraphs[keep]
