"""Term statistics and keywords: tokens -> ``term_stats`` and ``keywords``.

Takes the ``tokens`` table of :mod:`tasks.segment` and gives, per document,
the count, tf, idf and tf-idf of every content term (``term_stats``) and the
top terms by two methods (``keywords``):

* ``tfidf``: ``term_stats`` holds the classic weighting, with IDF from this
  corpus itself, ``idf = ln(N / (1 + df)) + 1`` (N documents, df documents
  holding the term). The +1 in the denominator damps terms of a single
  document in tiny corpora, the trailing +1 keeps terms found in every
  document positive, as in scikit-learn's smooth_idf. The tf-idf keywords
  are ranked by tf times a blended IDF (:func:`keyword_idf`): jieba's
  background IDF of general Chinese (``jieba/analyse/idf.txt``, what
  ``jieba.analyse.extract_tags`` uses) times ``ln((N + 1) / (df + 0.5))``,
  so that a word every report uses (建设, 发展, 工作) scores near zero.
* ``textrank``: Mihalcea & Tarau's TextRank as jieba implements it
  (``fxsjy/jieba:jieba/analyse/textrank.py``): an undirected graph whose
  edges count co-occurrence of candidate words within a window of 5 tokens,
  ranked as jieba's ``UndirectWeightedGraph.rank`` ranks it (PageRank, d =
  0.85, weights normalised to at most 1): its loops, compiled with numba,
  give its scores bit for bit (:func:`textrank_scores` is the plain
  reference). jieba's ``TextRank.textrank`` would re-segment the raw text
  with the global posseg tokenizer, so the graph is built here over our
  tokens instead.

Both methods rank only nominal terms (KEYWORD_POS: nouns, names, nominal
verbs, abbreviations, idioms): plain verbs such as 推进 and 加快 open nearly
every sentence of a government report and would crowd every top 20.

A content term is a token of at least 2 characters, tagged as a noun, verb,
adjective, name, idiom, abbreviation or Latin word, not in the stop list
(``resources/stopwords.txt``) and not made of digits and punctuation.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import jieba
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from jieba.analyse.textrank import UndirectWeightedGraph

from tasks.parallel import map_in_processes, map_with_state
from tasks.parquet import PART, concat_frames, dataset_files, write_part, write_table_file
from tasks.schemas import SCHEMAS, column_names

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_STOPWORDS = RESOURCES / "stopwords.txt"
# jieba's IDF table from a large general corpus, the one jieba.analyse.extract_tags uses
DEFAULT_BACKGROUND_IDF = Path(jieba.__file__).resolve().parent / "analyse" / "idf.txt"

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
        background_idf: ``word idf`` file of a general corpus (jieba's) blended
            into the tf-idf keywords' IDF (see :func:`keyword_idf`); None ranks
            them by this corpus's IDF alone.
    """

    top_k: int = 20
    window: int = 5
    min_chars: int = 2
    stopwords: Path = DEFAULT_STOPWORDS
    background_idf: Path | None = DEFAULT_BACKGROUND_IDF

    def __post_init__(self) -> None:
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise ValueError(f"top_k must be an int >= 1, got {self.top_k!r}")
        if not isinstance(self.window, int) or self.window < 2:
            raise ValueError(f"window must be an int >= 2, got {self.window!r}")
        if not isinstance(self.min_chars, int) or self.min_chars < 1:
            raise ValueError(f"min_chars must be an int >= 1, got {self.min_chars!r}")
        if not Path(self.stopwords).is_file():
            raise ValueError(f"stopwords {self.stopwords} is not a file")
        if self.background_idf is not None and not Path(self.background_idf).is_file():
            raise ValueError(f"background_idf {self.background_idf} is not a file")


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


