"""Benchmark: segment-stage throughput against raw ``jieba.lcut`` and raw ``rjieba.cut`` on the same text.

Builds ~``--mb`` MB (UTF-8) of paragraphs by repeating the seed corpus with
perturbations (digits shifted, sentences of each paragraph shuffled with a
fixed seed, so that the text is not a verbatim repeat), then times in one run:

* ``jieba.lcut`` over every paragraph, one process, global tokenizer already
  initialised (the baseline);
* ``rjieba.cut`` (jieba-rs, the stage's engine) over every paragraph, one
  process (the compiled floor: the stage's own work on top of it is the rest);
* ``segment_paragraphs`` with 1 worker and with 2 workers, whole stage
  (sentences, tokens, POS, DataFrames), cold (first call in the process, so
  dictionary loading is included) and warm.

Usage: ``.venv/bin/python bench/bench_segment.py --mb 6``. Not a test.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402
import pandas as pd  # noqa: E402
import rjieba  # noqa: E402

from tasks.ingest import ingest_folder  # noqa: E402
from tasks.segment import SegmentConfig, segment_paragraphs  # noqa: E402
from tasks.sentences import split_sentences  # noqa: E402


def make_corpus(target_mb: float, seed: int = 7) -> pd.DataFrame:
    """Repeats and perturbs the seed paragraphs until target_mb of text."""
    paras = ingest_folder(ROOT / "seeds").paragraphs
    paras = paras[paras.kind.isin(["body", "heading", "caption"])]
    rng = random.Random(seed)
    rows = []
    size = 0
    copy = 0
    while size < target_mb * 1e6:
        shift = copy % 10
        for doc_id, para_id, kind, text in zip(paras.doc_id, paras.para_id, paras.kind, paras.text):
            sents = split_sentences(text)
            rng.shuffle(sents)
            new = re.sub(r"\d", lambda m: str((int(m.group()) + shift) % 10), "".join(sents))
            rows.append((f"{doc_id}-{copy}", para_id, kind, "", new))
            size += len(new.encode("utf-8"))
        copy += 1
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "kind", "section", "text"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=6.0, help="MB of UTF-8 text to segment")
    args = ap.parse_args()
    corpus = make_corpus(args.mb)
    texts = corpus.text.tolist()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} paragraphs, {mb:.2f} MB, {sum(map(len, texts))} chars")

    results = {}
    cfg1 = SegmentConfig(workers=1)
    t = time.perf_counter()
    r1 = segment_paragraphs(corpus, cfg1)
    results["stage, 1 worker, cold"] = time.perf_counter() - t

    jieba.initialize()
    t = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    base = time.perf_counter() - t
    results["jieba.lcut, 1 process"] = base
    rjieba.cut("预热")
    t = time.perf_counter()
    for text in texts:
        rjieba.cut(text)
    floor = time.perf_counter() - t
    results["rjieba.cut, 1 process"] = floor

    t = time.perf_counter()
    segment_paragraphs(corpus, cfg1)
    results["stage, 1 worker, warm"] = time.perf_counter() - t
    t = time.perf_counter()
    r2 = segment_paragraphs(corpus, SegmentConfig(workers=2))
    results["stage, 2 workers"] = time.perf_counter() - t
    assert r2.tokens.equals(r1.tokens), "2 workers must give the same tokens"

    print(f"tokens: {len(r1.tokens)}, sentences: {len(r1.sentences)}")
    for name, secs in results.items():
        print(f"{name:28s} {secs:7.2f} s  {mb / secs:6.3f} MB/s  {base / secs:5.2f}x lcut  {floor / secs:5.3f}x rjieba")


if __name__ == "__main__":
    main()
