"""Segmentation stage: kept paragraphs -> sentences and POS-tagged tokens.

Takes kept paragraphs (doc_id, para_id, kind, section, text; ``table`` and
``byline`` paragraphs are skipped, so are rows flagged ``is_duplicate``) and
gives the ``sentences`` table (spans from :func:`tasks.sentences.sentence_spans`),
the ``tokens`` table (one row per word with its part of speech and character
offsets into the paragraph text) and a small ``segment_lexicon`` table listing
every word added on top of jieba's own dictionary.

Method: jieba's dictionary segmentation (max-probability route over the
prefix DAG of dict.txt, plus its HMM for unknown words), as in
``fxsjy/jieba:jieba/__init__.py`` (Tokenizer.__cut_DAG), with these changes:

* A private :class:`jieba.Tokenizer` and :class:`jieba.posseg.POSTokenizer`
  pair, never jieba's global ``jieba.dt``; its dictionary cache lives in
  ``cfg.cache_dir`` (a project folder, never the system temp dir).
* Lexicon = jieba's dict.txt + the domain dictionary ``resources/userdict.txt``
  (Zhejiang places, programme names, organisations) + words harvested from the
  input itself: every quoted phrase “…” of 2-8 CJK characters (slogans such as
  “红色根脉”, “十三五” that jieba cuts into pieces) + ``cfg.extra_words``
  (e.g. names found by the extraction stage). The harvest is sorted, so the
  same input always gives the same lexicon, whatever the worker count.
* Numbers are protected by a regex *before* jieba sees the text: a number with
  its unit or percent sign (716.66亿元, 8.3%, 1346亩, 2021年, 12月28日) is one
  token tagged ``m`` (``t`` for calendar units), because jieba's HMM cuts
  decimals into '716/./66'. Latin words (GDP, 5G) become one ``eng`` token.
* Part of speech comes from the dictionary's tag column (what posseg itself
  does for every dictionary word); only words the HMM invents go through
  posseg's tagging HMM (memoised per word). This keeps segmentation at the
  speed of plain ``jieba.lcut`` instead of posseg's 5x slower path.
* The tagged cut of each run of CJK characters is memoised (a bounded
  two-generation dict, :data:`CUT_MEMO_SIZE`): reports repeat their phrases
  (高质量发展, slogans, place names), and a run's cut does not depend on its
  context. On the 23.7 MB benchmark corpus this is 1.26x faster; on text
  that repeats less it gains less, never changing a token.
* jieba's HMM for runs of single characters (``jieba.finalseg``) is
  replaced by :func:`hmm_cut`, the same Viterbi written out for its four
  states: the same words, ~4x faster than finalseg's generic loop, which
  was ~30% of segmentation time.

Paragraphs are processed in ``cfg.workers`` processes (jieba holds the GIL);
they are cut into contiguous batches balanced by characters and the results
concatenated in input order, so the output does not depend on the worker
count. Each worker builds its tokenizer once, in the pool initializer.
"""

from __future__ import annotations

import functools
import hashlib
import math
import multiprocessing
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import jieba
import jieba.finalseg
import jieba.posseg
import numpy as np
import pandas as pd

from tasks.parallel import map_in_processes
from tasks.schemas import column_names
from tasks.sentences import sentence_spans

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_USERDICT = RESOURCES / "userdict.txt"

SEGMENT_KINDS = ("body", "heading", "caption")