@functools.lru_cache(maxsize=2)
def load_background_idf(path: str) -> tuple[dict[str, float], float]:
    """Reads a ``word idf`` table; returns it and its median, which a word not listed gets (as in jieba's IDFLoader)."""
    idf: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2:
                idf[parts[0]] = float(parts[1])
    return idf, (sorted(idf.values())[len(idf) // 2] if idf else 0.0)


def keyword_idf(terms, corpus_idf: np.ndarray, n_docs: int, cfg: "TermsConfig",
                background: np.ndarray | None = None) -> np.ndarray:
    """The IDF the tf-idf keywords are ranked by: background IDF times the spread across this corpus.

    ``background(term) * ln((N + 1) / (df + 0.5))``: a word of general
    Chinese (建设, 发展, 工作) has a low background IDF, and a word in every
    report of the run a spread near zero (``ln((N + 1) / (N + 0.5))``), so
    either keeps it out of the keywords; a word of one document in a large
    run weighs most. With one document the spread is constant and the ranking
    is jieba's own ``extract_tags`` weighting. The corpus IDF alone when
    ``cfg.background_idf`` is None.

    Args:
        terms: The terms (strings), one per row.
        corpus_idf: term_stats' idf of each row, ``ln(N / (1 + df)) + 1``, from which df is recovered exactly.
        n_docs: N, documents of the run.
        cfg: Keyword settings (background_idf).
        background: The background IDF of each term, when looked up already (see :func:`_vocabulary`).
    """
    corpus_idf = np.asarray(corpus_idf, dtype=np.float64)
    if cfg.background_idf is None:
        return corpus_idf
    df = np.rint(n_docs * np.exp(1.0 - corpus_idf) - 1.0)
    spread = np.log((n_docs + 1.0) / (df + 0.5))
    if background is None:
        background = _background_idf(terms, str(cfg.background_idf))
    return background * spread


def _background_idf(terms, path: str) -> np.ndarray:
    """The background IDF of each term (the table's median for a term not listed or missing),
    looked up once per distinct term (:func:`_background_of_distinct`)."""
    codes, distinct = pd.factorize(pd.Series(terms, dtype=object) if isinstance(terms, list) else terms)
    known = _background_of_distinct(pa.array(np.asarray(distinct, dtype=object), type=pa.string()), path)
    return np.append(known, _background_index(path)[1][-1])[codes]  # code -1: missing


def _background_of_distinct(terms: pa.Array, path: str) -> np.ndarray:
    """The background IDF of distinct terms (an Arrow string array; the median for one not listed),
    in one Arrow lookup against the table's words, hashed once per process."""
    words, idf = _background_index(path)
    return idf[pc.index_in(terms, value_set=words).fill_null(-1).to_numpy()]  # -1: not listed, the median


@functools.lru_cache(maxsize=2)
def _background_index(path: str) -> tuple[pa.Array, np.ndarray]:
    """:func:`load_background_idf` as an Arrow array of its words (distinct: a dict's keys) and their IDF,
    then the median (what index -1 picks): the file is read once per process, not once per lookup."""
    table, median = load_background_idf(path)
    idf = np.fromiter(table.values(), dtype=np.float64, count=len(table))
    return pa.array(list(table), type=pa.string()), np.append(idf, median)


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
    """Row-wise content-term mask: the plain definition that :class:`_Coded` computes per distinct value."""
    tok = tokens["token"]
    return (
        (tok.str.len() >= min_chars)
        & tokens["pos"].isin(CONTENT_POS)
        & ~tok.isin(stopwords)
        & ~tok.str.match(_NOT_WORDY.pattern)
    )


def _str_ranks(values: pd.Index) -> np.ndarray:
    """Rank of each of distinct strings in the order pandas sorts them (code point order)."""
    return _str_order_ranks(values)[1]


def _str_order_ranks(values: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Distinct strings' positions in the order pandas sorts them (code point order), and each one's rank."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = pd.Index(values.to_numpy(dtype=object))  # a categorical sorts by category order, not by string
    order = values.argsort()
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(len(values), dtype=np.int64)
    return order, ranks


def _flags(values: list, test, only: np.ndarray | None = None) -> np.ndarray:
    """test(value) for each distinct value (those at ``only``; others False), plus a trailing
    False that code -1 (missing) picks."""
    out = np.zeros(len(values) + 1, dtype=bool)
    if only is None:
        out[:-1] = [test(v) for v in values]
    else:
        out[only] = [test(values[i]) for i in only.tolist()]
    return out


# CJK ideographs (basic block and extension A): letters to re (isalnum, not digits), so a
# token holding one is never all digits and punctuation
_IDEOGRAPH = "[\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}]"


def _term_flags(values: pd.Index, only: np.ndarray, stopwords: frozenset[str], min_chars: int) -> np.ndarray:
    """:func:`is_content_term`'s token tests for the distinct tokens at ``only`` (others False), plus
    a trailing False that code -1 (missing) picks: in Arrow, with re's Unicode classes (_NOT_WORDY)
    run only on tokens with no CJK ideograph."""
    try:
        arr = pa.array(values.take(only), type=pa.string())
    except pa.ArrowException:  # not all strings: one by one
        return _flags(values.tolist(), lambda t: isinstance(t, str) and len(t) >= min_chars and t not in stopwords
                      and not _NOT_WORDY.match(t), only)
    ok = pc.and_(pc.greater_equal(pc.utf8_length(arr), min_chars),
                 pc.invert(pc.is_in(arr, value_set=_string_set(stopwords))))
    ok = ok.to_numpy(zero_copy_only=False)
    other = np.flatnonzero(ok & ~pc.match_substring_regex(arr, _IDEOGRAPH).to_numpy(zero_copy_only=False))
    ok[other] = [not _NOT_WORDY.match(t) for t in arr.take(pa.array(other)).to_pylist()]
    out = np.zeros(len(values) + 1, dtype=bool)
    out[only] = ok
    return out


@functools.lru_cache(maxsize=4)
def _string_set(words: frozenset[str]) -> pa.Array:
    return pa.array(sorted(words), type=pa.string())


@dataclass
class _Coded:
    """The tokens table as integer codes; every string test runs once per distinct value.

    ``doc``, ``tok`` and ``pos`` number the distinct values in order of first
    appearance (-1 for missing), so ``doc`` is also the output document order.
    """

    doc: np.ndarray
    doc_values: pd.Index
    tok: np.ndarray
    tok_index: pd.Index
    pos: np.ndarray
    pos_index: pd.Index
    pos_values: list
    content: np.ndarray
    keyword: np.ndarray

    @classmethod
    def of(cls, tokens: pd.DataFrame, stopwords: frozenset[str], min_chars: int) -> "_Coded":
        doc, doc_values = tokens["doc_id"].factorize()
        tok, tok_index = tokens["token"].factorize()
        pos, pos_index = tokens["pos"].factorize()
        return cls.from_codes(doc, doc_values, tok, tok_index, pos, pos_index, stopwords, min_chars)

    @classmethod
    def from_codes(cls, doc: np.ndarray, doc_values: pd.Index, tok: np.ndarray, tok_index: pd.Index, pos: np.ndarray,
                   pos_index: pd.Index, stopwords: frozenset[str], min_chars: int) -> "_Coded":
        """The coded tokens from their columns' codes and distinct values, numbered as ``factorize`` numbers them."""
        pos_values = pos_index.tolist()
        content = _flags(pos_values, CONTENT_POS.__contains__)[pos] & (doc >= 0) & (tok >= 0)
        # the token tests of _content_mask (str.len, isin, str.match with re's Unicode classes),
        # once per distinct token that has a content tag somewhere
        tested = np.flatnonzero(np.bincount(tok[content], minlength=len(tok_index)))
        content &= _term_flags(tok_index, tested, stopwords, min_chars)[tok]
        keyword = content & _flags(pos_values, KEYWORD_POS.__contains__)[pos]
        return cls(doc, doc_values, tok, tok_index, pos, pos_index, pos_values, content, keyword)

    @functools.cached_property
    def tok_rank(self) -> np.ndarray:
        """Each distinct token's place in string order (sorted when first asked: the counts of a
        chunk never need it, TextRank ranks only its candidates)."""
        return _str_ranks(self.tok_index)


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
    c = _Coded.of(tokens, stopwords, min_chars)
    return _term_stats(c, cols)


def _term_stats(c: _Coded, cols: list[str], counts_only: bool = False) -> pd.DataFrame:
    """term_stats rows of coded tokens; with ``counts_only`` just the DOC_TERM_COLUMNS, by
    (document, first appearance of the term): idf and the tf-idf order need the whole corpus
    (:func:`term_stats_from_counts` sorts them)."""
    n_docs = len(c.doc_values)
    m = c.content
    if not m.any():
        return pd.DataFrame(columns=cols)
    n_tok, n_pos = len(c.tok_index), len(c.pos_values)
    dt = c.doc[m].astype(np.int64) * n_tok + c.tok[m]
    # rows per (doc, token, pos), sorted by (doc, token) then pos code
    key, n = np.unique(dt * n_pos + c.pos[m], return_counts=True)
    key_dt, key_pos = key // n_pos, key % n_pos
    starts = np.flatnonzero(np.r_[True, key_dt[1:] != key_dt[:-1]])  # (doc, token) runs
    dt_u = key_dt[starts]
    # a term's pos in a document is its most frequent tag there (alphabetical on ties): the
    # largest of count * n_pos + (n_pos - 1 - rank of the tag) in its run, no sort needed
    pos_order, pos_rank = _str_order_ranks(c.pos_index)
    best = np.maximum.reduceat(n * n_pos + (n_pos - 1 - pos_rank[key_pos]), starts)
    pos_u = pos_order[n_pos - 1 - best % n_pos]
    count = np.add.reduceat(n, starts)
    doc, term = dt_u // n_tok, dt_u % n_tok
    total = np.bincount(doc, weights=count, minlength=n_docs)  # integer-valued floats, exact
    tf = count.astype(np.float64) / total[doc]
    if counts_only:
        return pd.DataFrame(
            {
                "doc_id": c.doc_values.take(doc).array,
                "term": c.tok_index.take(term).array,
                "pos": c.pos_index.take(pos_u).array,
                "count": count.astype("int32"),
                "tf": tf,
            }
        )
    idf = corpus_idf(n_docs, np.bincount(term, minlength=n_tok)[term])
    tfidf = tf * idf
    o = np.lexsort((c.tok_rank[term], -tfidf, doc))
    out = pd.DataFrame(
        {
            "doc_id": c.doc_values.take(doc[o]).array,
            "term": c.tok_index.take(term[o]).array,
            "pos": c.pos_index.take(pos_u[o]).array,
            "count": count[o].astype("int32"),
            "tf": tf[o],
            "idf": idf[o],
            "tfidf": tfidf[o],
        }
    )
    return out[cols]


def textrank_scores(token_seqs, candidates, window: int = 5) -> dict[str, float]:
    """Ranks candidate words of one document with jieba's TextRank graph.

    The reference for :func:`keywords`, which computes the same numbers for
    all documents at once.

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


def _textrank_all(tokens: pd.DataFrame, c: _Coded, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TextRank of every document at once, bit for bit as :func:`textrank_scores`.

    Graph nodes are (document, candidate token) pairs numbered in document
    then string order, which is also the order jieba's ``rank`` sweeps them.
    jieba's loops over tokens, pairs and edges run compiled with numba (the
    ``_*`` kernels below: loops over arrays allocated here, which keeps their
    compile time short); the rest is numpy.

    Returns:
        (doc code, token code, score, the token's place in string order among the
        candidates) of every graph node, nodes in that order.
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int64))
    para, _ = tokens["para_id"].factorize()
    rows = np.flatnonzero((c.doc >= 0) & (para >= 0))  # groupby drops missing keys
    if len(rows) == 0 or not c.keyword.any():
        return empty
    doc, para = c.doc[rows].astype(np.int64), para[rows].astype(np.int64)
    # jieba's sequences are a document's paragraphs in order of first appearance, tokens in table
    # order; a segmentation chunk gives its tokens grouped so already (documents, then each
    # paragraph's tokens together: doc codes are first appearances, so then non-decreasing)
    key = doc * (int(para.max()) + 1) + para
    heads = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    if not (np.all(doc[1:] >= doc[:-1]) and len(np.unique(key[heads])) == len(heads)):
        seq_id, _ = pd.factorize(key)
        order = np.lexsort((seq_id, doc))
        rows, doc, key = rows[order], doc[order], key[order]
        heads = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    seq = np.repeat(np.arange(len(heads)), np.diff(np.r_[heads, len(key)]))
    tok = c.tok[rows].astype(np.int64)

    # nodes: each document's tokens with a keyword tag somewhere in it (jieba's candidate set), by string
    n_tok = len(c.tok_index)
    kw = c.keyword[rows]
    # the candidates in string order: only they are sorted, not every distinct token
    cand = np.flatnonzero(np.bincount(tok[kw], minlength=n_tok))
    cand = cand[_str_order_ranks(c.tok_index.take(cand))[0]]
    n_cand = len(cand)
    cand_rank = np.full(n_tok, -1, dtype=np.int64)
    cand_rank[cand] = np.arange(n_cand)
    nodes = np.sort(doc[kw] * n_cand + cand_rank[tok[kw]])
    nodes = nodes[np.r_[True, nodes[1:] != nodes[:-1]]]  # (np.unique: the same, several times slower)
    node_doc, node_rank = nodes // n_cand, nodes % n_cand
    node_tok = cand[node_rank]
    n_nodes = len(nodes)
    doc_rows = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1], True])
    node_bounds = np.searchsorted(node_doc, np.r_[doc[doc_rows[:-1]], doc[-1] + 1])
    node = np.empty(len(tok), dtype=np.int64)
    _row_nodes(doc_rows, node_bounds, tok, node_tok, np.full(n_tok, -1, dtype=np.int64), node)

    # co-occurrences (i, j), i < j < i + window in one sequence, in jieba's scan order, as
    # a * n_nodes + b; the distinct ones in order of first occurrence (jieba adds edges in that order)
    pair = np.empty(_pairs(node, seq, window, n_nodes, np.empty(0, dtype=np.int64)), dtype=np.int64)
    _pairs(node, seq, window, n_nodes, pair)
    if len(pair) == 0:
        return empty
    count = np.zeros(len(pair), dtype=np.int64)
    bits = (2 * len(pair)).bit_length()  # a table at most half full
    _first_occurrences(pair, np.full(1 << bits, -1, dtype=np.int64), bits, count)
    first = np.flatnonzero(count)
    a, b, weight = pair[first] // n_nodes, pair[first] % n_nodes, count[first].astype(np.float64)
    # addEdge(a, b, c) appends (a -> b) to a's list, then (b -> a) to b's
    starts = np.r_[0, np.cumsum(np.bincount(a, minlength=n_nodes) + np.bincount(b, minlength=n_nodes))]
    nbr, w = np.empty(starts[-1], dtype=np.int64), np.empty(starts[-1], dtype=np.float64)
    _edge_lists(a, b, weight, starts[:-1].copy(), nbr, w)
    out_sum = np.bincount(a, weights=weight, minlength=n_nodes) + np.bincount(b, weights=weight, minlength=n_nodes)
    coef = w / out_sum[nbr]  # integer-valued sums, exact in any order; e[2] / outSum[e[1]] as jieba

    in_graph = np.diff(starts) > 0  # jieba's graph holds only words with an edge
    graph_size = np.bincount(node_doc[in_graph], minlength=int(node_doc.max()) + 1)
    ws = 1.0 / np.maximum(graph_size, 1)[node_doc]  # wsdef = 1.0 / len(graph)
    _gauss_seidel(starts, nbr, coef, ws, 10, UndirectWeightedGraph.d)
    graph_doc, score = node_doc[in_graph], ws[in_graph]
    bounds = np.flatnonzero(np.r_[True, graph_doc[1:] != graph_doc[:-1], True])
    # jieba's final scaling, per document: min over the weights (from float max), max (from the smallest float)
    starts = bounds[:-1]
    lengths = np.diff(bounds)
    min_rank = np.minimum(np.minimum.reduceat(score, starts), sys.float_info.max)
    max_rank = np.maximum(np.maximum.reduceat(score, starts), sys.float_info.min)
    min_rank, max_rank = np.repeat(min_rank, lengths), np.repeat(max_rank, lengths)
    score = (score - min_rank / 10.0) / (max_rank - min_rank / 10.0)
    return graph_doc, node_tok[in_graph], score, node_rank[in_graph]


def load_compiled_loops() -> None:
    """Loads TextRank's compiled loops in this process (from numba's cache, else compiling them).

    Their first call costs ~0.4 s of CPU; processes forked after it inherit them ready.
    """
    textrank_keywords(pd.DataFrame({"doc_id": "d", "para_id": 0, "token": ["经济", "发展"], "pos": "n"}))


def compiled(fn):
    """numba's nopython compile of fn, cached on disk (beside this file, else in the user's cache
    folder) when a folder is writable: a read-only install compiles once per process instead."""
    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError:  # no writable cache folder
        return numba.njit(fn)


@compiled
def _row_nodes(doc_rows, node_bounds, tok, node_tok, local, node):  # pragma: no cover - compiled
    """Sets each row's node (-1 if its token is none of its document's), document by document
    (rows doc_rows[d]:doc_rows[d + 1], nodes node_bounds[d]:node_bounds[d + 1]); ``local`` is
    a token-indexed scratch array of -1."""
    for d in range(len(doc_rows) - 1):
        for k in range(node_bounds[d], node_bounds[d + 1]):
            local[node_tok[k]] = k
        for i in range(doc_rows[d], doc_rows[d + 1]):
            node[i] = local[tok[i]] if tok[i] >= 0 else -1
        for k in range(node_bounds[d], node_bounds[d + 1]):
            local[node_tok[k]] = -1


@compiled
def _pairs(node, seq, window, n_nodes, out):  # pragma: no cover - compiled
    """Writes jieba's co-occurrence pairs into ``out`` (when long enough) and returns their number."""
    n, p = len(node), 0
    for i in range(n):
        if node[i] >= 0:
            for j in range(i + 1, min(i + window, n)):
                if seq[j] != seq[i]:
                    break
                if node[j] >= 0:
                    if p < len(out):
                        out[p] = node[i] * n_nodes + node[j]
                    p += 1
    return p


