"""Benchmark: the segment stage per chunk against its floor, and both against raw ``jieba.lcut``.

Takes a finished run's Parquet folder, plans its segmentation chunks as the
flow does, and times in one process, chunk by chunk, on the same text:

* ``jieba.lcut`` over each paragraph of the chunk (the baseline);
* the whole stage on the chunks (``segment_chunks`` with 1 worker, one call,
  warm: cut, tags, sentences, term counts, TextRank, the Parquet parts);
* the floor under the output contract: the engine's cut of the chunk (rjieba
  with the run's dictionary, one call) plus writing the chunk's ``sentences``
  and ``tokens`` parts as the stage wrote them. Whatever the rest costs, the
  stage cannot beat ``jieba.lcut`` by more than jieba's time over this floor.

CPU seconds of this process (``time.process_time``), so the other core's load
matters less; the ratios are what to compare between machines.

    .venv/bin/python bench/bench_segment_floor.py data/parquet --chunks 12

Not a test: a chunk of ~600k characters takes ~3 s of jieba.lcut.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from tasks.lexicon import corpus_lexicon  # noqa: E402
from tasks.parquet import PART, read_dataset, write_part  # noqa: E402
from tasks.segment import get_segmenter  # noqa: E402
from tasks.segment_chunks import plan_chunks, segment_chunks  # noqa: E402


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parquet", type=Path, help="a finished run's Parquet folder (e.g. data/parquet)")
    ap.add_argument("--chunks", type=int, default=12, help="chunks to time (from the first)")
    args = ap.parse_args(argv)

    paragraphs = read_dataset("paragraphs", args.parquet)
    lexicon = corpus_lexicon(paragraphs, read_dataset("officials", args.parquet))
    jobs = plan_chunks(paragraphs, paragraphs["doc_id"].unique().tolist())[: args.chunks + 1]
    if len(jobs) < 2:
        print("need at least two chunks (one to warm up)", file=sys.stderr)
        return 2
    jieba.setLogLevel(60)
    jieba.initialize()
    # the rows as the stage passes them (plain Python values), so it finds this same tokenizer
    segmenter = get_segmenter(list(zip(*(lexicon[c].tolist() for c in lexicon.columns))))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # the first chunk warms up: numba's cache, the tokenizer, pyarrow's first writes
        segment_chunks(jobs[:1], lexicon, 1, str(Path(tmp) / "warm"))
        timed, out = jobs[1:], Path(tmp) / "stage"
        # one call for all the chunks, as the flow makes it (its per-call costs spread over them)
        stage_s = _cpu(lambda: segment_chunks(timed, lexicon, 1, str(out)))
        for job in timed:
            text_mb = sum(len(t.encode("utf-8")) for t in job.texts) / 1e6
            jieba_s = _cpu(lambda: [jieba.lcut(t) for t in job.texts])
            joined = "\n".join(job.texts)
            cut_s = _cpu(lambda: segmenter.cut(joined))
            frames = {name: pq.read_table(out / name / PART.format(job.part)).to_pandas()
                      for name in ("sentences", "tokens")}
            write_s = _cpu(lambda: [write_part(df, name, str(Path(tmp) / "rewrite"), job.part)
                                    for name, df in frames.items()])
            rows.append((text_mb, jieba_s, cut_s, write_s))
            print(f"chunk {job.part:3d}  {text_mb:5.2f} MB  jieba.lcut {jieba_s:6.2f} s  cut {cut_s:5.3f} s  "
                  f"sentences+tokens writes {write_s:5.3f} s", flush=True)
    mb, jieba_s, cut_s, write_s = (sum(col) for col in zip(*rows))
    floor_s = cut_s + write_s
    print(f"\n{len(rows)} chunks, {mb:.1f} MB: jieba.lcut {mb / jieba_s:.2f} MB/s")
    print(f"  stage            {mb / stage_s:6.2f} MB/s  {jieba_s / stage_s:5.2f}x jieba.lcut")
    print(f"  cut alone        {mb / cut_s:6.2f} MB/s  {jieba_s / cut_s:5.2f}x")
    print(f"  floor (cut + sentences/tokens writes) {mb / floor_s:6.2f} MB/s  {jieba_s / floor_s:5.2f}x: "
          f"the most the stage can reach here")
    print(f"  the stage's own work beyond the floor: {(stage_s - floor_s) / stage_s:.0%} of its time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
