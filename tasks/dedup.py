"""Dedup stage: exact, fragment and splice duplicates of paragraphs and documents.

Takes ``documents`` and cleaned ``paragraphs`` and gives both back with
``is_duplicate`` set (documents also ``duplicate_of``), plus the lineage table
``paragraph_duplicates`` (dropped paragraph -> kept paragraph, method, score).
Nothing is deleted.

Method, in the order applied (documents ordered by source_file, source_ordinal,
so the first occurrence is the one kept):

1. Whole documents whose normalised text equals an earlier document's.
2. Exact paragraphs: a normalised key (NFKC, lower case, no whitespace, quote
   marks unified; digits kept, since a changed number is a different fact)
   hashed with xxh3, as in cc_net's ``dedup.py`` (compute_hashes).
3. Fragments and splices by *containment*, not Jaccard: symmetric similarity
   scores a 60-character piece of a 150-character paragraph about 0.4, so
   instead each paragraph's character n-grams are checked against the n-grams
   of one kept paragraph (containment) or two (splice: the best source, then
   the paragraph holding most of what it misses). All n-gram hashes go into
   one inverted index built by a single sort; candidate sources come from
   n-grams shared by at most ``max_df`` paragraphs, and a paragraph whose
   n-grams no earlier paragraph holds is passed over without any pairwise
   work, so cost grows about linearly with the corpus (never all pairs).
   A paragraph counts as covered only if every sentence is mostly covered
   and its uncovered n-grams form at most ``max_junctions`` internal runs
   shorter than one n-gram (a splice seam; none for a single source), plus
   a short run at an edge where the page layout cut the sentence (debris
   such as '转型步伐,' before a copied tail). A run a whole n-gram long means
   a character the sources do not have -- a sentence found nowhere else --
   and the paragraph is kept. A kept paragraph contained in a later kept one
   yields to it (keep the container).
4. Documents whose body paragraphs all duplicate one other document.

Only body and caption paragraphs are deduplicated: headings, bylines and
tables legitimately repeat ('预期性', '主要指标').
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xxhash

from tasks.schemas import column_names

PARAGRAPH_OUT_COLUMNS = column_names("paragraphs")
DUPLICATE_COLUMNS = column_names("paragraph_duplicates")

METHOD_EXACT = "exact"
METHOD_CONTAINMENT = "containment"
METHOD_SPLICE = "splice"
METHOD_MINHASH = "minhash"

DEDUP_KINDS = frozenset({"body", "caption"})

_WS = re.compile(r"\s+")
_QUOTE_RE = re.compile("[“”„‟「」『』〝〞＂‘’‚‛＇]")


def _quote(m: re.Match[str]) -> str:
    return "'" if m.group() in "‘’‚‛＇" else '"'


_BASE = np.uint64(0x100000001B3)


# A paragraph ends a sentence if its last non-closer character is one of
# these; a colon ends a lead-in ("以下六方面工作:"), not a cut sentence.
_TERMINAL = frozenset("。!?;!?;…::")
_CLOSERS = frozenset("”’\"')）]】》」』")


def ends_unterminated(text: str) -> bool:
    """Tells whether text ends mid-sentence (no terminal punctuation at its end).

    Args:
        text: Cleaned paragraph text.

    Returns:
        True when the last character, ignoring closing quotes and brackets, is
        not one of 。!?;…: (full- or half-width).
    """
    t = text.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1]
    return bool(t) and t[-1] not in _TERMINAL


def dedup_key(text: str) -> str:
    """Returns the normalised key of a text used for hashing and n-grams.

    Args:
        text: Cleaned paragraph text.

    Returns:
        NFKC, lower-cased text without whitespace and with quote marks unified,
        so full-/half-width punctuation and spacing variants compare equal.
    """
    text = text or ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _WS.sub("", _QUOTE_RE.sub(_quote, text.lower()))


def ngram_hashes(key: str, n: int) -> np.ndarray:
    """Hashes every character n-gram of a key.

    Args:
        key: A dedup key (see dedup_key).
        n: Characters per n-gram.

    Returns:
        uint64 array with one hash per n-gram start position (empty if the key
        is shorter than n). A polynomial hash over code points, vectorised with
        numpy and mixed with the splitmix64 finaliser; deterministic across runs.
    """
    if len(key) < n:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = len(cps) - n + 1
    with np.errstate(over="ignore"):
        h = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            h = h * _BASE + cps[k : k + m]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def ngram_hashes_many(keys: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes the n-grams of many keys at once (same values as ngram_hashes).

    Args:
        keys: Dedup keys.
        n: Characters per n-gram.

    Returns:
        (hashes, counts): all keys' n-gram hashes concatenated in key order, and
        how many belong to each key. One numpy pass over the joined text is
        much faster than one call per short paragraph.
    """
    lens = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    counts = np.maximum(lens - n + 1, 0)
    if not counts.sum():
        return np.zeros(0, dtype=np.uint64), counts
    cps = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = len(cps) - n + 1
    with np.errstate(over="ignore"):
        h = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            h = h * _BASE + cps[k : k + m]
        # keep only windows that start and end inside one key
        starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
        pos = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)
        h = h[pos]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h, counts