@compiled
def _first_occurrences(keys, table, bits, count):  # pragma: no cover - compiled
    """count[q] = occurrences of keys[q] if q is its first occurrence, else stays 0; ``table`` is
    a scratch hash table of -1, of 2**bits slots, more than keys (open addressing)."""
    mask, shift = len(table) - 1, 64 - bits
    for q in range(len(keys)):
        # Fibonacci hashing: the top bits of the key times 2**64 / golden ratio (an int64 product, wrapping)
        h = ((keys[q] * -7046029254386353131) >> shift) & mask
        while table[h] >= 0 and keys[table[h]] != keys[q]:
            h = (h + 1) & mask
        if table[h] < 0:
            table[h] = q
        count[table[h]] += 1


@compiled
def _edge_lists(a, b, weight, fill, nbr, w):  # pragma: no cover - compiled
    """Appends each edge (a, b, weight) to a's list, then (b, a, weight) to b's, as jieba's
    addEdge; ``fill`` holds where each node's list starts and advances."""
    for q in range(len(a)):
        nbr[fill[a[q]]], w[fill[a[q]]] = b[q], weight[q]
        fill[a[q]] += 1
        nbr[fill[b[q]]], w[fill[b[q]]] = a[q], weight[q]
        fill[b[q]] += 1


