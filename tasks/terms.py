"""Term statistics and keywords: tokens -> ``term_stats`` and ``keywords``.

Takes the ``tokens`` table of :mod:`tasks.segment` and gives, per document,
the count, tf, idf and tf-idf of every content term (``term_stats``) and the
top terms by two methods (``keywords``):

* ``tfidf``: the classic weighting, with IDF from this corpus itself,
  ``idf = ln(N / (1 + df)) + 1`` (N documents, df documents holding the term).
  The +1 in the denominator damps terms of a single document in tiny corpora,
  the trailing +1 keeps terms found in every document positive, as in
  scikit-learn's smooth_idf.
* ``textrank``: Mihalcea & Tarau's TextRank as jieba implements it
  (``fxsjy/jieba:jieba/analyse/textrank.py``): an undirected graph whose
  edges count co-occurrence of candidate words within a window of 5 tokens,
  ranked by jieba's own ``UndirectWeightedGraph.rank`` (PageRank, d = 0.85,
  weights normalised to at most 1). jieba's ``TextRank.textrank`` would
  re-segment the raw text with the global posseg tokenizer, so the graph is
  built here over our tokens instead.

Both methods rank only nominal terms (KEYWORD_POS: nouns, names, nominal
verbs, abbreviations, idioms): plain verbs such as 推进 and 加快 open nearly
every sentence of a government report and would crowd every top 20.

A content term is a token of at least 2 characters, tagged as a noun, verb,
adjective, name, idiom, abbreviation or Latin word, not in the stop list
(``resources/stopwords.txt``) and not made of digits and punctuation.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jieba.analyse.textrank import UndirectWeightedGraph

from tasks.schemas import column_names

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_STOPWORDS = RESOURCES / "stopwords.txt"

CONTENT_POS = frozenset(
    "n nr nr1 nr2 nrj nrf nrfg nrt ns nsf nt nz nl ng v vn vd vi vl vf vx a an ad al i l j eng".split()
)
# Keywords are nouns, names, nominal verbs (建设, 改革), abbreviations and
# idioms: plain verbs (推进, 加快, 打造) head every sentence of a government
# report and would fill every document's top 20.
KEYWORD_POS = frozenset("n nr nrfg nrt ns nt nz nl ng vn an j l i eng".split())
_NOT_WORDY = re.compile(r"^[\d\W_]+$")


@dataclass(frozen=True)
class TermsConfig:
    """Settings of term statistics and keywords.

    Attributes:
        top_k: Keywords kept per document and method.
        window: TextRank co-occurrence window in tokens (jieba's span).
        min_chars: Shortest term, in characters.
        stopwords: File of stop words, one per line or space-separated.
    """

    top_k: int = 20
    window: int = 5
    min_chars: int = 2
    stopwords: Path = DEFAULT_STOPWORDS

    def __post_init__(self) -> None:
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise ValueError(f"top_k must be an int >= 1, got {self.top_k!r}")
        if not isinstance(self.window, int) or self.window < 2:
            raise ValueError(f"window must be an int >= 2, got {self.window!r}")
        if not isinstance(self.min_chars, int) or self.min_chars < 1:
            raise ValueError(f"min_chars must be an int >= 1, got {self.min_chars!r}")
        if not Path(self.stopwords).is_file():
            raise ValueError(f"stopwords {self.stopwords} is not a file")


def load_stopwords(path: Path = DEFAULT_STOPWORDS) -> frozenset[str]:
    """Reads a stop-word list.

    Args:
        path: UTF-8 file; words separated by spaces or newlines, '#' lines are comments.
    """
    words = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            words.update(line.split())
    return frozenset(words)


def is_content_term(token: str, pos: str, stopwords: frozenset[str], min_chars: int = 2) -> bool:
    """Whether a token counts as a term.

    Args:
        token: The token text.
        pos: Its part of speech.
        stopwords: Words never counted.
        min_chars: Shortest term, in characters.
    """
    return (
        len(token) >= min_chars
        and pos in CONTENT_POS
        and token not in stopwords
        and not _NOT_WORDY.match(token)
    )


def _content_mask(tokens: pd.DataFrame, stopwords: frozenset[str], min_chars: int) -> pd.Series:
    tok = tokens["token"]
    return (
        (tok.str.len() >= min_chars)
        & tokens["pos"].isin(CONTENT_POS)
        & ~tok.isin(stopwords)
        & ~tok.str.match(_NOT_WORDY.pattern)
    )


def term_stats(tokens: pd.DataFrame, stopwords: frozenset[str] | None = None, min_chars: int = 2) -> pd.DataFrame:
    """Counts content terms per document and weights them by tf-idf.

    Args:
        tokens: Rows of the ``tokens`` table (doc_id, token, pos used).
        stopwords: Words never counted; the repo's list when None.
        min_chars: Shortest term, in characters.

    Returns:
        ``term_stats`` rows ordered by doc_id (first appearance), tfidf
        descending, then term. N counts documents that have any token.
    """
    stopwords = load_stopwords() if stopwords is None else frozenset(stopwords)
    cols = column_names("term_stats")
    if tokens.empty:
        return pd.DataFrame(columns=cols)
    n_docs = tokens["doc_id"].nunique()
    terms = tokens.loc[_content_mask(tokens, stopwords, min_chars), ["doc_id", "token", "pos"]]
    if terms.empty:
        return pd.DataFrame(columns=cols)
    by_pos = terms.groupby(["doc_id", "token", "pos"], sort=False).size().rename("n").reset_index()
    # a term's pos in a document is its most frequent tag there (alphabetical on ties)
    by_pos = by_pos.sort_values(["doc_id", "token", "n", "pos"], ascending=[True, True, False, True])
    out = by_pos.groupby(["doc_id", "token"], sort=False).agg(pos=("pos", "first"), count=("n", "sum")).reset_index()
    out = out.rename(columns={"token": "term"})
    total = out.groupby("doc_id")["count"].transform("sum")
    out["tf"] = out["count"] / total
    df = out.groupby("term")["doc_id"].transform("nunique")
    out["idf"] = (n_docs / (1.0 + df)).map(math.log) + 1.0
    out["tfidf"] = out["tf"] * out["idf"]
    order = {d: i for i, d in enumerate(pd.unique(tokens["doc_id"]))}
    out["_doc"] = out["doc_id"].map(order)
    out = out.sort_values(["_doc", "tfidf", "term"], ascending=[True, False, True], kind="mergesort")
    out["count"] = out["count"].astype("int32")
    return out[cols].reset_index(drop=True)


def textrank_scores(token_seqs, candidates, window: int = 5) -> dict[str, float]:
    """Ranks candidate words of one document with jieba's TextRank graph.

    Args:
        token_seqs: Token lists, one per paragraph, in order (all tokens, so
            that the window counts positions as jieba does).
        candidates: Set of tokens that may be graph nodes.
        window: Pairs (i, j) with 0 < j - i < window are linked.

    Returns:
        Word -> weight (best = 1.0); empty when no pair co-occurs.
    """
    cm: dict[tuple[str, str], int] = defaultdict(int)
    for seq in token_seqs:
        n = len(seq)
        for i, w in enumerate(seq):
            if w not in candidates:
                continue
            for j in range(i + 1, min(i + window, n)):
                if seq[j] in candidates:
                    cm[(w, seq[j])] += 1
    if not cm:
        return {}
    g = UndirectWeightedGraph()
    for (a, b), c in cm.items():
        g.addEdge(a, b, c)
    return dict(g.rank())


def keywords(
    tokens: pd.DataFrame,
    stats: pd.DataFrame | None = None,
    cfg: TermsConfig = TermsConfig(),
) -> pd.DataFrame:
    """Picks each document's top terms by tf-idf and by TextRank.

    Args:
        tokens: Rows of the ``tokens`` table, in table order.
        stats: Output of :func:`term_stats` for these tokens; computed when None.
        cfg: top_k, window, min_chars and the stop-word file.

    Returns:
        ``keywords`` rows: per document (in order of first appearance), the
        tfidf ranks 1..top_k then the textrank ranks; ties broken by term.
    """
    stopwords = load_stopwords(cfg.stopwords)
    if stats is None:
        stats = term_stats(tokens, stopwords, cfg.min_chars)
    cols = column_names("keywords")
    rows: list[tuple] = []
    if tokens.empty:
        return pd.DataFrame(columns=cols)
    tfidf_by_doc = {d: g for d, g in stats.groupby("doc_id", sort=False)}
    mask = _content_mask(tokens, stopwords, cfg.min_chars) & tokens["pos"].isin(KEYWORD_POS)
    cand_by_doc = {d: set(g) for d, g in tokens.loc[mask].groupby("doc_id", sort=False)["token"]}
    for doc_id, doc_tokens in tokens.groupby("doc_id", sort=False):
        st = tfidf_by_doc.get(doc_id)
        if st is not None:
            st = st[st["pos"].isin(KEYWORD_POS)]
            top = st.sort_values(["tfidf", "term"], ascending=[False, True], kind="mergesort").head(cfg.top_k)
            for rank, (term, score) in enumerate(zip(top["term"], top["tfidf"]), 1):
                rows.append((doc_id, "tfidf", rank, term, float(score)))
        seqs = [g.tolist() for _, g in doc_tokens.groupby("para_id", sort=False)["token"]]
        ranked = textrank_scores(seqs, cand_by_doc.get(doc_id, set()), cfg.window)
        best = sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.top_k]
        for rank, (term, score) in enumerate(best, 1):
            rows.append((doc_id, "textrank", rank, term, float(score)))
    out = pd.DataFrame(rows, columns=cols)
    out["rank"] = out["rank"].astype("int32")
    return out
