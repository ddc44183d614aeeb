"""Sentence splitting for Chinese text, shared by segmentation and extraction.

Takes a paragraph's text and gives sentence spans (start, end) as character
offsets into that text, so that every later row (tokens, indicators) can point
back into the paragraph. A sentence ends at 。!?; (full- or half-width) or an
ellipsis, plus any closing quotes/brackets that follow; a terminator inside
“…” or 《…》 does not end the sentence, since quoted slogans often carry
their own punctuation.
"""

from __future__ import annotations

import re

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