@compiled
def _gauss_seidel(starts, nbr, coef, ws, sweeps, d):  # pragma: no cover - compiled
    """``UndirectWeightedGraph.rank``'s sweeps, in place on ``ws``, for many graphs at once.

    jieba sweeps each graph's nodes in sorted order, 10 times, setting
    ``ws[n] = (1 - d) + d * s`` with ``s`` summed left to right over n's edge
    list of ``weight / outSum[nbr] * ws[nbr]`` (Gauss-Seidel: a neighbour
    sorted before n counts with its value of this sweep). The graphs are
    disjoint, so a sweep over all their nodes in order is each one's own
    sweep; a node without edges (in no graph) is left alone. No fastmath:
    the same operations in the same order give jieba's bits.
    """
    for _ in range(sweeps):
        for n in range(len(ws)):
            if starts[n + 1] > starts[n]:
                s = 0.0
                for e in range(starts[n], starts[n + 1]):
                    s += coef[e] * ws[nbr[e]]
                ws[n] = (1.0 - d) + d * s


def _top_k(doc: np.ndarray, score: np.ndarray, tie: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of each document's best k (score descending, then tie ascending, then input order) and their ranks."""
    o = _sort_groups_desc(doc, score, tie)  # np.lexsort((tie, -score, doc)), several times faster
    d = doc[o]
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
    rank = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)])) + 1
    keep = rank <= k
    return o[keep], rank[keep]


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
    if tokens.empty:
        return pd.DataFrame(columns=column_names("keywords"))
    c = _Coded.of(tokens, load_stopwords(cfg.stopwords), cfg.min_chars)
    if stats is None:
        stats = _term_stats(c, column_names("term_stats"))
    return _keywords(tokens, c, stats, cfg)


def _keywords(tokens: pd.DataFrame, c: _Coded, stats: pd.DataFrame, cfg: TermsConfig) -> pd.DataFrame:
    """:func:`keywords` over tokens already coded."""
    cols = column_names("keywords")
    parts = []  # (doc code, method 0/1, rank, term, score) per method
    if len(stats):
        s_doc = c.doc_values.get_indexer(stats["doc_id"])
        sel = np.flatnonzero((s_doc >= 0) & stats["pos"].isin(KEYWORD_POS).to_numpy(dtype=bool))
        if len(sel):
            s_term = stats["term"].to_numpy(dtype=object)[sel]
            term_codes, term_values = pd.factorize(s_term)
            tfidf = stats["tf"].to_numpy(dtype=np.float64)[sel] * keyword_idf(
                s_term, stats["idf"].to_numpy(dtype=np.float64)[sel], len(c.doc_values), cfg)
            idx, rank = _top_k(s_doc[sel], tfidf, _str_ranks(pd.Index(term_values))[term_codes], cfg.top_k)
            parts.append((s_doc[sel][idx], 0, rank, s_term[idx].tolist(), tfidf[idx].tolist()))
    g_doc, g_tok, g_score, g_rank = _textrank_all(tokens, c, cfg.window)
    if len(g_doc):
        idx, rank = _top_k(g_doc, g_score, g_rank, cfg.top_k)
        parts.append((g_doc[idx], 1, rank, c.tok_index.take(g_tok[idx]).tolist(), g_score[idx].tolist()))

    rows: list[tuple] = []
    if parts:
        doc = np.concatenate([p[0] for p in parts])
        method = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
        rank = np.concatenate([p[2] for p in parts])
        terms = [t for p in parts for t in p[3]]
        scores = [s for p in parts for s in p[4]]
        doc_values = c.doc_values.tolist()
        names = ("tfidf", "textrank")
        for i in np.lexsort((rank, method, doc)).tolist():
            rows.append((doc_values[doc[i]], names[method[i]], int(rank[i]), terms[i], float(scores[i])))
    out = pd.DataFrame(rows, columns=cols)
    out["rank"] = out["rank"].astype("int32")
    return out


# --- per-batch pieces ---------------------------------------------------------
# The flow segments a large corpus batch by batch and never holds all its tokens:
# counts and TextRank are per document, so each batch computes its own; IDF and
# the tf-idf ranking need every document and are finished once at the end.

DOC_TERM_COLUMNS = ["doc_id", "term", "pos", "count", "tf"]


def doc_term_counts(tokens: pd.DataFrame, stopwords: frozenset[str] | None = None, min_chars: int = 2) -> pd.DataFrame:
    """The per-document part of :func:`term_stats`: doc_id, term, pos, count, tf.

    Rows by document, then term in order of first appearance (not by tf-idf:
    :func:`term_stats_from_counts` orders the finished rows).
    """
    stopwords = load_stopwords() if stopwords is None else frozenset(stopwords)
    if tokens.empty:
        return pd.DataFrame(columns=DOC_TERM_COLUMNS)
    counts = _term_stats(_Coded.of(tokens, stopwords, min_chars), DOC_TERM_COLUMNS, counts_only=True)
    return counts.reset_index(drop=True) if len(counts) else pd.DataFrame(columns=DOC_TERM_COLUMNS)


