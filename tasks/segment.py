"""Segmentation stage: kept paragraphs -> sentences and POS-tagged tokens.

Takes kept paragraphs (doc_id, para_id, kind, section, text; ``table`` and
``byline`` paragraphs are skipped, so are rows flagged ``is_duplicate``) and
gives the ``sentences`` table (the spans of :func:`tasks.sentences.sentence_spans`),
the ``tokens`` table (one row per word with its part of speech and character
offsets into the paragraph text) and a small ``segment_lexicon`` table listing
every word added on top of jieba's own dictionary.

Method: jieba's dictionary segmentation (max-probability route over the
prefix DAG of dict.txt, plus its HMM for unknown words), as in
``fxsjy/jieba:jieba/__init__.py`` (Tokenizer.__cut_DAG), run by jieba-rs
(``messense/jieba-rs``, the same algorithm, dictionary format and HMM in Rust,
through its Python binding ``rjieba``), with these changes:

* A private ``rjieba.Jieba`` per process, built empty and filled with
  ``add_word(word, freq, tag)``: jieba's dict.txt (~0.3 s), then the lexicon.
  jieba itself only supplies its dict.txt.
* Lexicon = jieba's dict.txt + the domain dictionary ``resources/userdict.txt``
  (Zhejiang places, programme names, organisations) + words harvested from the
  input itself: every quoted phrase “…” of 2-8 CJK characters (slogans such as
  “红色根脉”, “十三五” that jieba cuts into pieces) + ``cfg.extra_words``
  (e.g. names found by the extraction stage). The harvest is sorted, so the
  same input always gives the same lexicon, whatever the worker count.
* Numbers are protected by a regex *before* the engine sees the text: a number
  with its unit or percent sign (716.66亿元, 8.3%, 1346亩, 2021年, 12月28日) is
  one token tagged ``m`` (``t`` for calendar units), because jieba's HMM cuts
  decimals into '716/./66'. Latin words (GDP, 5G) become one ``eng`` token.
  Only the runs of CJK characters go to the engine, all runs of a batch in one
  call (joined by newlines, where jieba cuts anyway).
* Part of speech comes from the dictionary's tag column (what jieba.posseg
  does for every dictionary word; the lexicon's tag wins); words the HMM
  invents get :func:`guess_oov_tags`. The tag is looked up after rjieba's
  ``cut``, once per distinct token of a batch (Arrow's dictionary encoding
  numbers them; the term counting reuses that numbering, :class:`TokenCodes`),
  by its UTF-8 bytes in a compiled hash table of the dictionary's words
  (:class:`WordTable`), and the guesses for a batch's unknown words are
  made together on Arrow arrays: rjieba's ``tag`` gives the same tags for
  dictionary words, but its own guess for unknown ones, and costs twice the
  cut.
* A batch is handled as one text and its array of code points: which
  character starts a token, offsets and sentence numbers come from array
  arithmetic, sentences from one regex pass
  (:func:`tasks.sentences.batch_sentence_spans`), and the token column is
  an Arrow string array built from the text's UTF-8 bytes, handed on as
  pandas' Arrow-backed ``str`` column: Parquet and the term counting read
  it without a Python object per token.

Where rjieba's cut differs from ``jieba.lcut`` with the same dictionary (about
one paragraph in a hundred, always ASCII text joined by - _ or . that rjieba
keeps whole, "2026-02-11", "PM_2.5", never inside the CJK runs this stage gives
the engine), see docs/segmentation.md; the parity test (tests/test_segment.py)
names every class of difference.

Paragraphs are processed in ``cfg.workers`` processes; they are cut into
contiguous batches balanced by characters and the results concatenated in
input order, so the output does not depend on the worker count. Each worker
builds its tokenizer once, in the pool initializer (or inherits the parent's
through fork).
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import re
from dataclasses import dataclass, field
from pathlib import Path

import jieba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import rjieba

from tasks.parallel import map_in_processes
from tasks.reasons import DROPPED_DUPLICATE, DROPPED_EMPTY, dropped_kind
from tasks.schemas import column_names
from tasks.sentences import batch_sentence_spans
from tasks.terms import compiled
from tasks.text import HAN_JIEBA, kept_mask

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_USERDICT = RESOURCES / "userdict.txt"

SEGMENT_KINDS = ("body", "heading", "caption")

# CJK ideographs as jieba's own regexes define them, plus 〇 (U+3007), which
# jieba treats as punctuation although it is the zero of 二〇三五年.
HAN = HAN_JIEBA
ZERO = "\u3007"

# Units that follow an Arabic number; longest first so 万平方米 beats 万.
UNITS = sorted(
    """
    万亿元 亿元 万元 千元 百元 元 亿美元 万美元 美元 万亿 亿 万 千 百
    万平方米 平方米 平方公里 万平方公里 公顷 万亩 亩 公里 千米 米 厘米 毫米
    万千瓦时 千瓦时 万千瓦 千瓦 兆瓦 万吨 吨 千克 公斤 立方米 万立方米 万标箱 标箱
    个百分点 百分点 个月 个 家 项 万人次 人次 万人 人 名 位 户 套 台 辆 艘 所 条 座 处 张 件
    批 次 场 篇 期 届 类 种 倍 岁 元/吨 天 小时 分钟 周年 季度 年 月 日 号 床 间 片 支 例 栋
    """.split(),
    key=lambda u: (-len(u), u),
)
CALENDAR_UNITS = frozenset("年月日号")

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_PIECES = [
    # dates and times first: 2022年2月18日, 12月28日, 2022-4-12, 20:18:43
    ("t", r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}(?::\d{2})?"),
    # digit-led alphanumerics (5G, 3D) before plain numbers
    ("a", r"\d+[A-Za-z][A-Za-z0-9]*"),
    # number, optional range (2021-2025), then % or a unit
    ("m", rf"{_NUM}(?:[-~～—]{_NUM})?(?:%|‰|{_UNIT_RE})?"),
    ("l", r"[A-Za-z][A-Za-z0-9]*(?:[.&+\-][A-Za-z0-9]+)*"),
    ("h", rf"[{HAN}]+"),
    ("s", r"\s+"),
    ("x", r"."),
]
# One token each, tried in this order at every position: a run of CJK characters
# (h) is the engine's, everything else is cut by these rules.
_PIECE_RE = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _PIECES), re.S)
# Every rule but h and x starts at a digit, a Latin letter or whitespace, and one of
# them always matches there: the pieces they cut are found by _PIECE_RE.match at the
# characters of these stretches (a search for the stretches skips everything else in
# C), left to right as a search with _PIECE_RE would. Every other character is a CJK
# character of a run or a piece of its own (x: punctuation).
_RULE_START_RE = re.compile(r"[\dA-Za-z\s]+")
_ASCII_RULE_START = np.array([bool(_RULE_START_RE.match(chr(c))) for c in range(128)])
# Tags of the pieces the rules cut: m numbers (t with a calendar unit), t dates and
# times, eng Latin words and digit-led alphanumerics, x every other character but
# a digit, m; whitespace (-1) is dropped.
PIECE_TAGS = ("x", "m", "t", "eng")
_X, _M, _T, _ENG = range(len(PIECE_TAGS))
_KIND_TAG = {"t": _T, "a": _ENG, "m": _M, "l": _ENG, "s": -1}
_CALENDAR_CODES = np.array(sorted(map(ord, CALENDAR_UNITS)), dtype=np.uint32)


def _class_ranges(cls: str) -> list[tuple[int, int]]:
    """Code point ranges of a regex character class body written as characters and ``a-b`` ranges."""
    return [(ord(a or c), ord(b or c)) for a, b, c in re.findall(r"(.)-(.)|(.)", cls, re.S)]


HAN_RANGES = _class_ranges(HAN)

_QUOTED_RE = re.compile(rf"“([{HAN}]{{2,8}})”")


class LexiconError(ValueError):
    """A dictionary file line is not ``word [freq] [pos]``."""


@dataclass(frozen=True)
class SegmentConfig:
    """Settings of the segmentation stage.

    Attributes:
        workers: Number of processes; 1 segments in the calling process.
        userdict: Domain dictionary in jieba's format (``word freq pos`` lines).
        harvest_quoted: Whether quoted phrases “…” of the input join the lexicon.
        extra_words: Further (word, pos) pairs to add, e.g. names from extraction.
        kinds: Paragraph kinds that are segmented.
        hmm: Whether jieba's HMM may join unknown characters into new words.
        batches_per_worker: Batches per worker; more balances load, fewer costs less.
        start_method: multiprocessing start method of the worker pool. "fork"
            (default on Linux) lets workers inherit the parent's loaded
            tokenizer; "spawn"/"forkserver" load it in each worker's
            initializer and need the usual ``if __name__ == "__main__"`` guard.
    """

    workers: int = 1
    userdict: Path = DEFAULT_USERDICT
    harvest_quoted: bool = True
    extra_words: tuple[tuple[str, str], ...] = ()
    kinds: tuple[str, ...] = SEGMENT_KINDS
    hmm: bool = True
    batches_per_worker: int = 2
    start_method: str = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {self.workers!r}")
        if not isinstance(self.batches_per_worker, int) or self.batches_per_worker < 1:
            raise ValueError(f"batches_per_worker must be an int >= 1, got {self.batches_per_worker!r}")
        if not Path(self.userdict).is_file():
            raise ValueError(f"userdict {self.userdict} is not a file")
        if not self.kinds or not set(self.kinds) <= {"heading", "body", "caption", "byline", "table"}:
            raise ValueError(f"kinds must be paragraph kinds, got {self.kinds!r}")
        if self.start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"start_method {self.start_method!r} is not available here")
        for pair in self.extra_words:
            if len(pair) != 2 or not pair[0] or any(ch.isspace() for ch in pair[0]):
                raise ValueError(f"extra_words entries must be (word, pos) without spaces, got {pair!r}")


@dataclass(frozen=True)
class SegmentResult:
    """Output of :func:`segment_paragraphs`.

    Attributes:
        sentences: Rows of the ``sentences`` schema.
        tokens: Rows of the ``tokens`` schema.
        lexicon: Rows of the ``segment_lexicon`` schema (words added to jieba's dictionary).
        stats: Counts: paragraphs_in, paragraphs_segmented, dropped_<reason>, sentences, tokens, ...
    """

    sentences: pd.DataFrame
    tokens: pd.DataFrame
    lexicon: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


# --- lexicon ---------------------------------------------------------------


def read_userdict(path: Path) -> list[tuple[str, int | None, str]]:
    """Reads a jieba user dictionary.

    Args:
        path: UTF-8 file of ``word [freq] [pos]`` lines; ``#`` starts a comment line.

    Returns:
        (word, freq or None, pos or 'nz') triples in file order.
    """
    out = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word, freq, pos = parts[0], None, "nz"
        rest = parts[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        if rest:
            pos = rest.pop(0)
        if rest or not re.fullmatch(r"[a-z]+", pos):
            raise LexiconError(f"{path}:{lineno}: expected 'word [freq] [pos]', got {line!r}")
        out.append((word, freq, pos))
    return out


def harvest_quoted_phrases(texts) -> list[str]:
    """Finds quoted phrases to add to the lexicon.

    Args:
        texts: Iterable of paragraph texts.

    Returns:
        Distinct phrases of 2-8 CJK characters that appear inside “…” somewhere,
        sorted by (length, phrase) so the list is the same for the same input.
    """
    found = set()
    for text in texts:
        if "“" in text:
            found.update(_QUOTED_RE.findall(text))
    return sorted(found, key=lambda w: (len(w), w))


def build_lexicon(paragraph_texts, cfg: SegmentConfig, known=frozenset()) -> pd.DataFrame:
    """Lists the words added on top of jieba's dictionary, in load order.

    Args:
        paragraph_texts: Texts of the paragraphs to segment (for the harvest).
        cfg: Stage settings (userdict, harvest_quoted, extra_words).
        known: Words jieba's dictionary already has; harvested and extra words
            among them are left out (they are cut whole already, and keep
            jieba's tag), userdict words are always loaded.

    Returns:
        DataFrame with the ``segment_lexicon`` columns: word, freq (-1 = jieba
        suggests one that keeps the word whole), pos, source.
    """
    rows = []
    seen = set()
    for word, freq, pos in read_userdict(cfg.userdict):
        if word not in seen:
            seen.add(word)
            rows.append((word, -1 if freq is None else freq, pos, "userdict"))
    if cfg.harvest_quoted:
        for word in harvest_quoted_phrases(paragraph_texts):
            if word not in seen and word not in known:
                seen.add(word)
                rows.append((word, -1, "nz", "harvested"))
    for word, pos in sorted(set(cfg.extra_words), key=lambda p: (len(p[0]), p)):
        if word not in seen and word not in known:
            seen.add(word)
            rows.append((word, -1, pos, "extra"))
    df = pd.DataFrame(rows, columns=column_names("segment_lexicon"))
    return df.astype({"freq": "int64"})


# --- tokenizer ---------------------------------------------------------------


def jieba_dictionary_path() -> Path:
    """jieba's own dictionary file (dict.txt of the installed jieba package)."""
    return Path(jieba.__file__).resolve().parent / jieba.DEFAULT_DICT_NAME


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[tuple[str, ...], tuple[int, ...], dict[str, str]]:
    """jieba's dict.txt as (words, frequencies, word -> tag), in file order.

    Read once per process (~0.2 s): the words and frequencies feed every
    tokenizer built here, the tag table is what jieba.posseg looks words up in.
    """
    words: list[str] = []
    freqs: list[int] = []
    tags: list[str] = []
    with open(jieba_dictionary_path(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if parts:
                words.append(parts[0])
                freqs.append(int(parts[1]))
                tags.append(parts[2] if len(parts) > 2 else "x")
    # a word listed twice keeps its last tag, as jieba.posseg's table does
    return tuple(words), tuple(freqs), dict(zip(words, tags))


def dictionary_words() -> dict[str, str]:
    """jieba's dict.txt as word -> tag (read once per process)."""
    return _dictionary()[2]


# Last characters that make an unknown word a place or an organisation name.
PLACE_SUFFIXES = frozenset("省市区县镇乡村街路湖山江河港湾岛桥塘屿溪岭峰洋浦")
ORG_SUFFIXES = frozenset("局委办院会部处厅所司厂校站队社行馆")
CN_DIGITS = frozenset("〇一二三四五六七八九十百千万亿两")
_CN_DIGITS_STR = "".join(sorted(CN_DIGITS))


def guess_oov_pos(word: str, tags: dict[str, str]) -> str:
    """Guesses the part of speech of a word jieba's HMM made up (see :func:`guess_oov_tags`).

    Args:
        word: The unknown word.
        tags: jieba's word -> tag table.
    """
    return guess_oov_tags([word], tags)[0]


_PLACE_SUFFIXES = pa.array(sorted(PLACE_SUFFIXES))
_ORG_SUFFIXES = pa.array(sorted(ORG_SUFFIXES))


def guess_oov_tags(words: list[str], tags: dict[str, str]) -> list[str]:
    """Guesses the parts of speech of words jieba's HMM made up, all at once.

    Rules, first match wins: Chinese numerals -> m; a place suffix (路桥 ->
    ...桥, 洋屿) -> ns; an organisation suffix -> nt; otherwise the word is
    given the tag family of its last character (Chinese compounds are
    head-final): v when that character is a verb in the dictionary, else n.

    Args:
        words: The unknown words.
        tags: jieba's word -> tag table.

    Returns:
        Their tags, in order.
    """
    return [GUESSED_TAGS[c] for c in _guess_codes(pa.array(words, type=pa.string()), tags).tolist()]


GUESSED_TAGS = ("m", "ns", "nt", "v", "n")


def _guess_codes(words: pa.Array, tags: dict[str, str]) -> np.ndarray:
    """:func:`guess_oov_tags` as codes into GUESSED_TAGS, worked on Arrow arrays.

    A chunk's HMM makes up tens of thousands of words, too many for a Python
    step each.
    """
    if not len(words):
        return np.zeros(0, np.int64)
    last = pc.dictionary_encode(pc.utf8_slice_codeunits(words, -1))
    # the head's tag: looked up once per distinct last character
    verb_head = np.array([tags.get(c, "n").startswith("v") for c in last.dictionary.to_pylist()], dtype=bool)
    verb = verb_head[last.indices.to_numpy(zero_copy_only=False)]
    numeral = pc.match_substring_regex(words, f"^[{_CN_DIGITS_STR}]*$").to_numpy(zero_copy_only=False)
    longer = pc.utf8_length(words).to_numpy() > 1
    last_char = last.dictionary.take(last.indices)
    place = longer & pc.is_in(last_char, value_set=_PLACE_SUFFIXES).to_numpy(zero_copy_only=False)
    org = longer & pc.is_in(last_char, value_set=_ORG_SUFFIXES).to_numpy(zero_copy_only=False)
    return np.select([numeral, place, org, verb], [0, 1, 2, 3], default=4)


class Segmenter:
    """One process's tokenizer: a private rjieba (jieba-rs) with jieba's dictionary + the lexicon.

    Args:
        lexicon: Rows of :func:`build_lexicon` (word, freq, pos, source).
        hmm: Whether the HMM may join unknown characters into words.

    Attributes:
        jieba: The ``rjieba.Jieba`` holding jieba's dict.txt and the lexicon.
        added: (word, freq, pos) of each lexicon word as loaded (freq as
            raised by ``suggest_freq``): load the same into a ``jieba.Tokenizer``
            and it cuts with the same dictionary (the parity test does).
        tags: word -> part of speech: dict.txt's tags, the lexicon's on top.
    """

    def __init__(self, lexicon: list[tuple[str, int, str, str]], hmm: bool = True):
        words, freqs, dict_tags = _dictionary()
        lex_tags = {word: pos for word, _freq, pos, _source in lexicon}
        jb = rjieba.Jieba.empty()
        add = jb.add_word
        # the tag is given with dict.txt's entry: rjieba keeps a word's first tag when
        # it is added again, and the lexicon's tag must win, as jieba.add_word's does
        for word, freq in zip(words, freqs):
            add(word, freq, lex_tags.get(word) or dict_tags[word])
        self.added: list[tuple[str, int, str]] = []
        for word, freq, pos, _source in lexicon:
            # suggest_freq(word) is the smallest frequency that beats every way
            # of cutting the word with the words loaded so far (shorter first),
            # so a listed word always comes out whole.
            f = max(freq, jb.suggest_freq(word))
            add(word, f, pos)
            self.added.append((word, f, pos))
        self.jieba = jb
        self.hmm = hmm
        self.tags = dict(dict_tags)
        self.tags.update(lex_tags)
        self._word_table = WordTable(list(self.tags))
        self._tag_codes, tag_names = pd.factorize(pd.Series(list(self.tags.values()), dtype=object))
        self._tag_names = [*tag_names.tolist(), *GUESSED_TAGS]  # tags of the table's words, then the guesses
        # rjieba, like jieba, ends a block of CJK characters at 〇 (U+3007), so
        # it never finds lexicon words that hold one (二〇三五年): those are
        # matched first, longest first, in the runs that hold a 〇
        zero_words = sorted({w for w in lex_tags if ZERO in w}, key=lambda w: (-len(w), w))
        self._zero_re = re.compile("|".join(map(re.escape, zero_words))) if zero_words else None

    def cut(self, text: str) -> list[str]:
        """rjieba's cut of any text (the parity test's view of the engine)."""
        return self.jieba.cut(text, self.hmm)

    def tag(self, word: str) -> str:
        """Part of speech of a word: the dictionary's (lexicon's) tag, else a guess.

        Words outside the dictionary are ones the HMM invented; their tag comes
        from :func:`guess_oov_pos` (:meth:`segment_batch` tags a batch's words in bulk).
        """
        t = self.tags.get(word)
        return guess_oov_pos(word, self.tags) if t is None else t

    def _cut_runs(self, chars: np.ndarray, in_run: np.ndarray) -> np.ndarray:
        """Cuts the CJK runs of a batch with one rjieba call.

        The runs are joined with newlines: jieba cuts text block by block
        between non-word characters, so each run is cut exactly as on its own,
        and one call instead of one per run saves the crossing cost.

        Args:
            chars: Code points of the batch text.
            in_run: Which of them belong to a run (a run: a maximal stretch of them).

        Returns:
            Where each of their words starts in the batch text.
        """
        i64 = np.int64
        edge = np.diff(in_run.view(np.int8), prepend=0, append=0)
        run_start = np.flatnonzero(edge == 1)
        if not len(run_start):
            return np.zeros(0, i64)
        run_len = np.flatnonzero(edge == -1) - run_start
        # the runs' code points with a newline after each run but the last: run k moves k places on
        run = np.repeat(np.arange(len(run_len)), run_len)
        text = np.full(len(run) + len(run_len) - 1, ord("\n"), dtype=np.uint32)
        text[np.arange(len(run)) + run] = chars[in_run]
        cut = self.jieba.cut(text.tobytes().decode("utf-32-le", "surrogatepass"), self.hmm)
        lens = np.fromiter(map(len, cut), i64, len(cut))
        at = np.cumsum(lens) - lens
        sep = text[at] == ord("\n")
        if sep.sum() != len(run_len) - 1 or (lens[sep] != 1).any():  # pragma: no cover - engine invariant
            raise AssertionError("rjieba did not cut at a run separator")
        # where each character of the runs' text is in the batch text (separators: nowhere)
        where = np.full(len(text), -1, dtype=i64)
        where[np.arange(len(run)) + run] = np.flatnonzero(in_run)
        return where[at[~sep]]

    def _rule_pieces(self, text: str, chars: np.ndarray, han: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pieces the rules cut that start at a digit, a Latin letter or whitespace.

        Args:
            text: The batch text.
            chars: Its code points.
            han: Which of them are CJK characters.

        Returns:
            (start, end, tag code into PIECE_TAGS) arrays, in text order; code
            -1 is whitespace, which is dropped.
        """
        # the characters a rule starts at: ASCII ones from a table, the few distinct others asked
        ascii_ = chars < 128
        can_start = np.zeros(len(chars) + 2, dtype=bool)
        can_start[1:-1][ascii_] = _ASCII_RULE_START[chars[ascii_]]
        others = np.unique(chars[~ascii_ & ~han]).tolist()
        hits = [c for c in others if _RULE_START_RE.match(chr(c))]
        if hits:
            can_start[1:-1] |= np.isin(chars, hits)
        edge = np.diff(can_start.view(np.int8))
        starts: list[int] = []
        ends: list[int] = []
        kinds: list[str] = []
        match = _PIECE_RE.match
        end = 0
        for i, stop in zip(np.flatnonzero(edge == 1).tolist(), np.flatnonzero(edge == -1).tolist()):
            i = max(i, end)  # a piece may run on over the next stretch
            while i < stop:
                m = match(text, i)
                end = m.end()
                starts.append(i)
                ends.append(end)
                kinds.append(m.lastgroup)
                i = end
        start, end_ = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
        code = np.array([_KIND_TAG[k] for k in kinds], dtype=np.int64)
        # a number with a calendar unit is a time
        code[(code == _M) & np.isin(chars[end_ - 1], _CALENDAR_CODES)] = _T
        return start, end_, code

    def tokenize(self, text: str) -> list[tuple[int, int, str, str]]:
        """Splits one paragraph into (start, end, token, pos), whitespace dropped.

        Args:
            text: The paragraph text.

        Returns:
            Tokens in text order; text[start:end] == token.
        """
        out = self.segment_batch([text])
        words, tags = batch_words(out)
        return list(zip(out["t_start"].tolist(), out["t_end"].tolist(), words, tags))

    def _word_tags(self, words: pa.Array) -> np.ndarray:
        """Tag codes (into ``self._tag_names``) of distinct words of the engine.

        Each word is found in the dictionary's table by its UTF-8 bytes (compiled,
        no Python string per word); the words it lacks (made up by the HMM) get
        :func:`guess_oov_tags`, in bulk.

        Args:
            words: Distinct words (an Arrow string array).
        """
        at = self._word_table.find(words)
        unknown = at < 0
        codes = self._tag_codes[np.maximum(at, 0)].astype(np.int64)
        codes[unknown] = len(self._tag_names) - len(GUESSED_TAGS) + _guess_codes(words.filter(pa.array(unknown)), self.tags)
        return codes

    def segment_batch(self, texts: list[str]) -> dict:
        """Segments a batch of paragraphs into compact column arrays.

        The batch is worked on as one text (paragraphs joined by newlines, a
        whitespace piece that is dropped) and as its array of code points:
        one regex pass for the sentences, a regex match per number or Latin
        word, one rjieba call for all CJK runs, and array arithmetic for
        everything else (which character starts a token, offsets, sentence
        of each token). The tokens' Arrow string array is built from the
        text's UTF-8 bytes and the token offsets, and tags are looked up once
        per distinct word, so nothing is done in Python per token or per
        character.

        Args:
            texts: Paragraph texts.

        Returns:
            Dict of sentence and token columns (int32 arrays), plus the tokens
            ("words", an Arrow string array) and their tags ("tag_codes" into
            "tag_values"); :func:`batch_words` gives both as plain lists. The
            tokens are also numbered by first appearance ("token_codes" into
            the Arrow array "token_values").
        """
        i32, i64 = np.int32, np.int64
        s_para, s_start, s_end = batch_sentence_spans(texts)
        n_sent = np.bincount(s_para, minlength=len(texts))

        joined = "\n".join(texts)
        para_len = np.fromiter(map(len, texts), i64, len(texts))
        para_at = np.cumsum(para_len + 1) - (para_len + 1)
        chars = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        n_chars = len(chars)
        han = np.zeros(n_chars, dtype=bool)
        for lo, hi in HAN_RANGES:
            han |= (chars >= lo) & (chars <= hi)
        r_start, r_end, r_tag = self._rule_pieces(joined, chars, han)
        r_blank = r_tag < 0
        # every character belongs to one token or piece: mark where each starts, then the
        # tokens are the stretches between marks but the whitespace pieces
        starts = np.zeros(n_chars + 1, dtype=bool)
        starts[r_start] = True
        in_rule = _covered(r_start, r_end, n_chars)
        starts[:n_chars] |= ~han & ~in_rule  # punctuation: a piece of its own
        in_run = han & ~in_rule
        if self._zero_re is not None and ZERO in joined:
            # lexicon words holding 〇, looked for in the runs holding one, leave their runs
            edge = np.diff(in_run.view(np.int8), prepend=0, append=0)
            run_start, run_end = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
            zeros = np.flatnonzero((chars == ord(ZERO)) & in_run)
            for i in np.unique(np.searchsorted(run_start, zeros, side="right") - 1).tolist():
                for m in self._zero_re.finditer(joined, int(run_start[i]), int(run_end[i])):
                    starts[m.start()] = starts[m.end()] = True
                    in_run[m.start() : m.end()] = False
        starts[self._cut_runs(chars, in_run)] = True
        starts[n_chars] = True
        bound = np.flatnonzero(starts)
        keep = ~np.isin(bound[:-1], r_start[r_blank], assume_unique=True)
        off = bound[:-1][keep]
        length = np.diff(bound)[keep]
        in_blank = _covered(r_start[r_blank], r_end[r_blank], n_chars)
        words = _pieces_array(chars[~in_blank], length)
        # tags: a rule's piece has its rule's, a character of its own x (m when a digit, as
        # ² is); the engine's words (all CJK) are looked up
        is_word = han[off]
        tag_codes = np.full(len(off), _X, dtype=np.int64)
        at_rule = np.searchsorted(off, r_start[~r_blank])
        tag_codes[at_rule] = r_tag[~r_blank]
        is_single = ~is_word
        is_single[at_rule] = False
        digits = [c for c in np.unique(chars[off[is_single]]).tolist() if chr(c).isdigit()]
        tag_codes[is_single & np.isin(chars[off], digits)] = _M
        # the tokens numbered once, by first appearance: tags are looked up per distinct word,
        # and the term counts reuse the numbering (:func:`token_codes`)
        enc = pc.dictionary_encode(words)
        token_codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        word_value = np.zeros(len(enc.dictionary), dtype=bool)
        word_value[token_codes[is_word]] = True  # a word: a token whose first character is CJK
        value_tag = np.zeros(len(word_value), dtype=np.int64)
        value_tag[word_value] = self._word_tags(enc.dictionary.filter(pa.array(word_value)))
        tag_codes[is_word] = value_tag[token_codes[is_word]] + len(PIECE_TAGS)
        tag_values = list(PIECE_TAGS) + self._tag_names
        n_tok = len(off)
        # tokens and sentences are in text order: count, for each paragraph (sentence end),
        # the tokens before it, instead of looking each token up
        paras = np.arange(len(texts), dtype=i64)
        t_para = np.repeat(paras, np.diff(np.r_[np.searchsorted(off, para_at), n_tok]))
        t_start_a = off - para_at[t_para]
        t_end_a = t_start_a + length

        first = np.cumsum(n_sent) - n_sent  # each paragraph's first sentence
        # a token belongs to the sentence after the last one ending at or before its start (tokens
        # never straddle a sentence end: ends are punctuation tokens of their own)
        ended = np.searchsorted(off, s_end + para_at[s_para])  # tokens before each sentence's end
        sent = np.cumsum(np.bincount(ended, minlength=n_tok + 1)[:n_tok])
        t_sent = np.maximum(np.minimum(sent, (first + n_sent - 1)[t_para]) - first[t_para], 0) if n_tok else t_para
        # position within its sentence: distance from the start of its run of (paragraph, sentence)
        run = np.flatnonzero(np.r_[True, (t_para[1:] != t_para[:-1]) | (t_sent[1:] != t_sent[:-1])]) if n_tok else t_para
        t_idx = np.arange(n_tok, dtype=i64) - np.repeat(run, np.diff(np.r_[run, n_tok]))
        return {
            "s_para": s_para.astype(i32),
            "s_id": (np.arange(len(s_para), dtype=i64) - np.repeat(first, n_sent)).astype(i32),
            "s_start": s_start.astype(i32),
            "s_end": s_end.astype(i32),
            "t_para": t_para.astype(i32),
            "t_sent": t_sent.astype(i32),
            "t_idx": t_idx.astype(i32),
            "t_start": t_start_a.astype(i32),
            "t_end": t_end_a.astype(i32),
            "words": words,
            "tag_codes": tag_codes.astype(i32),
            "tag_values": tag_values,
            "token_codes": token_codes.astype(i32),
            "token_values": enc.dictionary,
        }


class WordTable:
    """A fixed set of words, found by their UTF-8 bytes in compiled code (an open-addressing hash table).

    Looks up the distinct words of a chunk straight from an Arrow string
    array's buffers, without making a Python string of each.

    Args:
        words: Distinct strings; :meth:`find` gives positions in this list.
    """

    def __init__(self, words: list[str]):
        offsets, self.data = _utf8_buffers(pa.array(words, type=pa.large_string()))
        self.offsets = offsets.astype(np.int64)
        self.table = np.full(1 << (2 * len(words) + 1).bit_length(), -1, dtype=np.int64)  # at most half full
        _table_insert(self.offsets, self.data, self.table)
        # load the lookup now too, so that processes forked after the table is built find it ready
        _table_find(self.offsets, self.data, self.table, np.zeros(1, np.int64), self.data[:0], np.empty(0, np.int64))

    def find(self, words: pa.Array) -> np.ndarray:
        """Position of each of ``words`` (an Arrow string array without nulls) in the table's list, -1 if absent."""
        out = np.empty(len(words), dtype=np.int64)
        if len(words):
            offsets, data = _utf8_buffers(words)
            _table_find(self.offsets, self.data, self.table, offsets.astype(np.int64), data, out)
        return out


def _utf8_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than strings) and bytes of an Arrow string or large_string array."""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _validity, offsets, data = arr.buffers()
    offsets = np.frombuffer(offsets, dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8))


@compiled
def _fnv1a(data, a, b):  # pragma: no cover - compiled
    """FNV-1a hash of data[a:b]."""
    h = np.uint64(14695981039346656037)
    for k in range(a, b):
        h = (h ^ np.uint64(data[k])) * np.uint64(1099511628211)
    return h


@compiled
def _table_insert(offsets, data, table):  # pragma: no cover - compiled
    """Puts every string (offsets[w]:offsets[w + 1] of data) in the table, which has more slots than strings."""
    mask = np.uint64(len(table) - 1)
    for w in range(len(offsets) - 1):
        slot = np.int64(_fnv1a(data, offsets[w], offsets[w + 1]) & mask)
        while table[slot] >= 0:
            slot = (slot + 1) & (len(table) - 1)
        table[slot] = w


@compiled
def _table_find(offsets, data, table, q_offsets, q_data, out):  # pragma: no cover - compiled
    """out[i] = the table's string equal to query i (q_offsets[i]:q_offsets[i + 1] of q_data), or -1."""
    mask = np.uint64(len(table) - 1)
    for i in range(len(q_offsets) - 1):
        a, b = q_offsets[i], q_offsets[i + 1]
        slot = np.int64(_fnv1a(q_data, a, b) & mask)
        out[i] = -1
        while table[slot] >= 0:
            w = table[slot]
            wa = offsets[w]
            if offsets[w + 1] - wa == b - a:
                k = 0
                while k < b - a and data[wa + k] == q_data[a + k]:
                    k += 1
                if k == b - a:
                    out[i] = w
                    break
            slot = (slot + 1) & (len(table) - 1)


def _covered(starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """Which of n positions fall in one of the spans [start, end) (spans that do not overlap)."""
    return np.cumsum(np.bincount(starts, minlength=n + 1) - np.bincount(ends, minlength=n + 1))[:n] > 0


def _pieces_array(chars: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """The consecutive pieces of a text, as an Arrow string array built from its buffers.

    Args:
        chars: The text's code points.
        lengths: Characters of each piece; they add up to the text's length.
    """
    width = (chars >= 0x80).astype(np.int64) + (chars >= 0x800) + (chars >= 0x10000) + 1  # UTF-8 bytes
    offsets = np.r_[0, np.cumsum(width)][np.r_[0, np.cumsum(lengths)]]
    data = chars.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8")
    # large_string offsets, then the string type: a cast that fails past 2 GB instead of wrapping
    return pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def batch_words(out: dict) -> tuple[list[str], list[str]]:
    """The tokens and tags of a :meth:`Segmenter.segment_batch` result as plain lists."""
    tags = out["tag_values"]
    return out["words"].to_pylist(), [tags[i] for i in out["tag_codes"].tolist()]


# One Segmenter per (lexicon, hmm) and process: built by the pool
# initializer in workers, memoised in the parent when workers == 1.
_SEGMENTERS: dict[tuple, Segmenter] = {}
_WORKER: Segmenter | None = None


def get_segmenter(lexicon: list[tuple], hmm: bool = True) -> Segmenter:
    """Returns this process's Segmenter for the lexicon, building it once.

    Args:
        lexicon: Rows of :func:`build_lexicon` as tuples.
        hmm: Whether the HMM may join unknown characters into words.
    """
    key = (hashlib.sha1(repr(lexicon).encode("utf-8")).hexdigest(), hmm)
    seg = _SEGMENTERS.get(key)
    if seg is None:
        _SEGMENTERS.clear()  # keep one: a tokenizer holds ~100 MB
        seg = _SEGMENTERS[key] = Segmenter(lexicon, hmm)
    return seg


def release_segmenters() -> None:
    """Drops this process's tokenizers and dictionary (a few hundred MB) once segmentation is done."""
    global _WORKER
    _SEGMENTERS.clear()
    _WORKER = None
    _dictionary.cache_clear()


def _init_worker(lexicon: list[tuple], hmm: bool) -> None:
    global _WORKER
    _WORKER = get_segmenter(lexicon, hmm)


def _run_batch(texts: list[str]) -> dict:
    assert _WORKER is not None, "worker initializer did not run"
    # the result goes back to the parent as arrays: the tokens an Arrow array (a few
    # buffers to pickle, not millions of small strings), the tags codes
    return _WORKER.segment_batch(texts)


def _batches(lengths: np.ndarray, n_batches: int) -> list[tuple[int, int]]:
    """Cuts rows into at most n_batches contiguous ranges of about equal characters."""
    n = len(lengths)
    if n == 0:
        return []
    cum = np.cumsum(lengths, dtype=np.int64)
    total = int(cum[-1]) or 1
    cuts = [0]
    for b in range(1, n_batches):
        c = int(np.searchsorted(cum, total * b / n_batches, side="left")) + 1
        if cuts[-1] < c < n:
            cuts.append(c)
    cuts.append(n)
    return list(zip(cuts[:-1], cuts[1:]))


# --- stage entry point -------------------------------------------------------


def _segmentable(paragraphs: pd.DataFrame, cfg: SegmentConfig) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, int]]:
    """The paragraphs that are segmented: kept, of a segmented kind, not blank.

    Returns:
        (texts, doc_ids, para_ids, stats) in input order; stats counts the
        rows left out by reason.
    """
    missing = {"doc_id", "para_id", "kind", "text"} - set(paragraphs.columns)
    if missing:
        raise ValueError(f"paragraphs lacks columns {sorted(missing)}")
    stats: dict[str, int] = {"paragraphs_in": len(paragraphs)}
    keep = kept_mask(paragraphs)
    if "is_duplicate" in paragraphs.columns:
        stats[DROPPED_DUPLICATE] = int((~keep).sum())
    kind_ok = paragraphs["kind"].isin(cfg.kinds)
    for kind in sorted(set(paragraphs.loc[keep & ~kind_ok, "kind"].astype(str))):
        stats[dropped_kind(kind)] = int((keep & ~kind_ok & (paragraphs["kind"] == kind)).sum())
    keep &= kind_ok
    texts_s = paragraphs["text"].fillna("").astype(str)
    empty = texts_s.str.strip() == ""
    stats[DROPPED_EMPTY] = int((keep & empty).sum())
    keep &= ~empty
    rows = paragraphs.loc[keep]
    texts = texts_s[keep].tolist()
    stats["paragraphs_segmented"] = len(texts)
    stats["chars_segmented"] = int(sum(len(t) for t in texts))
    return texts, rows["doc_id"].to_numpy(dtype=object), rows["para_id"].to_numpy(dtype=np.int32), stats


def _lexicon_rows(lexicon_df: pd.DataFrame, stats: dict[str, int]) -> list[tuple]:
    stats["lexicon_userdict"] = int((lexicon_df["source"] == "userdict").sum())
    stats["lexicon_harvested"] = int((lexicon_df["source"] == "harvested").sum())
    stats["lexicon_extra"] = int((lexicon_df["source"] == "extra").sum())
    return _rows(lexicon_df)


def segment_paragraphs(
    paragraphs: pd.DataFrame, cfg: SegmentConfig = SegmentConfig(), lexicon: pd.DataFrame | None = None
) -> SegmentResult:
    """Splits kept paragraphs into sentences and POS-tagged tokens.

    Args:
        paragraphs: Paragraph rows with at least doc_id, para_id, kind and text;
            rows with ``is_duplicate`` True are skipped.
        cfg: Stage settings.
        lexicon: A ``segment_lexicon`` built by :func:`build_lexicon` over the
            whole corpus; when segmenting one batch of a corpus, pass it so every
            batch cuts with the same words (built from ``paragraphs`` when None).

    Returns:
        SegmentResult with sentences, tokens, lexicon and stats.
    """
    texts, doc_ids, para_ids, stats = _segmentable(paragraphs, cfg)
    lexicon_df = lexicon if lexicon is not None else build_lexicon(texts, cfg, known=dictionary_words().keys())
    lexicon = _lexicon_rows(lexicon_df, stats)

    n_batches = 1 if cfg.workers == 1 else cfg.workers * cfg.batches_per_worker
    ranges = _batches(np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), n_batches)
    outs = _map_with_segmenter(_run_batch, [texts[a:b] for a, b in ranges], lexicon, cfg)
    sentences, tokens = _assemble(outs, ranges, texts, doc_ids, para_ids)
    stats["sentences"] = len(sentences)
    stats["tokens"] = len(tokens)
    return SegmentResult(sentences=sentences, tokens=tokens, lexicon=lexicon_df, stats=stats)


# --- chunked segmentation for the flow ----------------------------------------


@dataclass(frozen=True)
class SegmentJob:
    """A chunk of paragraphs, segmented as one unit by one worker.

    Attributes:
        part: Its number among the chunks of a run (names the Parquet parts it gives).
        texts: Paragraph texts to segment.
        doc_ids: Their doc_id, one per text.
        para_ids: Their para_id, one per text.
        split_docs: Documents of this chunk whose other paragraphs are in
            other chunks (documents longer than a chunk); sorted.
    """

    part: int
    texts: list[str]
    doc_ids: np.ndarray
    para_ids: np.ndarray
    split_docs: tuple[str, ...] = ()


def plan_segment_jobs(
    paragraphs: pd.DataFrame, cfg: SegmentConfig, chunk_chars: int, first_part: int = 0
) -> tuple[list[SegmentJob], dict[str, int]]:
    """Cuts the segmentable paragraphs into chunks of about ``chunk_chars`` characters.

    A chunk closes at the first document boundary past ``chunk_chars``
    characters, so the chunks depend on the text only (never on the worker
    count) and a document's tokens stay together (keyword ranking needs a
    document's whole token sequence). A document longer than ``chunk_chars``
    (a compilation, a yearbook) starts a chunk of its own and is cut at
    paragraph boundaries into pieces of about ``chunk_chars``: one worker's
    memory stays bounded and the pieces run in parallel; such documents are
    listed in ``split_docs`` of their chunks, and their counts and keywords
    are made from all their pieces afterwards (:func:`tasks.terms.finish_split_documents`).

    Args:
        paragraphs: Paragraphs in corpus order (see :func:`segment_paragraphs`).
        cfg: Stage settings (kinds).
        chunk_chars: Characters per chunk, about; bounds a worker's memory.
        first_part: Number of the first chunk.

    Returns:
        (jobs, stats) with stats as in :func:`segment_paragraphs`.
    """
    if chunk_chars < 1:
        raise ValueError("chunk_chars must be >= 1")
    texts, doc_ids, para_ids, stats = _segmentable(paragraphs, cfg)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    new_doc = np.r_[True, doc_ids[1:] != doc_ids[:-1]] if len(texts) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new_doc)
    # characters of the whole document, on each of its rows
    doc_chars = np.repeat(np.add.reduceat(lengths, starts), np.diff(np.r_[starts, len(texts)])) if len(texts) else lengths
    cuts = [0]
    size = 0
    for i in range(len(texts)):
        if i > cuts[-1]:
            large = doc_chars[i] > chunk_chars
            # before a document once full or when a large one begins; inside a large one once full
            if (new_doc[i] and (size >= chunk_chars or large)) or (not new_doc[i] and large and size >= chunk_chars):
                cuts.append(i)
                size = 0
        size += int(lengths[i])
    if len(texts):
        cuts.append(len(texts))
    spans = list(zip(cuts[:-1], cuts[1:]))
    # a document is split when it continues across a cut
    split = {doc_ids[c] for c in cuts[1:-1] if not new_doc[c]}
    jobs = []
    for k, (a, b) in enumerate(spans):
        ids = doc_ids[a:b]
        here = tuple(sorted(split.intersection(ids))) if split else ()
        jobs.append(SegmentJob(first_part + k, texts[a:b], ids, para_ids[a:b], here))
    return jobs, stats


def split_parts(jobs: list[SegmentJob]) -> dict[str, list[int]]:
    """The documents cut across chunks, each with the parts (chunk numbers) holding its pieces, in order."""
    parts: dict[str, list[int]] = {}
    for job in jobs:
        for doc in job.split_docs:
            parts.setdefault(doc, []).append(job.part)
    return parts


def segment_jobs(jobs: list[SegmentJob], lexicon: pd.DataFrame, cfg: SegmentConfig, handle, on_result=None) -> list:
    """Segments chunks in ``cfg.workers`` processes and lets each worker consume its own output.

    The per-token tables of a chunk are large and the parent does not need
    them: ``handle(part, sentences, tokens, split_docs, codes=...)`` runs in the worker
    (writing the tables, counting terms; ``codes``: the tokens' :class:`TokenCodes`) and
    only its small result travels back.

    Args:
        jobs: Chunks from :func:`plan_segment_jobs`.
        lexicon: The run's ``segment_lexicon``.
        cfg: Stage settings (workers, hmm, start_method).
        handle: Module-level function (or functools.partial of one) of
            (part, sentences, tokens, split_docs, codes=TokenCodes) -> small picklable result.
        on_result: Called in the caller with (job index, result) as each
            chunk finishes, in job order (progress reporting).

    Returns:
        handle's results in job order.
    """
    return _map_with_segmenter(functools.partial(_run_job, handle=handle), jobs, _rows(lexicon), cfg, on_result)


def _rows(df: pd.DataFrame) -> list[tuple]:
    """A frame's rows as tuples, built from its columns as lists (``itertuples`` steps through an
    Arrow-backed column value by value in Python: ~0.3 s for the lexicon of a 100 MB corpus)."""
    return list(zip(*(df[c].tolist() for c in df.columns)))


def _map_with_segmenter(fn, jobs: list, lexicon: list[tuple], cfg: SegmentConfig, on_result=None) -> list:
    """map_in_processes over jobs, each worker holding a Segmenter for the lexicon."""
    if cfg.start_method == "fork" or cfg.workers == 1:
        # forked workers inherit the memoised Segmenter, so the dictionary
        # is loaded once in all, not once per worker
        get_segmenter(lexicon, cfg.hmm)
    return map_in_processes(
        fn, jobs, cfg.workers, initializer=_init_worker, initargs=(lexicon, cfg.hmm),
        start_method=cfg.start_method, on_result=on_result,
    )


def _run_job(job: SegmentJob, handle):
    assert _WORKER is not None, "worker initializer did not run"
    out = _WORKER.segment_batch(job.texts)
    sentences, tokens = _assemble([out], [(0, len(job.texts))], job.texts, job.doc_ids, job.para_ids)
    return handle(job.part, sentences, tokens, job.split_docs, codes=token_codes(out, job.doc_ids))


@dataclass(frozen=True)
class TokenCodes:
    """The text columns of a chunk's ``tokens`` table as codes into their distinct values.

    Each column numbered by first appearance, as ``Series.factorize`` numbers
    it, so the term counting need not hash the strings again.

    Attributes:
        doc: Each token's doc_id code.
        doc_values: The distinct doc_ids.
        token: Each token's code.
        token_values: The distinct tokens.
        pos: Each token's pos code.
        pos_values: The distinct tags.
    """

    doc: np.ndarray
    doc_values: pd.Index
    token: np.ndarray
    token_values: pd.Index
    pos: np.ndarray
    pos_values: pd.Index


def token_codes(out: dict, doc_ids: np.ndarray) -> TokenCodes:
    """The :class:`TokenCodes` of the tokens table :func:`_assemble` builds from one batch.

    Args:
        out: A :meth:`Segmenter.segment_batch` result.
        doc_ids: The doc_id of each of its paragraphs.
    """
    t_para = out["t_para"]
    # documents by first appearance among the paragraphs that have a token
    has_token = np.bincount(t_para, minlength=len(doc_ids)) > 0
    codes, docs = pd.factorize(np.asarray(doc_ids, dtype=object)[has_token])
    para_doc = np.full(len(doc_ids), -1, dtype=np.int64)
    para_doc[has_token] = codes
    # tags: equal values of tag_values merged, then numbered by first appearance (a hash of small ints)
    merged = {}
    tag_merged = np.array([merged.setdefault(v, len(merged)) for v in out["tag_values"]], dtype=np.int32)
    enc = pc.dictionary_encode(pa.array(tag_merged[out["tag_codes"]]))
    names = list(merged)
    pos_values = [names[k] for k in enc.dictionary.to_pylist()]
    return TokenCodes(
        doc=para_doc[t_para],
        doc_values=_str_index(pa.array(list(docs), type=pa.string())),
        token=out["token_codes"].astype(np.int64),
        token_values=_str_index(out["token_values"]),
        pos=enc.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        pos_values=_str_index(pa.array(pos_values, type=pa.string())),
    )


def _str_index(arr: pa.Array) -> pd.Index:
    """pandas' ``str`` Index over an Arrow string array, as ``factorize`` of a ``str`` column gives."""
    return pd.Index(_arrow_str_series(arr).array)


def _string_column(codes: np.ndarray, values) -> pd.Series:
    """A string column built in Arrow from codes into distinct values.

    pandas' Arrow-backed ``str`` column: the same strings as a column of
    Python objects, but built with one ``take`` and handed to Parquet and to
    the term counting without a Python object per row.
    """
    return _arrow_str_series(pa.array(list(values), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64))))


