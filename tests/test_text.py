"""The shared text vocabulary: kept paragraphs, terminators, character classes, number characters."""

from __future__ import annotations

import re

import pandas as pd

from tasks.text import (
    CN_DIGIT_VALUES,
    CN_DIGITS,
    HAN,
    HAN_JIEBA,
    HAN_UNIFIED,
    PARAGRAPH_TERMINATORS,
    SENTENCE_TERMINATORS,
    kept_mask,
    kept_paragraphs,
)


def paras(flags, kinds=None):
    n = len(flags)
    return pd.DataFrame({
        "doc_id": ["a", "a", "b", "b"][:n], "para_id": list(range(n)),
        "kind": kinds or ["body"] * n, "is_duplicate": flags,
    }, index=[10, 11, 12, 13][:n])


def test_a_null_duplicate_flag_counts_as_kept():
    p = paras(pd.array([True, None, False, None], dtype="boolean"))
    assert kept_mask(p).tolist() == [False, True, True, True]
    assert kept_mask(p).index.tolist() == [10, 11, 12, 13]


def test_without_dedup_every_paragraph_is_kept():
    p = paras([True, False, True, False]).drop(columns="is_duplicate")
    assert kept_paragraphs(p)["para_id"].tolist() == [0, 1, 2, 3]


def test_paragraphs_of_a_duplicate_document_are_left_out_when_documents_are_given():
    p = paras([False, False, False, False])
    docs = pd.DataFrame({"doc_id": ["a", "b"], "is_duplicate": [False, True]})
    assert kept_paragraphs(p, docs)["para_id"].tolist() == [0, 1]
    assert kept_paragraphs(p)["para_id"].tolist() == [0, 1, 2, 3]


def test_kinds_select_among_the_kept():
    p = paras([False, True, False, False], kinds=["body", "heading", "table", "heading"])
    assert kept_paragraphs(p, kinds=("body", "heading"))["para_id"].tolist() == [0, 3]


def test_a_colon_ends_a_paragraph_but_not_a_sentence():
    for colon in (":", "\uff1a"):
        assert colon in PARAGRAPH_TERMINATORS and colon not in SENTENCE_TERMINATORS
    # full- and half-width forms both end a sentence (ingest reads raw text)
    for ch in "。!?;…\uff01\uff1f\uff1b":
        assert ch in SENTENCE_TERMINATORS
    assert "," not in PARAGRAPH_TERMINATORS and "、" not in PARAGRAPH_TERMINATORS


def test_the_han_classes_differ_where_their_names_say():
    ext_a, compat, unified, zero, late = "\u3400", "\uf900", "\u4e2d", "\u3007", "\u9fe0"
    has = {name: [bool(re.fullmatch(f"[{cls}]", ch)) for ch in (ext_a, compat, unified, zero, late)]
           for name, cls in (("HAN", HAN), ("HAN_UNIFIED", HAN_UNIFIED), ("HAN_JIEBA", HAN_JIEBA))}
    assert has["HAN"] == [True, True, True, False, True]
    assert has["HAN_UNIFIED"] == [False, False, True, False, True]
    # jieba's own range stops at U+9FD5 and takes 〇, the zero of 二〇三五年
    assert has["HAN_JIEBA"] == [False, False, True, True, False]
    # the Yijing hexagram symbols between extension A and the unified block are no letters
    assert not re.search(f"[{HAN}]", "\u4dc0")


def test_chinese_digits_have_their_values():
    assert set(CN_DIGIT_VALUES) == set(CN_DIGITS)
    assert [CN_DIGIT_VALUES[c] for c in "零〇一二两三四五六七八九"] == [0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9]


def _classes_repeating_an_ascii_mark(source: str) -> list[tuple[int, str]]:
    """Regex character classes in a module's string literals that hold one ASCII mark twice."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for m in re.finditer(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]", node.value):
                body = re.sub(r"\\.", "", m.group(1))
                # a class of marks, not prose in brackets ('[group, score, tie]' in a docstring)
                if re.search(r"[A-Za-z ]", body):
                    continue
                if any(body.count(mark) > 1 for mark in ",;:!?()"):
                    found.append((node.lineno, m.group(0)))
    return found


def test_no_pattern_in_tasks_lists_an_ascii_mark_twice():
    # the first sources lost their full-width forms ([,，] became [,,], [(（] became [((]); a class
    # holding the same ASCII mark twice is that loss, and the rule it belongs to misses real text
    from pathlib import Path

    tasks = Path(__file__).resolve().parent.parent / "tasks"
    offenders = {p.name: found for p in sorted(tasks.glob("*.py"))
                 if (found := _classes_repeating_an_ascii_mark(p.read_text(encoding="utf-8")))}
    assert offenders == {}
    assert _classes_repeating_an_ascii_mark('X = r"[,,。]"\nY = r"[,，。]"\n') == [(1, "[,,。]")]