def chunk_terms(tokens: pd.DataFrame, cfg: TermsConfig = TermsConfig(), codes=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`doc_term_counts` and :func:`textrank_keywords` of the same tokens, coding them once.

    Args:
        tokens: Rows of the ``tokens`` table, in table order.
        cfg: Keyword settings.
        codes: The tokens' text columns already numbered by first appearance
            (:class:`tasks.segment.TokenCodes`); numbered here when None.
    """
    if tokens.empty:
        return pd.DataFrame(columns=DOC_TERM_COLUMNS), pd.DataFrame(columns=column_names("keywords"))
    stopwords = load_stopwords(cfg.stopwords)
    if codes is None:
        c = _Coded.of(tokens, stopwords, cfg.min_chars)
    else:
        c = _Coded.from_codes(codes.doc, codes.doc_values, codes.token, codes.token_values, codes.pos,
                              codes.pos_values, stopwords, cfg.min_chars)
    counts = _term_stats(c, DOC_TERM_COLUMNS, counts_only=True)
    counts = counts.reset_index(drop=True) if len(counts) else pd.DataFrame(columns=DOC_TERM_COLUMNS)
    return counts, _keywords(tokens, c, pd.DataFrame(columns=column_names("term_stats")), cfg)


def term_stats_from_counts(
    counts: pd.DataFrame, n_docs: int, doc_order: list[str] | dict[str, int], df: np.ndarray | None = None,
    term_rank: np.ndarray | None = None,
) -> pd.DataFrame:
    """Finishes ``term_stats`` from the per-batch counts of every document.

    Args:
        counts: Rows of :func:`doc_term_counts` from all batches.
        n_docs: Documents that were segmented (the N of the IDF).
        doc_order: Documents in corpus order (or doc_id -> position); rows come
            out in that order, then by tf-idf descending, then term, as
            :func:`term_stats` orders them.
        df: Documents holding each row's term, over the whole corpus, when
            ``counts`` holds only some documents (see :func:`write_term_stats`);
            counted from ``counts`` when None.
        term_rank: Each row's term as a number in code point order (equal terms,
            equal numbers), when known already; ranked here when None.
    """
    return _term_stats_from_counts(counts, n_docs, doc_order, df, term_rank)[0]


def _term_stats_from_counts(
    counts: pd.DataFrame, n_docs: int, doc_order: list[str] | dict[str, int], df: np.ndarray | None,
    term_rank: np.ndarray | None, idf: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """:func:`term_stats_from_counts`, and the row of ``counts`` each output row comes from (None on the
    pandas path, for counts with a missing doc_id or term); ``idf`` per row when known already
    (:func:`corpus_idf` of df)."""
    cols = column_names("term_stats")
    if counts.empty:
        return pd.DataFrame(columns=cols), None
    out = counts[DOC_TERM_COLUMNS].reset_index(drop=True)
    if out["doc_id"].isna().any() or out["term"].isna().any():
        return _term_stats_from_counts_rows(out, n_docs, doc_order, cols, df), None
    # strings become integer codes once: df is a bincount, the sort one of numbers
    doc, doc_values = _factorize_runs(out["doc_id"])
    if df is None or term_rank is None:
        term, term_values = pd.factorize(out["term"])
        if df is None:
            df = np.bincount(term, minlength=len(term_values))[term]  # rows per distinct term
        if term_rank is None:
            term_rank = _str_ranks(term_values)[term]
    if idf is None:
        idf = corpus_idf(n_docs, df)
    tfidf = out["tf"].to_numpy(dtype=np.float64) * idf
    o = _sort_groups_desc(_doc_positions(doc_values, doc_order)[doc], tfidf, np.asarray(term_rank))
    out = out.take(o)
    out["count"] = out["count"].astype("int32")
    out["idf"] = idf[o]
    out["tfidf"] = tfidf[o]
    return out[cols].reset_index(drop=True), o


# Counts of a large corpus go to disk chunk by chunk (write_doc_terms, in the
# segmentation workers) and term_stats is finished one chunk at a time
# (write_term_stats): only the corpus-wide document frequency of each term is
# held whole, never the millions of (document, term) rows.

DOC_TERMS_SCHEMA = pa.schema([SCHEMAS["term_stats"].field(c) for c in DOC_TERM_COLUMNS])


def write_doc_terms(counts: pd.DataFrame, folder: Path | str, part: int) -> Path:
    """Writes one chunk's :func:`doc_term_counts` rows as ``<folder>/part-NNNNN.parquet`` (atomically).

    The rows of a document must all be in one part (a segmentation chunk holds whole documents).
    """
    table = pa.Table.from_pandas(counts[DOC_TERM_COLUMNS].astype({"count": "int32"}), schema=DOC_TERMS_SCHEMA,
                                 preserve_index=False)
    return write_table_file(table, Path(folder) / PART.format(part))


def copy_doc_terms(term_stats_root: Path | str, folder: Path | str, doc_ids: set[str], first_part: int) -> int:
    """Writes the counts of some documents, taken from an earlier run's ``term_stats``, as doc-terms parts.

    Their tf-idf is recomputed with this run's document frequencies, so only
    the per-document columns are kept. Returns the rows copied.
    """
    n = 0
    for i, path in enumerate(dataset_files("term_stats", term_stats_root)):
        table = pq.read_table(path, columns=DOC_TERM_COLUMNS, filters=[("doc_id", "in", sorted(doc_ids))])
        if table.num_rows:
            write_table_file(table.cast(DOC_TERMS_SCHEMA), Path(folder) / PART.format(first_part + i))
            n += table.num_rows
    return n


def finish_split_documents(
    parquet_root: Path | str, folder: Path | str, split_parts: dict[str, list[int]], cfg: TermsConfig | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Counts and TextRank of the documents that segmentation cut across chunks.

    Each chunk's worker leaves such documents out of its counts and keywords;
    here each one's tokens are read back from all its ``tokens`` parts (text
    columns as dictionaries: a document of millions of tokens stays small in
    memory) and its counts are added to the doc-terms part of its first chunk.

    Args:
        parquet_root: Snapshot holding the ``tokens`` parts.
        folder: Folder of the :func:`write_doc_terms` parts.
        split_parts: doc_id -> the chunk (part) numbers holding its tokens.
        cfg: Keyword settings.
        workers: Processes; documents are independent.

    Returns:
        The TextRank ``keywords`` rows of these documents.
    """
    cfg = cfg or TermsConfig()
    jobs = sorted((min(parts), doc, tuple(sorted(parts))) for doc, parts in split_parts.items())
    # documents sharing a first part are finished by one job, so one process rewrites that part
    by_part: dict[int, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
    for first, doc, parts in jobs:
        by_part[first].append((doc, parts))
    finish = functools.partial(_finish_split, parquet_root=str(parquet_root), folder=str(folder), cfg=cfg)
    # in a worker even for one document: the TextRank arrays of millions of tokens would
    # otherwise stay resident in the flow process under the warehouse stage
    out = map_in_processes(finish, sorted(by_part.items()), workers, isolate=True)
    return concat_frames(out, column_names("keywords"))


def _finish_split(job: tuple[int, list[tuple[str, tuple[int, ...]]]], parquet_root: str, folder: str,
                  cfg: TermsConfig) -> pd.DataFrame:
    first, docs = job
    counts, keys = [], []
    for doc, parts in docs:
        tables = [
            pq.read_table(Path(parquet_root) / "tokens" / PART.format(p), columns=["doc_id", "para_id", "token", "pos"],
                          filters=[("doc_id", "==", doc)], read_dictionary=["doc_id", "token", "pos"])
            for p in parts
        ]
        tokens = pa.concat_tables(tables, promote_options="permissive").to_pandas()
        c, k = chunk_terms(tokens, cfg)
        counts.append(c)
        keys.append(k)
    path = Path(folder) / PART.format(first)
    old = pq.read_table(path).to_pandas() if path.is_file() else pd.DataFrame(columns=DOC_TERM_COLUMNS)
    write_doc_terms(pd.concat([old, *counts], ignore_index=True), folder, first)
    return concat_frames(keys, column_names("keywords"))


def row_document_frequencies(files: list[Path]) -> list[np.ndarray]:
    """Documents holding each row's term, over all the given doc-terms parts: one array per part.

    Each (document, term) pair is one row, in one part, so a term's df is its
    row count (see :func:`_vocabulary`).
    """
    vocab = _vocabulary(files, None)
    return [vocab.df[codes] for codes in vocab.codes]


@dataclass(frozen=True)
class _Vocabulary:
    """Every term of the doc-terms parts, numbered once for all parts.

    Attributes:
        codes: Per part, each row's term number (missing terms: one number of their own, the last).
        df: Rows, so documents, holding each term.
        rank: Each term's place in code point order (how ties are broken).
        background: Each term's background IDF (see :func:`keyword_idf`); None without one.
        terms: The terms themselves, by number (missing terms have none).
    """

    codes: list[np.ndarray]
    df: np.ndarray
    rank: np.ndarray
    background: np.ndarray | None
    terms: pa.Array


def _vocabulary(files: list[Path], background_idf: Path | None) -> _Vocabulary:
    """Numbers the terms of all doc-terms parts against one dictionary.

    The term columns are read as the Parquet files' own dictionaries and the
    dictionaries unified (Arrow), so a term string is hashed once per part it
    is in, not once per row; ranks and background IDF are then found once per
    distinct term instead of once per part.
    """
    columns = [pq.read_table(p, columns=["term"], read_dictionary=["term"]).column("term") for p in files]
    chunks = [chunk for column in columns for chunk in column.chunks]
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return _Vocabulary([empty for _ in files], empty, empty, None if background_idf is None else np.zeros(0),
                           pa.array([], type=pa.string()))
    unified = pa.chunked_array(chunks, type=chunks[0].type).unify_dictionaries()
    terms = unified.chunks[0].dictionary
    n_terms = len(terms)
    codes = np.concatenate([c.indices.fill_null(n_terms).to_numpy().astype(np.int64) for c in unified.chunks])
    df = np.bincount(codes, minlength=n_terms + 1)  # missing terms count together, like a value
    rank = np.empty(n_terms + 1, dtype=np.int64)
    rank[pc.array_sort_indices(terms).to_numpy()] = np.arange(n_terms)
    rank[n_terms] = n_terms
    background = None
    if background_idf is not None:
        background = np.append(_background_of_distinct(terms, str(background_idf)), np.nan)
    return _Vocabulary(np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), df, rank, background, terms)


