"""Sentence splitting for Chinese text, shared by segmentation and extraction.

Takes a paragraph's text and gives sentence spans (start, end) as character
offsets into that text, so that every later row (tokens, indicators) can point
back into the paragraph. A sentence ends at 。!?; (full- or half-width) or an
ellipsis, plus any closing quotes/brackets that follow; a terminator inside
“…” or 《…》 does not end the sentence, since quoted slogans often carry
their own punctuation.

:func:`sentence_spans` walks one paragraph; :func:`batch_sentence_spans` gives
the same spans for a whole batch of paragraphs with one regex pass (the
quote rules written as a regex, exact for quotes nested up to two deep),
handing the rare paragraph the regex cannot follow to :func:`sentence_spans`;
:func:`paragraph_sentence_spans` gives that batch's spans as one list per paragraph.
"""

from __future__ import annotations

import re

import numpy as np

from tasks.text import SENTENCE_TERMINATORS as TERMINATORS

OPENERS = {"“": "”", "《": "》", "「": "」", "『": "』"}
CLOSERS = frozenset("”’》」』)\uff09】")


_SPECIAL = re.compile("[" + re.escape("".join(TERMINATORS) + "".join(OPENERS) + "".join(set(OPENERS.values()))) + "]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Splits text into sentence spans.

    Args:
        text: One paragraph of cleaned text.

    Returns:
        (start, end) offsets covering every non-blank sentence, in order; leading
        and trailing whitespace is excluded from each span.
    """
    spans: list[tuple[int, int]] = []
    stack: list[str] = []
    start = 0
    n = len(text)
    pos = 0
    # jump from one quote, bracket or terminator to the next instead of walking every character
    while True:
        m = _SPECIAL.search(text, pos)
        if m is None:
            break
        i = m.start()
        # an unbalanced opener must not swallow the rest of a long paragraph
        if stack and i - start > 400:
            stack.clear()
        ch = text[i]
        if ch in OPENERS:
            stack.append(OPENERS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
        elif ch in TERMINATORS and not stack:
            j = i + 1
            while j < n and (text[j] in TERMINATORS or text[j] in CLOSERS):
                j += 1
            spans.append((start, j))
            start = j
            pos = j
            continue
        pos = i + 1
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    """Returns the sentences of text as strings (see sentence_spans)."""
    return [text[s:e] for s, e in sentence_spans(text)]


# --- batches ---------------------------------------------------------------------

_OPEN = "".join(OPENERS)


def _quoted(opener: str, closer: str, inner: str = "") -> str:
    """Regex of a quote as sentence_spans' stack reads it: up to its own closer, other closers
    ignored, an opener inside only as a quote ``inner`` matches (none when empty)."""
    body = "[^" + re.escape(_OPEN + closer) + "\n]"
    return re.escape(opener) + (f"(?:{body}++|{inner})*+" if inner else f"{body}*+") + re.escape(closer)


_QUOTE_1 = "|".join(_quoted(o, c) for o, c in OPENERS.items())
_QUOTE_2 = "|".join(_quoted(o, c, _QUOTE_1) for o, c in OPENERS.items())
_TERM = "[" + re.escape("".join(sorted(TERMINATORS))) + "]"
_TERM_RUN = _TERM + "[" + re.escape("".join(sorted(TERMINATORS | CLOSERS))) + "]*+"
# One raw sentence (before whitespace is trimmed): text outside quotes but a terminator,
# quotes, then the terminator with the closing marks that follow it. An opener whose quote
# does not close within the paragraph (or nests deeper) matches nothing: its paragraph is
# left uncovered and goes to sentence_spans, as does a paragraph holding a newline.
_SENTENCE_RE = re.compile(
    "(?:[^" + re.escape("".join(sorted(TERMINATORS)) + _OPEN) + "\n]++|" + _QUOTE_2 + f")++(?:{_TERM_RUN})?|{_TERM_RUN}"
)
# code point -> str.isspace(), up to the last whitespace character (U+3000)
_BLANK_TOP = 0x3000
_BLANK = np.array([chr(c).isspace() for c in range(_BLANK_TOP + 1)] + [False])
# sentence_spans drops an open quote once its sentence runs past this many characters:
# a longer raw sentence holding a quote is left to it
_QUOTE_REACH = 400


def batch_sentence_spans(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence spans of many paragraphs at once, the same as :func:`sentence_spans` of each.

    The paragraphs are joined by newlines and the raw sentences found by one
    regex pass; the few that start or end with whitespace (told by their
    first and last code points) are trimmed one by one. A paragraph the regex does not cover whole (an opener without
    its closer, quotes three deep, a newline) or with a raw sentence longer
    than the quote reach is split by :func:`sentence_spans` instead.

    Args:
        texts: Paragraph texts.

    Returns:
        (paragraph index, start, end) int64 arrays, one row per sentence, in
        paragraph then text order; offsets are into each paragraph's text.
    """
    i64 = np.int64
    lengths = np.fromiter(map(len, texts), i64, len(texts))
    at = np.cumsum(lengths + 1) - (lengths + 1)  # each paragraph's offset in the joined text
    joined = "\n".join(texts)
    bounds = np.fromiter((x for m in _SENTENCE_RE.finditer(joined) for x in m.span()), i64).reshape(-1, 2)
    start, end = bounds[:, 0], bounds[:, 1]
    para = np.searchsorted(at, start, side="right") - 1
    covered = np.bincount(para, weights=end - start, minlength=len(texts))
    fallback = covered != lengths
    fallback[para[end - start > _QUOTE_REACH + 1]] = True
    # trim whitespace; few sentences start or end with it, those are walked in Python
    if len(start):
        chars = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        blank = _BLANK[np.minimum(chars[start], _BLANK_TOP + 1)] | _BLANK[np.minimum(chars[end - 1], _BLANK_TOP + 1)]
        for k in np.flatnonzero(blank).tolist():
            a, b = int(start[k]), int(end[k])
            while a < b and joined[a].isspace():
                a += 1
            while b > a and joined[b - 1].isspace():
                b -= 1
            start[k], end[k] = a, b
    keep = (end > start) & ~fallback[para]
    para, start, end = para[keep], start[keep] - at[para[keep]], end[keep] - at[para[keep]]
    redo = np.flatnonzero(fallback).tolist()
    if redo:
        spans = [(p, a, b) for p in redo for a, b in sentence_spans(texts[p])]
        extra = np.array(spans, dtype=i64).reshape(-1, 3)
        para, start, end = (np.concatenate([x, extra[:, c]]) for c, x in enumerate((para, start, end)))
        order = np.lexsort((start, para))
        para, start, end = para[order], start[order], end[order]
    return para, start, end


def paragraph_sentence_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """sentence_spans of each text, found for all of them in one pass (batch_sentence_spans).

    Args:
        texts: Paragraph texts.

    Returns:
        One list of (start, end) per text, in order.
    """
    para, start, end = batch_sentence_spans(texts)
    pairs = list(zip(start.tolist(), end.tolist()))
    bounds = np.searchsorted(para, np.arange(len(texts) + 1)).tolist()
    return [pairs[a:b] for a, b in zip(bounds, bounds[1:])]
