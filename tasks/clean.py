"""Clean stage: normalised paragraph text and repaired (re-joined) cut paragraphs.

Takes the raw ``paragraphs`` of ingest (doc_id, para_id, kind, section, text)
and gives cleaned paragraphs with contiguous ``para_id`` per document plus a
``paragraph_repairs`` table recording every join and every paragraph that
became empty.

Text normalisation follows the usual web-corpus recipe (Unicode NFC, control
and zero-width characters removed, whitespace runs collapsed; cf. datatrove's
``formatters`` and cc_net's ``text_normalizer``), but folds only full-width
ASCII letters, digits and a few numeric symbols to half-width, so numbers parse
while Chinese punctuation stays as written.

Paragraph repair re-joins sentences that page-layout extraction cut in two:
body paragraph A that ends without terminal punctuation is joined to the next
body paragraph B of the same document when B does not look like a heading,
joining does not leave an unbalanced quote open, and neither A nor B's first
sentence is (mostly) text found elsewhere in the corpus. The last test matters
for layout-damaged pages such as ``seeds/000``: there a fragment that starts
mid-sentence is usually the tail of another paragraph, and joining it would
make its sentences appear twice among kept paragraphs. That test takes one
pass over the corpus's n-grams, whose chunks of rows are hashed in worker
processes; what they find is combined here, in chunk order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from tasks.dedup import (
    dedup_key,
    ends_unterminated,
    ngram_hashes_many,
    sorted_unique,
)
from tasks.parallel import map_with_feedback, release_free_memory
from tasks.parquet import large_string_array
from tasks.reasons import DROPPED_EMPTY, DROPPED_NO_TEXT, REPAIR_DROP_EMPTY, REPAIR_DROP_NO_TEXT, REPAIR_JOIN
from tasks.schemas import column_names
from tasks.text import LETTER, SENTENCE_TERMINATORS

PARAGRAPH_COLUMNS = ["doc_id", "para_id", "kind", "section", "text"]
CLEAN_COLUMNS = PARAGRAPH_COLUMNS + ["n_chars"]
REPAIR_COLUMNS = column_names("paragraph_repairs")


# Zero-width and other invisible format characters; category Cf covers the
# rest (soft hyphen, bidi marks, BOM).
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _invisible_code_points() -> list[int]:
    """Control (Cc, but newline and tab) and format (Cf) characters, zero-width ones included."""
    return [
        cp
        for cp in list(range(0x10000)) + list(range(0xE0000, 0xE0080)) + list(range(0x1D173, 0x1D17B))
        if chr(cp) not in "\n\t"
        and (chr(cp) in _ZERO_WIDTH or unicodedata.category(chr(cp)) in ("Cc", "Cf"))
    ]


def _invisible_class(cps: list[int]) -> re.Pattern[str]:
    """A regex class of the given code points.

    Built as code-point ranges: a class of single characters makes the regex
    engine many times slower on CJK text.
    """
    parts = []
    start = prev = cps[0]
    for cp in cps[1:] + [-1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = cp
    return re.compile("[" + "".join(parts) + "]")


_INVISIBLE_CPS = _invisible_code_points()
_INVISIBLE = _invisible_class(_INVISIBLE_CPS)
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_SPACE_CHARS = " \t\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_SPACE_RUN = re.compile(f"[{_SPACE_CHARS}]+")
# A page saved through an encoder without U+00A0/U+3000 writes '?' for each such space
# (portal pages: "??各位代表"); Chinese prose writes its question marks full-width, so a
# run of two or more ASCII '?' is a lost space, not text
_LOST_SPACES = re.compile(r"\?{2,}")
# A short non-table paragraph with no letter of any script is chrome: a page counter
# ("0", "3/12"), a separator ("***", "——") or lost spaces; a longer one may be a
# table flattened into prose, which is data, so it stays
_LETTER = re.compile(f"[{LETTER}]")
NO_TEXT_MAX_CHARS = 20
# A paragraph ends a sentence if its last non-closer character is one of
# these; a colon ends a lead-in ("以下六方面工作:"), not a cut sentence.
_SENT_END = SENTENCE_TERMINATORS
_HEADING_START = re.compile(
    r"^(#|第[一二三四五六七八九十百零〇\d]+[章节条部分篇]|[一二三四五六七八九十]+、"
    r"|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、．](?!\d))"
)


@dataclass(frozen=True)
class CleanConfig:
    """Settings of the clean stage.

    Attributes:
        fold_symbols: Full-width symbols folded to half-width besides letters
            and digits (so ``１２．５％`` becomes ``12.5%``).
        join_cut_paragraphs: Whether to re-join paragraphs cut mid-sentence.
        ngram: Characters per n-gram when testing whether a paragraph's opening
            is found elsewhere in the corpus.
        fragment_share: Share of a paragraph's n-grams (the next paragraph's
            first sentence, or the whole unterminated paragraph) held by one
            other paragraph at or above which it is treated as a copied or
            displaced piece and not joined.
        min_unterminated_chars: A paragraph without any sentence terminator is
            joined only if at least this long (shorter ones are title lines).
    """

    fold_symbols: str = "％．／＋"
    join_cut_paragraphs: bool = True
    ngram: int = 5
    fragment_share: float = 0.8
    min_unterminated_chars: int = 30

    def __post_init__(self) -> None:
        if any(not (0xFF01 <= ord(ch) <= 0xFF5E) for ch in self.fold_symbols):
            raise ValueError("fold_symbols must hold only full-width ASCII forms (U+FF01..U+FF5E)")
        if not 2 <= self.ngram <= 16:
            raise ValueError("ngram must be between 2 and 16")
        if not 0.0 < self.fragment_share <= 1.0:
            raise ValueError("fragment_share must be in (0, 1]")
        if self.min_unterminated_chars < 0:
            raise ValueError("min_unterminated_chars must be >= 0")


@dataclass(frozen=True)
class CleanResult:
    """Output of clean_paragraphs.

    Attributes:
        paragraphs: Cleaned paragraphs (CLEAN_COLUMNS), para_id contiguous per doc.
        repairs: One row per join or dropped paragraph (paragraph_repairs).
        stats: Counts: paragraphs_in, paragraphs_out, joins, dropped_empty, dropped_no_text, text_changed.
    """

    paragraphs: pd.DataFrame
    repairs: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


@functools.lru_cache(maxsize=8)
def _fold_table(symbols: str) -> dict[int, str]:
    table = {}
    for cp in range(0xFF01, 0xFF5F):
        ch = chr(cp)
        if ch.isalnum() or ch in symbols:
            table[cp] = chr(cp - 0xFEE0)
    return table


def normalize_text(text: str, kind: str = "body", cfg: CleanConfig | None = None) -> str:
    """Normalises one paragraph's text.

    Args:
        text: Raw paragraph text from ingest.
        kind: Paragraph kind; ``table`` text keeps its line breaks (one cell a
            line) and is normalised per line, other kinds become one line.
        cfg: Clean settings (the default config when None).

    Returns:
        NFC text without control or zero-width characters, space runs collapsed
        to one space, full-width letters/digits/fold_symbols made half-width.
    """
    cfg = cfg or CleanConfig()
    fold = _fold_table(cfg.fold_symbols)
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    if "??" in text:
        text = _LOST_SPACES.sub(" ", text)
    if _FULL_WIDTH.search(text):
        text = text.translate(fold)
    if kind == "table":
        lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    # a line break inside a prose paragraph is a layout artefact, not content
    return _SPACE_RUN.sub(" ", text.replace("\n", " ")).strip()


@functools.cache
def _may_change_table() -> np.ndarray:
    """Per code point, whether normalize_text may change a text holding it (NFC aside).

    Invisible characters, every whitespace character (space runs collapse, ends
    are stripped: the plain space is in too), '?' (lost spaces), CR and LF, and
    the full-width forms.
    """
    table = np.zeros(0x110000, dtype=bool)
    table[_INVISIBLE_CPS] = True
    table[[cp for cp in range(0x10000) if chr(cp).isspace()]] = True  # no whitespace lies beyond the BMP
    table[[ord(ch) for ch in _SPACE_CHARS + "?\r\n"]] = True
    table[0xFF01:0xFF5F] = True
    return table


# Texts screened per numpy pass in _may_change (bounds its code-point array).
_SCREEN_SLICE = 1 << 14


def _may_change(texts: list) -> list[bool]:
    """Per text, whether normalize_text may change it, NFC aside (True for a missing text).

    One numpy pass over the code points of many texts: most paragraphs hold
    none of the characters normalisation touches, and scanning them with its
    regexes one by one costs several times more.

    Args:
        texts: Raw paragraph texts (a missing one is not a str).

    Returns:
        Per text, True when it holds a character of _may_change_table or is not a str.
    """
    table = _may_change_table()
    out = np.zeros(len(texts), dtype=bool)
    for lo in range(0, len(texts), _SCREEN_SLICE):
        part = [t if isinstance(t, str) else "\n" for t in texts[lo : lo + _SCREEN_SLICE]]
        cps = np.frombuffer("".join(part).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ends = np.cumsum([len(t) for t in part])
        # the text of each flagged character
        out[lo + np.searchsorted(ends, np.flatnonzero(table[cps]), side="right")] = True
    return out.tolist()


def _first_sentence(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in _SENT_END:
            return text[: i + 1]
    return text


def _open_quote(text: str) -> bool:
    return text.count("“") > text.count("”")


def _not_a_title(text: str, cfg: CleanConfig) -> bool:
    """A line with no sentence end is a cut sentence only if long or clause-punctuated."""
    if any(ch in _SENT_END for ch in text) or len(text) >= cfg.min_unterminated_chars:
        return True
    # title lines rarely carry a comma; '完成城市有机更新10万平方' cut lines do
    return len(text) >= cfg.min_unterminated_chars // 2 and any(ch in ",，、" for ch in text)


def _ends_with_number(text: str, ntext: str) -> bool:
    """A paragraph ending in a figure ('达到42.86%') lost its full stop; it was not cut.

    Only a next paragraph that continues the number ('.3%', '%') undoes that.
    """
    last = text.rstrip()[-1:]
    if not (last.isdigit() or last in "%%"):
        return False
    return not (ntext[:1].isdigit() or ntext[:1] in ".%%")


def _join_candidates(doc_paras: list[tuple[str, str]], cfg: CleanConfig) -> list[bool]:
    """Returns, per paragraph, whether it may be joined to the next (before the corpus test)."""
    ok = []
    for i, (kind, text) in enumerate(doc_paras):
        if i + 1 >= len(doc_paras):
            ok.append(False)
            continue
        nkind, ntext = doc_paras[i + 1]
        can = (
            kind == "body"
            and nkind == "body"
            and bool(text)
            and bool(ntext)
            and ends_unterminated(text)
            and _not_a_title(text, cfg)
            and not _HEADING_START.match(ntext)
            and not _ends_with_number(text, ntext)
        )
        if can and _open_quote(text) and "”" not in _first_sentence(ntext):
            # joining would leave a quote open across a sentence end: the two
            # pieces come from different places (seeds/000 '千万倍' + '区。')
            can = False
        ok.append(can)
    return ok


# n-grams held by more paragraphs than this are set phrases, not evidence of a copy
_BOILERPLATE_DF = 64
# Paragraphs hashed and looked up per job of the corpus pass in _found_elsewhere.
_CHUNK_ROWS = 4096
# Jobs of that pass made before the set phrases found by a job are known to
# later ones (the workers stay busy meanwhile; see map_with_feedback), at least
# one fewer than the workers. The holders found do not depend on it: a set
# phrase known later is only looked for longer, and its holders are dropped.
_JOBS_BEHIND = 4
# (probe, holder) votes counted at a time in _found_elsewhere.
_VOTE_SLICE = 1 << 19


class _Holders(NamedTuple):
    """Which corpus rows hold each wanted n-gram (arrays indexed like all_wanted).

    Attributes:
        df: Rows holding each wanted n-gram (its document frequency), exact up
            to _BOILERPLATE_DF; above it only "more" counts, and counting stops.
        rows: Holder rows grouped by n-gram, only for n-grams held by at most
            _BOILERPLATE_DF rows: those of n-gram i are rows[start[i]:start[i] + df[i]].
        start: Where each n-gram's holders begin in rows.
    """

    df: np.ndarray
    rows: np.ndarray
    start: np.ndarray


def _probe_hashes(probes: dict[object, tuple[set[int], str]], n: int) -> dict[object, np.ndarray]:
    """The distinct n-gram hashes of each probe text, leaving out probes too short to have any.

    Args:
        probes: Probe id -> (rows not to count as "other", the probe text).
        n: Characters per n-gram.

    Returns:
        Probe id -> sorted distinct hashes of the probe's dedup key.
    """
    pids = list(probes)
    hashes, counts = ngram_hashes_many([dedup_key(probes[p][1]) for p in pids], n)
    probe = np.repeat(np.arange(len(pids)), counts)
    # one sort for all probes (by probe, then hash) rather than one per probe
    order = np.lexsort((hashes, probe))
    hashes, probe = hashes[order], probe[order]
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = (hashes[1:] != hashes[:-1]) | (probe[1:] != probe[:-1])
    hashes, probe = hashes[first], probe[first]
    bounds = np.searchsorted(probe, np.arange(len(pids) + 1)).tolist()
    return {p: hashes[bounds[i] : bounds[i + 1]] for i, p in enumerate(pids) if bounds[i + 1] > bounds[i]}


class _Lookup(NamedTuple):
    """Wanted n-gram hashes, to find among the corpus' n-gram hashes (made before the workers fork).

    Attributes:
        index: The hashes looked for (a hash table: a binary search per corpus
            n-gram takes several times longer), its table built already.
        slot_bits: The top bits of a hash that name its slot.
        slots: Per wanted n-gram, its slot: a corpus n-gram whose slot holds
            no n-gram still looked for is ruled out by one array read, before
            the hash table is asked (most are, once set phrases are known).
    """

    index: pd.Index
    slot_bits: int
    slots: np.ndarray


def _lookup_of(all_wanted: np.ndarray) -> _Lookup:
    """The _Lookup of the wanted hashes, with about eight slots per wanted n-gram."""
    slot_bits = min(26, max(16, len(all_wanted).bit_length() + 3))
    index = pd.Index(all_wanted)
    index.get_indexer(all_wanted[:1])  # builds the hash table once, here, not once per job
    return _Lookup(index, slot_bits, (all_wanted >> np.uint64(64 - slot_bits)).astype(np.intp))


def _chunk_pairs(state: tuple[list[str], _Lookup, int], job: tuple[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (wanted n-gram, row) pairs of a chunk of corpus rows (run in a worker).

    Args:
        state: (texts, lookup, n): all texts by row, the wanted n-grams, characters per n-gram.
        job: (lo, common): the chunk is the _CHUNK_ROWS rows from row lo; common
            is np.packbits of the wanted n-grams known to be set phrases, which
            are not looked for (their holders are never asked for).

    Returns:
        (w, r): ids of the n-grams found and their rows, as int32, sorted by w then r.
    """
    texts, lookup, n = state
    lo, common = job
    sought = np.unpackbits(common, count=len(lookup.slots)) == 0
    slot_sought = np.zeros(1 << lookup.slot_bits, dtype=bool)
    slot_sought[lookup.slots[sought]] = True
    chunk = texts[lo : lo + _CHUNK_ROWS]
    every, lens = ngram_hashes_many([dedup_key(t) for t in chunk], n)
    at = np.flatnonzero(slot_sought[(every >> np.uint64(64 - lookup.slot_bits)).astype(np.intp)])
    found = lookup.index.get_indexer(every[at])
    del every
    hit = found >= 0
    at, w = at[hit], found[hit]
    keep = sought[w]
    at, w = at[keep], w[keep].astype(np.int64)
    r = lo + np.searchsorted(np.cumsum(lens), at, side="right")
    hi = lo + len(chunk)
    pair = sorted_unique(w * hi + r)
    return (pair // hi).astype(np.int32), (pair % hi).astype(np.int32)


def _holders_of_wanted(texts: list[str], all_wanted: np.ndarray, n: int, workers: int = 1) -> _Holders:
    """Counts and lists the rows holding each wanted n-gram, in one pass over the corpus.

    Never pairwise, and in chunks of _CHUNK_ROWS rows so memory stays bounded:
    the holders of a set phrase (more than _BOILERPLATE_DF rows) are never
    asked for, so they are not kept, which leaves at most that many per n-gram.
    The chunks are jobs of one pool of worker processes; each job looks only
    for the n-grams not found to be set phrases by the jobs more than
    _JOBS_BEHIND (or workers - 1, if more) before it.

    Args:
        texts: All cleaned paragraph texts of the corpus, by global row.
        all_wanted: Sorted distinct n-gram hashes of all probes.
        n: Characters per n-gram.
        workers: Processes hashing the chunks; the result does not depend on it.

    Returns:
        The document frequency and the grouped holder rows of each wanted n-gram.
    """
    df = np.zeros(len(all_wanted), dtype=np.int64)
    held_w, held_r = [], []
    starts = list(range(0, len(texts), _CHUNK_ROWS))

    def make_job(i: int) -> tuple[int, np.ndarray]:
        return starts[i], np.packbits(df > _BOILERPLATE_DF)

    def add(_: int, pairs: tuple[np.ndarray, np.ndarray]) -> None:
        # chunks in row order: the counts of a chunk's rows add up
        w, r = pairs
        df[:] += np.bincount(w, minlength=len(all_wanted))
        few = df[w] <= _BOILERPLATE_DF
        held_w.append(w[few])
        held_r.append(r[few])

    map_with_feedback(_chunk_pairs, (texts, _lookup_of(all_wanted), n), len(starts), make_job, workers,
                      max(_JOBS_BEHIND, workers - 1), add)
    # leave out the n-grams that turned set phrases after their first holders were kept
    few = [df[pw] <= _BOILERPLATE_DF for pw in held_w]
    w = np.concatenate([pw[k] for pw, k in zip(held_w, few)] + [np.zeros(0, dtype=np.int32)])
    r = np.concatenate([pr[k] for pr, k in zip(held_r, few)] + [np.zeros(0, dtype=np.int32)])
    del held_w, held_r, few
    hr = r[np.argsort(w, kind="stable")]
    del w, r
    n_held = np.where(df <= _BOILERPLATE_DF, df, 0)
    return _Holders(df=df, rows=hr, start=np.cumsum(n_held) - n_held)


def _best_holder_votes(
    pids: list[object],
    wanted: dict[object, np.ndarray],
    probes: dict[object, tuple[set[int], str]],
    all_wanted: np.ndarray,
    holders: _Holders,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts, per probe, its telling n-grams and the most of them one other row holds.

    Vectorised: for every (probe, n-gram), the other rows holding it vote for
    being the source of the probe.

    Args:
        pids: The probe ids with n-grams, in the order of the returned arrays.
        wanted: Probe id -> its distinct n-gram hashes.
        probes: Probe id -> (rows not to count as "other", the probe text).
        all_wanted: Sorted distinct n-gram hashes of all probes.
        holders: The holders of each wanted n-gram.
        n_rows: Rows of the corpus.

    Returns:
        Per probe, the votes of its best other row and its number of n-grams
        that are not set phrases.
    """
    ph = np.concatenate([wanted[p] for p in pids])
    pi = np.repeat(np.arange(len(pids)), [len(wanted[p]) for p in pids])
    widx = np.searchsorted(all_wanted, ph)
    size = holders.df[widx]
    # set phrases held everywhere are no sign of a copy: they do not count at all
    telling = np.bincount(pi[size <= _BOILERPLATE_DF], minlength=len(pids))
    ok = (size > 0) & (size <= _BOILERPLATE_DF)
    lo, size, pi = holders.start[widx[ok]], size[ok], pi[ok]
    del ph, widx, ok
    mine = np.array([sorted(probes[p][0]) + [-1] * (2 - len(probes[p][0])) for p in pids], dtype=np.int64)
    best = _max_votes(lo, size, pi, holders.rows, mine, n_rows)
    return best, telling


def _max_votes(
    lo: np.ndarray, size: np.ndarray, pi: np.ndarray, hr: np.ndarray, mine: np.ndarray, n_rows: int
) -> np.ndarray:
    """The most votes any one other row gives each probe, counted a slice of probes at a time.

    Whole probes at a time, about _VOTE_SLICE holders (up to _BOILERPLATE_DF
    per n-gram), so the work arrays stay small.

    Args:
        lo: Per (probe, n-gram) entry, where its holders begin in hr; entries are in probe order.
        size: Per entry, how many rows hold the n-gram.
        pi: Per entry, the probe's index.
        hr: Holder rows grouped by n-gram.
        mine: Per probe, the (up to two, -1 padded) rows that are not "other".
        n_rows: Rows of the corpus.

    Returns:
        Per probe index, the votes of its best other row (0 when none).
    """
    best = np.zeros(len(mine), dtype=np.int64)
    ends = np.cumsum(size)
    b0 = 0
    while b0 < len(size):
        base = int(ends[b0 - 1]) if b0 else 0
        b1 = max(b0 + 1, int(np.searchsorted(ends, base + _VOTE_SLICE, side="right")))
        b1 = int(np.searchsorted(pi, pi[b1 - 1], side="right"))
        s, p = size[b0:b1], pi[b0:b1]
        e = np.cumsum(s)
        pos = np.arange(e[-1]) - np.repeat(e - s, s) + np.repeat(lo[b0:b1], s)
        who = hr[pos].astype(np.int64)
        probe = np.repeat(p, s)
        del pos, e
        other = (who != mine[probe, 0]) & (who != mine[probe, 1])
        key = probe[other] * n_rows + who[other]
        del who, probe, other
        pair, votes = np.unique(key, return_counts=True)
        np.maximum.at(best, pair // n_rows, votes)
        b0 = b1
    return best


def _found_elsewhere(
    texts: list[str], probes: dict[object, tuple[set[int], str]], cfg: CleanConfig, workers: int = 1
) -> set[object]:
    """Finds probe texts that are mostly found in other paragraphs of the corpus.

    Args:
        texts: All cleaned paragraph texts of the corpus, by global row.
        probes: Probe id -> (rows not to count as "other": the pair being
            considered for a join, the probe text).
        cfg: Clean settings.
        workers: Processes hashing the corpus; the result does not depend on it.

    Returns:
        Probe ids with at least fragment_share of their n-grams held by one
        other paragraph (an exact copy of a row counts as other text).
    """
    if not probes:
        return set()
    wanted = _probe_hashes(probes, cfg.ngram)
    if not wanted:
        return set()
    all_wanted = sorted_unique(np.concatenate(list(wanted.values())))
    holders = _holders_of_wanted(texts, all_wanted, cfg.ngram, workers)
    pids = list(wanted)
    best, telling = _best_holder_votes(pids, wanted, probes, all_wanted, holders, len(texts))
    # one other paragraph must hold most of it: a copy, not shared phrasing.
    # Text made only of set phrases gives no evidence either way; it is not
    # joined, since a wrong join can hide a copy while a missed one loses nothing.
    share = np.divide(best, telling, out=np.ones(len(pids)), where=telling > 0)
    return {p for p, x in zip(pids, share.tolist()) if x >= cfg.fragment_share}


# Texts converted to Arrow at a time when the output table is built.
_ARROW_SLICE = 16384


def _text_column(texts: list[str], raw_pos: list[int], raw: pd.Series) -> object:
    """The texts as the column pandas would make of them.

    Most output texts are raw texts as they were (normalisation and joining
    leave them alone): with Arrow-backed strings, those are taken from the raw
    column's Arrow array at raw_pos, and only the others are converted, from
    UTF-8 bytes a slice at a time. Given str objects, pyarrow has CPython
    cache a UTF-8 copy inside each one (kept while the str lives) and grows
    its buffer by doubling: about three times the text at once.

    Args:
        texts: The output texts.
        raw_pos: Per output text, its row in raw when it is that raw text as it was, else -1.
        raw: The raw text column of the input.
    """
    dtype = pd.Series([""]).dtype
    if not texts or getattr(dtype, "storage", None) != "pyarrow":
        return texts
    import pyarrow as pa

    def arrow(values: list[str]) -> list:
        return [large_string_array(values[lo : lo + _ARROW_SLICE]) for lo in range(0, len(values), _ARROW_SLICE)]

    if raw.dtype != dtype:
        return pd.array(pa.chunked_array(arrow(texts), type=pa.large_string()), dtype=dtype)
    pos = np.asarray(raw_pos, dtype=np.int64)
    new = np.flatnonzero(pos < 0)
    pos[new] = len(raw) + np.arange(len(new))
    raw_chunks = raw.array.__arrow_array__().cast(pa.large_string()).chunks
    fresh = arrow([texts[i] for i in new.tolist()])
    column = pa.chunked_array(raw_chunks + fresh, type=pa.large_string()).take(pa.array(pos))
    return pd.array(column, dtype=dtype)


class _Rows(NamedTuple):
    """The raw paragraph columns as lists, in reading order (documents as given, then para_id).

    Attributes:
        docs: Document id of each row.
        para_ids: Ingest para_id of each row.
        kinds: Paragraph kind of each row.
        sections: Section of each row.
        texts: Text of each row (normalised in place by _normalise_texts).
        raw_pos: Row of each in the input table while its text is the raw
            text as it was (-1 once normalisation changed it).
    """

    docs: list
    para_ids: list[int]
    kinds: list
    sections: list
    texts: list
    raw_pos: list[int]


def _reading_order(paragraphs: pd.DataFrame) -> tuple[dict[object, int], list[int]]:
    """The position of each document and the order of the rows to read.

    Args:
        paragraphs: Raw paragraphs from ingest.

    Returns:
        Document id -> its position in the input, and the row positions of
        paragraphs sorted by that position, then by their ingest para_id.
    """
    doc_order = {d: i for i, d in enumerate(pd.unique(paragraphs["doc_id"]))}
    sort_keys = pd.DataFrame({
        "_doc_ord": paragraphs["doc_id"].map(doc_order).reset_index(drop=True),
        "para_id": paragraphs["para_id"].reset_index(drop=True),
    })
    return doc_order, sort_keys.sort_values(["_doc_ord", "para_id"], kind="stable").index.tolist()


def _read_columns(paragraphs: pd.DataFrame, order: list[int]) -> _Rows:
    """The columns of paragraphs as lists in the given row order (no sorted copy of the table).

    Args:
        paragraphs: Raw paragraphs from ingest.
        order: Row positions in reading order.

    Returns:
        The columns, reordered.
    """

    def column(values: list) -> list:
        return [values[i] for i in order]

    return _Rows(
        docs=column(paragraphs["doc_id"].tolist()),
        para_ids=column(paragraphs["para_id"].astype(int).tolist()),
        kinds=column(paragraphs["kind"].tolist()),
        sections=column(paragraphs["section"].tolist()),
        texts=column(paragraphs["text"].tolist()),
        raw_pos=list(order),
    )


def _normalise_texts(rows: _Rows, cfg: CleanConfig) -> int:
    """Normalises every text in place (a missing text becomes empty).

    Args:
        rows: The paragraph columns; rows.texts is rewritten.
        cfg: Clean settings.

    Returns:
        How many texts normalisation changed.
    """
    changed = 0
    texts = rows.texts
    for row, (kind, text, may_change) in enumerate(zip(rows.kinds, texts, _may_change(texts))):
        if not may_change and kind != "table" and unicodedata.is_normalized("NFC", text):
            continue  # normalize_text would return it as it is
        if not isinstance(text, str):
            text = ""
            rows.raw_pos[row] = -1  # a missing text becomes ""
        clean = normalize_text(text, kind, cfg)
        if clean != text:
            changed += 1
            rows.raw_pos[row] = -1
        texts[row] = clean
    return changed


def _drop_textless(rows: _Rows, stats: dict[str, int]) -> tuple[list[int], list[dict]]:
    """Drops empty paragraphs and short non-table ones without letters (chrome).

    Empty paragraphs go before joining, so a cut sentence around an empty line
    still joins; chrome without letters (page counters) is recorded the same way.

    Args:
        rows: The normalised paragraph columns.
        stats: Clean counts; dropped_empty and dropped_no_text are added to.

    Returns:
        The kept rows in order, and one repair row per dropped paragraph.
    """
    keep_rows = []
    repairs: list[dict] = []
    for row, text in enumerate(rows.texts):
        if text and (rows.kinds[row] == "table" or len(text) > NO_TEXT_MAX_CHARS or _LETTER.search(text)):
            keep_rows.append(row)
            continue
        repair, stat, detail = ((REPAIR_DROP_NO_TEXT, DROPPED_NO_TEXT, f"no letters: {text!r}") if text
                                else (REPAIR_DROP_EMPTY, DROPPED_EMPTY, "empty after normalisation"))
        stats[stat] += 1
        repairs.append({"doc_id": rows.docs[row], "para_id": None, "repair": repair,
                        "source_para_ids": [rows.para_ids[row]], "join_offsets": [0], "detail": detail})
    return keep_rows, repairs


def _candidate_joins(rows: _Rows, keep_rows: list[int], cfg: CleanConfig) -> dict[int, int]:
    """Joins allowed by the paragraphs themselves, before the corpus test.

    Args:
        rows: The normalised paragraph columns.
        keep_rows: The rows kept after the drops, in reading order.
        cfg: Clean settings.

    Returns:
        Row -> the next kept row of the same document it may be joined to.
    """
    can_join: dict[int, int] = {}
    by_doc: dict[str, list[int]] = {}
    for row in keep_rows:
        by_doc.setdefault(rows.docs[row], []).append(row)
    for doc_rows in by_doc.values():
        flags = _join_candidates([(rows.kinds[r], rows.texts[r]) for r in doc_rows], cfg)
        for i, flag in enumerate(flags):
            if flag:
                can_join[doc_rows[i]] = doc_rows[i + 1]
    return can_join


def _without_displaced_pieces(
    texts: list[str], can_join: dict[int, int], cfg: CleanConfig, workers: int = 1
) -> dict[int, int]:
    """Leaves out the joins whose pieces are found elsewhere in the corpus.

    B's opening found elsewhere: B is the displaced tail of another paragraph
    (seeds/000 '转型步伐,…'). A found elsewhere: A is itself a copied piece, and
    gluing a unique B to it would hide the copy from dedup.

    Args:
        texts: All normalised paragraph texts, by row.
        can_join: Candidate joins, row A -> row B.
        cfg: Clean settings.
        workers: Processes hashing the corpus.

    Returns:
        The candidate joins neither of whose pieces is found elsewhere.
    """
    probes: dict[object, tuple[set[int], str]] = {}
    for a, b in can_join.items():
        probes[("head", b)] = ({a, b}, _first_sentence(texts[b]))
        probes[("tail", a)] = ({a, b}, texts[a])
    displaced = _found_elsewhere(texts, probes, cfg, workers)
    return {
        a: b for a, b in can_join.items()
        if ("head", b) not in displaced and ("tail", a) not in displaced
    }


def _join_chains(
    rows: _Rows, keep_rows: list[int], can_join: dict[int, int], stats: dict[str, int], repairs: list[dict]
) -> tuple[dict[str, list], list[int]]:
    """Builds the output paragraphs, each chain of joined rows made one paragraph.

    Args:
        rows: The normalised paragraph columns.
        keep_rows: The rows kept after the drops, in reading order.
        can_join: The joins to make, row A -> row B.
        stats: Clean counts; joins is added to.
        repairs: Repair rows; one join row per joined paragraph is appended.

    Returns:
        The output columns (CLEAN_COLUMNS) as lists, para_id renumbered 0..n-1
        per document; and per output paragraph, the input row whose raw text
        it is unchanged (-1 for a normalised or joined text).
    """
    texts, docs, kinds, sections, raw_pos = rows.texts, rows.docs, rows.kinds, rows.sections, rows.raw_pos
    out_docs, out_pids, out_kinds, out_sections, out_texts, out_raw = [], [], [], [], [], []
    joined_into: set[int] = set(can_join.values())
    new_id: dict[str, int] = {}
    for row in keep_rows:
        if row in joined_into:
            continue
        doc = docs[row]
        pid = new_id.get(doc, 0)
        new_id[doc] = pid + 1
        out_docs.append(doc)
        out_pids.append(pid)
        out_kinds.append(kinds[row])
        out_sections.append(sections[row])
        if row not in can_join:
            out_texts.append(texts[row])
            out_raw.append(raw_pos[row])
            continue
        chain = [row]
        while chain[-1] in can_join:
            chain.append(can_join[chain[-1]])
        text = ""
        offsets = []
        for r in chain:
            offsets.append(len(text))
            text += texts[r]
        out_texts.append(text)
        out_raw.append(-1)
        stats["joins"] += len(chain) - 1
        detail = " | ".join(
            f"…{texts[a][-8:]}|{texts[b][:8]}…" for a, b in zip(chain, chain[1:])
        )
        repairs.append(
            {"doc_id": doc, "para_id": pid, "repair": REPAIR_JOIN,
             "source_para_ids": [rows.para_ids[r] for r in chain], "join_offsets": offsets,
             "detail": detail}
        )
    out_cols = dict(zip(CLEAN_COLUMNS, (out_docs, out_pids, out_kinds, out_sections, out_texts,
                                        [len(t) for t in out_texts])))
    return out_cols, out_raw


def _paragraph_table(out_cols: dict[str, list], raw_pos: list[int], raw_texts: pd.Series) -> pd.DataFrame:
    """The cleaned paragraphs table, built from the output columns, which are emptied.

    Built from columns: from rows, pandas first makes an object matrix of them
    (and an empty table is typed as from rows: object columns).

    Args:
        out_cols: The output columns (CLEAN_COLUMNS) as lists; cleared once the
            table holds them, so their memory can go back.
        raw_pos: Per output paragraph, the input row whose raw text it is unchanged, or -1.
        raw_texts: The input text column.

    Returns:
        The paragraphs table, para_id and n_chars as int32.
    """
    out_cols["text"] = _text_column(out_cols["text"], raw_pos, raw_texts)
    out = pd.DataFrame(out_cols if len(out_cols["text"]) else [], columns=CLEAN_COLUMNS)
    out_cols.clear()
    release_free_memory()
    out["para_id"] = out["para_id"].astype("int32")
    out["n_chars"] = out["n_chars"].astype("int32")
    return out


def _repair_table(repairs: list[dict], doc_order: dict[object, int]) -> pd.DataFrame:
    """The paragraph_repairs table, in document order, drops before the joins of a document.

    Args:
        repairs: Repair rows (REPAIR_COLUMNS).
        doc_order: Document id -> its position in the input.

    Returns:
        The repairs table, para_id as nullable Int32.
    """
    rep = pd.DataFrame(repairs, columns=REPAIR_COLUMNS)
    if len(rep):
        rep["_o"] = rep["doc_id"].map(doc_order)
        rep = rep.sort_values(["_o", "para_id"], kind="stable", na_position="first").drop(columns="_o")
        rep = rep.reset_index(drop=True)
    rep["para_id"] = rep["para_id"].astype("Int32")
    return rep


def clean_paragraphs(paragraphs: pd.DataFrame, cfg: CleanConfig = CleanConfig(), workers: int = 1) -> CleanResult:
    """Normalises paragraph text and re-joins paragraphs cut mid-sentence.

    Args:
        paragraphs: Raw paragraphs from ingest (doc_id, para_id, kind, section, text).
        cfg: Clean settings.
        workers: Processes for the corpus pass of the fragment check (the
            result is the same for any number).

    Returns:
        CleanResult with cleaned paragraphs (para_id renumbered 0..n-1 per
        document, in the input order of documents), the repairs table and stats.
    """
    missing = [c for c in PARAGRAPH_COLUMNS if c not in paragraphs.columns]
    if missing:
        raise ValueError(f"paragraphs lacks columns {missing}")
    release_free_memory()  # what earlier stages left
    # keep document order as given, paragraphs ordered by their ingest id
    doc_order, order = _reading_order(paragraphs)
    rows = _read_columns(paragraphs, order)
    del order
    stats = {"paragraphs_in": len(paragraphs), "joins": 0, DROPPED_EMPTY: 0, DROPPED_NO_TEXT: 0, "text_changed": 0}
    stats["text_changed"] = _normalise_texts(rows, cfg)
    keep_rows, repairs = _drop_textless(rows, stats)
    can_join: dict[int, int] = {}
    if cfg.join_cut_paragraphs:
        can_join = _without_displaced_pieces(rows.texts, _candidate_joins(rows, keep_rows, cfg), cfg, workers)
    out_cols, raw_pos = _join_chains(rows, keep_rows, can_join, stats, repairs)
    # the pieces' texts go before the text column is built
    del rows
    out = _paragraph_table(out_cols, raw_pos, paragraphs["text"])
    rep = _repair_table(repairs, doc_order)
    stats["paragraphs_out"] = len(out)
    return CleanResult(paragraphs=out, repairs=rep, stats=stats)