def write_term_stats(
    folder: Path | str,
    parquet_root: Path | str,
    n_docs: int,
    doc_order: list[str],
    cfg: TermsConfig | None = None,
    workers: int = 1,
) -> tuple[int, pd.DataFrame]:
    """Finishes ``term_stats`` part by part from the doc-terms parts of a folder.

    Args:
        folder: Folder of :func:`write_doc_terms` / :func:`copy_doc_terms` parts.
        parquet_root: Snapshot to write the ``term_stats`` dataset into, one
            part per doc-terms part (each in :func:`term_stats_from_counts` order).
        n_docs: Documents that were segmented (the N of the IDF).
        doc_order: Documents in corpus order.
        cfg: Keyword settings (top_k).
        workers: Processes finishing parts (each part is independent once df is known).

    Returns:
        (rows written, the tfidf ``keywords`` rows of every document).
    """
    cfg = cfg or TermsConfig()
    files = _doc_term_files(folder)
    vocab = _vocabulary(files, cfg.background_idf)
    state = (str(parquet_root), n_docs, _positions(doc_order), cfg, vocab, corpus_idf(n_docs, vocab.df))
    done = map_with_state(_finish_part, state, list(zip(files, range(len(files)))), workers)
    rows = sum(n for n, _ in done)
    if not rows:
        write_part(pd.DataFrame(columns=column_names("term_stats")), "term_stats", parquet_root, 0)
    return rows, concat_frames([k for _, k in done], column_names("keywords"))


def _finish_part(state: tuple, job: tuple[Path, int]) -> tuple[int, pd.DataFrame]:
    """Writes one term_stats part from one doc-terms part; returns its row count and tfidf keywords.

    In Arrow and numpy, no pandas: the text columns are read as the file's
    dictionaries (each distinct doc_id and tag decoded once) and the terms come
    from the vocabulary by number, so term strings are not read a second time.
    """
    parquet_root, n_docs, positions, cfg, vocab, idf = state
    path, i = job
    codes = vocab.codes[i]
    table = pq.read_table(path, columns=["doc_id", "pos", "count", "tf"], read_dictionary=["doc_id", "pos"])
    if not table.num_rows or any(c.null_count for c in table.columns) or np.any(codes == len(vocab.terms)):
        return _finish_part_frame(state, job)  # (an empty part, or one with missing values: pandas' rules)
    doc, doc_values = _dictionary_codes(table.column("doc_id"))
    pos, pos_values = _dictionary_codes(table.column("pos"))
    tf = table.column("tf").to_numpy()
    row_idf = idf[codes]
    tfidf = tf * row_idf
    o = _sort_groups_desc(_doc_positions(doc_values.to_pylist(), positions)[doc], tfidf, vocab.rank[codes])
    doc, term, pos, tf, row_idf, tfidf = doc[o], codes[o], pos[o], tf[o], row_idf[o], tfidf[o]
    stats = pa.table([doc_values.take(doc), vocab.terms.take(term), pos_values.take(pos),
                      table.column("count").take(o), tf, row_idf, tfidf], schema=SCHEMAS["term_stats"])
    write_table_file(stats, Path(parquet_root) / "term_stats" / PART.format(int(path.stem.split("-")[1])))
    # tfidf_keywords over these rows: documents numbered in order of first appearance, as it numbers them
    rows = np.flatnonzero(pc.is_in(pos_values, value_set=_string_set(KEYWORD_POS)).to_numpy(zero_copy_only=False)[pos])
    term_rows = term[rows]
    score = tf[rows] * keyword_idf(None, row_idf[rows], n_docs, cfg,
                                   None if vocab.background is None else vocab.background[term_rows])
    top, rank = _top_k_rows(pd.factorize(doc)[0][rows], score, cfg.top_k, lambda at: vocab.rank[term_rows[at]])
    keys = pd.DataFrame({"doc_id": doc_values.take(doc[rows[top]]).to_numpy(zero_copy_only=False),
                         "method": "tfidf", "rank": rank.astype("int32"),
                         "term": vocab.terms.take(term_rows[top]).to_numpy(zero_copy_only=False), "score": score[top]})
    return len(stats), keys[column_names("keywords")]