@dataclass(frozen=True)
class DedupConfig:
    """Settings of the dedup stage.

    Attributes:
        ngram: Characters per n-gram of the containment index.
        min_exact_chars: Shortest key deduplicated by exact match.
        min_containment_chars: Shortest key tested for containment/splice.
        max_df: N-grams held by more paragraphs than this are boilerplate and
            do not propose candidate sources (they still count for coverage).
        candidates: Kept source candidates (by shared rare n-grams) examined
            per paragraph for containment and as first splice source.
        edge_tolerance: Uncovered n-grams allowed at an end of a paragraph
            where the page layout cut a sentence (debris such as '转型步伐,'
            glued before a copied tail); keep it below ngram, like a seam, so
            an edited character near the edge still keeps the paragraph.
        max_junctions: Internal uncovered runs (seams, each shorter than one
            n-gram) allowed in a splice of two sources; none in a containment.
        min_coverage: Share of a duplicate's n-grams its sources must cover.
        min_part: N-grams each source of a splice must contribute on its own.
        min_sentence_coverage: Share of each sentence's characters that must lie
            in covered n-grams (a short unique sentence keeps its paragraph).
    """

    ngram: int = 5
    min_exact_chars: int = 2
    min_containment_chars: int = 10
    max_df: int = 24
    candidates: int = 4
    edge_tolerance: int = 4
    max_junctions: int = 2
    min_coverage: float = 0.8
    min_part: int = 12
    min_sentence_coverage: float = 0.8

    def __post_init__(self) -> None:
        if not 2 <= self.ngram <= 16:
            raise ValueError("ngram must be between 2 and 16")
        if self.min_exact_chars < 1:
            raise ValueError("min_exact_chars must be >= 1")
        if self.min_containment_chars < self.ngram:
            raise ValueError("min_containment_chars must be >= ngram")
        if self.max_df < 2:
            raise ValueError("max_df must be >= 2")
        if self.candidates < 1:
            raise ValueError("candidates must be >= 1")
        if self.edge_tolerance < 0:
            raise ValueError("edge_tolerance must be >= 0")
        if self.max_junctions < 0:
            raise ValueError("max_junctions must be >= 0")
        if not 0.0 < self.min_coverage <= 1.0:
            raise ValueError("min_coverage must be in (0, 1]")
        if not 0.0 < self.min_sentence_coverage <= 1.0:
            raise ValueError("min_sentence_coverage must be in (0, 1]")
        if self.min_part < 1:
            raise ValueError("min_part must be >= 1")


@dataclass(frozen=True)
class DedupResult:
    """Output of dedup_corpus.

    Attributes:
        documents: Input documents with is_duplicate, duplicate_of and n_paragraphs set.
        paragraphs: Paragraphs (PARAGRAPH_OUT_COLUMNS) with is_duplicate.
        paragraph_duplicates: Lineage, one row per (dropped paragraph, source);
            a splice has one row per source.
        stats: Counts: paragraphs_in, paragraphs_kept, dropped_exact,
            dropped_containment, dropped_splice, dropped_document (paragraphs
            of whole-document duplicates), documents_in, documents_duplicate.
    """

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    paragraph_duplicates: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


