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
   one inverted index, built one slice of the hash space at a time (so
   memory stays bounded per slice), each slice's n-grams grouped with
   small hash tables (pandas' factorize) rather than sorted; candidate
   sources come from n-grams shared by at most ``max_df`` paragraphs, and a
   paragraph whose n-grams no earlier paragraph holds is passed over
   without any pairwise work, so cost grows about linearly with the corpus
   (never all pairs);
   the work per candidate duplicate does not grow with the corpus either,
   so a document repeating the whole corpus adds work in proportion to its
   paragraphs.
   A paragraph counts as covered only if every sentence is mostly covered
   and its uncovered n-grams form at most ``max_junctions`` internal runs
   shorter than one n-gram (a splice seam; none for a single source), plus
   a short run at an edge where the page layout cut the sentence (debris
   such as '转型步伐,' before a copied tail). A run a whole n-gram long means
   a character the sources do not have -- a sentence found nowhere else --
   and the paragraph is kept. A kept paragraph contained in a later kept one
   yields to it (keep the container).
4. Documents whose body paragraphs all duplicate one other document (each
   kept document is keyed once, however many documents repeat it).

Body and caption paragraphs are deduplicated across the corpus. Headings and
bylines legitimately repeat across documents ('一、主要工作', a premier's name),
so they are deduplicated by exact key within their own document only (a crawl
holding the page text twice repeats every heading); tables are never
deduplicated ('预期性', '主要指标').

The decisions are taken in one process, in order (each depends on what was
dropped before it), but the work that depends on no decision runs in
``workers`` processes (tasks/parallel.py), in jobs cut from the data: the
keys, the index's passes, the ranking of partners and, per candidate, its
first partners' coverage (screened before the decisions, which then only
look the answers up). Any number of workers gives the same rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xxhash

from tasks import reasons
from tasks.parallel import map_with_state, release_free_memory
from tasks.schemas import column_names
from tasks.text import PARAGRAPH_TERMINATORS, SENTENCE_TERMINATORS

PARAGRAPH_OUT_COLUMNS = column_names("paragraphs")
DUPLICATE_COLUMNS = column_names("paragraph_duplicates")

METHOD_EXACT = "exact"
METHOD_CONTAINMENT = "containment"
METHOD_SPLICE = "splice"

DEDUP_KINDS = frozenset({"body", "caption"})
# Headings and bylines repeat across documents as a matter of course (一、主要工作, 国务院总理 李鹏),
# so they are deduplicated within their own document only: a crawl that holds a page's text two or
# three times over (portal pages) repeats every heading, and the first of each stays.
WITHIN_DOCUMENT_KINDS = frozenset({"heading", "byline"})

# quote marks -> the ASCII mark standing for them in keys
_QUOTES = [(q, '"') for q in "“”„‟「」『』〝〞＂"] + [(q, "'") for q in "‘’‚‛＇"]


_BASE = np.uint64(0x100000001B3)

# Texts turned into keys at a time (only the keys are kept).
_TEXT_SLICE = 1 << 13
# Paragraphs whose n-gram hashes (and sorted copies) stay cached while
# paragraphs are compared (a few MB); the rest are hashed again when asked for.
_GRAM_CACHE = 1 << 13
# Paragraphs examined per block, hashed in one pass with their candidates
# (the cache is made large enough to hold a block's).
_PREFETCH = 256
# Candidates screened per job (see _CandidateSearch.screen).
_SCREEN_BLOCK = 1024


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
    return bool(t) and t[-1] not in PARAGRAPH_TERMINATORS


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
    text = text.lower()
    # str.replace and str.split run in C without a call back per match, several
    # times faster than re.sub with a replacement function; split() drops the
    # same characters as \s (str.isspace)
    for mark, ascii_mark in _QUOTES:
        if mark in text:
            text = text.replace(mark, ascii_mark)
    return "".join(text.split())


# Windows hashed per numpy step in _window_hashes: a step's operands stay in
# the CPU cache, which makes hashing a long text about twice as fast as whole-array steps.
_HASH_BLOCK = 1 << 16


def _window_hashes(cps: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every window of n code points (uint64, wraps around), mixed by _mix."""
    m = len(cps) - n + 1
    out = np.empty(max(m, 0), dtype=np.uint64)
    c = cps.astype(np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, m, _HASH_BLOCK):
            h = out[lo : lo + _HASH_BLOCK]  # a view: computed in place
            hi = lo + len(h)
            h[:] = c[lo:hi]
            for k in range(1, n):
                h *= _BASE
                h += c[lo + k : hi + k]
            _mix(h)
    return out


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, in place."""
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


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
    return _window_hashes(_code_points(key), n)


# Characters hashed per numpy pass in ngram_hashes_many: bounds its temporaries
# (about 30 bytes a character) whatever the size of the corpus.
_HASH_CHUNK_CHARS = 1 << 20


def _key_lengths(keys: list[str]) -> np.ndarray:
    return np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))


def _ngram_hash_chunks(joined: str, n: int, lens: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Yields (first, hashes): the keys' n-gram hashes, about _HASH_CHUNK_CHARS
    characters of keys at a time; first is the index of hashes[0] among all.
    joined is the keys joined, lens their lengths (one string rather than a
    list: a forked worker reading it copies no page of the parent's)."""
    counts = np.maximum(lens - n + 1, 0)
    ends = np.cumsum(lens)
    first = 0
    lo = 0
    while lo < len(lens):
        # the keys [lo, hi) hold about _HASH_CHUNK_CHARS characters (at least one key)
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + _HASH_CHUNK_CHARS, side="right")))
        m = int(counts[lo:hi].sum())
        if m:
            h = _window_hashes(_code_points(joined[base : int(ends[hi - 1])]), n)
            # drop the windows that start in one key and end in the next
            bounds = ends[lo : hi - 1] - base
            cross = (bounds[:, None] - np.arange(1, n)).ravel()
            valid = np.ones(len(h), dtype=bool)
            valid[cross[(cross >= 0) & (cross < len(h))]] = False
            yield first, h[valid]
            first += m
        lo = hi