def _finish_part_frame(state: tuple, job: tuple[Path, int]) -> tuple[int, pd.DataFrame]:
    """:func:`_finish_part` through pandas, which ranks missing values as it sorts them."""
    parquet_root, n_docs, positions, cfg, vocab, idf = state
    path, i = job
    codes = vocab.codes[i]
    stats, o = _term_stats_from_counts(pq.read_table(path).to_pandas(), n_docs, positions, vocab.df[codes],
                                       vocab.rank[codes], idf[codes])
    write_part(stats, "term_stats", parquet_root, int(path.stem.split("-")[1]))
    if o is None:  # (counts with a missing doc_id or term: ranked by pandas)
        return len(stats), tfidf_keywords(stats, cfg, n_docs)
    codes = codes[o]
    background = None if vocab.background is None else vocab.background[codes]
    return len(stats), tfidf_keywords(stats, cfg, n_docs, vocab.rank[codes], background)


def _dictionary_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Each row's number and the distinct values of a column read as a dictionary (non-empty, no nulls)."""
    unified = column.unify_dictionaries()
    codes = np.concatenate([c.indices.to_numpy().astype(np.int64) for c in unified.chunks])
    return codes, unified.chunks[0].dictionary


def _doc_term_files(folder: Path | str) -> list[Path]:
    folder = Path(folder)
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _term_stats_from_counts_rows(
    out: pd.DataFrame, n_docs: int, doc_order: list[str] | dict[str, int], cols: list[str], df: np.ndarray | None
) -> pd.DataFrame:
    """:func:`term_stats_from_counts` with pandas' sort, for counts with a missing doc_id or term."""
    if df is None:
        df = out.groupby("term", sort=False, dropna=False)["doc_id"].transform("size").to_numpy()
    out["idf"] = corpus_idf(n_docs, df)
    out["tfidf"] = out["tf"].to_numpy(dtype=np.float64) * out["idf"].to_numpy()
    out["_doc"] = out["doc_id"].map(_positions(doc_order))
    out = out.sort_values(["_doc", "tfidf", "term"], ascending=[True, False, True], kind="mergesort")
    out["count"] = out["count"].astype("int32")
    return out[cols].reset_index(drop=True)


def corpus_idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    """term_stats' idf, ``ln(N / (1 + df)) + 1``, of each document frequency in df.

    math.log, not np.log, as :func:`term_stats` does (the two may differ in the
    last bit), once per distinct value.
    """
    ratio = n_docs / (1.0 + np.asarray(df, dtype=np.float64))
    uniq, inv = np.unique(ratio, return_inverse=True)
    return np.array([math.log(x) for x in uniq.tolist()], dtype=np.float64)[inv] + 1.0