# CJK ideographs as jieba's own regexes define them, plus 〇 (U+3007), which
# jieba treats as punctuation although it is the zero of 二〇三五年.
HAN = "\u4e00-\u9fd5\u3007"

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
# distinct CJK runs whose cut a Segmenter remembers (~400 bytes each: ~170 MB per process when full)
CUT_MEMO_SIZE = 400_000

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_PIECE_RE = re.compile(
    "|".join(
        [
            # dates and times first: 2022年2月18日, 12月28日, 2022-4-12, 20:18:43
            r"(?P<t>\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日"
            r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}(?::\d{2})?)",
            # digit-led alphanumerics (5G, 3D) before plain numbers
            r"(?P<a>\d+[A-Za-z][A-Za-z0-9]*)",
            # number, optional range (2021-2025), then % or a unit
            rf"(?P<m>{_NUM}(?:[-~～—]{_NUM})?(?:%|‰|{_UNIT_RE})?)",
            r"(?P<l>[A-Za-z][A-Za-z0-9]*(?:[.&+\-][A-Za-z0-9]+)*)",
            rf"(?P<h>[{HAN}]+)",
            r"(?P<s>\s+)",
            r"(?P<x>.)",
        ]
    ),
    re.S,
)

_QUOTED_RE = re.compile(rf"“([{HAN}]{{2,8}})”")


class LexiconError(ValueError):
    """A dictionary file line is not ``word [freq] [pos]``."""