_SENT_END = frozenset("。!?;…")


def _sentences_covered(covered: np.ndarray, key: str, cfg: DedupConfig) -> bool:
    """Checks that every sentence has most of its characters inside covered n-grams.

    A splice seam or the debris at a cut edge leaves a few characters of one
    long sentence uncovered; a short sentence found nowhere else ('8.推进城乡
    电网建设。' before a copied tail) leaves most of its own characters uncovered.
    """
    n = cfg.ngram
    delta = np.zeros(len(key) + 1, dtype=np.int32)
    starts = np.flatnonzero(covered)
    np.add.at(delta, starts, 1)
    np.add.at(delta, starts + n, -1)
    char_cov = np.cumsum(delta[:-1]) > 0
    begin = 0
    for i, ch in enumerate(key):
        end = i + 1 if ch in _SENT_END else (len(key) if i == len(key) - 1 else None)
        if end is None:
            continue
        if end - begin >= 2 and char_cov[begin:end].mean() < cfg.min_sentence_coverage:
            return False
        begin = end
    return True


def covered_ok(
    covered: np.ndarray,
    key: str,
    cfg: DedupConfig,
    junctions_allowed: int = 0,
    cut_edges: tuple[bool, bool] = (False, False),
) -> bool:
    """Decides whether a paragraph is a duplicate given which n-grams are covered.

    Args:
        covered: Per n-gram start position, whether the sources hold that n-gram.
        key: The paragraph's dedup key (its sentence ends are checked).
        cfg: Dedup settings.
        junctions_allowed: Internal uncovered runs tolerated: 0 for one source
            (an internal gap there is an edit, e.g. a deleted word), up to
            max_junctions for a splice of two sources.
        cut_edges: Whether the paragraph (start, end) lies at a mid-sentence
            page cut; only there is a short uncovered run debris of the cut
            (elsewhere it is an edit near the edge and keeps the paragraph).

    Returns:
        True when coverage is at least min_coverage, each sentence is mostly
        covered, and every uncovered run is either an edge run of at most
        edge_tolerance n-grams or one of at most junctions_allowed internal
        runs shorter than one n-gram.
    """
    m = len(covered)
    hit = int(np.count_nonzero(covered))
    if m == 0 or hit < cfg.min_coverage * m:
        return False
    if hit == m:
        return True
    if not _sentences_covered(covered, key, cfg):
        return False
    miss = ~covered
    d = np.diff(np.concatenate(([0], miss.view(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    junctions = 0
    for s, e in zip(starts.tolist(), ends.tolist()):
        run = e - s
        if s == 0 or e == m:
            cut = (s == 0 and cut_edges[0]) or (e == m and cut_edges[1])
            if not cut or run > cfg.edge_tolerance:
                return False
            continue
        if run >= cfg.ngram:
            # a whole n-gram window is new: some character the sources lack
            return False
        junctions += 1
        if junctions > junctions_allowed:
            return False
    return True


@dataclass(frozen=True)
class _Index:
    """Inverted n-gram index over all candidate paragraphs, built by one sort.

    Attributes:
        g: Distinct (n-gram, paragraph) entries sorted by n-gram, their hashes.
        o: The paragraph of each entry.
        start: Per n-gram group, its first entry in g/o.
        size: Per n-gram group, how many paragraphs hold it.
        occ_group: Per n-gram occurrence (paragraphs concatenated), its group.
        earlier_any: Per occurrence, whether some earlier paragraph holds it.
        later_any: Per occurrence, whether some later paragraph holds it.
    """

    g: np.ndarray
    o: np.ndarray
    start: np.ndarray
    size: np.ndarray
    occ_group: np.ndarray
    earlier_any: np.ndarray
    later_any: np.ndarray


def _build_index(gram: np.ndarray, owner: np.ndarray) -> _Index:
    """Builds the inverted index of n-gram occurrences (gram[i] held by paragraph owner[i])."""
    if len(gram) == 0:
        z64, z32, zb = np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, bool)
        return _Index(z64, z32, np.zeros(0, np.int64), np.zeros(0, np.int64), z32, zb, zb)
    # owner ascends with position, so a stable sort by n-gram also orders
    # each n-gram's holders (same result as lexsort, less time and memory)
    order = np.argsort(gram, kind="stable")
    g = gram[order]
    o = owner[order]
    new_group = np.ones(len(g), dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    occ_group = np.empty(len(g), dtype=np.int32)
    occ_group[order] = np.cumsum(new_group, dtype=np.int32) - 1
    del order
    # holders are sorted inside a group: first and last owner bound "earlier"/"later"
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], len(g)) - 1
    earlier_any = o[starts][occ_group] < owner
    later_any = o[ends][occ_group] > owner
    del starts, ends
    keep = np.ones(len(g), dtype=bool)
    keep[1:] = new_group[1:] | (o[1:] != o[:-1])
    del new_group
    g, o = g[keep], o[keep]
    first = np.ones(len(g), dtype=bool)
    first[1:] = g[1:] != g[:-1]
    start = np.flatnonzero(first)
    size = np.diff(np.append(start, len(g)))
    return _Index(g, o, start, size, occ_group, earlier_any, later_any)


def _candidate_pairs(index: _Index, max_df: int) -> pd.DataFrame:
    """Counts shared n-grams between paragraphs through the inverted index.

    Args:
        index: The inverted n-gram index.
        max_df: Skip n-grams held by more paragraphs than this.

    Returns:
        DataFrame (a, b, shared) with a < b, one row per pair of paragraphs
        sharing at least one non-boilerplate n-gram.
    """
    empty = pd.DataFrame({"a": [], "b": [], "shared": []})
    wanted = (index.size >= 2) & (index.size <= max_df)
    if not wanted.any():
        return empty
    # only n-grams shared by a few paragraphs make pairs: select them first,
    # so the pair loop runs over a small array
    mask = np.repeat(wanted, index.size)
    o = index.o[mask]
    gid = np.repeat(np.arange(len(index.size), dtype=np.int32), index.size)[mask]
    del mask
    a_parts, b_parts = [], []
    for k in range(1, max_df):
        if k >= len(gid):
            break
        same = gid[k:] == gid[:-k]
        if not same.any():
            break
        a_parts.append(o[:-k][same])
        b_parts.append(o[k:][same])
    if not a_parts:
        return empty
    width = int(index.o.max()) + 1
    key = np.concatenate(a_parts).astype(np.int64) * width + np.concatenate(b_parts)
    del a_parts, b_parts
    pair, shared = np.unique(key, return_counts=True)
    return pd.DataFrame({"a": pair // width, "b": pair % width, "shared": shared})


def _one_seam(cov_x: np.ndarray, cov_y: np.ndarray) -> bool:
    """A splice is one source's text, then the other's: their own n-grams do not interleave."""
    only_x = np.flatnonzero(cov_x & ~cov_y)
    only_y = np.flatnonzero(cov_y & ~cov_x)
    return only_x[-1] < only_y[0] or only_y[-1] < only_x[0]


def _top(pairs: pd.DataFrame, by: str, other: str, k: int) -> dict[int, list[int]]:
    if pairs.empty:
        return {}
    s = pairs.sort_values([by, "shared", other], ascending=[True, False, True], kind="stable")
    s = s.groupby(by, sort=False).head(k)
    out: dict[int, list[int]] = {}
    for x, y in zip(s[by].tolist(), s[other].tolist()):
        out.setdefault(int(x), []).append(int(y))
    return out


def _resolve(x: int, parent: dict[int, int]) -> int:
    seen = set()
    while x in parent and x not in seen:
        seen.add(x)
        x = parent[x]
    return x


def dedup_corpus(
    documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: DedupConfig = DedupConfig()
) -> DedupResult:
    """Marks duplicate paragraphs and documents and records lineage.

    Args:
        documents: Documents with at least doc_id, source_file, source_ordinal.
        paragraphs: Cleaned paragraphs (doc_id, para_id, kind, section, text, n_chars).
        cfg: Dedup settings.

    Returns:
        DedupResult; paragraphs come ordered by document (source_file,
        source_ordinal) then para_id, documents in their input order.
    """
    for col in ("doc_id", "source_file", "source_ordinal"):
        if col not in documents.columns:
            raise ValueError(f"documents lacks column {col!r}")
    for col in ("doc_id", "para_id", "kind", "section", "text"):
        if col not in paragraphs.columns:
            raise ValueError(f"paragraphs lacks column {col!r}")
    docs = documents.copy()
    rank_df = docs[["doc_id", "source_file", "source_ordinal"]].drop_duplicates("doc_id")
    rank_df = rank_df.sort_values(["source_file", "source_ordinal", "doc_id"], kind="stable")
    doc_rank = {d: i for i, d in enumerate(rank_df["doc_id"].tolist())}
    paras = paragraphs.copy()
    # paragraphs of unknown documents go last, in their own order
    paras["_rank"] = paras["doc_id"].map(doc_rank).fillna(len(doc_rank)).astype(int)
    paras = paras.sort_values(["_rank", "doc_id", "para_id"], kind="stable").reset_index(drop=True)
    if "n_chars" not in paras.columns:
        paras["n_chars"] = paras["text"].str.len()
    n = len(paras)
    texts = paras["text"].fillna("").tolist()
    kinds = paras["kind"].tolist()
    pdoc = paras["doc_id"].tolist()
    ppid = paras["para_id"].astype(int).tolist()
    keys = [dedup_key(t) for t in texts]
    # (starts mid-sentence, ends mid-sentence) per row, from the page layout
    ends_cut = [ends_unterminated(t) for t in texts]
    cut = [
        (i > 0 and pdoc[i - 1] == pdoc[i] and ends_cut[i - 1], ends_cut[i]) for i in range(n)
    ]

    parent: dict[int, int] = {}  # dropped row -> source row (first source)
    lineage: list[tuple[int, int, str, float]] = []  # (dropped, source, method, score)
    stats = {"documents_in": len(docs), "paragraphs_in": n, "dropped_exact": 0,
             "dropped_containment": 0, "dropped_splice": 0, "dropped_document": 0}

    # rows per document, in processing order
    doc_rows: dict[str, list[int]] = {}
    for i, d in enumerate(pdoc):
        doc_rows.setdefault(d, []).append(i)

    # 1. whole-document exact copies
    doc_dup: dict[str, str] = {}
    seen_doc: dict[bytes, str] = {}
    for d, rows in doc_rows.items():
        h = xxhash.xxh3_128()
        for r in rows:
            h.update(kinds[r].encode() + b"\x1f" + keys[r].encode() + b"\x1e")
        fp = h.digest()
        if fp in seen_doc:
            kept = seen_doc[fp]
            doc_dup[d] = kept
            for r, kr in zip(rows, doc_rows[kept]):
                parent[r] = kr
                lineage.append((r, kr, METHOD_EXACT, 1.0))
                stats["dropped_document"] += 1
        else:
            seen_doc[fp] = d

    # 2. exact paragraphs
    eligible = [
        i for i in range(n)
        if i not in parent and kinds[i] in DEDUP_KINDS and len(keys[i]) >= cfg.min_exact_chars
    ]
    first_of: dict[int, int] = {}
    unique: list[int] = []
    for i in eligible:
        h = xxhash.xxh3_64_intdigest(keys[i].encode())
        if h in first_of:
            parent[i] = first_of[h]
            lineage.append((i, first_of[h], METHOD_EXACT, 1.0))
            stats["dropped_exact"] += 1
        else:
            first_of[h] = i
            unique.append(i)

    # 3. containment and splices among the remaining unique paragraphs
    cand_rows = [i for i in unique if len(keys[i]) >= cfg.min_containment_chars]
    gram, lens = ngram_hashes_many([keys[i] for i in cand_rows], cfg.ngram)
    off = np.concatenate(([0], np.cumsum(lens)))
    # views into one array, so the n-grams are held once
    grams = [gram[off[u] : off[u + 1]] for u in range(len(cand_rows))]
    owner = np.repeat(np.arange(len(cand_rows), dtype=np.int32), lens)
    index = _build_index(gram, owner)
    del owner
    pairs = _candidate_pairs(index, cfg.max_df)
    # extra candidates, since some of the best ones may turn out dropped
    earlier = _top(pairs, "b", "a", 2 * cfg.candidates)
    later = _top(pairs, "a", "b", 2 * cfg.candidates)
    del pairs

    def best_for(u: int, missing_pos: np.ndarray, later: bool = False) -> int | None:
        """The earlier (or later) kept paragraph holding most of u's n-grams at missing_pos."""
        grp = index.occ_group[off[u] + missing_pos]
        lo, size = index.start[grp], index.size[grp]
        # boilerplate n-grams say nothing about the source
        ok = size <= 8 * cfg.max_df
        lo, size = lo[ok], size[ok]
        if not len(size):
            return None
        ends = np.cumsum(size)
        pos = np.arange(ends[-1]) - np.repeat(ends - size, size) + np.repeat(lo, size)
        holders = index.o[pos]
        side = holders > u if later else holders < u
        holders = holders[side & ~dropped_mask[holders]]
        if not len(holders):
            return None
        votes = np.bincount(holders)
        return int(np.argmax(votes))  # ties: the earliest paragraph

    sets: dict[int, np.ndarray] = {}

    def contained(u: int, a: int) -> np.ndarray:
        """Per n-gram of paragraph u, whether paragraph a holds it."""
        if a not in sets:
            sets[a] = np.unique(grams[a])
        ref = sets[a]
        g = grams[u]
        pos = np.minimum(np.searchsorted(ref, g), len(ref) - 1)
        return ref[pos] == g

    def drop(u: int, sources: list[int], method: str, score: float) -> None:
        dropped.add(u)
        dropped_mask[u] = True
        row = cand_rows[u]
        parent[row] = cand_rows[sources[0]]
        for a in sources:
            lineage.append((row, cand_rows[a], method, score))
        stats[f"dropped_{method}"] += 1

    dropped: set[int] = set()
    dropped_mask = np.zeros(len(cand_rows), dtype=bool)
    for u, row in enumerate(cand_rows):
        # n-grams no earlier paragraph holds at all: most unique paragraphs stop here
        if not covered_ok(index.earlier_any[off[u] : off[u + 1]], keys[row], cfg, cfg.max_junctions, cut[row]):
            continue
        srcs = [a for a in earlier.get(u, []) if a not in dropped][: cfg.candidates]
        # a piece made only of common phrases has no rare n-gram to pair it
        # with its source: ask the index who holds most of it
        extra = best_for(u, np.arange(len(grams[u])))
        if extra is not None and extra not in srcs:
            srcs.append(extra)
        if not srcs:
            continue
        m = len(grams[u])
        need = cfg.min_coverage * m
        covs = [contained(u, a) for a in srcs]
        sums = [int(np.count_nonzero(c)) for c in covs]
        rank = sorted(range(len(srcs)), key=lambda i: (-sums[i], i))
        hit = next((i for i in rank if sums[i] >= need and covered_ok(covs[i], keys[row], cfg, 0, cut[row])), None)
        if hit is not None:
            drop(u, [srcs[hit]], METHOD_CONTAINMENT, sums[hit] / m)
            continue
        # splice: the best source, then whichever earlier kept paragraph holds
        # most of what it misses (looked up in the index, not among the
        # candidates: near-copies of the first source crowd those)
        x = rank[0]
        if m - sums[x] < cfg.min_part:
            continue
        y = best_for(u, np.flatnonzero(~covs[x]))
        if y is None or y == srcs[x]:
            continue
        cov_y = contained(u, y)
        cov = covs[x] | cov_y
        own_x = int(np.count_nonzero(cov & ~cov_y))
        own_y = int(np.count_nonzero(cov & ~covs[x]))
        if min(own_x, own_y) < cfg.min_part or not _one_seam(covs[x], cov_y):
            continue
        # a source that is itself a piece of u (a fragment seen before its
        # container) does not make u a splice: u is kept and the piece yields
        if any(covered_ok(contained(a, u), keys[cand_rows[a]], cfg, 0, cut[cand_rows[a]]) for a in (srcs[x], y)):
            continue
        if covered_ok(cov, keys[row], cfg, cfg.max_junctions, cut[row]):
            drop(u, [srcs[x], y], METHOD_SPLICE, float(np.count_nonzero(cov)) / m)

    # a kept paragraph wholly inside a later kept one yields to the container
    for u, row in enumerate(cand_rows):
        if u in dropped:
            continue
        if not covered_ok(index.later_any[off[u] : off[u + 1]], keys[row], cfg, 0, cut[row]):
            continue
        conts = [b for b in later.get(u, []) if b not in dropped][: cfg.candidates]
        extra = best_for(u, np.arange(len(grams[u])), later=True)
        if extra is not None and extra not in conts:
            conts.append(extra)
        for b in conts:
            cov = contained(u, b)
            if covered_ok(cov, keys[row], cfg, 0, cut[row]):
                drop(u, [b], METHOD_CONTAINMENT, float(cov.mean()))
                break

    # 4. documents whose deduplicated paragraphs all repeat one other document
    for d, rows in doc_rows.items():
        if d in doc_dup:
            continue
        body = [r for r in rows if kinds[r] in DEDUP_KINDS and len(keys[r]) >= cfg.min_exact_chars]
        if not body or any(r not in parent for r in body):
            continue
        homes = {pdoc[_resolve(r, parent)] for r in body}
        if len(homes) != 1 or d in homes:
            continue
        kept_doc = homes.pop()
        doc_dup[d] = kept_doc
        by_key = {}
        for kr in doc_rows.get(kept_doc, []):
            by_key.setdefault((kinds[kr], keys[kr]), kr)
        for r in rows:
            if r in parent:
                continue
            kr = by_key.get((kinds[r], keys[r]))
            if kr is not None:
                parent[r] = kr
                lineage.append((r, kr, METHOD_EXACT, 1.0))
                stats["dropped_document"] += 1

    is_dup = np.zeros(n, dtype=bool)
    is_dup[list(parent)] = True
    out = paras.copy()
    out["is_duplicate"] = is_dup
    out["n_chars"] = out["text"].fillna("").str.len().astype("int32")
    out["para_id"] = out["para_id"].astype("int32")
    out = out[PARAGRAPH_OUT_COLUMNS].reset_index(drop=True)

    rows_out = []
    for r, src, method, score in lineage:
        k = _resolve(src, parent)
        rows_out.append((pdoc[r], ppid[r], pdoc[k], ppid[k], method, round(score, 4), r))
    dups = pd.DataFrame(rows_out, columns=DUPLICATE_COLUMNS + ["_r"])
    dups = dups.sort_values("_r", kind="stable").drop(columns="_r").reset_index(drop=True)
    dups["para_id"] = dups["para_id"].astype("int32")
    dups["kept_para_id"] = dups["kept_para_id"].astype("int32")
    dups["score"] = dups["score"].astype("float64")

    docs["is_duplicate"] = docs["doc_id"].isin(doc_dup.keys())
    docs["duplicate_of"] = pd.Series([doc_dup.get(d) for d in docs["doc_id"]], index=docs.index, dtype=object)
    counts = out.groupby("doc_id").size()
    docs["n_paragraphs"] = docs["doc_id"].map(counts).fillna(0).astype("int32")

    stats["paragraphs_kept"] = int((~is_dup).sum())
    stats["documents_duplicate"] = len(doc_dup)
    return DedupResult(documents=docs, paragraphs=out, paragraph_duplicates=dups, stats=stats)