def _factorize_runs(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize`` of values without missing ones, hashing only the first value of each
    run of equal neighbours (a doc_id column repeats each document's id over its rows)."""
    if len(values) < 2:
        return pd.factorize(values)
    arr = values.array
    heads = np.flatnonzero(np.r_[True, np.asarray(arr[1:] != arr[:-1], dtype=bool)])
    codes, uniques = pd.factorize(values.take(heads))
    return np.repeat(codes, np.diff(np.r_[heads, len(values)])), uniques


def _positions(doc_order: list[str] | dict[str, int]) -> dict[str, int]:
    """doc_id -> position in doc_order (its last one if listed twice)."""
    return doc_order if isinstance(doc_order, dict) else {d: i for i, d in enumerate(doc_order)}


def _doc_positions(doc_values, doc_order: list[str] | dict[str, int]) -> np.ndarray:
    """Position in doc_order of each distinct doc_id (its last one if listed twice), as ``map`` of
    a dict gives; one past the last position for one not listed, which sorts after all, together, like NaN."""
    position = _positions(doc_order)
    missing = max(position.values(), default=-1) + 1
    return np.array([position.get(d, missing) for d in doc_values], dtype=np.int64)


def _sort_groups_desc(group: np.ndarray, score: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """``np.lexsort((tie, -score, group))``: by group, score descending (NaN last), then tie; stable.

    As pandas' ``sort_values([group, score, tie], ascending=[True, False, True], kind="mergesort")``
    for integer group and tie codes. Two passes of ``np.sort`` over keys packed into 64-bit
    integers with the row number in the low bits (stable, and several times faster than an
    indirect sort): by tie, then by group and score descending with the first pass's position
    as last key. The score enters the second key as its order-preserving integer image cut to
    the bits left; rows whose cut scores collide but whose scores differ are then re-sorted.
    """
    n = len(group)
    if n == 0:
        return np.arange(0)
    rb = (n - 1).bit_length()
    gb, tb = int(group.max()).bit_length(), int(tie.max()).bit_length()
    sb = 64 - gb - rb  # bits left for the score
    if group.min() < 0 or tie.min() < 0 or tb + rb > 64 or sb < 16 or np.isnan(score).any():
        return _sort_groups_desc_blocks(group, score, tie)
    # (in-place steps: the arrays are large and each new one costs page faults)
    row = np.arange(n, dtype=np.uint64)
    low = np.uint64((1 << rb) - 1)
    if np.all(group[1:] >= group[:-1]) and np.all((group[1:] != group[:-1]) | (tie[1:] >= tie[:-1])):
        # rows already by group then tie (TextRank's nodes): within a group, row order is tie order
        by_tie = at = row
    else:
        by_tie = tie.astype(np.uint64)
        by_tie <<= np.uint64(rb)
        by_tie |= row
        by_tie.sort()
        by_tie &= low
        at = np.empty(n, dtype=np.uint64)
        at[by_tie] = row
    del row
    bits = (score + 0.0).view(np.uint64)  # + 0.0: -0.0 becomes 0.0, which it equals
    key = np.where(bits >> np.uint64(63) == 1, bits, ~(bits | np.uint64(1 << 63)))  # larger score, smaller key
    del bits
    key -= key.min()
    shift = max(0, int(key.max()).bit_length() - sb)
    key >>= np.uint64(shift)
    key <<= np.uint64(rb)
    key |= at
    del at
    key |= group.astype(np.uint64) << np.uint64(sb + rb)
    key.sort()
    o = by_tie[key & low].astype(np.int64)
    if shift:
        high = key >> rb
        same = high[1:] == high[:-1]
        split = same & (score[o[1:]] != score[o[:-1]])
        if split.any():
            run = np.cumsum(np.r_[True, ~same])
            pos = np.flatnonzero(np.isin(run, run[1:][split]))
            sub = o[pos]
            o[pos] = sub[np.lexsort((-score[sub], run[pos]))]
    return o


def _sort_groups_desc_blocks(group: np.ndarray, score: np.ndarray, tie: np.ndarray, block: int = 1 << 14) -> np.ndarray:
    """:func:`_sort_groups_desc` for any numbers: the rows in group order, then a lexsort per
    block of whole groups of about ``block`` rows (in cache, unlike one lexsort of all)."""
    n = len(group)
    o = np.arange(n) if np.all(group[1:] >= group[:-1]) else np.argsort(group, kind="stable")
    g = group[o]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    cuts = np.unique(np.r_[starts[np.searchsorted(starts, np.arange(0, n, block), side="right") - 1], n])
    neg = -score
    for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        seg = o[lo:hi]
        o[lo:hi] = seg[np.lexsort((tie[seg], neg[seg], g[lo:hi]))]
    return o


def _group_starts(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values of a non-empty array."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return starts, np.diff(np.r_[starts, len(group)])


def _top_k_candidates(group: np.ndarray, score: np.ndarray, k: int) -> np.ndarray | None:
    """Rows that can be among each group's best k by score descending (NaN last), whatever the
    tie-break: the first k of a group and those tied with its k-th; None unless the rows are
    already by group (in runs of increasing numbers)."""
    if len(group) == 0 or not np.all(group[1:] >= group[:-1]):
        return None
    same = group[1:] == group[:-1]
    nan = np.isnan(score)
    if not np.all(~same | nan[1:] | (~nan[:-1] & (score[1:] <= score[:-1]))):
        return _top_k_partitioned(group, score, k)
    starts, sizes = _group_starts(group)
    at = np.arange(len(group)) - np.repeat(starts, sizes)
    kth = np.repeat(score[np.minimum(starts + k - 1, len(group) - 1)], sizes)  # rows of a small group all have at < k
    return np.flatnonzero((at < k) | (score == kth) | (nan & np.isnan(kth)))


def _top_k_partitioned(group: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """:func:`_top_k_candidates` of rows by group but not by score (the keywords' blended score is not
    term_stats' tf-idf): each group's rows scoring at least its k-th best, found by a partition, not a sort."""
    starts, sizes = _group_starts(group)
    keep = np.ones(len(group), dtype=bool)  # a group of at most k rows is kept whole
    large = sizes > k
    for lo, n in zip(starts[large].tolist(), sizes[large].tolist()):
        run = score[lo:lo + n]
        kth = -np.partition(-run, k - 1)[k - 1]  # NaN goes last, as in the ranking
        if not np.isnan(kth):  # (a NaN k-th: every row of the group can be in the top k)
            keep[lo:lo + n] = run >= kth
    return np.flatnonzero(keep)


def tfidf_keywords(stats: pd.DataFrame, cfg: TermsConfig = TermsConfig(), n_docs: int | None = None,
                   term_rank: np.ndarray | None = None, background: np.ndarray | None = None) -> pd.DataFrame:
    """Each document's top_k keyword-like terms by tf times :func:`keyword_idf` (ties by term), from ``term_stats``.

    Args:
        stats: ``term_stats`` rows (tf and idf used).
        cfg: Keyword settings (top_k, background_idf).
        n_docs: N of the IDF (documents of the run); the documents in ``stats`` when None.
        term_rank: Each row's term as a number in code point order, when known already.
        background: Each row's background IDF (see :func:`keyword_idf`), when looked up already.
    """
    cols = column_names("keywords")
    if stats.empty:
        return pd.DataFrame(columns=cols)
    n_docs = int(stats["doc_id"].nunique()) if n_docs is None else n_docs
    if stats["doc_id"].isna().any() or stats["term"].isna().any():
        return _tfidf_keywords_rows(stats, cfg, cols, n_docs)
    doc = _factorize_runs(stats["doc_id"])[0]  # documents in order of first appearance, as pd.unique
    rows = np.flatnonzero(stats["pos"].isin(KEYWORD_POS).to_numpy(dtype=bool))
    terms = stats["term"].take(rows)
    score = stats["tf"].to_numpy(dtype=np.float64, na_value=np.nan)[rows] * keyword_idf(
        terms, stats["idf"].to_numpy(dtype=np.float64, na_value=np.nan)[rows], n_docs, cfg,
        None if background is None else np.asarray(background)[rows])
    doc = doc[rows]
    if term_rank is None:
        def tie(at: np.ndarray) -> np.ndarray:
            term, term_values = pd.factorize(terms.take(at))
            return _str_ranks(term_values)[term]
    else:
        def tie(at: np.ndarray) -> np.ndarray:
            return np.asarray(term_rank)[rows[at]]
    at, rank = _top_k_rows(doc, score, cfg.top_k, tie)
    top = stats.take(rows[at])
    out = pd.DataFrame({"doc_id": top["doc_id"].to_numpy(), "method": "tfidf", "rank": rank.astype("int32"),
                        "term": top["term"].to_numpy(), "score": score[at]})
    return out[cols]


def _top_k_rows(group: np.ndarray, score: np.ndarray, k: int, tie) -> tuple[np.ndarray, np.ndarray]:
    """Each group's best k rows by score descending (NaN last), ties by ``tie(rows)`` (numbers in
    the tie-break's order), in that order, and their rank in the group (from 1)."""
    cand = _top_k_candidates(group, score, k)
    at = np.arange(len(group)) if cand is None else cand  # only these need ordering by tie
    group = group[at]
    o = _sort_groups_desc(group, score[at], tie(at))
    rank = np.arange(1, len(o) + 1)
    if len(o):
        starts, sizes = _group_starts(group[o])
        rank -= np.repeat(starts, sizes)
    keep = rank <= k
    return at[o[keep]], rank[keep]


def _tfidf_keywords_rows(stats: pd.DataFrame, cfg: TermsConfig, cols: list[str], n_docs: int) -> pd.DataFrame:
    """:func:`tfidf_keywords` with pandas' sort, for stats with a missing doc_id or term."""
    s = stats[stats["pos"].isin(KEYWORD_POS)]
    s = s.assign(_doc=s["doc_id"].map({d: i for i, d in enumerate(pd.unique(stats["doc_id"]))}),
                 tfidf=s["tf"].to_numpy(dtype=np.float64) * keyword_idf(s["term"].tolist(), s["idf"].to_numpy(), n_docs, cfg))
    s = s.sort_values(["_doc", "tfidf", "term"], ascending=[True, False, True], kind="mergesort")
    s = s.assign(rank=s.groupby("_doc", sort=False).cumcount() + 1)
    s = s[s["rank"] <= cfg.top_k]
    out = pd.DataFrame({"doc_id": s["doc_id"].to_numpy(), "method": "tfidf", "rank": s["rank"].astype("int32").to_numpy(),
                        "term": s["term"].to_numpy(), "score": s["tfidf"].astype("float64").to_numpy()})
    return out[cols]


def textrank_keywords(tokens: pd.DataFrame, cfg: TermsConfig = TermsConfig()) -> pd.DataFrame:
    """Each document's top_k terms by TextRank over its own tokens (documents are independent)."""
    return keywords(tokens, pd.DataFrame(columns=column_names("term_stats")), cfg)


def merge_keywords(tfidf: pd.DataFrame, textrank: pd.DataFrame, doc_order: list[str]) -> pd.DataFrame:
    """Both methods' keywords in :func:`keywords`' order: by document, tfidf then textrank, by rank."""
    cols = column_names("keywords")
    frames = [f[cols] for f in (tfidf, textrank) if len(f)]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    method = (out["method"] == "textrank").to_numpy(dtype=np.int64)
    if out["doc_id"].isna().any():
        out = out.assign(_doc=out["doc_id"].map(_positions(doc_order)), _m=method)
        out = out.sort_values(["_doc", "_m", "rank"], kind="mergesort")
    else:
        doc, doc_values = pd.factorize(out["doc_id"])
        out = out.take(np.lexsort((out["rank"].to_numpy(), method, _doc_positions(doc_values, doc_order)[doc])))
    out["rank"] = out["rank"].astype("int32")
    return out[cols].reset_index(drop=True)