@dataclass(frozen=True)
class SegmentConfig:
    """Settings of the segmentation stage.

    Attributes:
        workers: Number of processes; 1 segments in the calling process.
        cache_dir: Folder for jieba's dictionary cache and the POS-table cache.
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
    cache_dir: Path = Path(".cache/jieba")
    userdict: Path = DEFAULT_USERDICT
    harvest_quoted: bool = True
    extra_words: tuple[tuple[str, str], ...] = ()
    kinds: tuple[str, ...] = SEGMENT_KINDS
    hmm: bool = True
    oov_pos: str = "guess"
    batches_per_worker: int = 2
    start_method: str = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {self.workers!r}")
        if not isinstance(self.batches_per_worker, int) or self.batches_per_worker < 1:
            raise ValueError(f"batches_per_worker must be an int >= 1, got {self.batches_per_worker!r}")
        if not str(self.cache_dir):
            raise ValueError("cache_dir must not be empty")
        if not Path(self.userdict).is_file():
            raise ValueError(f"userdict {self.userdict} is not a file")
        if not self.kinds or not set(self.kinds) <= {"heading", "body", "caption", "byline", "table"}:
            raise ValueError(f"kinds must be paragraph kinds, got {self.kinds!r}")
        if self.oov_pos not in ("guess", "posseg"):
            raise ValueError(f"oov_pos must be 'guess' or 'posseg', got {self.oov_pos!r}")
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


class _CachedPOSTokenizer(jieba.posseg.POSTokenizer):
    """POSTokenizer whose word->tag table is cached next to the dictionary cache.

    Parsing dict.txt's tag column costs ~0.5 s per process; the cache cuts
    that to a few tenths, which matters once per worker.
    """

    def __init__(self, tokenizer: jieba.Tokenizer, cache_dir: Path):
        self._cache_dir = cache_dir
        super().__init__(tokenizer)

    def load_word_tag(self, f):
        f.close()
        self.word_tag_tab = dict(_dictionary_words(str(self._cache_dir)))

    def _load_cached(self, f, cache_dir: Path) -> dict[str, str]:
        name = getattr(f, "name", "dict.txt")
        path = _cache_path(cache_dir, "tags", name)
        tab = _read_pickle(path)
        if isinstance(tab, dict) and tab:
            f.close()
            return tab
        jieba.posseg.POSTokenizer.load_word_tag(self, f)
        _write_pickle(path, self.word_tag_tab)
        return self.word_tag_tab


def _cache_path(cache_dir: Path, what: str, dict_file: str) -> Path:
    """Cache file of one table derived from a dictionary file (jieba version, path, size and mtime in its name)."""
    st = os.stat(dict_file) if os.path.exists(dict_file) else None
    stamp = f"{jieba.__version__}:{dict_file}:{st.st_size if st else 0}:{st.st_mtime_ns if st else 0}"
    return Path(cache_dir) / f"jieba.{what}.{hashlib.sha1(stamp.encode()).hexdigest()[:12]}.pickle"


# The dictionary tables are cached as pickles, not marshal (jieba's own cache):
# loading 500k entries takes ~0.35 s instead of ~0.9 s, once in the parent and
# once per Dask worker. The cache folder is the project's own, written only here.
def _read_pickle(path: Path):
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged cache (cut short, bad bytes) is only a cache
        return None  # rebuilt and rewritten by the caller


def _write_pickle(path: Path, obj) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


# --- unknown words: jieba's HMM ------------------------------------------------

def hmm_cut(buf: str) -> list[str]:
    """``list(jieba.finalseg.cut(buf))``, bit for bit, with the Viterbi pass written out.

    jieba's generic ``viterbi`` builds a list of tuples per state and step and
    copies every state's path at every step; here the 4 states (B, M, E, S) and
    their 8 possible transitions are spelled out with backpointers. The sums are
    added in jieba's order and ties go the way ``max`` over (prob, state) breaks
    them (the later letter), so the path is the same. Anything but a plain run of
    CJK characters (or a forced split word) goes through jieba itself.
    """
    if jieba.finalseg.Force_Split_Words or not jieba.finalseg.re_han.fullmatch(buf):
        return list(jieba.finalseg.cut(buf))
    return _hmm_words(buf)


def _hmm_tables():
    start, trans, emit = jieba.finalseg.start_P, jieba.finalseg.trans_P, jieba.finalseg.emit_P
    return (start["B"], start["M"], start["E"], start["S"], trans["B"]["E"], trans["B"]["M"], trans["E"]["B"],
            trans["E"]["S"], trans["M"]["E"], trans["M"]["M"], trans["S"]["B"], trans["S"]["S"],
            emit["B"], emit["M"], emit["E"], emit["S"])


def _hmm_words(obs: str) -> list[str]:
    sB, sM, sE, sS, tBE, tBM, tEB, tES, tME, tMM, tSB, tSS, eB, eM, eE, eS = _HMM
    low = jieba.finalseg.MIN_FLOAT
    c = obs[0]
    vB, vM, vE, vS = sB + eB.get(c, low), sM + eM.get(c, low), sE + eE.get(c, low), sS + eS.get(c, low)
    back = []  # per step: the previous state of B, M, E, S
    for c in obs[1:]:
        # B <- E|S, M <- M|B, E <- B|M, S <- S|E. Compared with the emission added, as
        # jieba does: it can absorb the difference (an unknown character, -3.14e100),
        # and then the tie keeps the later letter
        em = eB.get(c, low)
        pE, pS = vE + tEB + em, vS + tSB + em
        nB, bB = (pE, "E") if pE > pS else (pS, "S")
        em = eM.get(c, low)
        pM, pB = vM + tMM + em, vB + tBM + em
        nM, bM = (pB, "B") if pB > pM else (pM, "M")
        em = eE.get(c, low)
        pB, pM = vB + tBE + em, vM + tME + em
        nE, bE = (pB, "B") if pB > pM else (pM, "M")
        em = eS.get(c, low)
        pS, pE = vS + tSS + em, vE + tES + em
        nS, bS = (pE, "E") if pE > pS else (pS, "S")
        vB, vM, vE, vS = nB, nM, nE, nS
        back.append((bB, bM, bE, bS))
    state = "E" if vE > vS else "S"
    path = [state]
    for step in reversed(back):
        state = step["BMES".index(state)]
        path.append(state)
    path.reverse()
    # jieba.finalseg.__cut: B opens a word, E closes it, S is a word alone
    words = []
    begin = nexti = 0
    for i, pos in enumerate(path):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(obs[begin : i + 1])
            nexti = i + 1
        elif pos == "S":
            words.append(obs[i])
            nexti = i + 1
    if nexti < len(obs):
        words.append(obs[nexti:])
    return words


_HMM = _hmm_tables()


# Last characters that make an unknown word a place or an organisation name.
PLACE_SUFFIXES = frozenset("省市区县镇乡村街路湖山江河港湾岛桥塘屿溪岭峰洋浦")
ORG_SUFFIXES = frozenset("局委办院会部处厅所司厂校站队社行馆")
CN_DIGITS = frozenset("〇一二三四五六七八九十百千万亿两")


def guess_oov_pos(word: str, tags: dict[str, str]) -> str:
    """Guesses the part of speech of a word jieba's HMM made up.

    Rules, first match wins: Chinese numerals -> m; a place suffix (路桥 ->
    ...桥, 洋屿) -> ns; an organisation suffix -> nt; otherwise the word is
    given the tag family of its last character (Chinese compounds are
    head-final): v when that character is a verb in the dictionary, else n.

    Args:
        word: The unknown word.
        tags: jieba's word -> tag table.
    """
    if all(ch in CN_DIGITS for ch in word):
        return "m"
    last = word[-1]
    if len(word) > 1 and last in PLACE_SUFFIXES:
        return "ns"
    if len(word) > 1 and last in ORG_SUFFIXES:
        return "nt"
    head = tags.get(last, "n")
    return "v" if head.startswith("v") else "n"


class Segmenter:
    """One process's tokenizer: jieba's dictionary + lexicon, fast POS tagging.

    Args:
        lexicon: Rows of :func:`build_lexicon` (word, freq, pos, source).
        cache_dir: Folder for jieba's caches.
        hmm: Whether the HMM may join unknown characters into words.
        oov_pos: How words outside the dictionary get a tag: "guess" or "posseg".
    """

    def __init__(
        self, lexicon: list[tuple[str, int, str, str]], cache_dir: Path, hmm: bool = True, oov_pos: str = "guess"
    ):
        cache_dir = Path(cache_dir).resolve()
        cache_dir.mkdir(parents=True, exist_ok=True)
        tk = jieba.Tokenizer()
        tk.tmp_dir = str(cache_dir)
        # a copy of the process's pristine dictionary (loaded once per process)
        # instead of tk.initialize(), so that another lexicon costs ~0.1 s, not 1 s
        base_freq, base_total = _base_dictionary(str(cache_dir))
        tk.FREQ, tk.total, tk.initialized = dict(base_freq), base_total, True
        self.postok = _CachedPOSTokenizer(tk, cache_dir)
        self.tokenizer = tk
        for word, freq, pos, _source in lexicon:
            # suggest_freq(word) is the smallest frequency that beats every way
            # of cutting the word with the words loaded so far (shorter first),
            # so a listed word always comes out whole.
            suggested = tk.suggest_freq(word, False)
            tk.add_word(word, max(freq, suggested), pos)
        self.postok.makesure_userdict_loaded()
        self.tags = self.postok.word_tag_tab
        self.freq = tk.FREQ
        self.hmm = hmm
        self.oov_pos = oov_pos
        self._logtotal = math.log(tk.total)
        self._logp: dict[str, float] = {}
        self._oov_tag: dict[str, str] = {}
        # CJK run -> its tagged words: runs between punctuation repeat a lot in
        # reports (slogans, 高质量发展), and cutting is a pure function of the run
        # (two generations: a full one becomes the old one, and runs still in use move back)
        self._cuts: dict[str, tuple[str, ...]] = {}
        self._old_cuts: dict[str, tuple[str, ...]] = {}
        self._words: dict[str, str] = {}  # one string object per distinct word, shared by the memoised cuts

    def _route(self, s: str) -> list[int]:
        """jieba's max-probability route over the prefix DAG (Tokenizer.calc).

        Same tie-breaking as jieba (max over (score, end) tuples), with log
        probabilities memoised instead of recomputed for every occurrence.
        """
        n = len(s)
        freq = self.freq
        logp = self._logp  # only words with a frequency: a hit needs no second look-up
        logtotal = self._logtotal
        score = [0.0] * (n + 1)
        end = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = None
            i = k
            frag = s[k]
            while True:
                lp = logp.get(frag)
                if lp is None:
                    f = freq.get(frag)
                    if f is None:
                        break  # not even a prefix of a word
                    if f:
                        lp = logp[frag] = math.log(f) - logtotal
                if lp is not None:
                    v = lp + score[i + 1]
                    # ends come in increasing order, so >= keeps the later end on a tie, as jieba's max does
                    if best is None or v >= best:
                        best, at = v, i
                i += 1
                if i >= n:
                    break
                frag = s[k : i + 1]
            if best is None:
                best, at = -logtotal + score[k + 1], k
            score[k] = best
            end[k] = at
        return end

    def cut_han(self, s: str) -> list[str]:
        """Cuts a run of CJK characters into words, as jieba.lcut(s) would."""
        end = self._route(s)
        n = len(s)
        out: list[str] = []
        buf = ""
        x = 0
        freq = self.freq
        hmm = self.hmm
        while x < n:
            y = end[x] + 1
            if y - x == 1 and hmm:
                buf += s[x]
            else:
                if buf:
                    self._flush(buf, out, freq)
                    buf = ""
                out.append(s[x:y])
            x = y
        if buf:
            self._flush(buf, out, freq)
        return out

    @staticmethod
    def _flush(buf: str, out: list[str], freq: dict) -> None:
        # a run of single characters: the HMM may join them into unknown words
        if len(buf) == 1:
            out.append(buf)
        elif not freq.get(buf):
            out.extend(hmm_cut(buf))
        else:
            out.extend(buf)

    def tag(self, word: str) -> str:
        """Part of speech of a CJK word: the dictionary's tag, else a guess.

        Words outside the dictionary are ones the HMM invented; their tag is
        memoised per word, from posseg's tagging HMM when ``oov_pos`` is
        "posseg" (~2 ms per distinct word, which is more than segmenting the
        text costs on a 10 MB corpus) or from :func:`guess_oov_pos` otherwise.
        """
        t = self.tags.get(word)
        if t is not None:
            return t
        t = self._oov_tag.get(word)
        if t is None:
            if self.oov_pos == "posseg":
                pairs = self.postok.lcut(word)
                # posseg may cut an unknown word further; we keep the word whole
                # and take the tag of its longest piece, the last one on ties
                # (the head of a Chinese compound is at its end).
                best = max(range(len(pairs)), key=lambda i: (len(pairs[i].word), i))
                t = pairs[best].flag
            else:
                t = guess_oov_pos(word, self.tags)
            self._oov_tag[word] = t
        return t

    def cut_tagged(self, s: str) -> tuple[str, ...]:
        """Words and tags of a run of CJK characters, flat (w1, pos1, w2, pos2, ...):
        :meth:`cut_han` and :meth:`tag`, memoised per run."""
        cut = self._cuts.get(s)
        if cut is None:
            cut = self._old_cuts.get(s)
            if cut is None:
                words, tags = self._words, self.tags
                flat: list[str] = []
                for w in self.cut_han(s):
                    w = words.setdefault(w, w)
                    t = tags.get(w)
                    flat += (w, t if t is not None else self.tag(w))
                cut = tuple(flat)
            if len(self._cuts) >= CUT_MEMO_SIZE // 2:
                # bounded memory; the output never depends on what is memoised
                self._old_cuts, self._cuts = self._cuts, {}
                if len(self._words) >= CUT_MEMO_SIZE:
                    self._words = {}
            self._cuts[s] = cut
        return cut

    def tokenize(self, text: str) -> list[tuple[int, int, str, str]]:
        """Splits one paragraph into (start, end, token, pos), whitespace dropped.

        Args:
            text: The paragraph text.

        Returns:
            Tokens in text order; text[start:end] == token.
        """
        out = []
        append = out.append
        for m in _PIECE_RE.finditer(text):
            kind = m.lastgroup
            if kind == "h":
                pos = m.start()
                cut = self.cut_tagged(m.group())
                for i in range(0, len(cut), 2):
                    w = cut[i]
                    e = pos + len(w)
                    append((pos, e, w, cut[i + 1]))
                    pos = e
            elif kind == "s":
                continue
            else:
                w = m.group()
                if kind == "m":
                    pos = "t" if w[-1] in CALENDAR_UNITS else "m"
                elif kind == "t":
                    pos = "t"
                elif kind in ("l", "a"):
                    pos = "eng"
                else:
                    pos = "m" if w.isdigit() else "x"
                append((m.start(), m.end(), w, pos))
        return out

    def segment_batch(self, texts: list[str]) -> dict:
        """Segments a batch of paragraphs into compact column arrays.

        Args:
            texts: Paragraph texts.

        Returns:
            Dict of sentence and token columns; tokens and tags are joined with
            newlines (they never contain whitespace), which pickles much faster
            between processes than millions of small strings.
        """
        s_start: list[int] = []
        s_end: list[int] = []
        t_start: list[int] = []
        t_end: list[int] = []
        words: list[str] = []
        tags: list[str] = []
        n_sent = np.zeros(len(texts), dtype=np.int64)
        n_tok = np.zeros(len(texts), dtype=np.int64)
        for p, text in enumerate(texts):
            spans = sentence_spans(text)
            n_sent[p] = len(spans)
            for a, b in spans:
                s_start.append(a)
                s_end.append(b)
            toks = self.tokenize(text)
            n_tok[p] = len(toks)
            if toks:
                a_, b_, w_, pos_ = zip(*toks)
                t_start += a_
                t_end += b_
                words += w_
                tags += pos_
        i32, i64 = np.int32, np.int64
        paras = np.arange(len(texts), dtype=i64)
        s_para = np.repeat(paras, n_sent)
        first = np.cumsum(n_sent) - n_sent  # each paragraph's first sentence
        t_para = np.repeat(paras, n_tok)
        t_start_a = np.array(t_start, dtype=i64)
        # a token belongs to the sentence after the last one ending at or before its start (tokens
        # never straddle a sentence end: ends are punctuation tokens of their own); offsets < 2**32
        ends = (s_para << 32) | np.array(s_end, dtype=i64)
        sent = np.searchsorted(ends, (t_para << 32) | t_start_a, side="right")
        t_sent = np.maximum(np.minimum(sent, (first + n_sent - 1)[t_para]) - first[t_para], 0)
        # position within its sentence: distance from the start of its run of (paragraph, sentence)
        run = np.flatnonzero(np.r_[True, (t_para[1:] != t_para[:-1]) | (t_sent[1:] != t_sent[:-1])]) if len(t_para) else t_para
        t_idx = np.arange(len(t_para), dtype=i64) - np.repeat(run, np.diff(np.r_[run, len(t_para)]))
        return {
            "s_para": s_para.astype(i32),
            "s_id": (np.arange(len(s_para), dtype=i64) - np.repeat(first, n_sent)).astype(i32),
            "s_start": np.array(s_start, dtype=i32),
            "s_end": np.array(s_end, dtype=i32),
            "t_para": t_para.astype(i32),
            "t_sent": t_sent.astype(i32),
            "t_idx": t_idx.astype(i32),
            "t_start": t_start_a.astype(i32),
            "t_end": np.array(t_end, dtype=i32),
            "words": "\n".join(words),
            "tags": "\n".join(tags),
        }


# One Segmenter per (lexicon, cache, hmm) and process: built by the pool
# initializer in workers, memoised in the parent when workers == 1.
_SEGMENTERS: dict[tuple, Segmenter] = {}
_WORKER: Segmenter | None = None


def _segmenter_key(lexicon: list[tuple], cache_dir: Path, hmm: bool) -> tuple:
    digest = hashlib.sha1(repr(lexicon).encode("utf-8")).hexdigest()
    return (digest, str(Path(cache_dir).resolve()), hmm)


def get_segmenter(lexicon: list[tuple], cache_dir: Path, hmm: bool = True, oov_pos: str = "guess") -> Segmenter:
    """Returns this process's Segmenter for the lexicon, building it once.

    Args:
        lexicon: Rows of :func:`build_lexicon` as tuples.
        cache_dir: Folder for jieba's caches.
        hmm: Whether the HMM may join unknown characters into words.
        oov_pos: How words outside the dictionary get a tag: "guess" or "posseg".
    """
    key = _segmenter_key(lexicon, cache_dir, hmm) + (oov_pos,)
    seg = _SEGMENTERS.get(key)
    if seg is None:
        _SEGMENTERS.clear()  # keep one: a tokenizer holds ~100 MB
        seg = _SEGMENTERS[key] = Segmenter(lexicon, cache_dir, hmm, oov_pos)
    return seg


def release_segmenters() -> None:
    """Drops this process's tokenizers and dictionaries (a few hundred MB) once segmentation is done."""
    global _WORKER
    _SEGMENTERS.clear()
    _WORKER = None
    _base_dictionary.cache_clear()
    _dictionary_words.cache_clear()