def _arrow_str_series(arr: pa.Array) -> pd.Series:
    """pandas' ``str`` column over an Arrow string array (no copy)."""
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def _assemble(outs, ranges, texts, doc_ids, para_ids) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenates batch outputs (in input order) into the two tables.

    doc_id, token and pos are built in Arrow from codes into their distinct
    values (see :func:`_string_column`).
    """
    s_cols = ["s_para", "s_id", "s_start", "s_end", "t_para", "t_sent", "t_idx", "t_start", "t_end"]
    cat: dict[str, np.ndarray] = {}
    for col in s_cols:
        parts = []
        for out, (a, _b) in zip(outs, ranges):
            arr = out[col]
            parts.append(arr + a if col in ("s_para", "t_para") else arr)
        cat[col] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    words = pa.concat_arrays([out["words"] for out in outs]) if outs else pa.array([], pa.string())
    # each batch numbers its own tags: renumber into one table
    tag_values = [v for out in outs for v in out["tag_values"]]
    shift = np.cumsum([0] + [len(out["tag_values"]) for out in outs])
    tag_codes = [out["tag_codes"] + s for out, s in zip(outs, shift.tolist())]
    tags = _string_column(np.concatenate(tag_codes) if tag_codes else np.zeros(0, np.int64), tag_values)
    doc_codes, doc_values = pd.factorize(np.asarray(doc_ids, dtype=object)) if len(doc_ids) else (np.zeros(0, np.int64), [])
    s_text = [texts[p][a:b] for p, a, b in zip(cat["s_para"].tolist(), cat["s_start"].tolist(), cat["s_end"].tolist())]
    sentences = pd.DataFrame(
        {
            "doc_id": _string_column(doc_codes[cat["s_para"]], doc_values),
            "para_id": para_ids[cat["s_para"]] if len(para_ids) else np.array([], dtype=np.int32),
            "sent_id": cat["s_id"],
            "char_start": cat["s_start"],
            "char_end": cat["s_end"],
            "text": pd.Series(s_text, dtype=object),
        },
        columns=column_names("sentences"),
        copy=False,  # the columns are fresh: no need for pandas' defensive copy
    )
    tokens = pd.DataFrame(
        {
            "doc_id": _string_column(doc_codes[cat["t_para"]], doc_values),
            "para_id": para_ids[cat["t_para"]] if len(para_ids) else np.array([], dtype=np.int32),
            "sent_id": cat["t_sent"],
            "token_idx": cat["t_idx"],
            "token": _arrow_str_series(words),
            "pos": tags,
            "char_start": cat["t_start"],
            "char_end": cat["t_end"],
        },
        columns=column_names("tokens"),
        copy=False,
    )
    return sentences, tokens