def ngram_hashes_many(keys: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes the n-grams of many keys at once (same values as ngram_hashes).

    Args:
        keys: Dedup keys.
        n: Characters per n-gram.

    Returns:
        (hashes, counts): all keys' n-gram hashes concatenated in key order, and
        how many belong to each key. One numpy pass over the joined text of
        many keys is much faster than one call per short paragraph; keys are
        taken about a million characters at a time, so the temporaries stay
        small next to the result (8 bytes an n-gram).
    """
    lens = _key_lengths(keys)
    counts = np.maximum(lens - n + 1, 0)
    out = np.empty(int(counts.sum()), dtype=np.uint64)
    for first, h in _ngram_hash_chunks("".join(keys), n, lens):
        out[first : first + len(h)] = h
    return out, counts


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


_SENT_END_RE = re.compile("[" + re.escape("".join(sorted(SENTENCE_TERMINATORS))) + "]")


def _sentences_covered(covered: np.ndarray, key: str, cfg: DedupConfig) -> bool:
    """Checks that every sentence has most of its characters inside covered n-grams.

    A splice seam or the debris at a cut edge leaves a few characters of one
    long sentence uncovered; a short sentence found nowhere else ('8.推进城乡
    电网建设。' before a copied tail) leaves most of its own characters uncovered.
    """
    n = cfg.ngram
    # +1 where a covered n-gram starts, -1 past its end (starts are distinct,
    # so plain indexing adds each once)
    delta = np.zeros(len(key) + 1, dtype=np.int32)
    starts = np.flatnonzero(covered)
    delta[starts] += 1
    delta[starts + n] -= 1
    char_cov = np.cumsum(delta[:-1]) > 0
    # sentences end after each terminator and at the end of the key
    bounds = [0] + [m.end() for m in _SENT_END_RE.finditer(key)]
    if bounds[-1] != len(key):
        bounds.append(len(key))
    b = np.array(bounds)
    begin, end = b[:-1], b[1:]
    covered_chars = np.concatenate(([0], np.cumsum(char_cov)))
    longer = end - begin >= 2
    share = (covered_chars[end] - covered_chars[begin])[longer] / (end - begin)[longer]
    return not (share < cfg.min_sentence_coverage).any()


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
    # the runs first: they are cheaper, and a paragraph with extra text at
    # an edge (a compilation's line around a copied paragraph) fails there
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
    return _sentences_covered(covered, key, cfg)


def covered_ok_many(
    covered: np.ndarray,
    counts: np.ndarray,
    keys: list[str],
    cfg: DedupConfig,
    junctions_allowed: int,
    cut_edges: np.ndarray,
) -> np.ndarray:
    """covered_ok for many paragraphs at once: their run tests in one numpy pass.

    Args:
        covered: The paragraphs' covered arrays, concatenated.
        counts: How many of covered belong to each paragraph.
        keys: The paragraphs' dedup keys (only those passing the run tests
            are read, for their sentence test).
        cfg: Dedup settings.
        junctions_allowed: As in covered_ok, the same for every paragraph.
        cut_edges: (k, 2) bool array: each paragraph's cut_edges.

    Returns:
        Bool array, per paragraph covered_ok's answer.
    """
    k = len(counts)
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    starts = ends - counts
    miss = ~covered
    which = np.repeat(np.arange(k), counts)  # the paragraph of each n-gram
    hit = counts - np.bincount(which[miss], minlength=k)
    enough = (counts > 0) & ~(hit < cfg.min_coverage * counts)
    # runs of misses, cut at each paragraph's ends (a paragraph's first and
    # last n-grams begin and end a run whatever their neighbours)
    first = np.zeros(len(miss), dtype=bool)
    first[starts[counts > 0]] = True
    last = np.zeros(len(miss), dtype=bool)
    last[ends[counts > 0] - 1] = True
    run_start = miss.copy()
    run_start[1:] &= ~miss[:-1] | first[1:]
    run_end = miss.copy()
    run_end[:-1] &= ~miss[1:] | last[:-1]
    rs = np.flatnonzero(run_start)
    re_ = np.flatnonzero(run_end) + 1
    para = which[rs]
    at_start = rs == starts[para]
    at_end = re_ == ends[para]
    run = re_ - rs
    edge = at_start | at_end
    cut = (at_start & cut_edges[para, 0]) | (at_end & cut_edges[para, 1])
    bad = (edge & (~cut | (run > cfg.edge_tolerance))) | (~edge & (run >= cfg.ngram))
    failed = np.bincount(para[bad], minlength=k) > 0
    failed |= np.bincount(para[~edge], minlength=k) > junctions_allowed
    out = enough & ((hit == counts) | ~failed)
    # the sentence test last, one paragraph at a time (few get there)
    for i in np.flatnonzero(out & (hit < counts)).tolist():
        out[i] = _sentences_covered(covered[starts[i] : ends[i]], keys[i], cfg)
    return out


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique(a), by sorting.

    numpy 2.4's np.unique hashes when no counts are asked for, which is many
    times slower on large integer arrays.
    """
    s = np.sort(a)
    if len(s) < 2:
        return s
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    return s[keep]


_EARLIER = np.uint8(1)
_LATER = np.uint8(2)


@dataclass(frozen=True)
class _Index:
    """Inverted index of the n-grams that candidate paragraphs share.

    Attributes:
        off: Paragraph u's n-gram occurrences are off[u]:off[u + 1] (a list).
        hashes: Sorted hashes of the n-grams held by 2 to max_holders paragraphs
            (one paragraph's own n-grams name no other paragraph; more
            holders make a set phrase, which names no source either).
        start: Per such n-gram, its first entry in holders, plus the end.
        holders: The paragraphs holding each n-gram, ascending within one n-gram.
        flags: Per n-gram occurrence (paragraphs concatenated), _EARLIER if
            some earlier paragraph holds it, plus _LATER if some later one does.
    """

    off: list[int]
    hashes: np.ndarray
    start: np.ndarray
    holders: np.ndarray
    flags: np.ndarray

    @property
    def size(self) -> np.ndarray:
        """Per n-gram in hashes, how many paragraphs hold it."""
        return np.diff(self.start)

    def held(self, u: int, flag: np.uint8) -> np.ndarray:
        """Per n-gram of paragraph u, whether an earlier (or later) paragraph holds it."""
        return (self.flags[self.off[u] : self.off[u + 1]] & flag) != 0

    def mostly_held(self, flag: np.uint8, share: float) -> list[int]:
        """The paragraphs with at least share of their n-grams held earlier (or later).

        covered_ok's first test (the same comparison, so the same paragraphs
        pass), done for all paragraphs at once: most fail it.
        """
        off = np.array(self.off, dtype=np.int64)
        m = np.diff(off)
        hits = np.zeros(len(m), dtype=np.int64)
        # a block of paragraphs at a time: the sum casts its input to int32
        step = max(1, len(m) * _SORT_SLICE // max(1, int(off[-1])))
        for lo in range(0, len(m), step):
            some = np.flatnonzero(m[lo : lo + step] > 0) + lo
            if len(some):
                held = (self.flags[off[lo] : off[min(lo + step, len(m))]] & flag) != 0
                hits[some] = np.add.reduceat(held, off[some] - off[lo], dtype=np.int32)
        return np.flatnonzero((m > 0) & ~(hits < share * m)).tolist()


# Occurrences indexed at once (one slice of the hash space) when building
# the index: the work arrays take about 60 bytes an occurrence, so this
# bounds them (about 60 MB).
_SORT_SLICE = 1 << 20
# Occurrences per hash table when a slice's n-grams are grouped (see
# _index_slice): a table this small stays in the CPU cache.
_GROUP_PART = 1 << 16
# Passes over the keys when building the index. Each hashes every n-gram
# again (under a second per 100 MB of text) but keeps only the occurrences
# in its share of the hash space (12 bytes each), instead of 8 bytes for
# every n-gram of the corpus at once.
_INDEX_PASSES = 4


def _build_index(keys: list[str], n: int, max_holders: int, workers: int = 1) -> _Index:
    """Builds the inverted index of the paragraphs' n-gram occurrences.

    Args:
        keys: Dedup keys of the candidate paragraphs, in processing order.
        n: Characters per n-gram.
        max_holders: N-grams held by more paragraphs are left out of the
            holder lists (they still count for the flags).
        workers: Processes running the passes (each pass is one job, so
            any number of workers gives the same index).
    """
    lens = _key_lengths(keys)
    off = np.concatenate(([0], np.cumsum(np.maximum(lens - n + 1, 0))))
    n_occ = int(off[-1])
    # Indexing every occurrence at once would take ~60 bytes each. The hash
    # space is cut instead by the top bits of the hash into slices of about
    # _SORT_SLICE occurrences: each n-gram lies in one slice, and the slices
    # come out in hash order. Each pass gathers the slices of its share.
    slice_bits = min(16, max(0, (n_occ - 1) // _SORT_SLICE).bit_length())
    pass_bits = min(slice_bits, _INDEX_PASSES.bit_length() - 1)
    # from worker processes the flags come back as two bitmaps over all
    # occurrences (_EARLIER, _LATER): a few MB a pass, where the set flags'
    # positions and values take 5 bytes each (most flags are set) and one
    # process would have to write them all in; passes run here write them in
    in_workers = workers > 1 and pass_bits > 0
    plan = _IndexPlan("".join(keys), lens, off, n, slice_bits, pass_bits, max_holders, in_workers)
    flags = np.zeros(0 if in_workers else n_occ, dtype=np.uint8)
    held_bits = np.zeros((2, (n_occ + 7) // 8 if in_workers else 0), dtype=np.uint8)

    def set_flags(_: int, part: _IndexPart) -> None:
        # as each pass arrives, so that the passes' flags are not all held at once
        if in_workers:
            held_bits[:] |= part.flag_bits
        else:
            flags[part.flag_pos] = part.flag_val
        part.flag_bits = part.flag_pos = part.flag_val = None

    parts = map_with_state(_index_pass, plan, list(range(1 << pass_bits)), workers, on_result=set_flags)
    del plan
    if in_workers:
        flags = np.unpackbits(held_bits[0], count=n_occ)
        flags |= np.unpackbits(held_bits[1], count=n_occ) << 1  # _EARLIER is 1, _LATER 2
    del held_bits
    hashes = [h for p in parts for h in p.hashes] or [np.zeros(0, np.uint64)]
    sizes = [s for p in parts for s in p.sizes] or [np.zeros(0, np.int64)]
    holders = [h for p in parts for h in p.holders] or [np.zeros(0, np.int32)]
    start = np.concatenate(([0], np.cumsum(np.concatenate(sizes))))
    return _Index(off.tolist(), np.concatenate(hashes), start, np.concatenate(holders), flags)


@dataclass(frozen=True)
class _IndexPlan:
    """What every pass of _build_index reads: the keys joined, their lengths and n-gram offsets, the cut."""

    joined: str
    lens: np.ndarray
    off: np.ndarray
    n: int
    slice_bits: int
    pass_bits: int
    max_holders: int
    bitmaps: bool


@dataclass
class _IndexPart:
    """One pass's share of the index: its slices' (hashes, sizes, holders), and its occurrences' flags.

    The flags are either two bitmaps over all occurrences (_EARLIER, _LATER),
    set for the pass's own (when plan.bitmaps), or only those that are set,
    listed (flag_pos, flag_val); they are let go once in the index's.
    """

    hashes: list[np.ndarray]
    sizes: list[np.ndarray]
    holders: list[np.ndarray]
    flag_bits: np.ndarray | None = None
    flag_pos: np.ndarray | None = None
    flag_val: np.ndarray | None = None


def _index_pass(plan: _IndexPlan, q: int) -> _IndexPart:
    """Pass q of _build_index: hashes every n-gram again and indexes those in its share of the hash space."""
    pos_type = _pos_type(plan)
    pieces = _pass_pieces(plan, q)
    part = _IndexPart([], [], [])
    empty = (np.zeros(0, np.uint64), np.zeros(0, pos_type))
    # the pass's own occurrences' flags, by position (as bitmaps), or listed
    flags = np.zeros(int(plan.off[-1]) if plan.bitmaps else 0, dtype=np.uint8)
    flag_pos, flag_val = [np.zeros(0, pos_type)], [np.zeros(0, np.uint8)]
    for s in range(len(pieces)):
        h, pos = (np.concatenate([p[i] for p in pieces[s]] + [empty[i]]) for i in range(2))
        pieces[s] = []  # the pass's memory shrinks slice by slice
        if len(h):
            hs, sz, hd, pos, fl = _index_slice(h, pos, plan.off, plan.max_holders)
            part.hashes.append(hs)
            part.sizes.append(sz)
            part.holders.append(hd)
            if plan.bitmaps:
                flags[pos] = fl
            else:
                set_ = fl != 0
                flag_pos.append(pos[set_])
                flag_val.append(fl[set_])
        del h, pos
    if plan.bitmaps:
        part.flag_bits = np.stack([np.packbits(flags & _EARLIER), np.packbits(flags >> 1)])
    else:
        part.flag_pos, part.flag_val = np.concatenate(flag_pos), np.concatenate(flag_val)
    return part


def _pos_type(plan: _IndexPlan) -> type:
    return np.int32 if int(plan.off[-1]) < 2**31 else np.int64


def _pass_pieces(plan: _IndexPlan, q: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """Per slice of pass q, its occurrences' (hashes, positions), a piece per chunk of keys."""
    slice_bits, pass_bits = plan.slice_bits, plan.pass_bits
    n_sub = 1 << (slice_bits - pass_bits)
    pos_type = _pos_type(plan)
    pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(n_sub)]
    for first, h in _ngram_hash_chunks(plan.joined, plan.n, plan.lens):
        if pass_bits:
            mine = np.flatnonzero((h >> np.uint64(64 - pass_bits)) == q)
            h, pos = h[mine], (mine + first).astype(pos_type)
            del mine
        else:
            pos = np.arange(first, first + len(h), dtype=pos_type)
        if n_sub > 1:
            sub = ((h >> np.uint64(64 - slice_bits)) & np.uint64(n_sub - 1)).astype(np.uint16)
            # stable, so positions still ascend inside a slice
            order = np.argsort(sub, kind="stable")
            bounds = np.cumsum(np.bincount(sub, minlength=n_sub))[:-1]
            h, pos = h[order], pos[order]
            # copies, not views: a slice's pieces are freed once it is indexed
            for s, (ph, pp) in enumerate(zip(np.split(h, bounds), np.split(pos, bounds))):
                pieces[s].append((ph.copy(), pp.copy()))
            del sub, order
        else:
            pieces[0].append((h, pos))
    return pieces


def _index_slice(
    h: np.ndarray, pos: np.ndarray, off: np.ndarray, max_holders: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indexes the occurrences of one slice of the hash space.

    The occurrences are grouped by n-gram with hash tables (pandas'
    factorize), a part of about _GROUP_PART occurrences at a time, cut by the
    hash's low bits: a table that small stays in the CPU cache, and grouping
    that way takes about half the time of sorting the slice.

    Args:
        h: Their hashes.
        pos: Their positions among all occurrences, ascending.
        off: Paragraph u holds the occurrences off[u]:off[u + 1].
        max_holders: N-grams held by more paragraphs are not listed.

    Returns:
        (hashes, sizes, holders, positions, flags): of the slice's n-grams held
        by 2 to max_holders paragraphs, sorted hashes, how many paragraphs hold
        each, and those paragraphs (ascending per n-gram), concatenated; then
        every occurrence's position (as given) with its flags (_EARLIER / _LATER).
    """
    # the paragraph holding each occurrence: as positions ascend, how many
    # fall in each paragraph (fewer searches than one per occurrence)
    owner = np.repeat(np.arange(len(off) - 1, dtype=np.int32), np.diff(np.searchsorted(pos, off)))
    parts = min(1 << 16, 1 << ((len(h) - 1) // _GROUP_PART).bit_length())
    ends = [len(h)]
    in_parts = None
    if parts > 1:
        part = (h & np.uint64(parts - 1)).astype(np.uint16)
        # stable (a radix sort on 16 bits), so owners still ascend inside a part
        in_parts = np.argsort(part, kind="stable")
        ends = np.cumsum(np.bincount(part, minlength=parts)).tolist()
        h, owner = h[in_parts], owner[in_parts]
        del part
    flags = np.empty(len(h), dtype=np.uint8)
    hashes, sizes, holders = [], [], []
    for lo, hi in zip([0] + ends[:-1], ends):
        hs, sz, hd, flags[lo:hi] = _index_part(h[lo:hi], owner[lo:hi], max_holders)
        hashes.append(hs)
        sizes.append(sz)
        holders.append(hd)
    if in_parts is not None:
        # back in the order of pos: ascending positions are written into the
        # index's flags with few cache misses
        flags[in_parts] = flags.copy()
    hashes, sizes, holders = np.concatenate(hashes), np.concatenate(sizes), np.concatenate(holders)
    # the parts' n-grams in hash order, each with its run of holders
    order = np.argsort(hashes)
    sizes_out = sizes[order]
    starts = np.cumsum(sizes) - sizes
    lead = np.repeat(starts[order] - (np.cumsum(sizes_out) - sizes_out), sizes_out)
    return hashes[order], sizes_out, holders[lead + np.arange(len(lead))], pos, flags


def _index_part(
    h: np.ndarray, owner: np.ndarray, max_holders: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """_index_slice for one part of a slice: (hashes, sizes, holders) by n-gram number, and the flags.

    Args:
        h: The part's hashes (every occurrence of an n-gram lies in one part).
        owner: The paragraph holding each occurrence, ascending.
        max_holders: N-grams held by more paragraphs are not listed.
    """
    codes, uniq = pd.factorize(h)
    n_grams = len(uniq)
    # owners ascend: an n-gram's first and last holders bound "earlier"/"later"
    first = np.full(n_grams, np.iinfo(np.int32).max, dtype=np.int32)
    last = np.full(n_grams, -1, dtype=np.int32)
    np.minimum.at(first, codes, owner)
    np.maximum.at(last, codes, owner)
    flags = np.where(first[codes] < owner, _EARLIER, 0).astype(np.uint8)
    flags |= np.where(last[codes] > owner, _LATER, 0).astype(np.uint8)
    shared = first != last
    # one entry per (n-gram, paragraph) of the shared n-grams (an n-gram
    # twice in a paragraph makes one), in order of occurrence: so each
    # n-gram's holders ascend
    mine = np.flatnonzero(shared[codes])
    e_code, e_owner = codes[mine], owner[mine]
    del mine
    e_code, e_owner = _drop_repeats(e_code, e_owner, n_grams)
    size = np.bincount(e_code, minlength=n_grams)
    few = shared & (size <= max_holders)
    listed = few[e_code]
    e_code, e_owner = e_code[listed], e_owner[listed]
    few = np.flatnonzero(few)
    # by n-gram number, like few (stable: holders still ascend); a stable
    # sort of 16-bit numbers is a radix sort, several times faster
    if n_grams <= 1 << 16:
        e_code = e_code.astype(np.uint16)
    return uniq[few], size[few], e_owner[np.argsort(e_code, kind="stable")], flags


def _drop_repeats(codes: np.ndarray, owner: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Keeps the first of each (code, owner) pair, in order.

    Args:
        codes: N-gram numbers (below n_codes).
        owner: The paragraph of each, ascending.
        n_codes: A bound on codes.

    Returns:
        (codes, owner) without the repeats: an n-gram twice in a paragraph
        makes one entry. Only a paragraph with several occurrences can repeat
        one, and in a part of a slice of the index most have one at most, so
        only those runs are sorted.
    """
    same = owner[1:] == owner[:-1]
    several = np.zeros(len(owner), dtype=bool)
    several[1:] |= same
    several[:-1] |= same
    idx = np.flatnonzero(several)
    if not len(idx):
        return codes, owner
    # stable: of equal pairs, the first in order comes first
    by_pair = idx[np.argsort(owner[idx].astype(np.int64) * n_codes + codes[idx], kind="stable")]
    repeat = np.zeros(len(owner), dtype=bool)
    dup = (owner[by_pair[1:]] == owner[by_pair[:-1]]) & (codes[by_pair[1:]] == codes[by_pair[:-1]])
    repeat[by_pair[1:][dup]] = True
    return codes[~repeat], owner[~repeat]


# Pairs of paragraphs counted and ranked at a time (a few MB of work arrays).
_PAIR_SLICE = 1 << 19


def _top_partners(index: _Index, max_df: int, k: int, workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Per paragraph, the k earlier and the k later paragraphs sharing most n-grams with it.

    Args:
        index: The inverted n-gram index.
        max_df: N-grams held by more paragraphs than this make no pairs.
        k: Partners kept per paragraph.
        workers: Processes ranking the pairs (a range of paragraphs and one
            side is one job, so any number of workers gives the same tables).

    Returns:
        (earlier, later): int32 tables, one row per paragraph: its partners
        by decreasing count of shared n-grams (ties: the smaller paragraph),
        padded with -1. Tables rather than dicts of lists, where a Python int
        per entry would take far more memory.
    """
    n = len(index.off) - 1
    tops = (np.full((n, k), -1, dtype=np.int32), np.full((n, k), -1, dtype=np.int32))
    size = index.size
    wanted = size <= max_df
    if not wanted.any():
        return tops
    # only n-grams shared by a few paragraphs make pairs: select them first,
    # so the pair loop runs over a small array
    mask = np.repeat(wanted, size)
    pad = np.full(max_df, -1, dtype=np.int32)
    o = np.concatenate((pad, index.holders[mask], pad))
    gid = np.concatenate((pad, np.repeat(np.arange(len(size), dtype=np.int32), size)[mask], pad))
    del mask
    s = size[wanted].astype(np.int64)
    n_pairs = int((s * (s - 1) // 2).sum())
    del size, wanted, s
    # An n-gram held by s paragraphs gives each pair of them one shared
    # n-gram. The pairs of a range of paragraphs (about _PAIR_SLICE pairs)
    # are counted and ranked at a time, so the work arrays stay small.
    step = max(1, -(-n * _PAIR_SLICE // max(n_pairs, 1)))
    plan = _PairPlan(o, gid, n, k, max_df)
    jobs = [(side, lo, min(lo + step, n)) for side in (0, 1) for lo in range(0, n, step)]
    for (side, lo, hi), ranked in zip(jobs, map_with_state(_rank_partners, plan, jobs, workers)):
        tops[side][lo:hi] = ranked
    return tops


@dataclass(frozen=True)
class _PairPlan:
    """What _rank_partners reads: the holder entries of n-grams held by few paragraphs.

    Attributes:
        o: Holder of each entry; an n-gram's holders are a run, ascending.
        gid: The entry's n-gram.
            Both are padded at each end with max_df entries of -1 (no
            paragraph, no n-gram), so that an entry up to max_df - 1 places
            away is always there to compare.
        n: Paragraphs.
        k: Partners kept per paragraph.
        max_df: At most this many holders per n-gram.
    """

    o: np.ndarray
    gid: np.ndarray
    n: int
    k: int
    max_df: int


def _rank_partners(plan: _PairPlan, job: tuple[int, int, int]) -> np.ndarray:
    """Ranks the earlier (side 0) or later (side 1) partners of the paragraphs lo:hi.

    The job is (side, lo, hi). Returns their rows of _top_partners' table.
    """
    side, lo, hi = job
    o, gid, n, k = plan.o, plan.gid, plan.n, plan.k
    cur = np.flatnonzero((o >= lo) & (o < hi))
    # holders ascend inside an n-gram: a paragraph's earlier partners are the
    # holders before it, its later ones those after it
    sign = -1 if side == 0 else 1
    mine, theirs = [], []
    g = gid[cur]
    for d in range(1, plan.max_df):
        # a holder with no partner d places away has none further either
        nb = cur + sign * d
        same = gid[nb] == g
        cur, g, nb = cur[same], g[same], nb[same]
        if not len(cur):
            break
        mine.append(o[cur])
        theirs.append(o[nb])
    ranked = np.full((hi - lo, k), -1, dtype=np.int32)
    if not mine:
        return ranked
    pair = (np.concatenate(mine).astype(np.int64) - lo) * n
    pair += np.concatenate(theirs)
    del mine, theirs
    if (hi - lo) * n <= 2**32:
        # the same values, sorted in half the bytes (about twice as fast)
        pair = pair.astype(np.uint32)
    pair, shared = _counts_sorted(pair)
    pair = pair.astype(np.int64)
    by, other = _ranked_pairs(pair // n, shared, pair % n, n)
    by += lo
    del pair, shared
    first = np.ones(len(by), dtype=bool)
    first[1:] = by[1:] != by[:-1]
    idx = np.arange(len(by))
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0))
    few = rank < k
    ranked[by[few] - lo, rank[few]] = other[few]
    return ranked


def _counts_sorted(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(a, return_counts=True), by one plain sort."""
    a = np.sort(a)
    if not len(a):
        return a, np.zeros(0, np.int64)
    new = np.ones(len(a), dtype=bool)
    new[1:] = a[1:] != a[:-1]
    first = np.flatnonzero(new)
    return a[first], np.diff(np.append(first, len(a)))


def _ranked_pairs(by: np.ndarray, shared: np.ndarray, other: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(by, other) in the order of np.lexsort((other, -shared, by)), for distinct pairs of ints in [0, n).

    One sort of the three columns packed into an int64 when they fit, which
    is several times faster than lexsort's three passes.
    """
    top = int(shared.max()) + 1 if len(shared) else 1
    span = int(by.max()) + 1 if len(by) else 1
    if span * top * n >= 2**62:
        order = np.lexsort((other, -shared, by))
        return by[order], other[order]
    key = (by * top + (top - 1 - shared)) * n + other
    # the pairs are distinct, so the keys are: a plain sort gives lexsort's order
    key.sort()
    return key // (top * n), key % n


def _most_frequent(values: np.ndarray) -> int:
    """The most frequent of some non-negative ints; ties: the smallest.

    Counted over the span of the values, or by sorting them when that span
    is much longer: never an array as long as the corpus, since this runs
    once per candidate duplicate (a bincount of paragraph numbers made that
    quadratic when most paragraphs have a copy).
    """
    first = int(values.min())
    if int(values.max()) - first < 32 * len(values):
        return first + int(np.argmax(np.bincount(values - first)))
    # np.unique(values, return_counts=True) without its overhead (this runs once per candidate)
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(ordered)))
    return int(ordered[starts[np.argmax(counts)]])


def _first_rows(rows: list[int], kinds: list[str], keys: list[str]) -> dict[tuple[str, str], int]:
    """(kind, key) -> the first of rows with that kind and key."""
    by_key: dict[tuple[str, str], int] = {}
    for r in rows:
        by_key.setdefault((kinds[r], keys[r]), r)
    return by_key


def _one_seam(cov_x: np.ndarray, cov_y: np.ndarray) -> bool:
    """A splice is one source's text, then the other's: their own n-grams do not interleave."""
    only_x = np.flatnonzero(cov_x & ~cov_y)
    only_y = np.flatnonzero(cov_y & ~cov_x)
    return only_x[-1] < only_y[0] or only_y[-1] < only_x[0]


class _GramCache:
    """N-gram hashes of candidate paragraphs, hashed on demand and kept a while.

    Keeping every paragraph's hashes would cost 8 bytes an n-gram for the
    whole corpus; only some paragraphs are ever compared, so they are hashed
    again, a block at a time (one numpy pass for many paragraphs is far
    faster than one per paragraph), and the least recently used are dropped.
    """

    def __init__(self, keys: list[str], n: int, size: int):
        self.keys = keys
        self.n = n
        self.size = size
        self._grams: OrderedDict[int, np.ndarray] = OrderedDict()
        self._sorted: OrderedDict[int, np.ndarray] = OrderedDict()

    def _keep(self, cache: OrderedDict, u: int, value: np.ndarray) -> np.ndarray:
        cache[u] = value
        if len(cache) > self.size:
            cache.popitem(last=False)
        return value

    def prefetch(self, us: list[int]) -> None:
        """Hashes the paragraphs us (those not cached) in one pass."""
        todo = [u for u in dict.fromkeys(us) if u not in self._grams]
        if not todo:
            return
        h, counts = ngram_hashes_many([self.keys[u] for u in todo], self.n)
        for u, lo, hi in zip(todo, (np.cumsum(counts) - counts).tolist(), np.cumsum(counts).tolist()):
            # a copy, so the block's array is not kept alive by one slice
            self._keep(self._grams, u, h[lo:hi].copy())

    def grams(self, u: int) -> np.ndarray:
        """Paragraph u's n-gram hashes (its slice of ngram_hashes_many)."""
        if u in self._grams:
            self._grams.move_to_end(u)
            return self._grams[u]
        return self._keep(self._grams, u, ngram_hashes(self.keys[u], self.n))

    def sorted(self, u: int) -> np.ndarray:
        """Paragraph u's n-gram hashes, sorted (repeats do not matter to a search)."""
        if u in self._sorted:
            self._sorted.move_to_end(u)
            return self._sorted[u]
        return self._keep(self._sorted, u, np.sort(self.grams(u)))


def _resolve(x: int, parent: dict[int, int]) -> int:
    seen = set()
    while x in parent and x not in seen:
        seen.add(x)
        x = parent[x]
    return x


# Two numberings of paragraphs below: a *row* is a paragraph's position in
# processing order (documents by source_file, source_ordinal, then para_id);
# a *candidate* is a position in _CandidateSearch.rows, the unique paragraphs
# long enough for containment, which the n-gram index numbers.

_DROPPED_BY_METHOD = {METHOD_CONTAINMENT: reasons.DROPPED_CONTAINMENT, METHOD_SPLICE: reasons.DROPPED_SPLICE}


@dataclass(frozen=True)
class _Rows:
    """The paragraphs in processing order, as plain lists (one entry per row).

    Attributes:
        order: Per row, its position in the input paragraphs table.
        kinds, doc_ids, para_ids: The paragraphs' kind, doc_id and para_id.
        keys: dedup_key of each text (the copy of the texts that is kept).
        key_hashes: xxh3_64 of each key's UTF-8 bytes (exact duplicates share it).
        cut: (starts mid-sentence, ends mid-sentence), from the page layout.
        doc_rows: Rows per document, in processing order.
    """

    order: np.ndarray
    kinds: list[str]
    doc_ids: list[str]
    para_ids: list[int]
    keys: list[str]
    key_hashes: list[int]
    cut: list[tuple[bool, bool]]
    doc_rows: dict[str, list[int]]


@dataclass
class _Verdicts:
    """What dedup has decided so far, over rows.

    Attributes:
        parent: Dropped row -> the row it repeats (its first source).
        lineage: (dropped row, source row, method, score), one per source.
        doc_dup: Duplicate doc_id -> the doc_id it repeats.
        stats: Counts for DedupResult.stats.
    """

    parent: dict[int, int] = field(default_factory=dict)
    lineage: list[tuple[int, int, str, float]] = field(default_factory=list)
    doc_dup: dict[str, str] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def drop(self, row: int, sources: list[int], method: str, score: float, stat: str) -> None:
        """Marks row a duplicate of sources (the first is its parent) and counts it under stat."""
        self.parent[row] = sources[0]
        for src in sources:
            self.lineage.append((row, src, method, score))
        self.stats[stat] += 1


def _check_columns(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> None:
    for col in ("doc_id", "source_file", "source_ordinal"):
        if col not in documents.columns:
            raise ValueError(f"documents lacks column {col!r}")
    for col in ("doc_id", "para_id", "kind", "section", "text"):
        if col not in paragraphs.columns:
            raise ValueError(f"paragraphs lacks column {col!r}")


def _processing_order(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> np.ndarray:
    """Positions of paragraphs sorted by document (source_file, source_ordinal) then para_id."""
    rank_df = documents[["doc_id", "source_file", "source_ordinal"]].drop_duplicates("doc_id")
    rank_df = rank_df.sort_values(["source_file", "source_ordinal", "doc_id"], kind="stable")
    doc_rank = {d: i for i, d in enumerate(rank_df["doc_id"].tolist())}
    # paragraphs of unknown documents go last, in their own order
    para_rank = paragraphs["doc_id"].map(doc_rank).fillna(len(doc_rank)).astype(int)
    sort_keys = pd.DataFrame({
        "_rank": para_rank.reset_index(drop=True),
        "doc_id": paragraphs["doc_id"].reset_index(drop=True),
        "para_id": paragraphs["para_id"].reset_index(drop=True),
    })
    del para_rank
    return sort_keys.sort_values(["_rank", "doc_id", "para_id"], kind="stable").index.to_numpy()


def _read_rows(documents: pd.DataFrame, paragraphs: pd.DataFrame, workers: int = 1) -> _Rows:
    """Step 0: the paragraphs in processing order, with their keys and cut edges (keyed in workers processes)."""
    order = _processing_order(documents, paragraphs)
    n = len(order)
    order_list = order.tolist()

    def column(values: list) -> list:
        # columns are read as lists in that order; the sorted table itself
        # (the texts again) is only made for the output, at the end
        return [values[i] for i in order_list]

    kinds = column(paragraphs["kind"].tolist())
    doc_ids = column(paragraphs["doc_id"].tolist())
    para_ids = column(paragraphs["para_id"].astype(int).tolist())
    keys: list[str] = []
    key_hashes: list[int] = []
    ends_cut: list[bool] = []
    # a slice of the texts at a time: the keys are the copy that is kept
    slices = [(lo, min(lo + _TEXT_SLICE, n)) for lo in range(0, n, _TEXT_SLICE)]
    for slice_keys, slice_hashes, slice_cut in map_with_state(
        _key_texts, (paragraphs["text"], order), slices, workers
    ):
        keys += slice_keys
        key_hashes += slice_hashes
        ends_cut += slice_cut
    cut = [(i > 0 and doc_ids[i - 1] == doc_ids[i] and ends_cut[i - 1], ends_cut[i]) for i in range(n)]
    doc_rows: dict[str, list[int]] = {}
    for i, d in enumerate(doc_ids):
        doc_rows.setdefault(d, []).append(i)
    return _Rows(order, kinds, doc_ids, para_ids, keys, key_hashes, cut, doc_rows)


def _key_texts(state: tuple[pd.Series, np.ndarray], job: tuple[int, int]) -> tuple[list[str], list[int], list[bool]]:
    """dedup_key, its xxh3_64 and ends_unterminated of the texts at order[lo:hi].

    The shared state is (texts, order).
    """
    text_col, order = state
    lo, hi = job
    texts = text_col.iloc[order[lo:hi]].fillna("").tolist()
    keys = [dedup_key(t) for t in texts]
    return keys, [xxhash.xxh3_64_intdigest(k.encode()) for k in keys], [ends_unterminated(t) for t in texts]


def _find_copied_documents(rows: _Rows, verdicts: _Verdicts) -> None:
    """Step 1: whole documents whose (kind, key) sequence equals an earlier document's."""
    seen_doc: dict[bytes, str] = {}
    for d, drows in rows.doc_rows.items():
        # one encode per document: the same bytes as (kind, 0x1f, key, 0x1e) per row
        text = "".join([f"{rows.kinds[r]}\x1f{rows.keys[r]}\x1e" for r in drows])
        fp = xxhash.xxh3_128_digest(text.encode())
        if fp in seen_doc:
            kept = seen_doc[fp]
            verdicts.doc_dup[d] = kept
            for r, kr in zip(drows, rows.doc_rows[kept]):
                verdicts.drop(r, [kr], METHOD_EXACT, 1.0, reasons.DROPPED_DOCUMENT)
        else:
            seen_doc[fp] = d


def _find_exact_paragraphs(rows: _Rows, verdicts: _Verdicts, cfg: DedupConfig) -> list[int]:
    """Step 2: paragraphs whose key equals an earlier one's; returns the rows left unique.

    Body and caption paragraphs are compared across the corpus, headings and bylines
    within their document (WITHIN_DOCUMENT_KINDS).
    """
    first_of: dict[int, int] = {}
    first_in_document: dict[tuple[str, str, str], int] = {}
    unique: list[int] = []
    for i in range(len(rows.keys)):
        if i in verdicts.parent or len(rows.keys[i]) < cfg.min_exact_chars:
            continue
        kind = rows.kinds[i]
        if kind in WITHIN_DOCUMENT_KINDS:
            first = first_in_document.setdefault((rows.doc_ids[i], kind, rows.keys[i]), i)
            if first != i:
                verdicts.drop(i, [first], METHOD_EXACT, 1.0, reasons.DROPPED_EXACT)
            continue
        if kind not in DEDUP_KINDS:
            continue
        h = rows.key_hashes[i]
        if h in first_of:
            verdicts.drop(i, [first_of[h]], METHOD_EXACT, 1.0, reasons.DROPPED_EXACT)
        else:
            first_of[h] = i
            unique.append(i)
    return unique


class _CandidateSearch:
    """Step 3's state: the n-gram index over the candidates and what was dropped among them.

    Methods take candidate numbers; drop records rows in the verdicts.
    """

    def __init__(self, rows: _Rows, unique: list[int], verdicts: _Verdicts, cfg: DedupConfig, workers: int):
        self.cfg = cfg
        self.verdicts = verdicts
        self.rows = [i for i in unique if len(rows.keys[i]) >= cfg.min_containment_chars]
        self.keys = [rows.keys[i] for i in self.rows]
        self.cut = [rows.cut[i] for i in self.rows]
        release_free_memory()  # the texts read for the keys
        self.index = _build_index(self.keys, cfg.ngram, 8 * cfg.max_df, workers)
        release_free_memory()  # the sort's work arrays
        self.off = self.index.off
        # extra candidates, since some of the best ones may turn out dropped
        self.earlier, self.later = _top_partners(self.index, cfg.max_df, 2 * cfg.candidates, workers)
        release_free_memory()
        self.grams = _GramCache(self.keys, cfg.ngram, max(_GRAM_CACHE, 2 * _PREFETCH * (2 * cfg.candidates + 1)))
        # per candidate of the current block, per n-gram: its entry in the index
        self.groups: dict[int, np.ndarray] = {}
        self.dropped: set[int] = set()
        self.dropped_mask = np.zeros(len(self.rows), dtype=bool)
        self.workers = workers

    def n_grams(self, u: int) -> int:
        return self.off[u + 1] - self.off[u]

    def covered(self, u: int, cov: np.ndarray, max_junctions: int = 0) -> bool:
        """covered_ok for candidate u."""
        return covered_ok(cov, self.keys[u], self.cfg, max_junctions, self.cut[u])

    def covered_many(self, us: list[int], covs: list[np.ndarray], max_junctions: int = 0) -> np.ndarray:
        """covered for candidates us (repeats allowed), each with its covered array, at once."""
        if not us:
            return np.zeros(0, dtype=bool)
        cut = np.array([self.cut[u] for u in us], dtype=bool)
        counts = np.fromiter((len(c) for c in covs), dtype=np.int64, count=len(covs))
        keys = [self.keys[u] for u in us]
        return covered_ok_many(np.concatenate(covs), counts, keys, self.cfg, max_junctions, cut)

    def prefetch(self, block: list[int], also: list[int] = ()) -> None:
        """Hashes a block of candidates (and the candidates also) at once, and looks the block up."""
        self.grams.prefetch(block + list(also))
        self.look_up(block)

    def screen(self) -> tuple[dict[int, tuple[list[int], list[bool]]], ...]:
        """The candidates worth examining on each side (earlier, later), with what their partners cover.

        All of it needs no state (no drop so far), so it runs in worker
        processes, a block of candidates a job; the decisions, which depend
        on the drops before them, are taken in order afterwards.

        Returns:
            Per side, in candidate order: u -> (per one of u's first
            cfg.candidates partner slots, how many of u's n-grams that
            partner holds, and whether they cover u by themselves; 0 and
            False for an empty slot). The later slots, taken only when
            earlier partners were dropped, are compared when needed
            (see partner_cover).
        """
        # the n-grams no earlier (later) paragraph holds at all rule most
        # unique paragraphs out; vectorised first, over every candidate
        jobs = []
        for side, flag in enumerate((_EARLIER, _LATER)):
            held = self.index.mostly_held(flag, self.cfg.min_coverage)
            jobs += [(side, held[i : i + _SCREEN_BLOCK]) for i in range(0, len(held), _SCREEN_BLOCK)]
        out: tuple[dict, dict] = ({}, {})
        for (side, _), part in zip(jobs, map_with_state(_screen_block, self, jobs, self.workers)):
            out[side].update((u, (sums, oks)) for u, sums, oks in part)
        return out

    def screen_block(self, side: int, us: list[int]) -> list[tuple[int, list[int], list[bool]]]:
        """screen for some candidates us of one side (0: earlier, 1: later)."""
        partners = self.earlier if side == 0 else self.later
        flag, junctions = (_EARLIER, self.cfg.max_junctions) if side == 0 else (_LATER, 0)
        # the sources' n-grams cannot cover u better than all n-grams held earlier (later)
        ok = self.covered_many(us, [self.index.held(u, flag) for u in us], junctions)
        kept = [u for u, y in zip(us, ok.tolist()) if y]
        first = partners[kept, : self.cfg.candidates]
        self.grams.prefetch(kept + [a for a in first.ravel().tolist() if a >= 0])
        # every (u, partner) compared, then their coverage tested at once
        pairs = [(u, a) for u, row in zip(kept, first.tolist()) for a in row if a >= 0]
        covs = [self.contained(u, a) for u, a in pairs]
        oks = iter(self.covered_many([u for u, _ in pairs], covs).tolist())
        sums = iter([int(np.count_nonzero(cov)) for cov in covs])
        return [(u, [next(sums) if a >= 0 else 0 for a in row], [next(oks) if a >= 0 else False for a in row])
                for u, row in zip(kept, first.tolist())]

    def partner_cover(self, u: int, j: int, partners: np.ndarray, screened: dict) -> tuple[int, bool]:
        """(n-grams held, covers u) of u's partner in slot j: from the screen, or compared now."""
        sums, oks = screened[u]
        if j < len(sums):
            return sums[j], oks[j]
        cov = self.contained(u, int(partners[u, j]))
        return int(np.count_nonzero(cov)), self.covered(u, cov)

    def look_up(self, us: list[int]) -> None:
        """Finds the index entries of the n-grams of the candidates us, all at once."""
        index = self.index
        self.groups.clear()
        if not us or not len(index.hashes):
            return
        h = np.concatenate([self.grams.grams(u) for u in us])  # (prefetched)
        counts = [self.n_grams(u) for u in us]
        # in hash order, so the search reads the large index forward instead
        # of a few cache misses per n-gram
        order = np.argsort(h)
        g = np.empty(len(h), dtype=np.int64)
        g[order] = np.minimum(np.searchsorted(index.hashes, h[order]), len(index.hashes) - 1)
        # n-grams u alone holds name no source, and boilerplate ones (held by
        # more than 8 * max_df paragraphs) say nothing about it: neither is indexed
        g[index.hashes[g] != h] = -1
        self.groups.update(zip(us, np.split(g, np.cumsum(counts)[:-1])))

    def best_for(self, u: int, missing_pos: np.ndarray, later: bool = False) -> int | None:
        """The earlier (or later) kept candidate holding most of u's n-grams at missing_pos."""
        index = self.index
        if not len(index.hashes):
            return None
        grp = self.groups[u][missing_pos]
        grp = grp[grp >= 0]
        if not len(grp):
            return None
        lo = index.start[grp]
        size = index.start[grp + 1] - lo
        ends = np.cumsum(size)
        holders = index.holders[np.arange(ends[-1]) + np.repeat(lo - (ends - size), size)]
        side = holders > u if later else holders < u
        holders = holders[side & ~self.dropped_mask[holders]]
        return _most_frequent(holders) if len(holders) else None  # ties: the earliest paragraph

    def contained(self, u: int, a: int) -> np.ndarray:
        """Per n-gram of candidate u, whether candidate a holds it."""
        ref = self.grams.sorted(a)
        g = self.grams.grams(u)
        pos = np.minimum(np.searchsorted(ref, g), len(ref) - 1)
        return ref[pos] == g

    def is_piece(self, a: int, u: int) -> bool:
        """Whether candidate a is contained in candidate u."""
        return self.covered(a, self.contained(a, u))

    def kept_slots(self, u: int, partners: np.ndarray) -> list[int]:
        """The slots of u's first cfg.candidates partners not dropped so far."""
        slots = [j for j, a in enumerate(partners[u].tolist()) if a >= 0 and a not in self.dropped]
        return slots[: self.cfg.candidates]

    def drop(self, u: int, sources: list[int], method: str, score: float) -> None:
        self.dropped.add(u)
        self.dropped_mask[u] = True
        self.verdicts.drop(self.rows[u], [self.rows[a] for a in sources], method, score, _DROPPED_BY_METHOD[method])


def _find_in_earlier(search: _CandidateSearch, screened: dict[int, tuple[list[int], list[bool]]]) -> None:
    """Step 3a: candidates contained in an earlier kept one, or spliced from two.

    screened is _CandidateSearch.screen's answer for the earlier side: the
    candidates worth examining, in order, with their partners' coverage.
    """
    todo = list(screened)
    for k, u in enumerate(todo):
        if k % _PREFETCH == 0:
            block = todo[k : k + _PREFETCH]
            # the best partner of a candidate none covers is compared again (a splice's first source)
            search.prefetch(block, [int(search.earlier[v, int(np.argmax(screened[v][0]))]) for v in block
                                    if screened[v][0] and not any(screened[v][1])])
        m = search.n_grams(u)
        slots = search.kept_slots(u, search.earlier)
        srcs = [int(search.earlier[u, j]) for j in slots]
        covers = [search.partner_cover(u, j, search.earlier, screened) for j in slots]
        sums = [held for held, _ in covers]
        oks = [ok for _, ok in covers]
        # a piece made only of common phrases has no rare n-gram to pair it
        # with its source: ask the index who holds most of it (unless a
        # candidate holds all of u: it ranks first whatever the index says)
        extra = None if m in sums else search.best_for(u, np.arange(m))
        if extra is not None and extra not in srcs:
            cov = search.contained(u, extra)
            srcs.append(extra)
            sums.append(int(np.count_nonzero(cov)))
            oks.append(search.covered(u, cov))
        if not srcs:
            continue
        rank = sorted(range(len(srcs)), key=lambda i: (-sums[i], i))
        hit = next((i for i in rank if oks[i]), None)
        if hit is not None:
            search.drop(u, [srcs[hit]], METHOD_CONTAINMENT, sums[hit] / m)
        else:
            _try_splice(search, u, srcs[rank[0]], sums[rank[0]])


def _try_splice(search: _CandidateSearch, u: int, x: int, sum_x: int) -> None:
    """Drops candidate u as a splice of x, its best source (holding sum_x of its n-grams),
    and the kept candidate holding most of the rest."""
    cfg = search.cfg
    m = search.n_grams(u)
    # the second source is looked up in the index, not among the candidates:
    # near-copies of the first source crowd those
    if m - sum_x < cfg.min_part:
        return
    # a source that is itself a piece of u (a fragment seen before its
    # container) does not make u a splice: u is kept and the piece
    # yields. Asked of the first source before the index is searched for
    # the second (a compilation's line holding a paragraph is such a u)
    if search.is_piece(x, u):
        return
    cov_x = search.contained(u, x)
    y = search.best_for(u, np.flatnonzero(~cov_x))
    if y is None or y == x:
        return
    cov_y = search.contained(u, y)
    cov = cov_x | cov_y
    own_x = int(np.count_nonzero(cov & ~cov_y))
    own_y = int(np.count_nonzero(cov & ~cov_x))
    if min(own_x, own_y) < cfg.min_part or not _one_seam(cov_x, cov_y):
        return
    if search.is_piece(y, u):
        return
    if search.covered(u, cov, cfg.max_junctions):
        search.drop(u, [x, y], METHOD_SPLICE, float(np.count_nonzero(cov)) / m)


def _find_in_later(search: _CandidateSearch, screened: dict[int, tuple[list[int], list[bool]]]) -> None:
    """Step 3b: a kept candidate wholly inside a later kept one yields to the container.

    screened is _CandidateSearch.screen's answer for the later side.
    """
    # (only u itself is dropped in this loop, so the list can be made first)
    todo = [u for u in screened if u not in search.dropped]
    for k, u in enumerate(todo):
        if k % _PREFETCH == 0:
            search.prefetch(todo[k : k + _PREFETCH])
        m = search.n_grams(u)
        slots = search.kept_slots(u, search.later)
        conts = [int(search.later[u, j]) for j in slots]
        # (lazily: a slot past the screened ones is compared only if reached)
        covers = (search.partner_cover(u, j, search.later, screened) for j in slots)
        hit = next(((b, held) for b, (held, ok) in zip(conts, covers) if ok), None)
        if hit is not None:
            search.drop(u, [hit[0]], METHOD_CONTAINMENT, hit[1] / m)
            continue
        # the index is asked only when no candidate contains u (it was
        # tried last anyway)
        extra = search.best_for(u, np.arange(m), later=True)
        if extra is not None and extra not in conts:
            cov = search.contained(u, extra)
            if search.covered(u, cov):
                search.drop(u, [extra], METHOD_CONTAINMENT, float(cov.mean()))


def _find_contained(rows: _Rows, unique: list[int], verdicts: _Verdicts, cfg: DedupConfig, workers: int) -> None:
    """Step 3: fragments and splices among the unique paragraphs."""
    search = _CandidateSearch(rows, unique, verdicts, cfg, workers)
    earlier, later = search.screen()
    _find_in_earlier(search, earlier)
    _find_in_later(search, later)


def _screen_block(search: "_CandidateSearch", job: tuple[int, list[int]]) -> list[tuple[int, list[int], list[bool]]]:
    """_CandidateSearch.screen_block in a worker (the shared state is the search)."""
    side, us = job
    return search.screen_block(side, us)


def _find_repeating_documents(rows: _Rows, verdicts: _Verdicts, cfg: DedupConfig) -> None:
    """Step 4: documents whose deduplicated paragraphs all repeat one other document."""
    parent = verdicts.parent
    # (kind, key) -> first row, per kept document: made once, not once per
    # copy, or a large document many others repeat costs copies x its size
    key_rows: dict[str, dict[tuple[str, str], int]] = {}
    for d, drows in rows.doc_rows.items():
        if d in verdicts.doc_dup:
            continue
        body = [r for r in drows if rows.kinds[r] in DEDUP_KINDS and len(rows.keys[r]) >= cfg.min_exact_chars]
        if not body or any(r not in parent for r in body):
            continue
        homes = {rows.doc_ids[_resolve(r, parent)] for r in body}
        if len(homes) != 1 or d in homes:
            continue
        kept_doc = homes.pop()
        verdicts.doc_dup[d] = kept_doc
        by_key = key_rows.get(kept_doc)
        if by_key is None:
            by_key = key_rows[kept_doc] = _first_rows(rows.doc_rows.get(kept_doc, []), rows.kinds, rows.keys)
        for r in drows:
            if r in parent:
                continue
            kr = by_key.get((rows.kinds[r], rows.keys[r]))
            if kr is not None:
                verdicts.drop(r, [kr], METHOD_EXACT, 1.0, reasons.DROPPED_DOCUMENT)


def _paragraphs_out(paragraphs: pd.DataFrame, rows: _Rows, is_dup: np.ndarray) -> pd.DataFrame:
    out = paragraphs.iloc[rows.order].reset_index(drop=True)
    out["is_duplicate"] = is_dup
    out["n_chars"] = out["text"].fillna("").str.len().astype("int32")
    out["para_id"] = out["para_id"].astype("int32")
    return out[PARAGRAPH_OUT_COLUMNS].reset_index(drop=True)


def _lineage_out(rows: _Rows, verdicts: _Verdicts) -> pd.DataFrame:
    """paragraph_duplicates: each dropped row's sources, resolved to kept rows, in row order."""
    rows_out = []
    for r, src, method, score in verdicts.lineage:
        k = _resolve(src, verdicts.parent)
        rows_out.append((rows.doc_ids[r], rows.para_ids[r], rows.doc_ids[k], rows.para_ids[k], method, round(score, 4), r))
    dups = pd.DataFrame(rows_out, columns=DUPLICATE_COLUMNS + ["_r"])
    dups = dups.sort_values("_r", kind="stable").drop(columns="_r").reset_index(drop=True)
    dups["para_id"] = dups["para_id"].astype("int32")
    dups["kept_para_id"] = dups["kept_para_id"].astype("int32")
    dups["score"] = dups["score"].astype("float64")
    return dups


def _documents_out(documents: pd.DataFrame, out: pd.DataFrame, doc_dup: dict[str, str]) -> pd.DataFrame:
    docs = documents.copy()
    docs["is_duplicate"] = docs["doc_id"].isin(doc_dup.keys())
    docs["duplicate_of"] = pd.Series([doc_dup.get(d) for d in docs["doc_id"]], index=docs.index, dtype=object)
    counts = out.groupby("doc_id").size()
    docs["n_paragraphs"] = docs["doc_id"].map(counts).fillna(0).astype("int32")
    return docs


def dedup_corpus(
    documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: DedupConfig = DedupConfig(), workers: int = 1
) -> DedupResult:
    """Marks duplicate paragraphs and documents and records lineage.

    Steps (the module docstring says why): read the rows in order, copied
    documents, exact paragraphs, contained and spliced paragraphs, documents
    that repeat one other; then the output tables.

    Args:
        documents: Documents with at least doc_id, source_file, source_ordinal.
        paragraphs: Cleaned paragraphs (doc_id, para_id, kind, section, text, n_chars).
        cfg: Dedup settings.
        workers: Processes for the steps that split into jobs (keys, index
            passes, partner ranking, first coverage checks); the decisions
            run here, in order. Any number gives the same result.

    Returns:
        DedupResult; paragraphs come ordered by document (source_file,
        source_ordinal) then para_id, documents in their input order.
    """
    _check_columns(documents, paragraphs)
    release_free_memory()  # what earlier stages left
    rows = _read_rows(documents, paragraphs, workers)
    n = len(rows.keys)
    verdicts = _Verdicts(stats={
        "documents_in": len(documents), "paragraphs_in": n, reasons.DROPPED_EXACT: 0,
        reasons.DROPPED_CONTAINMENT: 0, reasons.DROPPED_SPLICE: 0, reasons.DROPPED_DOCUMENT: 0,
    })
    _find_copied_documents(rows, verdicts)
    unique = _find_exact_paragraphs(rows, verdicts, cfg)
    _find_contained(rows, unique, verdicts, cfg, workers)
    release_free_memory()  # the index and the n-gram cache
    _find_repeating_documents(rows, verdicts, cfg)

    is_dup = np.zeros(n, dtype=bool)
    is_dup[list(verdicts.parent)] = True
    out = _paragraphs_out(paragraphs, rows, is_dup)
    dups = _lineage_out(rows, verdicts)
    docs = _documents_out(documents, out, verdicts.doc_dup)
    verdicts.stats["paragraphs_kept"] = int((~is_dup).sum())
    verdicts.stats["documents_duplicate"] = len(verdicts.doc_dup)
    return DedupResult(documents=docs, paragraphs=out, paragraph_duplicates=dups, stats=verdicts.stats)