def _init_worker(lexicon: list[tuple], cache_dir: str, hmm: bool, oov_pos: str) -> None:
    global _WORKER
    _WORKER = get_segmenter(lexicon, Path(cache_dir), hmm, oov_pos)


def _run_batch(texts: list[str]) -> dict:
    assert _WORKER is not None, "worker initializer did not run"
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


@functools.lru_cache(maxsize=2)
def _base_dictionary(cache_dir: str) -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary (FREQ, total), through a cache in cache_dir."""
    tk = jieba.Tokenizer()
    tk.tmp_dir = cache_dir
    with tk.get_dict_file() as f:
        path = _cache_path(Path(cache_dir), "freq", os.path.abspath(f.name))
    cached = _read_pickle(path)
    if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], dict) and cached[0]:
        return cached
    tk.initialize()
    _write_pickle(path, (tk.FREQ, tk.total))
    return tk.FREQ, tk.total


@functools.lru_cache(maxsize=2)
def _dictionary_words(cache_dir: str) -> dict[str, str]:
    tk = jieba.Tokenizer()
    # the POS-table cache needs no prefix dictionary; the file alone is read
    return _CachedPOSTokenizer.__new__(_CachedPOSTokenizer)._load_cached(tk.get_dict_file(), Path(cache_dir))


def dictionary_words(cache_dir: Path) -> dict[str, str]:
    """jieba's dict.txt as word -> tag, from the cache (built on first use).

    Args:
        cache_dir: Folder for jieba's caches.
    """
    cache_dir = Path(cache_dir).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    return _dictionary_words(str(cache_dir))


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
    keep = pd.Series(True, index=paragraphs.index)
    if "is_duplicate" in paragraphs.columns:
        dup = paragraphs["is_duplicate"].fillna(False).astype(bool)
        stats["dropped_duplicate"] = int(dup.sum())
        keep &= ~dup
    kind_ok = paragraphs["kind"].isin(cfg.kinds)
    for kind in sorted(set(paragraphs.loc[keep & ~kind_ok, "kind"].astype(str))):
        stats[f"dropped_kind_{kind}"] = int((keep & ~kind_ok & (paragraphs["kind"] == kind)).sum())
    keep &= kind_ok
    texts_s = paragraphs["text"].fillna("").astype(str)
    empty = texts_s.str.strip() == ""
    stats["dropped_empty"] = int((keep & empty).sum())
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
    return list(lexicon_df.itertuples(index=False, name=None))


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
    lexicon_df = lexicon if lexicon is not None else build_lexicon(texts, cfg, known=dictionary_words(cfg.cache_dir).keys())
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
    them: ``handle(part, sentences, tokens, split_docs)`` runs in the worker (writing the
    tables, counting terms) and only its small result travels back.

    Args:
        jobs: Chunks from :func:`plan_segment_jobs`.
        lexicon: The run's ``segment_lexicon``.
        cfg: Stage settings (workers, cache_dir, hmm, oov_pos, start_method).
        handle: Module-level function (or functools.partial of one) of
            (part, sentences, tokens, split_docs) -> small picklable result.
        on_result: Called in the caller with (job index, result) as each
            chunk finishes, in job order (progress reporting).

    Returns:
        handle's results in job order.
    """
    rows = list(lexicon.itertuples(index=False, name=None))
    return _map_with_segmenter(functools.partial(_run_job, handle=handle), jobs, rows, cfg, on_result)


def _map_with_segmenter(fn, jobs: list, lexicon: list[tuple], cfg: SegmentConfig, on_result=None) -> list:
    """map_in_processes over jobs, each worker holding a Segmenter for the lexicon."""
    if cfg.start_method == "fork" or cfg.workers == 1:
        # forked workers inherit the memoised Segmenter, so the dictionary
        # is loaded once in all, not once per worker
        get_segmenter(lexicon, cfg.cache_dir, cfg.hmm, cfg.oov_pos)
    return map_in_processes(
        fn, jobs, cfg.workers, initializer=_init_worker, initargs=(lexicon, str(cfg.cache_dir), cfg.hmm, cfg.oov_pos),
        start_method=cfg.start_method, on_result=on_result,
    )


def _run_job(job: SegmentJob, handle):
    assert _WORKER is not None, "worker initializer did not run"
    out = _WORKER.segment_batch(job.texts)
    sentences, tokens = _assemble([out], [(0, len(job.texts))], job.texts, job.doc_ids, job.para_ids)
    return handle(job.part, sentences, tokens, job.split_docs)


def _assemble(outs, ranges, texts, doc_ids, para_ids) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenates batch outputs (in input order) into the two tables."""
    s_cols = ["s_para", "s_id", "s_start", "s_end", "t_para", "t_sent", "t_idx", "t_start", "t_end"]
    cat: dict[str, np.ndarray] = {}
    for col in s_cols:
        parts = []
        for out, (a, _b) in zip(outs, ranges):
            arr = out[col]
            parts.append(arr + a if col in ("s_para", "t_para") else arr)
        cat[col] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    words: list[str] = []
    tags: list[str] = []
    for out in outs:
        if out["words"] or len(out["t_para"]):
            words.extend(out["words"].split("\n"))
            tags.extend(out["tags"].split("\n"))

    s_text = [texts[p][a:b] for p, a, b in zip(cat["s_para"].tolist(), cat["s_start"].tolist(), cat["s_end"].tolist())]
    sentences = pd.DataFrame(
        {
            "doc_id": doc_ids[cat["s_para"]] if len(doc_ids) else np.array([], dtype=object),
            "para_id": para_ids[cat["s_para"]] if len(para_ids) else np.array([], dtype=np.int32),
            "sent_id": cat["s_id"],
            "char_start": cat["s_start"],
            "char_end": cat["s_end"],
            "text": pd.Series(s_text, dtype=object),
        },
        columns=column_names("sentences"),
    )
    tokens = pd.DataFrame(
        {
            "doc_id": doc_ids[cat["t_para"]] if len(doc_ids) else np.array([], dtype=object),
            "para_id": para_ids[cat["t_para"]] if len(para_ids) else np.array([], dtype=np.int32),
            "sent_id": cat["t_sent"],
            "token_idx": cat["t_idx"],
            "token": pd.Series(words, dtype=object),
            "pos": pd.Series(tags, dtype=object),
            "char_start": cat["t_start"],
            "char_end": cat["t_end"],
        },
        columns=column_names("tokens"),
    )
    return sentences, tokens
